// The public face of the hub client: huggingface_hub's hf_hub_download and snapshot_download,
// name resolution, and the cache (scan, remove), all sharing Python's cache.
import { downloadFile } from './file_download';
import { hubSettings, type HubOptions } from './hub_settings';
import { downloadSnapshot, type Snapshot } from './snapshot';

export { resolveModelDir } from './resolve_model';
export { scanCache, removeFromCache } from './cache_scan';
export type { CachedRepo, CachedRevision, Removal } from './cache_scan';
export { HubError } from './hub_errors';
export type { HubFailure } from './hub_errors';
export { hubCacheDir } from './hub_settings';
export type { HubOptions } from './hub_settings';
export type { Snapshot } from './snapshot';

/** One file of a hub repo, from the cache or downloaded into it; returns its local path (hf_hub_download). */
export function hfHubDownload(repoId: string, file: string, options: HubOptions = {}): Promise<string> {
  return downloadFile(repoId, file, hubSettings(options));
}

export interface SnapshotOptions extends HubOptions {
  /** Only these files. Default: the files bertrun loads (config, one weights format, tokenizer, sentence-transformers modules). */
  files?: string[];
  /** Every file of the repo. */
  all?: boolean;
}

/** A repo's files at one revision in the cache (snapshot_download): { dir, commit, files }. */
export function snapshotDownload(repoId: string, options: SnapshotOptions = {}): Promise<Snapshot> {
  return downloadSnapshot(repoId, options.files ? { files: options.files } : options.all ? 'all' : 'model', hubSettings(options));
}
