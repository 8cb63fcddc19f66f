import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * A fresh temporary directory for every test of the file (removed after it), and a writer of
 * files into it. Call at the top level of a test file.
 */
export function tempDirPerTest(prefix: string): { dir: () => string; write: (name: string, content: string | Buffer) => string } {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));
  return {
    dir: () => dir,
    write: (name, content) => {
      const file = path.join(dir, name);
      fs.writeFileSync(file, content);
      return file;
    },
  };
}
