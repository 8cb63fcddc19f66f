import * as zlib from 'zlib';

/**
 * A minimal reader for zip archives held in memory, enough for torch.save files: the central
 * directory (zip64 included), stored and deflated entries, CRC-32 checks. No encryption, no
 * multi-disk archives. Every malformed structure becomes an Error naming the archive.
 */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored, 8 = deflate. */
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
}

export interface ZipReaderOptions {
  /** Check each entry's CRC-32 when it is read (default true). */
  verifyCrc?: boolean;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EXTRA_ID = 0x0001;
const FLAG_ENCRYPTED = 0x1;
const FLAG_UTF8 = 0x800;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;
/** Deflate cannot compress better than about 1032:1; a larger claimed ratio is a zip bomb. */
const MAX_DEFLATE_RATIO = 1032;
const CORRUPT = 'the file is truncated or corrupt; re-save or re-download it';

export class ZipReader {
  private readonly entryMap = new Map<string, ZipEntry>();
  private readonly verifyCrc: boolean;

  constructor(
    private readonly buf: Buffer,
    private readonly source: string,
    options: ZipReaderOptions = {},
  ) {
    this.verifyCrc = options.verifyCrc ?? true;
    this.readCentralDirectory();
  }

  /** Entry names in central-directory order. */
  names(): string[] {
    return [...this.entryMap.keys()];
  }

  has(name: string): boolean {
    return this.entryMap.has(name);
  }

  entry(name: string): ZipEntry | undefined {
    return this.entryMap.get(name);
  }

