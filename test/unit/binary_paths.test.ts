// The addon carries no build-machine paths: no rpath (lib/addon_loader.ts loads libtorch first)
// and __FILE__ prefixes mapped away, so the same binary works wherever it is installed.
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '../../lib/package_root';

test('bertrun.node contains neither the checkout path nor the libtorch path, and has no rpath', () => {
  const root = packageRoot();
  const record = JSON.parse(fs.readFileSync(path.join(root, 'build', 'bertrun-build.json'), 'utf8')) as { root: string };
  const binary = fs.readFileSync(path.join(root, 'build', 'Release', 'bertrun.node')).toString('latin1');
  const found = [root, record.root].filter((prefix) => binary.includes(prefix));
  expect(found).toEqual([]);
  expect(binary).not.toMatch(/\/site-packages\/torch\/lib/);
});
