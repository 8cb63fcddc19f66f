// The loader picks the addon binary that fits the libtorch found (a local build before a prebuild,
// matching version, CUDA prebuilds only with a CUDA libtorch) and refuses everything else with
// a message that lists what was looked at and what to run; find-libtorch enforces libtorch >= 2.4.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chooseAddon } from '../../lib/addon_loader';

const REPO = path.resolve(__dirname, '..', '..');
const PLATFORM = `${process.platform}-${process.arch}`;

function fakeLibtorch(dir: string, version: [number, number, number], cuda = false): string {
  fs.mkdirSync(path.join(dir, 'include', 'torch', 'headeronly'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'lib', 'libtorch_cpu.so'), '');
  if (cuda) fs.writeFileSync(path.join(dir, 'lib', 'libtorch_cuda.so'), '');
  fs.writeFileSync(
    path.join(dir, 'include', 'torch', 'headeronly', 'version.h'),
    `#define TORCH_VERSION_MAJOR ${version[0]}\n#define TORCH_VERSION_MINOR ${version[1]}\n#define TORCH_VERSION_PATCH ${version[2]}\n`,
  );
  return dir;
}

/** A package root with the real find-libtorch.js, and the given (empty) binaries. */
function fakePackage(root: string, prebuilds: string[], localBuild?: { version: string; cuda: boolean }): string {
  fs.mkdirSync(path.join(root, 'scripts'), { recursive: true });
  fs.copyFileSync(path.join(REPO, 'scripts', 'find-libtorch.js'), path.join(root, 'scripts', 'find-libtorch.js'));
  fs.mkdirSync(path.join(root, 'prebuilds', PLATFORM), { recursive: true });
  for (const name of prebuilds) fs.writeFileSync(path.join(root, 'prebuilds', PLATFORM, name), '');
  if (localBuild) {
    fs.mkdirSync(path.join(root, 'build', 'Release'), { recursive: true });
    fs.writeFileSync(path.join(root, 'build', 'Release', 'bertrun.node'), '');
    fs.writeFileSync(path.join(root, 'build', 'bertrun-build.json'), JSON.stringify(localBuild));
  }
  return root;
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-loader-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** An environment where only what the test sets can be found. */
const isolated = (extra: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: tmp,
  BERTRUN_HOME: path.join(tmp, 'home'),
  BERTRUN_SKIP_PATH_PYTHON: '1',
  ...extra,
});
const CUDA_PREBUILD = 'bertrun.torch-2.11.0-cuda.napi.glibc.node';

test('no binary at all: names the directories and the source build', () => {
  const root = fakePackage(path.join(tmp, 'pkg'), []);
  expect(() => chooseAddon(root, { env: isolated({}), projectDirs: [] })).toThrow(
    new RegExp(`no native addon for ${PLATFORM}: no prebuild in .*prebuilds/${PLATFORM} and no local build[\\s\\S]*npx bertrun build`),
  );
});

test('no libtorch: lists every place looked at and the setup command', () => {
  const root = fakePackage(path.join(tmp, 'pkg'), [CUDA_PREBUILD]);
  const error = (() => {
    try {
      chooseAddon(root, { env: isolated({}), projectDirs: [tmp] });
    } catch (e) {
      return (e as Error).message;
    }
    return '';
  })();
  expect(error).toContain('libtorch was not found. bertrun needs libtorch 2.11.0');
  expect(error).toContain(`bertrun's cache (${path.join(tmp, 'home')}`);
  expect(error).toContain(`${path.join(tmp, '.venv')}: nothing there`);
  expect(error).toMatch(/`npx bertrun setup` installs torch==2\.11\.0 from PyPI into .*home/);
});