  /** The entry's uncompressed bytes. Stored entries view the archive buffer (no copy). */
  read(name: string): Buffer {
    const e = this.entryMap.get(name);
    if (e === undefined) this.fail(`it has no entry ${JSON.stringify(name)}`);
    const where = `entry ${JSON.stringify(name)}`;
    if (e.flags & FLAG_ENCRYPTED) this.fail(`${where} is encrypted`, 'bertrun reads only unencrypted archives');

    const local = e.localHeaderOffset;
    this.need(local, 30, `the local header of ${where}`);
    if (this.buf.readUInt32LE(local) !== SIG_LOCAL) this.fail(`${where} has no local header at byte ${local}`);
    const nameLength = this.buf.readUInt16LE(local + 26);
    const extraLength = this.buf.readUInt16LE(local + 28);
    const dataStart = local + 30 + nameLength + extraLength;
    this.need(local + 30, nameLength, `the local header of ${where}`);
    const localName = this.buf.subarray(local + 30, local + 30 + nameLength);
    if (!localName.equals(Buffer.from(e.name, e.flags & FLAG_UTF8 ? 'utf8' : 'latin1'))) {
      this.fail(`the local header of ${where} names a different file`);
    }
    this.need(dataStart, e.compressedSize, `the data of ${where}`);
    const raw = this.buf.subarray(dataStart, dataStart + e.compressedSize);

    let data: Buffer;
    if (e.method === METHOD_STORED) {
      if (e.compressedSize !== e.uncompressedSize) {
        this.fail(`${where} is stored uncompressed but its sizes differ (${e.compressedSize} vs ${e.uncompressedSize})`);
      }
      data = raw;
    } else if (e.method === METHOD_DEFLATE) {
      if (e.uncompressedSize > Math.max(e.compressedSize, 1) * MAX_DEFLATE_RATIO) {
        this.fail(`${where} claims ${e.uncompressedSize} bytes from ${e.compressedSize} compressed bytes, more than deflate can produce`);
      }
      try {
        data = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(e.uncompressedSize, 1) });
      } catch (err) {
        return this.fail(`${where} does not decompress (${messageOf(err)})`);
      }
      if (data.length !== e.uncompressedSize) {
        this.fail(`${where} decompresses to ${data.length} bytes, not the ${e.uncompressedSize} its header says`);
      }
    } else {
      return this.fail(`${where} uses compression method ${e.method}`, 'bertrun reads stored and deflated entries only; re-save the file with torch.save');
    }
    if (this.verifyCrc && crc32(data) !== e.crc32) this.fail(`${where} fails its CRC-32 check`);
    return data;
  }

  private readCentralDirectory(): void {
    const buf = this.buf;
    const eocd = this.findEndOfCentralDirectory();
    const disk = buf.readUInt16LE(eocd + 4);
    const cdDisk = buf.readUInt16LE(eocd + 6);
    let count: number = buf.readUInt16LE(eocd + 10);
    let cdSize: number = buf.readUInt32LE(eocd + 12);
    let cdOffset: number = buf.readUInt32LE(eocd + 16);

    const locator = eocd - ZIP64_LOCATOR_SIZE;
    if (locator >= 0 && buf.readUInt32LE(locator) === SIG_ZIP64_LOCATOR) {
      if (buf.readUInt32LE(locator + 16) > 1) this.failMultiDisk();
      const z = this.u64(locator + 8, 'the zip64 end of central directory offset');
      this.need(z, 56, 'the zip64 end of central directory');
      if (buf.readUInt32LE(z) !== SIG_ZIP64_EOCD) this.fail('the zip64 end of central directory record is missing');
      if (buf.readUInt32LE(z + 16) !== 0 || buf.readUInt32LE(z + 20) !== 0) this.failMultiDisk();
      count = this.u64(z + 32, 'the zip64 entry count');
      cdSize = this.u64(z + 40, 'the zip64 central directory size');
      cdOffset = this.u64(z + 48, 'the zip64 central directory offset');
    } else if (disk !== 0 || cdDisk !== 0) {
      this.failMultiDisk();
    } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
      this.fail('it needs zip64 records but has none');
    }
    this.need(cdOffset, cdSize, 'the central directory');

    let pos = cdOffset;
    const end = cdOffset + cdSize;
    for (let i = 0; i < count; i++) {
      if (pos + 46 > end) this.fail(`the central directory ends after ${i} of its ${count} entries`);
      if (buf.readUInt32LE(pos) !== SIG_CENTRAL) this.fail(`central directory entry ${i} has a bad signature`);
      const flags = buf.readUInt16LE(pos + 8);
      const method = buf.readUInt16LE(pos + 10);
      const crc = buf.readUInt32LE(pos + 16);
      let compressedSize: number = buf.readUInt32LE(pos + 20);
      let uncompressedSize: number = buf.readUInt32LE(pos + 24);
      const nameLength = buf.readUInt16LE(pos + 28);
      const extraLength = buf.readUInt16LE(pos + 30);
      const commentLength = buf.readUInt16LE(pos + 32);
      let localHeaderOffset: number = buf.readUInt32LE(pos + 42);
      const next = pos + 46 + nameLength + extraLength + commentLength;
      if (next > end) this.fail(`central directory entry ${i} runs past the directory's end`);
      const name = buf.toString(flags & FLAG_UTF8 ? 'utf8' : 'latin1', pos + 46, pos + 46 + nameLength);

      // zip64 extra field: 64-bit values for exactly those fields whose 32-bit slot is 0xffffffff.
      let extra = pos + 46 + nameLength;
      const extraEnd = extra + extraLength;
      while (extra + 4 <= extraEnd) {
        const id = buf.readUInt16LE(extra);
        const size = buf.readUInt16LE(extra + 2);
        if (extra + 4 + size > extraEnd) this.fail(`the extra fields of entry ${JSON.stringify(name)} are malformed`);
        if (id === ZIP64_EXTRA_ID) {
          let p = extra + 4;
          const take = (what: string): number => {
            if (p + 8 > extra + 4 + size) this.fail(`the zip64 field of entry ${JSON.stringify(name)} lacks its ${what}`);
            const v = this.u64(p, `the ${what} of entry ${JSON.stringify(name)}`);
            p += 8;
            return v;
          };
          if (uncompressedSize === 0xffffffff) uncompressedSize = take('uncompressed size');
          if (compressedSize === 0xffffffff) compressedSize = take('compressed size');
          if (localHeaderOffset === 0xffffffff) localHeaderOffset = take('local header offset');
        }
        extra += 4 + size;
      }

      if (this.entryMap.has(name)) this.fail(`it holds two entries named ${JSON.stringify(name)}`);
      this.entryMap.set(name, { name, method, flags, crc32: crc, compressedSize, uncompressedSize, localHeaderOffset });
      pos = next;
    }
  }

  private findEndOfCentralDirectory(): number {
    const buf = this.buf;
    if (buf.length < EOCD_SIZE) this.fail(`it is ${buf.length} bytes long, too short for a zip archive`);
    // The record sits at the very end, followed only by a comment of at most 65535 bytes.
    // A comment may itself contain the signature, so prefer the record whose comment length
    // ends exactly at the end of the file; accept trailing bytes only if there is no such one.
    const lowest = Math.max(0, buf.length - EOCD_SIZE - 0xffff);
    let lenient = -1;
    for (let i = buf.length - EOCD_SIZE; i >= lowest; i--) {
      if (buf.readUInt32LE(i) !== SIG_EOCD) continue;
      const end = i + EOCD_SIZE + buf.readUInt16LE(i + 20);
      if (end === buf.length) return i;
      if (end < buf.length && lenient < 0) lenient = i;
    }
    if (lenient >= 0) return lenient;
    return this.fail('no end of central directory record was found');
  }

  private u64(pos: number, what: string): number {
    this.need(pos, 8, what);
    const v = this.buf.readBigUInt64LE(pos);
    if (v > BigInt(this.buf.length)) this.fail(`${what} (${v}) is larger than the whole file`);
    return Number(v);
  }

  private need(pos: number, length: number, what: string): void {
    if (pos < 0 || length < 0 || pos + length > this.buf.length) {
      this.fail(`${what} (bytes ${pos}..${pos + length}) lies beyond the end of the file (${this.buf.length} bytes)`);
    }
  }

  private failMultiDisk(): never {
    return this.fail('it is split across several disks', 'join the parts into one archive first');
  }

  private fail(what: string, fix: string = CORRUPT): never {
    throw new Error(`invalid zip archive ${this.source}: ${what}; ${fix}`);
  }
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE), using zlib's native one where this Node has it (>= 22.2). */
export function crc32(data: Uint8Array): number {
  const native = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  if (typeof native === 'function') return native(data) >>> 0;
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  const table = crcTable;
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The message of anything thrown; duck-typed because Node's own errors may come from another realm. */
function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}
