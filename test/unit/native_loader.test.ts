// The loader refuses a missing build or a libtorch other than the one the addon was built
// against, with a message that says what to run; find-libtorch enforces libtorch >= 2.4.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadAddon } from '../../lib/native';

const REPO = path.resolve(__dirname, '..', '..');

function fakeLibtorch(dir: string, version: [number, number, number]): string {
  fs.mkdirSync(path.join(dir, 'include', 'torch', 'headeronly'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'lib', 'libtorch_cpu.so'), '');
  fs.writeFileSync(
    path.join(dir, 'include', 'torch', 'headeronly', 'version.h'),
    `#define TORCH_VERSION_MAJOR ${version[0]}\n#define TORCH_VERSION_MINOR ${version[1]}\n#define TORCH_VERSION_PATCH ${version[2]}\n`,
  );
  return dir;
}

function fakeBuild(root: string, record: Record<string, unknown>): void {
  fs.mkdirSync(path.join(root, 'build', 'Release'), { recursive: true });
  fs.writeFileSync(path.join(root, 'build', 'Release', 'bertrun.node'), '');
  fs.writeFileSync(path.join(root, 'build', 'bertrun-build.json'), JSON.stringify(record));
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-loader-'));
});
afterEach(() => {
  delete process.env.LIBTORCH;
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('no build: says to run npm run setup', () => {
  expect(() => loadAddon(tmp)).toThrow(/native addon is not built[\s\S]*npm run setup/);
});

test('libtorch directory gone: says to reinstall', () => {
  fakeBuild(tmp, { root: path.join(tmp, 'gone'), libDir: path.join(tmp, 'gone', 'lib'), version: '2.11.0', cuda: false });
  expect(() => loadAddon(tmp)).toThrow(/built against libtorch 2\.11\.0 at .*gone.*no longer exists[\s\S]*npm run setup/);
});

test('libtorch replaced by another version: refuses and says to rebuild', () => {
  const torch = fakeLibtorch(path.join(tmp, 'torch'), [2, 12, 1]);
  fakeBuild(tmp, { root: torch, libDir: path.join(torch, 'lib'), version: '2.11.0', cuda: false });
  expect(() => loadAddon(tmp)).toThrow(/built against libtorch 2\.11\.0, but .* now holds libtorch 2\.12\.1[\s\S]*npm run build/);
});

test('LIBTORCH pointing at another libtorch: refuses and says to rebuild or unset', () => {
  const built = fakeLibtorch(path.join(tmp, 'built'), [2, 11, 0]);
  fakeBuild(tmp, { root: built, libDir: path.join(built, 'lib'), version: '2.11.0', cuda: false });
  process.env.LIBTORCH = fakeLibtorch(path.join(tmp, 'other'), [2, 11, 0]);
  expect(() => loadAddon(tmp)).toThrow(/LIBTORCH points to .*other.*but the addon was built against libtorch 2\.11\.0[\s\S]*unset LIBTORCH/);
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
