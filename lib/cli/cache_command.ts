// `bertrun cache [list]` and `bertrun cache remove REPO_ID [--revision R]`: what the Hugging Face
// cache holds (shared with Python), and freeing space.
import { scanCache, removeFromCache, type CachedRepo } from '../hub/cache_scan';
import { hubSettings } from '../hub/hub_settings';
import { formatHelp, parseFlags, splitPositionals, type FlagSchema } from './flags';

const USAGE = `usage: bertrun cache [list] [--cache_dir DIR] [--json]
       bertrun cache remove REPO_ID [--revision R] [--cache_dir DIR]

list: the models in the Hugging Face cache (HF_HUB_CACHE, else HF_HOME/hub, else
~/.cache/huggingface/hub) with their size on disk and cached revisions (commit, branches, tags).
remove: deletes a model from the cache, or with --revision only that revision (blobs another
revision still uses stay).`;

export const CACHE_FLAGS: FlagSchema = {
  cache_dir: { type: 'string', help: 'the Hugging Face cache (default as above)' },
  revision: { type: 'string', help: 'remove: only this branch, tag or commit' },
  json: { type: 'boolean', default: false, help: 'list: print JSON instead of a table' },
};

export function formatBytes(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`;
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`;
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${(bytes / 1e9).toFixed(2)} GB`;
}

function table(repos: readonly CachedRepo[]): string {
  const rows = repos.map((repo) => [
    repo.repoId,
    formatBytes(repo.bytesOnDisk),
    repo.revisions.map((r) => `${r.commit.slice(0, 8)}${r.refs.length > 0 ? ` (${r.refs.join(', ')})` : ''}`).join('; ') || '-',
    String(repo.revisions.reduce((n, r) => Math.max(n, r.files.length), 0)),
    repo.revisions.length > 0 ? repo.lastModified.toISOString().slice(0, 16).replace('T', ' ') : '-',
    repo.dir,
  ]);
  const header = ['REPO ID', 'SIZE ON DISK', 'REVISIONS', 'FILES', 'LAST MODIFIED', 'PATH'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [header, ...rows].map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]))).join('  ')).join('\n');
}

export async function runCache(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(formatHelp(USAGE, CACHE_FLAGS));
    return;
  }
  const { positionals, flagArgs } = splitPositionals(argv, CACHE_FLAGS);
  const flags = parseFlags(flagArgs, CACHE_FLAGS);
  const cacheDir = hubSettings(typeof flags.cache_dir === 'string' ? { cacheDir: flags.cache_dir } : {}).cacheDir;
  const [action = 'list', ...rest] = positionals;
  if (action === 'list' && rest.length === 0) {
    const repos = scanCache(cacheDir);
    if (flags.json === true) {
      console.log(JSON.stringify({ cacheDir, repos }, null, 2));
      return;
    }
    const total = repos.reduce((sum, r) => sum + r.bytesOnDisk, 0);
    if (repos.length > 0) console.log(table(repos));
    console.log(`${repos.length} model(s), ${formatBytes(total)} in ${cacheDir}`);
    return;
  }
  if (action === 'remove' && rest.length === 1) {
    const revision = typeof flags.revision === 'string' ? flags.revision : undefined;
    const { removed, freedBytes } = removeFromCache(cacheDir, rest[0], revision);
    console.log(`removed ${rest[0]}${revision ? ` at ${revision}` : ''}: ${formatBytes(freedBytes)} freed (${removed.length} path(s))`);
    return;
  }
  throw new Error(`unknown cache command "${positionals.join(' ')}"\n${USAGE}`);
}
