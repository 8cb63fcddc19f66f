import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ZipReader, crc32 } from '../../lib/io/zip_reader';
import { runPython } from '../helpers/python';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-zip-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function expectZipError(fn: () => unknown, ...patterns: RegExp[]): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(Error);
  expect((thrown as Error).constructor).toBe(Error);
  for (const p of patterns) expect((thrown as Error).message).toMatch(p);
}

/**
 * A zip64 archive built by hand: every size and offset in the central directory is 0xffffffff
 * with the real value in the zip64 extra field, and the end record points to a zip64 one.
 */
function buildZip64(files: Array<{ name: string; data: Buffer }>): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(45, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt32LE(crc32(f.data), 14);
    local.writeUInt32LE(f.data.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, f.data);

    const extra = Buffer.alloc(4 + 24);
    extra.writeUInt16LE(0x0001, 0);
    extra.writeUInt16LE(24, 2);
    extra.writeBigUInt64LE(BigInt(f.data.length), 4);
    extra.writeBigUInt64LE(BigInt(f.data.length), 12);
    extra.writeBigUInt64LE(BigInt(offset), 20);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(45, 4);
    entry.writeUInt16LE(45, 6);
    entry.writeUInt16LE(0x800, 8);
    entry.writeUInt32LE(crc32(f.data), 16);
    entry.writeUInt32LE(0xffffffff, 20);
    entry.writeUInt32LE(0xffffffff, 24);
    entry.writeUInt16LE(name.length, 28);
    entry.writeUInt16LE(extra.length, 30);
    entry.writeUInt32LE(0xffffffff, 42);
    central.push(entry, name, extra);
    offset += local.length + name.length + f.data.length;
  }
  const cd = Buffer.concat(central);
  const zip64Eocd = Buffer.alloc(56);
  zip64Eocd.writeUInt32LE(0x06064b50, 0);
  zip64Eocd.writeBigUInt64LE(44n, 4);
  zip64Eocd.writeUInt16LE(45, 12);
  zip64Eocd.writeUInt16LE(45, 14);
  zip64Eocd.writeBigUInt64LE(BigInt(files.length), 24);
  zip64Eocd.writeBigUInt64LE(BigInt(files.length), 32);
  zip64Eocd.writeBigUInt64LE(BigInt(cd.length), 40);
  zip64Eocd.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + cd.length), 8);
  locator.writeUInt32LE(1, 16);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(0xffff, 8);
  eocd.writeUInt16LE(0xffff, 10);
  eocd.writeUInt32LE(0xffffffff, 12);
  eocd.writeUInt32LE(0xffffffff, 16);
  return Buffer.concat([...parts, cd, zip64Eocd, locator, eocd]);
}

test('crc32 matches zlib for known inputs', () => {
  expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  expect(crc32(Buffer.alloc(0))).toBe(0);
});

test('archives written by Python zipfile: stored, deflated, empty and UTF-8 entries, archive comment holding a fake end record', () => {
  const file = path.join(dir, 'py.zip');
  const out = runPython(
    `
import json, sys, zipfile, os
entries = {'a/stored.txt': b'hello ' * 50, 'a/deflated.bin': bytes(range(256)) * 40, 'a/empty': b'', 'a/ünï.txt': 'ü✓'.encode()}
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for i, (name, data) in enumerate(entries.items()):
        z.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED if i % 2 else zipfile.ZIP_STORED)
    # A fake end record inside the comment (comment length 0) must not be taken for the real one.
    z.comment = b'PK\\x05\\x06' + bytes(18) + b'then more text'
print(json.dumps({k: v.hex() for k, v in entries.items()}))
`,
    [file],
  );
  const expected = JSON.parse(out) as Record<string, string>;
  const zip = new ZipReader(fs.readFileSync(file), file);
  expect(zip.names()).toEqual(Object.keys(expected));
  for (const [name, hex] of Object.entries(expected)) expect(zip.read(name).toString('hex')).toBe(hex);
  expect(zip.entry('a/deflated.bin')!.method).toBe(8);
  expect(zip.entry('a/stored.txt')!.method).toBe(0);
});

test('zip64 end of central directory (Python, more than 65535 entries)', () => {
  const file = path.join(dir, 'many.zip');
  runPython(
    `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    for i in range(70000):
        z.writestr('e/%d' % i, str(i * 7))
`,
    [file],
  );
  const buf = fs.readFileSync(file);
  const zip64Eocd = Buffer.alloc(4);
  zip64Eocd.writeUInt32LE(0x06064b50);
  expect(buf.includes(zip64Eocd)).toBe(true);
  const zip = new ZipReader(buf, file);
  expect(zip.names().length).toBe(70000);
  expect(zip.read('e/0').toString()).toBe('0');
  expect(zip.read('e/69999').toString()).toBe(String(69999 * 7));
});

