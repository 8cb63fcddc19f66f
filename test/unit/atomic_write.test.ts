import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic, writeFileAtomicAsync } from '../../lib/io/atomic_write';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-atomic-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

test('writes one buffer or several, replacing an existing file, leaving no temp file', async () => {
  const target = path.join(dir, 'out.bin');
  writeFileAtomic(target, Buffer.from('old content that is longer'));
  writeFileAtomic(target, [Buffer.from('ab'), Buffer.alloc(0), Buffer.from('cd')]);
  expect(fs.readFileSync(target, 'utf8')).toBe('abcd');
  await writeFileAtomicAsync(target, [Buffer.from('x'), Buffer.from('yz')]);
  expect(fs.readFileSync(target, 'utf8')).toBe('xyz');
  expect(fs.readdirSync(dir)).toEqual(['out.bin']);
});

test('a large write arrives whole', () => {
  const target = path.join(dir, 'big.bin');
  const data = Buffer.alloc(8 * 1024 * 1024 + 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
  writeFileAtomic(target, data);
  expect(fs.readFileSync(target).equals(data)).toBe(true);
});

test('on failure the temp file is removed, the target untouched and the error names it', async () => {
  // Renaming a file over a non-empty directory fails after the temp file has been written.
  const target = path.join(dir, 'occupied');
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, 'keep'), 'x');
  expect(() => writeFileAtomic(target, Buffer.from('data'))).toThrow(new RegExp(`could not write ${target}`));
  await expect(writeFileAtomicAsync(target, Buffer.from('data'))).rejects.toThrow(/could not write/);
  expect(fs.readdirSync(dir)).toEqual(['occupied']);
  expect(fs.readdirSync(target)).toEqual(['keep']);

  const inMissingDir = path.join(dir, 'no', 'such', 'file');
  let thrown: NodeJS.ErrnoException | undefined;
  try {
    writeFileAtomic(inMissingDir, Buffer.from('data'));
  } catch (err) {
    thrown = err as NodeJS.ErrnoException;
  }
  expect(thrown?.code).toBe('ENOENT');
  expect(thrown?.message).toContain(inMissingDir);
});
