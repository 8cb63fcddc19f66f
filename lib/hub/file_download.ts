// One file of a hub repo into the shared cache, as huggingface_hub's hf_hub_download does it:
// HEAD the resolve URL for commit, ETag and size; reuse the blob when the cache has it; else
// download to blobs/{etag}.incomplete (resumed with Range after a dropped connection), check
// size and, for LFS files, sha256, and rename into place. Offline or unreachable: the cache.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { pipeline } from 'stream/promises';
import { SingleBar } from 'cli-progress';
import { RepoCache } from './cache_layout';
import { withBlobLock } from './blob_lock';
import { HubError } from './hub_errors';
import { hubFetch, networkError, retryDelay, sleep } from './hub_http';
import type { HubSettings } from './hub_settings';
import { isCommitHash } from './repo_id';

export interface FileMetadata {
  commit: string;
  /** The blob's name: the git object id, or the sha256 of an LFS file. */
  etag: string;
  size: number | undefined;
  /** Where the bytes are: the resolve URL itself or the storage URL it redirects to. */
  location: string;
}

const STORAGE_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'ENOTDIR', 'EISDIR', 'EEXIST']);
const SHA256 = /^[0-9a-f]{64}$/;

export function resolveUrl(settings: HubSettings, repoId: string, revision: string, file: string): string {
  const encodedFile = file.split('/').map(encodeURIComponent).join('/');
  return `${settings.endpoint}/${repoId}/resolve/${encodeURIComponent(revision)}/${encodedFile}`;
}

function normalizeEtag(value: string | null): string | undefined {
  return value?.replace(/^W\//, '').replace(/"/g, '') || undefined;
}

export async function fileMetadata(repoId: string, file: string, revision: string, settings: HubSettings): Promise<FileMetadata> {
  const url = resolveUrl(settings, repoId, revision, file);
  const response = await hubFetch(url, { method: 'HEAD', timeoutMs: settings.metadataTimeoutMs, followRedirects: false }, settings);
  const headers = response.headers;
  const commit = headers.get('x-repo-commit') ?? undefined;
  const etag = normalizeEtag(headers.get('x-linked-etag')) ?? normalizeEtag(headers.get('etag'));
  if (!commit || !etag) {
    throw new HubError(
      'protocol',
      `${url}: HTTP ${response.status} without the X-Repo-Commit and ETag headers a Hugging Face hub sends; ` +
        `${settings.endpoint} is not a hub, or a proxy strips its headers`,
      { url, status: response.status },
    );
  }
  const redirected = response.status >= 300 && response.status < 400;
  const sizeHeader = headers.get('x-linked-size') ?? (redirected ? null : headers.get('content-length'));
  const location = headers.get('location');
  return {
    commit,
    etag,
    size: sizeHeader === null ? undefined : Number(sizeHeader),
    location: redirected && location ? new URL(location, url).toString() : url,
  };
}

/**
 * The local path of `file` at settings.revision, downloading it into the cache when needed. A
 * cached copy is used without asking the hub when the revision is a commit hash or we are
 * offline, and (with a warning from the caller) when the hub cannot be reached.
 */
export async function downloadFile(repoId: string, file: string, settings: HubSettings): Promise<string> {
  const cache = new RepoCache(settings.cacheDir, repoId);
  const cached = cache.cachedFile(settings.revision, file);
  if (cached && isCommitHash(settings.revision)) return cached;
  if (settings.offline) {
    if (cached) return cached;
    throw new HubError('not-cached', `${file} of ${repoId} at ${settings.revision} is not in the cache ${cache.dir}`, { missingFiles: [file] });
  }
  let metadata: FileMetadata;
  try {
    metadata = await fileMetadata(repoId, file, settings.revision, settings);
  } catch (err) {
    if (cached && err instanceof HubError && err.isConnectivity) {
      settings.warn(`bertrun: ${err.message}; using the cached ${file} of ${repoId} from ${path.dirname(cached)}`);
      return cached;
    }
    throw err;
  }
  return fetchIntoCache(cache, file, metadata, settings);
}

/** Places the file a metadata answer describes into the cache (downloading it unless its blob is there) and returns its snapshot path. */
export async function fetchIntoCache(cache: RepoCache, file: string, metadata: FileMetadata, settings: HubSettings): Promise<string> {
  const blob = cache.blobPath(metadata.etag);
  try {
    fs.mkdirSync(path.dirname(blob), { recursive: true });
    cache.writeRef(settings.revision, metadata.commit);
  } catch (err) {
    throw storageError(err, cache.cacheDir);
  }
  const pointer = path.join(cache.snapshotDir(metadata.commit), file);
  if (fs.existsSync(pointer)) return pointer;
  const present = (): boolean => fs.existsSync(blob);
  if (!present()) {
    try {
      await withBlobLock(cache.lockPath(metadata.etag), present, () => downloadBlob(file, metadata, blob, settings));
    } catch (err) {
      throw err instanceof HubError ? err : storageError(err, cache.cacheDir);
    }
  }
  try {
    return cache.linkSnapshotFile(metadata.commit, file, metadata.etag);
  } catch (err) {
    throw storageError(err, cache.cacheDir);
  }
}

function storageError(err: unknown, cacheDir: string): HubError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const message = (err as Error).message;
  const fix =
    code === 'ENOSPC' || code === 'EDQUOT'
      ? 'free space on that disk, or set HF_HUB_CACHE (or --cache_dir) to a disk with room'
      : 'set HF_HUB_CACHE (or --cache_dir) to a writable directory';
  return new HubError('storage', `cannot write the Hugging Face cache ${cacheDir}: ${message}. Fix: ${fix}`, { cause: err });
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

async function downloadBlob(file: string, metadata: FileMetadata, blob: string, settings: HubSettings): Promise<void> {
  const incomplete = `${blob}.incomplete`;
  const bar = settings.progress ? progressBar(file, metadata.size) : undefined;
  try {
    for (let attempt = 0; ; attempt++) {
      if (metadata.size !== undefined && fileSize(incomplete) > metadata.size) fs.truncateSync(incomplete, 0);
      try {
        if (metadata.size === undefined || fileSize(incomplete) < metadata.size) await fetchRest(metadata, incomplete, settings, bar);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code && STORAGE_ERRORS.has(code)) throw err;
        if (err instanceof HubError && !err.isConnectivity) throw err;
        if (attempt + 1 >= settings.attempts) {
          const have = fileSize(incomplete);
          const reason = err instanceof HubError ? err.message : networkError(metadata.location, err).message;
          throw new HubError(
            'unreachable',
            `downloading ${file} stopped at ${have} of ${metadata.size ?? '?'} bytes after ${settings.attempts} attempts (${reason}); ` +
              `the partial file ${incomplete} is kept and the next run resumes it`,
            { url: metadata.location, cause: err },
          );
        }
        await sleep(retryDelay(attempt, settings));
      }
    }
    await verify(file, metadata, incomplete);
    fs.renameSync(incomplete, blob);
  } finally {
    bar?.stop();
  }
}

