// The addon carries no build-machine paths except the libtorch lib dir it links through rpath.
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '../../lib/package_root';

test('the only absolute build path inside bertrun.node is the libtorch lib dir', () => {
  const root = packageRoot();
  const record = JSON.parse(fs.readFileSync(path.join(root, 'build', 'bertrun-build.json'), 'utf8')) as { root: string; libDir: string };
  const binary = fs.readFileSync(path.join(root, 'build', 'Release', 'bertrun.node')).toString('latin1');
  const found = new Set<string>();
  for (const prefix of [root, record.root]) {
    let at = binary.indexOf(prefix);
    while (at >= 0) {
      const end = binary.indexOf('\0', at);
      found.add(binary.slice(at, end));
      at = binary.indexOf(prefix, end);
    }
  }
  expect([...found]).toEqual([record.libDir]);
});
