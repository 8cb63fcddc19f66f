// The package as a user meets it: `npm pack`, then `npm install <tarball>` into an empty project
// with HOME in a temporary directory and a PATH that has no C/C++ compiler, make or cmake.
// With libtorch given through LIBTORCH: require and import work, `npx bertrun env` names the
// prebuild, a tiny model trains and predicts, nothing is compiled. With no libtorch anywhere:
// the install still succeeds and prints the fix, require throws the actionable error, and after
// `npx bertrun setup` (pip, pointed at this machine's pip cache) everything works. A libtorch of
// another version is refused naming both. publint and attw check the package shape.
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeSentenceTask, writeTinyModel } from '../helpers/ddp_run';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const finder = require('../../scripts/find-libtorch.js') as { findLibtorch(): { ok: boolean; root: string; version: string } };

const REPO = path.resolve(__dirname, '..', '..');
const PREBUILD = `prebuilds/${process.platform}-${process.arch}/bertrun.torch-2.11.0-cuda.napi.glibc.node`;
const TOOLS_KEPT = ['node', 'npm', 'npx', 'sh', 'bash', 'env', 'python3'];
const COMPILE_TOOLS = ['cc', 'c++', 'gcc', 'g++', 'clang++', 'make', 'cmake'];

jest.setTimeout(30 * 60 * 1000);

let tmp: string;
let tarball: string;
let binDir: string;
let baseEnv: NodeJS.ProcessEnv;
let modelDir: string;

interface Ran {
  code: number | null;
  out: string;
}

function sh(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Ran {
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { code: result.error ? -1 : result.status, out: `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? String(result.error) : ''}` };
}

/** The tool's executable (python3 itself, not a pyenv shim that needs pyenv on PATH). */
function which(tool: string): string | null {
  if (tool === 'python3') return spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim() || null;
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
  return found || null;
}

/** An empty project with the tarball installed; returns its directory and npm's output. */
function installInto(name: string, env: NodeJS.ProcessEnv): { dir: string; install: Ran } {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  // npm >= 11 runs a dependency's install script only when the project allows it (bertrun works
  // without it: the script only reports what it found, or compiles when no prebuild fits). A
  // tarball's entry is its file: spec. --foreground-scripts shows the script's output (npm hides it).
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, allowScripts: { [`file:${tarball}`]: true } }));
  const install = sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--foreground-scripts', tarball], dir, env);
  return { dir, install };
}

beforeAll(
  () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-npm-package-'));
    execFileSync(process.execPath, [path.join(REPO, 'scripts', 'prebuild.js')], { cwd: REPO, stdio: 'pipe' });
    const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const [info] = JSON.parse(packed.slice(packed.indexOf('['))) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
    tarball = path.join(tmp, info.filename);
    console.log(
      `npm pack: ${info.filename}: ${(info.size / 2 ** 20).toFixed(2)} MiB packed, ${(info.unpackedSize / 2 ** 20).toFixed(2)} MiB unpacked, ${info.files.length} files`,
    );
    expect(info.size).toBeLessThan(25 * 2 ** 20);
    const paths = info.files.map((f) => f.path);
    expect(paths).toContain(PREBUILD);
    expect(paths.filter((p) => /^(test|build|\.venv|node_modules|examples)\//.test(p) || (p.endsWith('.ts') && !p.endsWith('.d.ts')))).toEqual([]);

    // A PATH with the tools a user has, and no compiler.
    binDir = path.join(tmp, 'bin');
    fs.mkdirSync(binDir);
    for (const tool of TOOLS_KEPT) {
      const at = which(tool);
      if (at) fs.symlinkSync(at, path.join(binDir, tool));
    }
    const home = path.join(tmp, 'home');
    fs.mkdirSync(home);
    const keep = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LIBTORCH|BERTRUN_|npm_|NODE_|JEST|PIP_)/i.test(k)));
    baseEnv = {
      ...keep,
      HOME: home,
      PATH: binDir,
      BERTRUN_HOME: path.join(home, 'bertrun-home'),
      npm_config_cache: path.join(os.homedir(), '.npm'),
      npm_config_update_notifier: 'false',
    };
    modelDir = path.join(tmp, 'tiny-bert');
  },
  30 * 60 * 1000,
);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('publint and attw find no problems', () => {
  const publint = sh('npx', ['publint', '--strict'], REPO, process.env);
  expect(publint).toMatchObject({ code: 0 });
  expect(publint.out).toMatch(/All good!|No problems found/);
  const attw = sh('npx', ['attw', tarball, '--format', 'ascii'], REPO, process.env);
  expect(attw.out).not.toMatch(/❌|Error/);
  expect(attw.code).toBe(0);
});

