// "A name works everywhere a path works": a local directory first, else the Hugging Face cache,
// else the hub (HF_ENDPOINT). When all fail, the error lists what was tried, in order, and the fix.
import * as fs from 'fs';
import * as path from 'path';
import { editDistance } from '../text/edit_distance';
import { RepoCache, repoIdOfFolder } from './cache_layout';
import { HubError } from './hub_errors';
import { hubSettings, type HubOptions, type HubSettings } from './hub_settings';
import { isRepoId, looksLikePath } from './repo_id';
import type { FileSet } from './repo_files';
import { cachedSnapshot, downloadSnapshot, type SnapshotRequest } from './snapshot';

/**
 * The local directory holding `nameOrPath`'s files: the path itself when it is a directory, else
 * the cached (or freshly downloaded) snapshot of the hub repo of that name.
 */
export async function resolveModelDir(nameOrPath: string, options: HubOptions = {}, set: FileSet = 'model'): Promise<string> {
  const local = localDirectory(nameOrPath);
  if (local) return local;
  const settings = hubSettings(options);
  try {
    return (await downloadSnapshot(nameOrPath, set, settings)).dir;
  } catch (err) {
    if (!(err instanceof HubError)) throw err;
    throw new Error(hubFailureMessage(nameOrPath, set, settings, err), { cause: err });
  }
}

/** True when `dir` is inside the hub cache (never write results there). */
export function isInHubCache(dir: string, options: HubOptions = {}): boolean {
  const relative = path.relative(hubSettings(options).cacheDir, path.resolve(dir));
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function localDirectory(nameOrPath: string): string | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(nameOrPath);
  } catch {
    if (looksLikePath(nameOrPath) || !isRepoId(nameOrPath)) throw new Error(missingPathMessage(nameOrPath));
    return undefined; // a hub name
  }
  if (!stat.isDirectory()) throw new Error(`${nameOrPath} is a file: pass the model directory that holds it (config.json, weights, tokenizer files)`);
  return nameOrPath;
}

function missingPathMessage(given: string): string {
  const absolute = path.resolve(given);
  let nearest = path.dirname(absolute);
  while (!fs.existsSync(nearest) && path.dirname(nearest) !== nearest) nearest = path.dirname(nearest);
  let listing = '';
  try {
    const entries = fs.readdirSync(nearest).sort();
    listing = entries.length > 0 ? ` (it holds: ${entries.slice(0, 10).join(', ')}${entries.length > 10 ? ', ...' : ''})` : ' (it is empty)';
  } catch {
    // not listable: the path alone helps
  }
  return (
    `model directory ${absolute} does not exist; the nearest existing directory is ${nearest}${listing}. ` +
    'Fix: pass an existing local model directory, or a Hugging Face model name such as "bert-base-uncased" or "org/name"'
  );
}

function cacheState(repoId: string, request: SnapshotRequest, settings: HubSettings): string {
  const cache = new RepoCache(settings.cacheDir, repoId);
  if (!fs.existsSync(cache.dir)) return `${cache.dir} does not exist (not cached)`;
  const snapshot = cachedSnapshot(repoId, request, settings);
  if (!snapshot) return `${cache.dir} has no snapshot for revision "${settings.revision}" (no refs/${settings.revision})`;
  if (snapshot.missing.length > 0) return `snapshot ${snapshot.dir} lacks ${snapshot.missing.join(', ')}`;
  return `snapshot ${snapshot.dir} is complete`;
}

/** A hub failure as what was tried, in order (local path, cache, hub), and the fix. */
export function hubFailureMessage(repoId: string, request: SnapshotRequest, settings: HubSettings, err: HubError, triedLocal = true): string {
  const hubLine = err.failure === 'not-cached' ? `not contacted (offline: ${settings.offlineReason})` : err.message;
  const tried = [
    ...(triedLocal ? [`local directory ${path.resolve(repoId)}: does not exist`] : []),
    `Hugging Face cache: ${cacheState(repoId, request, settings)}`,
    `hub ${settings.endpoint}: ${hubLine}`,
  ];
  const lines = tried.map((line, i) => `  ${i + 1}. ${line}`).join('\n');
  return `cannot load "${repoId}" (revision ${settings.revision}); tried, in order:\n${lines}\nFix: ${fixFor(repoId, request, settings, err)}`;
}

function fixFor(repoId: string, request: SnapshotRequest, settings: HubSettings, err: HubError): string {
  const download = `\`bertrun download ${repoId}\``;
  switch (err.failure) {
    case 'not-cached':
      return (
        `on a machine with network run ${download} (with HF_ENDPOINT=<mirror> where the hub is blocked) and copy its cache directory to ` +
        `${settings.cacheDir} (or point HF_HUB_CACHE at it); or unset ${settings.offlineReason?.split('=')[0] ?? 'offline mode'} to download now; ` +
        'or pass a local model directory'
      );
    case 'unauthorized':
      return `the repo is private or gated and no valid token was sent: set HF_TOKEN (or pass --token) to a token with access, from https://huggingface.co/settings/tokens`;
    case 'forbidden':
      return `this token has no access to ${repoId}: accept the model's conditions on its hub page with the token's account, or use another token`;
    case 'repo-not-found': {
      const close = closeCachedNames(repoId, settings.cacheDir);
      return `check the name${close.length > 0 ? ` (cached models with close names: ${close.join(', ')})` : ''}; a private repo also answers 404 without a token: set HF_TOKEN`;
    }
    case 'revision-not-found':
      return `check --revision "${settings.revision}": it must be a branch, tag or commit hash of ${repoId}`;
    case 'entry-not-found':
      // Files named on the command line (bertrun download REPO FILE...): the names are the problem, not the repo.
      if (typeof request === 'object') return `check the file names against ${repoId}'s files listed above (paths inside the repo, case-sensitive)`;
      return `${repoId} is not a BERT model bertrun can load (the files above are missing); pass a model repo with config.json and PyTorch or safetensors weights`;
    case 'unreachable':
    case 'server':
    case 'rate-limited':
    case 'protocol':
      return `set HF_ENDPOINT to a reachable mirror, or run with --offline (HF_HUB_OFFLINE=1) once ${download} has cached the model`;
    default:
      return 'see the message above';
  }
}

/** Cached repo ids within a small edit distance of (or containing) the name, closest first. */
export function closeCachedNames(name: string, cacheDir: string): string[] {
  let folders: string[];
  try {
    folders = fs.readdirSync(cacheDir);
  } catch {
    return [];
  }
  const wanted = name.toLowerCase();
  return folders
    .map(repoIdOfFolder)
    .filter((id): id is string => id !== undefined && id !== name)
    .map((id) => ({ id, distance: editDistance(wanted, id.toLowerCase()) }))
    .filter(({ id, distance }) => distance <= 3 || id.toLowerCase().endsWith(`/${wanted}`))
    .sort((a, b) => a.distance - b.distance)
    .slice(0, 5)
    .map(({ id }) => id);
}
