// `bertrun download REPO_ID [FILE...]`: fills the Hugging Face cache (huggingface-cli download),
// e.g. on a machine with network before going offline, and prints where the files are.
import * as fs from 'fs';
import * as path from 'path';
import { HubError } from '../hub/hub_errors';
import { hubSettings } from '../hub/hub_settings';
import { isRepoId } from '../hub/repo_id';
import { hubFailureMessage } from '../hub/resolve_model';
import { downloadSnapshot, type SnapshotRequest } from '../hub/snapshot';
import { formatHelp, parseFlags, splitPositionals, type FlagSchema } from './flags';
import { HUB_FLAGS, hubOptionsFromFlags } from './hub_flags';

const USAGE = `usage: bertrun download REPO_ID [FILE...] [flags]

Downloads a model from the Hugging Face hub (HF_ENDPOINT: the hub or a mirror) into the cache shared
with Python's huggingface_hub and transformers, and prints the local directory. Without FILEs: the
files bertrun loads (config.json, one weights format with safetensors preferred, tokenizer and
sentence-transformers files); --all: every file of the repo. Files already cached are not fetched
again; an interrupted download resumes. Later runs find the model by name, offline too.`;

export const DOWNLOAD_FLAGS: FlagSchema = {
  ...HUB_FLAGS,
  local_dir: { type: 'string', help: 'also copy the files into this directory (a plain model directory: real files, independent of the cache)' },
  all: { type: 'boolean', default: false, help: 'every file of the repo, not only those bertrun loads' },
};

export async function runDownload(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(formatHelp(USAGE, DOWNLOAD_FLAGS));
    return;
  }
  const { positionals, flagArgs } = splitPositionals(argv, DOWNLOAD_FLAGS);
  const flags = parseFlags(flagArgs, DOWNLOAD_FLAGS);
  const [repoId, ...files] = positionals;
  if (!repoId) throw new Error(`REPO_ID is missing\n${USAGE}`);
  if (!isRepoId(repoId)) throw new Error(`"${repoId}" is not a Hugging Face model name: use "name" or "org/name" (letters, digits, - _ .)`);
  if (files.length > 0 && flags.all === true) throw new Error('give FILEs or --all, not both');
  const request: SnapshotRequest = files.length > 0 ? { files } : flags.all === true ? 'all' : 'model';
  const settings = hubSettings(hubOptionsFromFlags(flags));
  let snapshot;
  try {
    snapshot = await downloadSnapshot(repoId, request, settings);
  } catch (err) {
    if (err instanceof HubError) throw new Error(hubFailureMessage(repoId, request, settings, err, false), { cause: err });
    throw err;
  }
  const localDir = typeof flags.local_dir === 'string' && flags.local_dir !== '' ? path.resolve(flags.local_dir) : undefined;
  if (localDir) placeFiles(snapshot.dir, snapshot.files, localDir);
  console.error(`bertrun download: ${repoId} at ${snapshot.commit}: ${snapshot.files.length} file(s) in ${snapshot.dir}`);
  // stdout is the path alone, for scripts: MODEL=$(bertrun download org/name)
  console.log(localDir ?? snapshot.dir);
}

/**
 * Copies a snapshot's files into a plain directory. Copies, not hard links: a file edited in place
 * there (a word appended to vocab.txt, a config tweak) must not change the cache's blob, which other
 * snapshots and Python share and whose name is its checksum. Reflinks where the disk has them.
 */
function placeFiles(snapshotDir: string, files: readonly string[], localDir: string): void {
  for (const file of files) {
    const source = fs.realpathSync(path.join(snapshotDir, file));
    const target = path.join(localDir, file);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.rmSync(target, { force: true });
    fs.copyFileSync(source, target, fs.constants.COPYFILE_FICLONE);
  }
}
