// torchrun's error file: what a failing worker leaves, and what the launcher reads back.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readTorchrunErrorFile, writeTorchrunErrorFile } from '../../lib/distributed/torchrun_error_file';

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-error-file-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

test("a worker's message round-trips in torch.distributed.elastic's layout", () => {
  const file = path.join(dir, 'error.json');
  writeTorchrunErrorFile('rank 1 stopped responding', { TORCHELASTIC_ERROR_FILE: file });
  const written = JSON.parse(fs.readFileSync(file, 'utf8'));
  expect(written.message.message).toBe('rank 1 stopped responding');
  expect(written.message.extraInfo.timestamp).toMatch(/^\d+$/);
  expect(readTorchrunErrorFile(file)).toBe('rank 1 stopped responding');
});

test('the plain-string layout is read too; a missing or broken file gives nothing; no variable, no file', () => {
  const plain = path.join(dir, 'plain.json');
  fs.writeFileSync(plain, JSON.stringify({ message: 'boom', timestamp: 1 }));
  expect(readTorchrunErrorFile(plain)).toBe('boom');
  const broken = path.join(dir, 'broken.json');
  fs.writeFileSync(broken, '{"message": ');
  expect(readTorchrunErrorFile(broken)).toBeUndefined();
  expect(readTorchrunErrorFile(path.join(dir, 'none.json'))).toBeUndefined();
  writeTorchrunErrorFile('nowhere', {});
  expect(fs.readdirSync(dir).sort()).toEqual(['broken.json', 'plain.json']);
  // A directory that is gone: the worker's stderr still has the message; nothing throws.
  expect(() => writeTorchrunErrorFile('lost', { TORCHELASTIC_ERROR_FILE: path.join(dir, 'gone', 'error.json') })).not.toThrow();
});