/** Appends the bytes from the current end of `incomplete` on; a server that ignores Range sends the whole file, which replaces it. */
async function fetchRest(metadata: FileMetadata, incomplete: string, settings: HubSettings, bar: SingleBar | undefined): Promise<void> {
  const start = fileSize(incomplete);
  const controller = new AbortController();
  // A stall (no bytes for downloadTimeoutMs) aborts the transfer, which is then resumed.
  let idle = setTimeout(() => controller.abort(), settings.downloadTimeoutMs);
  const touch = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => controller.abort(), settings.downloadTimeoutMs);
  };
  try {
    const response = await hubFetch(
      metadata.location,
      {
        method: 'GET',
        headers: start > 0 ? { range: `bytes=${start}-` } : {},
        signal: controller.signal,
        timeoutMs: settings.downloadTimeoutMs,
        followRedirects: true,
      },
      settings,
    );
    const resumed = start > 0 && response.status === 206;
    if (!response.body) throw new HubError('protocol', `${metadata.location}: HTTP ${response.status} with no body`, { url: metadata.location });
    bar?.update(resumed ? start : 0);
    let received = resumed ? start : 0;
    // Each chunk is on disk before the next is read: after a dropped connection the next attempt
    // resumes from every byte that arrived (a stream pipeline would drop what it had buffered).
    const file = await fs.promises.open(incomplete, resumed ? 'a' : 'w');
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        await file.write(chunk);
        received += chunk.length;
        bar?.update(received);
      }
    } finally {
      await file.close();
    }
  } finally {
    clearTimeout(idle);
  }
}

async function verify(file: string, metadata: FileMetadata, incomplete: string): Promise<void> {
  const size = fileSize(incomplete);
  let problem: string | undefined;
  if (metadata.size !== undefined && size !== metadata.size) problem = `${size} bytes arrived, the hub announced ${metadata.size}`;
  else if (SHA256.test(metadata.etag)) {
    const digest = await sha256File(incomplete);
    if (digest !== metadata.etag) problem = `its sha256 is ${digest}, the hub says ${metadata.etag}`;
  }
  if (problem === undefined) return;
  fs.rmSync(incomplete, { force: true });
  throw new HubError(
    'integrity',
    `the download of ${file} from ${metadata.location} is corrupt (${problem}) and was discarded, nothing of it is kept in the cache. ` +
      'Fix: run again; if it repeats, the server at HF_ENDPOINT serves a different file than it announces',
    { url: metadata.location },
  );
}

export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

function progressBar(file: string, size: number | undefined): SingleBar {
  const bar = new SingleBar({
    format: `${file} |{bar}| {percentage}% {value}/{total} MB`,
    formatValue: (value, _options, type) => (type === 'value' || type === 'total' ? (value / 1e6).toFixed(1) : String(value)),
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: false,
  });
  bar.start(size ?? 0, 0);
  return bar;
}
