// Loads the native addon the way a package user meets it: find libtorch at run time, pick the
// addon built for that libtorch (a local build, else a prebuild shipped in prebuilds/), load
// libtorch's shared libraries first (the addon carries no rpath to any build machine), then the
// addon. Every failure becomes an Error that lists what was looked at and what to run.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** What scripts/find-libtorch.js says of one libtorch. */
export interface LibtorchFound {
  ok: true;
  source: string;
  root: string;
  libDir: string;
  version: string;
  cuda: boolean;
}

/** scripts/find-libtorch.js, the one discovery shared with CMake, node-gyp and the install step. */
export interface LibtorchFinder {
  SUPPORTED_TORCH: string;
  cachedTorchDir(version: string, env: NodeJS.ProcessEnv): string;
  findAllLibtorch(
    env: NodeJS.ProcessEnv,
    options?: { projectDirs?: string[] },
  ): { looked: { where: string; found?: LibtorchFound; reason?: string }[]; found: LibtorchFound[] };
  bertrunHome(env: NodeJS.ProcessEnv): string;
  parsePrebuildName(file: string): { torchVersion: string; cuda: boolean; libc: string | null } | null;
}

/** One addon binary that could be loaded. */
export interface AddonCandidate {
  kind: 'local build' | 'prebuild';
  path: string;
  torchVersion: string;
  /** Links libtorch_cuda, so it needs a CUDA-enabled libtorch (PyPI's default wheel is one). */
  cuda: boolean;
}

/** Which binary and which libtorch were loaded (`bertrun env`). */
export interface LoadedAddon {
  addon: unknown;
  binary: AddonCandidate;
  libtorch: LibtorchFound;
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Directories whose .venv may hold torch (default: the package root and the cwd). */
  projectDirs?: string[];
}

// dlopen flags: make libtorch's symbols global, and keep the libraries mapped although Node
// closes a library that is not an addon (RTLD_NODELETE, 0x1000 in glibc; Node does not export it).
const RTLD_NODELETE = 0x1000;
const PRELOAD_FLAGS = os.constants.dlopen.RTLD_NOW | os.constants.dlopen.RTLD_GLOBAL | RTLD_NODELETE;
// In dependency order; each one's own dependencies (CUDA, NCCL from PyPI's nvidia-* wheels)
// resolve through its RUNPATH.
const LIBTORCH_LIBRARIES = ['libc10.so', 'libtorch_cpu.so', 'libc10_cuda.so', 'libtorch_cuda.so', 'libtorch.so'];

export function loadError(problem: string, fixes: string[], cause?: unknown): Error {
  return new Error(`bertrun: ${problem}\nPossible fixes:\n${fixes.map((f) => `  - ${f}`).join('\n')}`, cause === undefined ? undefined : { cause });
}

export function finderAt(root: string): LibtorchFinder {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path.join(root, 'scripts', 'find-libtorch.js')) as LibtorchFinder;
}

/** The libc of this process: prebuilds are tagged glibc or musl. */
function processLibc(): 'glibc' | 'musl' {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? 'glibc' : 'musl';
}

/** The addon binaries under root, the local build first (a developer's own build wins, as with node-gyp-build). */
export function addonCandidates(root: string): AddonCandidate[] {
  const candidates: AddonCandidate[] = [];
  const built = path.join(root, 'build', 'Release', 'bertrun.node');
  const record = path.join(root, 'build', 'bertrun-build.json');
  if (fs.existsSync(built) && fs.existsSync(record)) {
    const info = JSON.parse(fs.readFileSync(record, 'utf8')) as { version: string; cuda: boolean };
    candidates.push({ kind: 'local build', path: built, torchVersion: info.version, cuda: info.cuda });
  }
  const dir = path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
  if (fs.existsSync(dir)) {
    const finder = finderAt(root);
    const libc = processLibc();
    for (const file of fs.readdirSync(dir).sort()) {
      const tags = finder.parsePrebuildName(file);
      if (tags && (tags.libc === null || tags.libc === libc)) {
        candidates.push({ kind: 'prebuild', path: path.join(dir, file), torchVersion: tags.torchVersion, cuda: tags.cuda });
      }
    }
  }
  return candidates;
}

function fits(binary: AddonCandidate, libtorch: LibtorchFound): boolean {
  return binary.torchVersion === libtorch.version && (!binary.cuda || libtorch.cuda);
}

function describeBinary(binary: AddonCandidate, root: string): string {
  return `${binary.kind} ${path.relative(root, binary.path)} (libtorch ${binary.torchVersion}${binary.cuda ? ' with CUDA' : ''})`;
}

