import * as fs from 'fs';
import * as path from 'path';

/** package.json's version, as `npm ls` would show it. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The bertrun package directory, from either lib/ (ts-jest) or dist/lib/ (compiled). */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = path.join(dir, 'package.json');
    if (fs.existsSync(manifest)) {
      const name = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name?: string }).name;
      if (name === 'bertrun') return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`bertrun: cannot find the package root above ${__dirname}`);
    dir = parent;
  }
}
