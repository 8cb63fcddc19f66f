import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Writes a file so that readers see either the old content or the whole new content, never a
 * prefix: the bytes go to a uniquely named temp file in the same directory (so the rename stays
 * on one filesystem), which is fsynced and renamed over the target; then the directory is fsynced
 * so the rename itself survives a crash. On failure the temp file is removed and the error is
 * rethrown, its message prefixed with the target path.
 */
export function writeFileAtomic(target: string, data: Buffer | readonly Buffer[]): void {
  const chunks = Buffer.isBuffer(data) ? [data] : data;
  const tmp = tempPathFor(target);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx');
    for (const chunk of chunks) writeAllSync(fd, chunk);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, target);
  } catch (err) {
    if (fd !== undefined) ignoreErrors(() => fs.closeSync(fd as number));
    ignoreErrors(() => fs.unlinkSync(tmp));
    throw withTarget(err, target);
  }
  fsyncDirectorySync(path.dirname(path.resolve(target)));
}

/** The same as {@link writeFileAtomic}, without blocking the event loop. */
export async function writeFileAtomicAsync(target: string, data: Buffer | readonly Buffer[]): Promise<void> {
  const chunks = Buffer.isBuffer(data) ? [data] : data;
  const tmp = tempPathFor(target);
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(tmp, 'wx');
    for (const chunk of chunks) {
      let written = 0;
      while (written < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, written, chunk.length - written);
        written += bytesWritten;
      }
    }
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(tmp, target);
  } catch (err) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await fs.promises.unlink(tmp).catch(() => undefined);
    throw withTarget(err, target);
  }
  await fsyncDirectoryAsync(path.dirname(path.resolve(target)));
}

function tempPathFor(target: string): string {
  const dir = path.dirname(path.resolve(target));
  const unique = `${process.pid}.${crypto.randomBytes(6).toString('hex')}`;
  return path.join(dir, `.${path.basename(target)}.${unique}.tmp`);
}

function writeAllSync(fd: number, chunk: Buffer): void {
  let written = 0;
  while (written < chunk.length) {
    written += fs.writeSync(fd, chunk, written, chunk.length - written);
  }
}

// Some platforms (Windows) and filesystems cannot open or fsync a directory; the rename has
// already happened there, so durability of the directory entry is best effort.
const DIR_FSYNC_UNSUPPORTED = new Set(['EISDIR', 'EPERM', 'EACCES', 'EINVAL', 'ENOTSUP', 'EBADF']);

function fsyncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    if (!DIR_FSYNC_UNSUPPORTED.has(errorCode(err))) throw err;
  } finally {
    if (fd !== undefined) ignoreErrors(() => fs.closeSync(fd as number));
  }
}

async function fsyncDirectoryAsync(dir: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(dir, 'r');
    await handle.sync();
  } catch (err) {
    if (!DIR_FSYNC_UNSUPPORTED.has(errorCode(err))) throw err;
  } finally {
    if (handle !== undefined) await handle.close().catch(() => undefined);
  }
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * Keeps the original error (and its `code`) but makes the message name the file being written.
 * Duck-typed: errors from Node's fs may come from another realm (vm contexts, jest).
 */
function withTarget(err: unknown, target: string): unknown {
  if (typeof err === 'object' && err !== null && typeof (err as Error).message === 'string') {
    (err as Error).message = `could not write ${target}: ${(err as Error).message}`;
    return err;
  }
  return new Error(`could not write ${target}: ${String(err)}`);
}

function ignoreErrors(fn: () => void): void {
  try {
    fn();
  } catch {
    // cleanup after a failure; the original error is what matters
  }
}