test('zip64 extra fields for sizes and offsets (hand-built, checked with Python)', () => {
  const files = [
    { name: 'x/one', data: Buffer.from('first entry') },
    { name: 'x/two', data: Buffer.from([0, 1, 2, 3, 255]) },
  ];
  const file = path.join(dir, 'zip64.zip');
  fs.writeFileSync(file, buildZip64(files));
  const fromPython = JSON.parse(
    runPython(
      `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    print(json.dumps({i.filename: z.read(i.filename).hex() for i in z.infolist()}))
`,
      [file],
    ),
  ) as Record<string, string>;
  expect(fromPython).toEqual({ 'x/one': files[0].data.toString('hex'), 'x/two': files[1].data.toString('hex') });
  const zip = new ZipReader(fs.readFileSync(file), file);
  expect(zip.names()).toEqual(['x/one', 'x/two']);
  for (const f of files) expect(zip.read(f.name)).toEqual(f.data);
});

describe('malformed archives give Errors naming the archive', () => {
  function smallZip(): Buffer {
    const file = path.join(dir, 'small.zip');
    runPython(
      `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as z:
    z.writestr('d/a', b'aaaa' * 100, compress_type=zipfile.ZIP_DEFLATED)
    z.writestr('d/b', b'bbbb', compress_type=zipfile.ZIP_STORED)
`,
      [file],
    );
    return fs.readFileSync(file);
  }
  let base: Buffer;
  beforeAll(() => {
    base = smallZip();
  });
  const centralEntry = (buf: Buffer, name: string): number => {
    const sig = Buffer.from([0x50, 0x4b, 0x01, 0x02]);
    for (let at = buf.indexOf(sig); at >= 0; at = buf.indexOf(sig, at + 1)) {
      if (buf.toString('latin1', at + 46, at + 46 + buf.readUInt16LE(at + 28)) === name) return at;
    }
    throw new Error(`no central entry ${name}`);
  };

  test('too short / no end record / truncated', () => {
    expectZipError(() => new ZipReader(Buffer.alloc(10), 'z.zip'), /invalid zip archive z\.zip: it is 10 bytes long/);
    expectZipError(() => new ZipReader(Buffer.alloc(100), 'z.zip'), /no end of central directory record/, /truncated or corrupt/);
    for (let cut = 1; cut < base.length; cut += 7) {
      expectZipError(() => {
        const zip = new ZipReader(Buffer.from(base.subarray(0, cut)), 'cut.zip');
        zip.read('d/a');
        zip.read('d/b');
      }, /cut\.zip/);
    }
  });

  test('unsupported method, encryption, missing entry, CRC mismatch, impossible size', () => {
    const method = Buffer.from(base);
    method.writeUInt16LE(12, centralEntry(method, 'd/b') + 10);
    expectZipError(() => new ZipReader(method, 'm.zip').read('d/b'), /entry "d\/b" uses compression method 12/);

    const encrypted = Buffer.from(base);
    encrypted.writeUInt16LE(1, centralEntry(encrypted, 'd/b') + 8);
    expectZipError(() => new ZipReader(encrypted, 'e.zip').read('d/b'), /entry "d\/b" is encrypted/);

    expectZipError(() => new ZipReader(base, 'n.zip').read('d/c'), /n\.zip: it has no entry "d\/c"/);

    const crc = Buffer.from(base);
    crc.writeUInt32LE((crc.readUInt32LE(centralEntry(crc, 'd/b') + 16) ^ 1) >>> 0, centralEntry(crc, 'd/b') + 16);
    expectZipError(() => new ZipReader(crc, 'c.zip').read('d/b'), /entry "d\/b" fails its CRC-32 check/);

    const bomb = Buffer.from(base);
    bomb.writeUInt32LE(0xfffffff0, centralEntry(bomb, 'd/a') + 24);
    expectZipError(() => new ZipReader(bomb, 'b.zip').read('d/a'), /claims 4294967280 bytes .* more than deflate can produce/);

    const wrongSize = Buffer.from(base);
    wrongSize.writeUInt32LE(401, centralEntry(wrongSize, 'd/a') + 24);
    expectZipError(() => new ZipReader(wrongSize, 'w.zip').read('d/a'), /decompresses to 400 bytes, not the 401/);
  });

  test('garbage deflate data', () => {
    const buf = Buffer.from(base);
    const local = buf.indexOf(Buffer.from('d/a')) - 30;
    const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    buf.fill(0xff, start, start + 8);
    expectZipError(() => new ZipReader(buf, 'g.zip').read('d/a'), /g\.zip: entry "d\/a" (does not decompress|decompresses to)/);
  });
});
