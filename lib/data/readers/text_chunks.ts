import { isUtf8 } from 'buffer';
import * as fs from 'fs';
import * as zlib from 'zlib';
import { DataError } from './data_error';

const CHUNK_BYTES = 1 << 20;

/**
 * Opens `file` and yields its text in chunks, decoded as strict UTF-8 with a leading BOM removed.
 * A `.gz` file is decompressed on the fly. Throws a {@link DataError} when the file is missing or
 * is not valid UTF-8 (the line is estimated from the text decoded so far).
 */
export async function* readTextChunks(file: string): AsyncGenerator<string, void, undefined> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new DataError('MISSING_FILE', file, undefined, 'file not found', 'Check the path (relative paths are resolved from the current directory)');
    }
    throw err;
  }
  if (stat.isDirectory()) {
    throw new DataError('MISSING_FILE', file, undefined, 'is a directory, not a data file', 'Pass the path of a .tsv, .csv, .json or .jsonl file');
  }

  const raw = fs.createReadStream(file, { highWaterMark: CHUNK_BYTES });
  const bytes: AsyncIterable<Buffer> = file.toLowerCase().endsWith('.gz') ? raw.pipe(zlib.createGunzip()) : raw;
  // Strict validation: a file saved as GBK/Latin-1 must fail loudly here, not train on mojibake.
  // (isUtf8 + toString is about twice as fast as a fatal TextDecoder.)
  let carry: Buffer = Buffer.alloc(0);
  let newlinesSoFar = 0;
  let first = true;
  try {
    for await (const chunk of bytes) {
      let buf = carry.length > 0 ? Buffer.concat([carry, chunk]) : chunk;
      if (first) {
        if (buf.length >= 2 && ((buf[0] === 0xff && buf[1] === 0xfe) || (buf[0] === 0xfe && buf[1] === 0xff))) {
          throw new DataError(
            'INVALID_ENCODING',
            file,
            1,
            'the file is UTF-16 (it starts with a UTF-16 byte order mark)',
            'Re-save it as UTF-8 (for example `iconv -f UTF-16 -t UTF-8 in.tsv > out.tsv`)',
          );
        }
        if (buf.length < 3) {
          carry = buf;
          continue;
        }
        if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
        first = false;
      }
      const complete = completeLength(buf);
      carry = Buffer.from(buf.subarray(complete));
      const body = buf.subarray(0, complete);
      if (!isUtf8(body)) throw encodingError(file, newlinesSoFar, body);
      const text = body.toString('utf8');
      newlinesSoFar += countNewlines(text);
      if (text.length > 0) yield text;
    }
    if (first && carry.length >= 3 && carry[0] === 0xef && carry[1] === 0xbb && carry[2] === 0xbf) carry = carry.subarray(3);
    if (carry.length > 0) {
      if (!isUtf8(carry)) throw encodingError(file, newlinesSoFar, carry);
      yield carry.toString('utf8');
    }
  } finally {
    raw.destroy();
  }
}

/** Length of `buf` without an incomplete UTF-8 sequence at its end (completed by the next chunk). */
function completeLength(buf: Buffer): number {
  let i = buf.length - 1;
  const stop = Math.max(0, buf.length - 4);
  while (i > stop && (buf[i] & 0xc0) === 0x80) i--;
  if (i < 0) return buf.length;
  const lead = buf[i];
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return buf.length - i < need ? i : buf.length;
}

function encodingError(file: string, newlinesBefore: number, bytes: Buffer): DataError {
  const lossyChunk = bytes.toString('utf8');
  const bad = lossyChunk.indexOf('\ufffd');
  const line = newlinesBefore + 1 + countNewlines(lossyChunk.slice(0, Math.max(bad, 0)));
  return new DataError(
    'INVALID_ENCODING',
    file,
    line,
    'the file is not valid UTF-8',
    'Re-save it as UTF-8 (for example `iconv -f GBK -t UTF-8 in.tsv > out.tsv` for a GBK file)',
  );
}

function countNewlines(s: string): number {
  let n = 0;
  for (let i = s.indexOf('\n'); i !== -1; i = s.indexOf('\n', i + 1)) n++;
  return n;
}