test('a compile fails on this PATH: no compiler, make or cmake', () => {
  for (const tool of COMPILE_TOOLS) expect(sh(tool, ['--version'], tmp, baseEnv).code).toBe(-1);
});

describe('with libtorch through LIBTORCH', () => {
  let project: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    const libtorch = finder.findLibtorch();
    expect(libtorch).toMatchObject({ ok: true, version: '2.11.0' });
    env = { ...baseEnv, LIBTORCH: libtorch.root };
    const { dir, install } = installInto('with-libtorch', env);
    project = dir;
    expect(install).toMatchObject({ code: 0 });
    expect(install.out).toContain(`bertrun: ready: prebuild ${PREBUILD} with libtorch 2.11.0 from $LIBTORCH`);
    await writeTinyModel(modelDir);
    writeSentenceTask(path.join(tmp, 'train.tsv'), 32, 1);
    writeSentenceTask(path.join(tmp, 'test.tsv'), 6, 2);
  });

  test('nothing was compiled, and cmake-js cannot compile here', () => {
    const installed = path.join(project, 'node_modules', 'bertrun');
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
    const compile = sh('node', [path.join(project, 'node_modules', 'cmake-js', 'bin', 'cmake-js'), 'build'], installed, env);
    expect(compile.code).not.toBe(0);
    expect(compile.out).toMatch(/Compiler toolset is not available|cmake.*not found/i);
  });

  test('require and import expose the same API; the addon reports libtorch 2.11.0', () => {
    const cjs = sh(
      'node',
      ['-e', "const b = require('bertrun'); console.log(JSON.stringify([Object.keys(b).sort(), b.buildInfo().torchVersion]))"],
      project,
      env,
    );
    expect(cjs).toMatchObject({ code: 0 });
    // Node's ESM view of a CommonJS module adds `default` (module.exports) and TypeScript's `__esModule`.
    const [cjsNames, version] = JSON.parse(cjs.out.trim().split('\n').pop()!) as [string[], string];
    expect(version).toBe('2.11.0');
    expect(cjsNames).toEqual(expect.arrayContaining(['BertModel', 'Trainer', 'BertTokenizer', 'setSeed', 'buildInfo', 'cli']));
    const esm = sh(
      'node',
      [
        '--input-type=module',
        '-e',
        "import * as b from 'bertrun'; import d from 'bertrun'; console.log(JSON.stringify([Object.keys(b).filter((k) => k !== 'default' && k !== '__esModule').sort(), d.Trainer === b.Trainer]))",
      ],
      project,
      env,
    );
    expect(esm).toMatchObject({ code: 0 });
    expect(JSON.parse(esm.out.trim().split('\n').pop()!)).toEqual([cjsNames, true]);
  });

  test('npx bertrun env and --version name the prebuild and the libtorch', () => {
    const report = sh('npx', ['bertrun', 'env'], project, env);
    expect(report).toMatchObject({ code: 0 });
    expect(report.out).toContain(`addon: prebuild ${PREBUILD}`);
    expect(report.out).toContain(`libtorch 2.11.0 from $LIBTORCH at ${env.LIBTORCH}`);
    const version = sh('npx', ['bertrun', '--version'], project, env);
    expect(version.out.trim()).toBe((JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
  });

  test('a tiny model trains a few steps and predicts, through npx bertrun', () => {
    const out = path.join(tmp, 'trained');
    const train = sh(
      'npx',
      [
        'bertrun',
        'train',
        '--model_name_or_path',
        modelDir,
        '--train_file',
        path.join(tmp, 'train.tsv'),
        '--max_steps',
        '4',
        '--per_device_train_batch_size',
        '8',
        '--output_dir',
        out,
      ],
      project,
      env,
    );
    expect(train).toMatchObject({ code: 0 });
    expect(JSON.parse(fs.readFileSync(path.join(out, 'trainer_state.json'), 'utf8'))).toMatchObject({ global_step: 4 });
    const predict = sh(
      'npx',
      ['bertrun', 'predict', '--model_name_or_path', out, '--test_file', path.join(tmp, 'test.tsv'), '--output_dir', path.join(tmp, 'preds')],
      project,
      env,
    );
    expect(predict).toMatchObject({ code: 0 });
    const rows = fs
      .readFileSync(path.join(tmp, 'preds', 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { label: string });
    expect(rows).toHaveLength(6);
    for (const row of rows) expect(['yes', 'no']).toContain(row.label);
  });

  test('a libtorch of another version is refused, naming both versions and the fix', () => {
    const other = path.join(tmp, 'torch-2.10');
    fs.mkdirSync(path.join(other, 'include', 'torch', 'headeronly'), { recursive: true });
    fs.mkdirSync(path.join(other, 'lib'));
    for (const lib of ['libtorch_cpu.so', 'libtorch_cuda.so']) fs.writeFileSync(path.join(other, 'lib', lib), '');
    fs.writeFileSync(
      path.join(other, 'include', 'torch', 'headeronly', 'version.h'),
      '#define TORCH_VERSION_MAJOR 2\n#define TORCH_VERSION_MINOR 10\n#define TORCH_VERSION_PATCH 0\n',
    );
    const refused = sh('node', ['-e', "require('bertrun')"], project, { ...env, LIBTORCH: other });
    expect(refused.code).not.toBe(0);
    expect(refused.out).toContain(`prebuild ${PREBUILD} (libtorch 2.11.0 with CUDA) cannot run with the libtorch found: libtorch 2.10.0 from $LIBTORCH`);
    expect(refused.out).toMatch(/npx bertrun setup` installs torch==2\.11\.0/);
    // The install step falls back to a source build only then, and says why (here it cannot compile).
    const install = sh('node', [path.join(project, 'node_modules', 'bertrun', 'scripts', 'install.js')], project, { ...env, LIBTORCH: other });
    expect(install.out).toContain('bertrun: building the native addon from source (no prebuild for linux-x64 with libtorch 2.10.0');
    expect(install.code).toBe(1);
    expect(install.out).toContain('install cmake and a C++17 compiler and run `npx bertrun build`');
  });
});

describe('with no libtorch anywhere', () => {
  let project: string;
  let install: Ran;
  const env = (): NodeJS.ProcessEnv => ({ ...baseEnv });
  beforeAll(() => {
    expect(sh('python3', ['-c', 'import torch'], tmp, env()).code).not.toBe(0);
    ({ dir: project, install } = installInto('without-libtorch', env()));
  });

  test('npm install succeeds and prints the one command to run', () => {
    expect(install).toMatchObject({ code: 0 });
    expect(install.out).toContain('No libtorch found yet');
    expect(install.out).toContain('Run `npx bertrun setup` to install torch==2.11.0');
  });

  test('require throws what was looked for and the fixes; bertrun env says the same', () => {
    const failed = sh('node', ['-e', "require('bertrun')"], project, env());
    expect(failed.code).not.toBe(0);
    expect(failed.out).toContain('bertrun: libtorch was not found. bertrun needs libtorch 2.11.0');
    expect(failed.out).toContain(`bertrun's cache (${path.join(baseEnv.HOME!, 'bertrun-home')}`);
    expect(failed.out).toContain('a Python torch importable by python3 on PATH: nothing there');
    expect(failed.out).toMatch(/Possible fixes:\n {2}- `npx bertrun setup` installs torch==2\.11\.0 from PyPI/);
    const report = sh('npx', ['bertrun', 'env'], project, env());
    expect(report.code).toBe(1);
    expect(report.out).toContain('libtorch was not found');
  });

  test("after `npx bertrun setup` (pip, using this machine's pip cache) require works", () => {
    const pipCache = path.join(os.homedir(), '.cache', 'pip');
    const setup = sh('npx', ['bertrun', 'setup'], project, { ...env(), PIP_CACHE_DIR: pipCache });
    expect(setup.out).toContain('about 5 GB on disk');
    expect(setup).toMatchObject({ code: 0 });
    expect(setup.out).toContain(`bertrun setup: ready: prebuild ${PREBUILD} with libtorch 2.11.0 at ${path.join(baseEnv.BERTRUN_HOME!, 'torch-2.11.0')}`);
    const works = sh('node', ['-e', "console.log(require('bertrun').buildInfo().torchVersion)"], project, env());
    expect(works).toMatchObject({ code: 0 });
    expect(works.out.trim().split('\n').pop()).toBe('2.11.0');
    const again = sh('npx', ['bertrun', 'setup'], project, env());
    expect(again.out).toContain('bertrun setup: nothing to do');
  });
});