test('a prebuild for another torch version is refused, naming both versions and the fixes', () => {
  const root = fakePackage(path.join(tmp, 'pkg'), [CUDA_PREBUILD]);
  const torch = fakeLibtorch(path.join(tmp, 'torch'), [2, 10, 0], true);
  expect(() => chooseAddon(root, { env: isolated({ LIBTORCH: torch }) })).toThrow(
    /prebuild .*torch-2\.11\.0-cuda.* \(libtorch 2\.11\.0 with CUDA\) cannot run with the libtorch found: libtorch 2\.10\.0 from \$LIBTORCH[\s\S]*npx bertrun setup[\s\S]*npx bertrun build/,
  );
});

test('a CUDA prebuild is refused with a CPU-only libtorch of the same version', () => {
  const root = fakePackage(path.join(tmp, 'pkg'), [CUDA_PREBUILD]);
  const torch = fakeLibtorch(path.join(tmp, 'torch'), [2, 11, 0], false);
  expect(() => chooseAddon(root, { env: isolated({ LIBTORCH: torch }) })).toThrow(/libtorch 2\.11\.0 \(CPU-only\) from \$LIBTORCH/);
});

test('the first libtorch that fits wins: the cache holds a mismatch, a project .venv the right one', () => {
  const root = fakePackage(path.join(tmp, 'pkg'), [CUDA_PREBUILD, 'bertrun.torch-2.11.0-cpu.napi.glibc.node']);
  fakeLibtorch(path.join(tmp, 'home', 'torch-2.9.0', 'lib', 'python3.11', 'site-packages', 'torch'), [2, 9, 0], true);
  const venvTorch = fakeLibtorch(path.join(tmp, 'project', '.venv', 'lib', 'python3.12', 'site-packages', 'torch'), [2, 11, 0], false);
  const chosen = chooseAddon(root, { env: isolated({}), projectDirs: [path.join(tmp, 'project')] });
  expect(chosen.libtorch).toMatchObject({ root: venvTorch, version: '2.11.0', cuda: false, source: 'project .venv' });
  expect(path.basename(chosen.binary.path)).toBe('bertrun.torch-2.11.0-cpu.napi.glibc.node');
});

test('a local build comes before a prebuild when both fit', () => {
  const root = fakePackage(path.join(tmp, 'pkg'), [CUDA_PREBUILD], { version: '2.11.0', cuda: true });
  const torch = fakeLibtorch(path.join(tmp, 'torch'), [2, 11, 0], true);
  expect(chooseAddon(root, { env: isolated({ LIBTORCH: torch }) }).binary).toMatchObject({ kind: 'local build', torchVersion: '2.11.0' });
});

test('find-libtorch: LIBTORCH older than 2.4 is refused, a good one is described', () => {
  const script = path.join(REPO, 'scripts', 'find-libtorch.js');
  const old = fakeLibtorch(path.join(tmp, 'old'), [2, 3, 1]);
  const run = (libtorch: string) => {
    try {
      return { code: 0, out: execFileSync('node', [script, '--json'], { env: { ...process.env, LIBTORCH: libtorch }, encoding: 'utf8' }) };
    } catch (e) {
      return { code: (e as { status: number }).status, out: (e as { stdout: string }).stdout };
    }
  };
  const refused = run(old);
  expect(refused.code).toBe(1);
  expect(JSON.parse(refused.out).reason).toMatch(/libtorch 2\.3\.1; bertrun needs >= 2\.4/);
  const good = run(fakeLibtorch(path.join(tmp, 'good'), [2, 11, 0]));
  expect(good.code).toBe(0);
  expect(JSON.parse(good.out)).toMatchObject({ ok: true, source: '$LIBTORCH', version: '2.11.0', cuda: false });
});

test('find-libtorch pins the torch of scripts/python-requirements.txt', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { SUPPORTED_TORCH } = require('../../scripts/find-libtorch.js') as { SUPPORTED_TORCH: string };
  expect(fs.readFileSync(path.join(REPO, 'scripts', 'python-requirements.txt'), 'utf8')).toMatch(
    new RegExp(`^torch==${SUPPORTED_TORCH.replace(/\./g, '\\.')}$`, 'm'),
  );
});
