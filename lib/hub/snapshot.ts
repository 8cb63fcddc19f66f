// A repo's files at one revision, in the cache: the file list from the hub API, then each
// needed file (snapshot_download, limited to what bertrun reads). Offline, or with the hub out of
// reach, the snapshot the cache already holds for that revision.
import { RepoCache } from './cache_layout';
import { downloadFile } from './file_download';
import { HubError } from './hub_errors';
import { hubFetch } from './hub_http';
import type { HubSettings } from './hub_settings';
import { missingShards, selectFiles, type FileSet } from './repo_files';
import { isCommitHash } from './repo_id';

export interface Snapshot {
  dir: string;
  commit: string;
  files: string[];
}

/** What to fetch: a file set, every file of the repo, or named files. */
export type SnapshotRequest = FileSet | 'all' | { files: string[] };

export interface RepoInfo {
  commit: string;
  files: string[];
}

export async function repoInfo(repoId: string, settings: HubSettings): Promise<RepoInfo> {
  const url = `${settings.endpoint}/api/models/${repoId}/revision/${encodeURIComponent(settings.revision)}`;
  const response = await hubFetch(url, { method: 'GET', timeoutMs: settings.metadataTimeoutMs, followRedirects: false }, settings);
  let body: { sha?: unknown; siblings?: unknown };
  try {
    body = (await response.json()) as typeof body;
  } catch (err) {
    throw new HubError('protocol', `${url}: the answer is not JSON; ${settings.endpoint} is not a Hugging Face hub`, { url, cause: err });
  }
  const siblings = Array.isArray(body.siblings) ? body.siblings : undefined;
  if (typeof body.sha !== 'string' || !siblings) {
    throw new HubError('protocol', `${url}: the answer lacks "sha" and "siblings"; ${settings.endpoint} is not a Hugging Face hub`, { url });
  }
  const files = siblings.map((s: { rfilename?: unknown }) => s.rfilename).filter((f): f is string => typeof f === 'string');
  return { commit: body.sha, files };
}

function wanted(request: SnapshotRequest, available: readonly string[]): { files: string[]; missing: string[] } {
  if (request === 'all') return { files: [...available], missing: [] };
  if (typeof request === 'object') {
    const has = new Set(available);
    return { files: request.files.filter((f) => has.has(f)), missing: request.files.filter((f) => !has.has(f)) };
  }
  return selectFiles(available, request);
}

/** The cached snapshot of settings.revision and what it lacks for the request (missing is empty when complete). */
export function cachedSnapshot(repoId: string, request: SnapshotRequest, settings: HubSettings): (Snapshot & { missing: string[] }) | undefined {
  const cache = new RepoCache(settings.cacheDir, repoId);
  const commit = cache.commitFor(settings.revision);
  if (!commit) return undefined;
  const dir = cache.snapshotDir(commit);
  const available = cache.snapshotFiles(commit);
  const { files, missing } = request === 'all' ? { files: available, missing: available.length > 0 ? [] : ['any file'] } : wanted(request, available);
  return { dir, commit, files, missing: [...missing, ...missingShards(dir, files)] };
}

export async function downloadSnapshot(repoId: string, request: SnapshotRequest, settings: HubSettings): Promise<Snapshot> {
  const cached = (): Snapshot | undefined => {
    const snapshot = cachedSnapshot(repoId, request, settings);
    return snapshot && snapshot.missing.length === 0 ? snapshot : undefined;
  };
  // A commit never changes: once its snapshot is complete the hub has nothing to add.
  if (isCommitHash(settings.revision) && request !== 'all') {
    const snapshot = cached();
    if (snapshot) return snapshot;
  }
  if (settings.offline) {
    const snapshot = cached();
    if (snapshot) return snapshot;
    throw new HubError('not-cached', `${repoId} is not in the cache (offline: ${settings.offlineReason})`);
  }
  let info: RepoInfo;
  try {
    info = await repoInfo(repoId, settings);
  } catch (err) {
    const snapshot = err instanceof HubError && err.isConnectivity ? cached() : undefined;
    if (!snapshot) throw err;
    settings.warn(`bertrun: ${(err as Error).message}; using the cached snapshot ${snapshot.commit} of ${repoId} (${snapshot.dir})`);
    return snapshot;
  }
  const { files, missing } = wanted(request, info.files);
  if (missing.length > 0) {
    throw new HubError('entry-not-found', `${repoId} at ${settings.revision} has no ${missing.join(', ')}; its files: ${info.files.join(', ') || 'none'}`, {
      missingFiles: missing,
    });
  }
  const atCommit = { ...settings, revision: info.commit };
  for (const file of files) await downloadFile(repoId, file, atCommit);
  const cache = new RepoCache(settings.cacheDir, repoId);
  cache.writeRef(settings.revision, info.commit);
  return { dir: cache.snapshotDir(info.commit), commit: info.commit, files };
}
