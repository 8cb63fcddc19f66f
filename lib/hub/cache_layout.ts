// One repo's folder in the Hugging Face cache, laid out exactly as huggingface_hub writes it so
// Python and bertrun share downloads:
//   models--{org}--{name}/blobs/{etag}                 file contents, named by ETag (sha256 for LFS files)
//   models--{org}--{name}/refs/{revision}              the commit hash a branch or tag pointed to when last seen
//   models--{org}--{name}/snapshots/{commit}/{file}    relative symlinks into blobs/
//   models--{org}--{name}/.no_exist/{commit}/{file}    files known not to exist at that commit
//   .locks/models--{org}--{name}/                      download locks
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic_write';
import { isCommitHash } from './repo_id';

export function repoFolderName(repoId: string): string {
  return ['models', ...repoId.split('/')].join('--');
}

/** The repo id a cache folder name stands for, or undefined for other folders (datasets, spaces, .locks). */
export function repoIdOfFolder(folder: string): string | undefined {
  if (!folder.startsWith('models--')) return undefined;
  return folder.slice('models--'.length).split('--').join('/');
}

export class RepoCache {
  readonly dir: string;

  constructor(
    readonly cacheDir: string,
    readonly repoId: string,
  ) {
    this.dir = path.join(cacheDir, repoFolderName(repoId));
  }

  blobPath(etag: string): string {
    return path.join(this.dir, 'blobs', etag);
  }

  /** Where bertrun's inter-process lock for one blob lives (beside, not on, huggingface_hub's own lock file). */
  lockPath(etag: string): string {
    return path.join(this.cacheDir, '.locks', repoFolderName(this.repoId), `${etag}.bertrun-lock`);
  }

  snapshotDir(commit: string): string {
    return path.join(this.dir, 'snapshots', commit);
  }

  /** The commit a revision names: itself when it is a commit hash, else what refs/{revision} recorded. */
  commitFor(revision: string): string | undefined {
    if (isCommitHash(revision)) return revision;
    try {
      const commit = fs.readFileSync(path.join(this.dir, 'refs', revision), 'utf8').trim();
      return isCommitHash(commit) ? commit : undefined;
    } catch {
      return undefined;
    }
  }

  writeRef(revision: string, commit: string): void {
    if (revision === commit || this.commitFor(revision) === commit) return;
    const ref = path.join(this.dir, 'refs', revision);
    fs.mkdirSync(path.dirname(ref), { recursive: true });
    writeFileAtomic(ref, Buffer.from(commit));
  }

  /** The path of `file` in the snapshot `revision` points to, when it is there (its blob included). */
  cachedFile(revision: string, file: string): string | undefined {
    const commit = this.commitFor(revision);
    if (!commit) return undefined;
    const pointer = path.join(this.snapshotDir(commit), file);
    return fs.existsSync(pointer) ? pointer : undefined; // existsSync follows the symlink: a dangling one is absent
  }

  /** Files in a snapshot, relative paths with '/'. */
  snapshotFiles(commit: string): string[] {
    const root = this.snapshotDir(commit);
    const files: string[] = [];
    const walk = (dir: string, prefix: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) walk(path.join(dir, entry.name), rel);
        else if (fs.existsSync(path.join(dir, entry.name))) files.push(rel);
      }
    };
    if (fs.existsSync(root)) walk(root, '');
    return files.sort();
  }

  isKnownMissing(commit: string, file: string): boolean {
    return fs.existsSync(path.join(this.dir, '.no_exist', commit, file));
  }

  markMissing(commit: string, file: string): void {
    const marker = path.join(this.dir, '.no_exist', commit, file);
    fs.mkdirSync(path.dirname(marker), { recursive: true });
    fs.closeSync(fs.openSync(marker, 'a'));
  }

  /** Points snapshots/{commit}/{file} at blobs/{etag} with a relative symlink (the cache survives being moved). */
  linkSnapshotFile(commit: string, file: string, etag: string): string {
    const pointer = path.join(this.snapshotDir(commit), file);
    fs.mkdirSync(path.dirname(pointer), { recursive: true });
    const target = path.relative(path.dirname(pointer), this.blobPath(etag));
    // Symlink under a temporary name, then rename over: a reader never sees the pointer missing.
    const temp = `${pointer}.${process.pid}.tmp`;
    fs.rmSync(temp, { force: true });
    fs.symlinkSync(target, temp);
    fs.renameSync(temp, pointer);
    return pointer;
  }
}
