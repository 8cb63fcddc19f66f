// `bertrun build`: compiles the addon from source (cmake-js) against the libtorch found; the same
// step the install script falls back to when no prebuild fits (scripts/install.js --build).
import * as path from 'path';
import { packageRoot } from '../package_root';
import { runAttached } from './setup_command';

export async function runBuild(argv: string[]): Promise<void> {
  if (argv.length) throw new Error('usage: bertrun build (compiles the addon from source with cmake-js against the libtorch found)');
  runAttached(process.execPath, [path.join(packageRoot(), 'scripts', 'install.js'), '--build'], 'the source build');
}
