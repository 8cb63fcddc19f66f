// What the Hugging Face cache holds (repos, revisions, sizes) and removing a repo or one revision
// of it, keeping blobs another revision still points to (huggingface-cli scan-cache / delete-cache).
import * as fs from 'fs';
import * as path from 'path';
import { RepoCache, repoFolderName, repoIdOfFolder } from './cache_layout';

export interface CachedRevision {
  commit: string;
  /** Branches and tags (refs/) pointing at this commit. */
  refs: string[];
  files: string[];
  /** Bytes of the blobs this revision's files point to. */
  bytes: number;
  lastModified: Date;
}

export interface CachedRepo {
  repoId: string;
  dir: string;
  /** Every blob, shared ones counted once, plus partial downloads. */
  bytesOnDisk: number;
  revisions: CachedRevision[];
  lastModified: Date;
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function refsOf(repoDir: string): Map<string, string> {
  const refs = new Map<string, string>(); // ref name -> commit
  const walk = (dir: string, prefix: string): void => {
    for (const entry of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const name = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), name);
      else refs.set(name, fs.readFileSync(path.join(dir, entry.name), 'utf8').trim());
    }
  };
  walk(path.join(repoDir, 'refs'), '');
  return refs;
}

/** The blob (absolute path) each file of a snapshot points to. */
function snapshotBlobs(cache: RepoCache, commit: string): Map<string, string> {
  const blobs = new Map<string, string>();
  for (const file of cache.snapshotFiles(commit)) {
    const pointer = path.join(cache.snapshotDir(commit), file);
    blobs.set(file, fs.realpathSync(pointer));
  }
  return blobs;
}

function scanRepo(cacheDir: string, repoId: string): CachedRepo {
  const cache = new RepoCache(cacheDir, repoId);
  const refs = refsOf(cache.dir);
  let latest = 0;
  const revisions = listDir(path.join(cache.dir, 'snapshots')).map((commit): CachedRevision => {
    const blobs = snapshotBlobs(cache, commit);
    let bytes = 0;
    let modified = 0;
    for (const blob of new Set(blobs.values())) {
      const stat = fs.statSync(blob);
      bytes += stat.size;
      modified = Math.max(modified, stat.mtimeMs);
    }
    latest = Math.max(latest, modified);
    return {
      commit,
      refs: [...refs].filter(([, c]) => c === commit).map(([name]) => name),
      files: [...blobs.keys()],
      bytes,
      lastModified: new Date(modified),
    };
  });
  const blobsDir = path.join(cache.dir, 'blobs');
  const bytesOnDisk = listDir(blobsDir).reduce((sum, blob) => sum + fs.statSync(path.join(blobsDir, blob)).size, 0);
  revisions.sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime());
  return { repoId, dir: cache.dir, bytesOnDisk, revisions, lastModified: new Date(latest) };
}

/** Every model repo in the cache, largest first. */
export function scanCache(cacheDir: string): CachedRepo[] {
  return listDir(cacheDir)
    .map((folder) => repoIdOfFolder(folder))
    .filter((id): id is string => id !== undefined)
    .map((id) => scanRepo(cacheDir, id))
    .sort((a, b) => b.bytesOnDisk - a.bytesOnDisk);
}

export interface Removal {
  /** What went: the repo folder, or a snapshot and the blobs only it used. */
  removed: string[];
  freedBytes: number;
}

/**
 * Removes a repo from the cache, or only one revision of it (a branch, tag or commit): its
 * snapshot, the refs naming it, and the blobs no other snapshot points to.
 */
export function removeFromCache(cacheDir: string, repoId: string, revision?: string): Removal {
  const cache = new RepoCache(cacheDir, repoId);
  if (!fs.existsSync(cache.dir)) {
    const cached = scanCache(cacheDir).map((r) => r.repoId);
    throw new Error(`${repoId} is not in the cache ${cacheDir} (${repoFolderName(repoId)} does not exist); cached: ${cached.join(', ') || 'nothing'}`);
  }
  const repo = scanRepo(cacheDir, repoId);
  const commit = revision === undefined ? undefined : cache.commitFor(revision);
  const target = revision === undefined ? undefined : repo.revisions.find((r) => r.commit === commit);
  if (revision !== undefined && !target) {
    const known = repo.revisions.map((r) => [r.commit, ...r.refs].join(' = ')).join('; ');
    throw new Error(`${repoId} has no cached revision "${revision}"; cached revisions: ${known || 'none'}`);
  }
  if (!target || repo.revisions.length === 1) {
    fs.rmSync(cache.dir, { recursive: true, force: true });
    fs.rmSync(path.join(cacheDir, '.locks', repoFolderName(repoId)), { recursive: true, force: true });
    return { removed: [cache.dir], freedBytes: repo.bytesOnDisk };
  }
  const keep = new Set(repo.revisions.filter((r) => r !== target).flatMap((r) => [...snapshotBlobs(cache, r.commit).values()]));
  const orphans = [...new Set(snapshotBlobs(cache, target.commit).values())].filter((blob) => !keep.has(blob));
  const freedBytes = orphans.reduce((sum, blob) => sum + fs.statSync(blob).size, 0);
  fs.rmSync(cache.snapshotDir(target.commit), { recursive: true, force: true });
  for (const ref of target.refs) fs.rmSync(path.join(cache.dir, 'refs', ref), { force: true });
  for (const blob of orphans) fs.rmSync(blob, { force: true });
  return { removed: [cache.snapshotDir(target.commit), ...orphans], freedBytes };
}