/** Picks the binary and libtorch to load, or throws the error that says why none fits. */
export function chooseAddon(root: string, options: LoadOptions = {}): { binary: AddonCandidate; libtorch: LibtorchFound } {
  const env = options.env ?? process.env;
  const finder = finderAt(root);
  const binaries = addonCandidates(root);
  const platform = `${process.platform}-${process.arch}`;
  const sourceBuild = 'build the addon from source against the libtorch you have: `npx bertrun build` (needs cmake and a C++17 compiler)';
  if (binaries.length === 0) {
    throw loadError(
      `no native addon for ${platform}: no prebuild in ${path.join(root, 'prebuilds', platform)} and no local build in ${path.join(root, 'build')}.`,
      [sourceBuild, 'in a bertrun checkout: `npm run setup` (installs libtorch into .venv and builds)'],
    );
  }
  const { looked, found } = finder.findAllLibtorch(env, options.projectDirs ? { projectDirs: options.projectDirs } : undefined);
  const wanted = binaries[0].torchVersion;
  const lookedList = looked.map((l) => `    ${l.where}: ${l.found ? `libtorch ${l.found.version}${l.found.cuda ? ' (CUDA)' : ''}` : l.reason}`).join('\n');
  if (found.length === 0) {
    throw loadError(`libtorch was not found. bertrun needs libtorch ${wanted} (PyPI's torch==${wanted}) at run time. Looked at:\n${lookedList}`, [
      `\`npx bertrun setup\` installs torch==${wanted} from PyPI into ${finder.bertrunHome(env)} (a few GB, once; BERTRUN_HOME moves it)`,
      `or \`pip install torch==${wanted}\` for the python3 on your PATH`,
      `or set LIBTORCH to a torch ${wanted} directory (site-packages/torch, or the libtorch C++ zip)`,
    ]);
  }
  for (const libtorch of found) {
    const binary = binaries.find((b) => fits(b, libtorch));
    if (binary) return { binary, libtorch };
  }
  const have = found.map((l) => `libtorch ${l.version}${l.cuda ? '' : ' (CPU-only)'} from ${l.source} at ${l.root}`).join('; ');
  throw loadError(
    `the ${binaries.map((b) => describeBinary(b, root)).join(', ')} cannot run with the libtorch found: ${have}. ` +
      `libtorch has no stable C++ ABI, so the versions must match.\n  Looked at:\n${lookedList}`,
    [
      `\`npx bertrun setup\` installs torch==${wanted} into ${finder.bertrunHome(env)}, which bertrun then uses`,
      `or point LIBTORCH at a torch ${wanted} installation`,
      sourceBuild.replace('the libtorch you have', `libtorch ${found[0].version}`),
    ],
  );
}

/** Makes libtorch's libraries resolvable for the addon by loading them first, globally. */
export function preloadLibtorch(libtorch: LibtorchFound): void {
  for (const name of LIBTORCH_LIBRARIES) {
    const file = path.join(libtorch.libDir, name);
    if (!fs.existsSync(file)) continue;
    try {
      process.dlopen({ exports: {} }, file, PRELOAD_FLAGS);
    } catch (e) {
      // Loaded fine; Node only complains that it is not an addon.
      if (/did not self-register/.test((e as Error).message)) continue;
      throw loadError(
        `cannot load ${file} (libtorch ${libtorch.version} from ${libtorch.source}): ${(e as Error).message}`,
        [
          'reinstall that torch (a library it needs is missing or broken)',
          "`npx bertrun setup` installs a complete torch into bertrun's cache; set LIBTORCH to choose one",
        ],
        e,
      );
    }
  }
}

/** Finds, checks and loads the addon under root (the bertrun package directory). */
export function loadAddonFrom(root: string, options: LoadOptions = {}): LoadedAddon {
  const { binary, libtorch } = chooseAddon(root, options);
  preloadLibtorch(libtorch);
  let addon: { buildInfo(): { torchVersion: string } };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(binary.path) as typeof addon;
  } catch (e) {
    throw loadError(
      `cannot load the ${describeBinary(binary, root)} with libtorch ${libtorch.version} at ${libtorch.root}: ${(e as Error).message}`,
      [
        binary.kind === 'local build' ? 'rebuild it: `npm run build` in the checkout, or `npx bertrun build`' : 'rebuild from source: `npx bertrun build`',
        `check that ${libtorch.libDir} is a complete torch ${libtorch.version}`,
      ],
      e,
    );
  }
  const reported = addon.buildInfo().torchVersion;
  if (reported !== binary.torchVersion) {
    throw loadError(`${describeBinary(binary, root)} reports libtorch ${reported}; its name or build record is wrong.`, ['rebuild it: `npx bertrun build`']);
  }
  return { addon, binary, libtorch };
}
