// `bertrun setup`: gets the libtorch the addon needs, for package users: when none that fits is
// found, installs PyPI's torch==<the prebuild's version> into bertrun's cache ($BERTRUN_HOME,
// default ~/.cache/bertrun) with pip in a private venv. pip's own settings apply (PIP_INDEX_URL
// for a mirror, PIP_FIND_LINKS / PIP_NO_INDEX for a local wheel directory, PIP_CACHE_DIR).
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { addonCandidates, chooseAddon, finderAt } from '../addon_loader';
import { packageRoot } from '../package_root';

const USAGE = `usage: bertrun setup [--force]

Installs torch from PyPI into bertrun's cache when no fitting libtorch is found (a few GB, once).
  --force   install even when a fitting libtorch exists
Environment: BERTRUN_HOME (cache directory, default ~/.cache/bertrun), LIBTORCH (use this libtorch
instead; setup then only checks it), PIP_INDEX_URL / PIP_FIND_LINKS / PIP_NO_INDEX / PIP_CACHE_DIR (pip's own).`;

// PyPI's Linux x86-64 torch 2.11 wheel with its nvidia-* dependencies, installed.
const INSTALLED_SIZE = 'about 5 GB on disk (a 2-3 GB download: torch with its CUDA libraries, which also run on machines without a GPU)';

/** Runs a command with the terminal attached; throws `what failed` with its exit code. */
export function runAttached(command: string, args: string[], what: string): void {
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.error) throw new Error(`${what}: cannot run ${command}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${what} failed (${command} ${args.join(' ')} exited with ${result.status})`);
}

export async function runSetup(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return;
  }
  const unknown = argv.filter((a) => a !== '--force');
  if (unknown.length) throw new Error(`unknown argument ${unknown[0]}\n${USAGE}`);
  const root = packageRoot();
  if (!argv.includes('--force')) {
    try {
      const { binary, libtorch } = chooseAddon(root);
      console.log(
        `bertrun setup: nothing to do: ${binary.kind} ${path.relative(root, binary.path)} runs with libtorch ${libtorch.version} from ${libtorch.source} (${libtorch.root})`,
      );
      return;
    } catch (e) {
      if (process.env.LIBTORCH)
        throw new Error(`LIBTORCH is set and does not fit: ${(e as Error).message}\nUnset LIBTORCH to let setup install torch.`, { cause: e });
    }
  }
  const finder = finderAt(root);
  const version = addonCandidates(root)[0]?.torchVersion ?? finder.SUPPORTED_TORCH;
  const target = finder.cachedTorchDir(version, process.env);
  const partial = `${target}.partial`;
  console.log(`bertrun setup: installing torch==${version} from PyPI into ${target}\n  ${INSTALLED_SIZE}. BERTRUN_HOME moves it.`);
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(partial), { recursive: true });
  try {
    runAttached('python3', ['-m', 'venv', partial], 'creating a Python venv for torch (Debian/Ubuntu: apt-get install python3-venv)');
    runAttached(
      path.join(partial, 'bin', 'python'),
      ['-m', 'pip', 'install', '--disable-pip-version-check', `torch==${version}`],
      `pip install torch==${version}`,
    );
  } catch (e) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw e;
  }
  // Only a complete install is seen by the loader.
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(partial, target);
  const { binary, libtorch } = chooseAddon(root);
  console.log(`bertrun setup: ready: ${binary.kind} ${path.relative(root, binary.path)} with libtorch ${libtorch.version} at ${libtorch.root}`);
}
