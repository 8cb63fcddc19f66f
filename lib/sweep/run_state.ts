// What a sweep run's directory holds before the sweep (re)starts it: the final results of a
// finished run (skip it), an intact checkpoint-N of an interrupted one (resume it), nothing usable
// (start it fresh), or a run made with other arguments (refused unless told to start it over).
// sweep_run.json, written before every start, records the command line the directory belongs to.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic_write';
import { latestIntactCheckpoint } from '../training/checkpoint';

export const SWEEP_RUN_FILE = 'sweep_run.json';
export const SWEEP_LOG_FILE = 'sweep.log';
/** What a finished `bertrun train` leaves; all_results.json is written last. */
export const FINAL_FILES = ['model.safetensors', 'trainer_state.json', 'train_results.json', 'all_results.json'] as const;
/** Results of an earlier start that a fresh start must not inherit (writeAllResults merges into all_results.json). */
const STALE_RESULT_FILES = ['all_results.json', 'train_results.json', 'eval_results.json', 'eval_results.txt', 'trainer_state.json'];

export interface SweepRunRecord {
  /** The child's command line after `bertrun`, exactly as started. */
  argv: string[];
  grid: Record<string, string>;
  seed: number;
  /** How it was started: fresh, or resumed from its newest checkpoint. */
  start: 'fresh' | 'resume';
  started_at: string;
}

export type RunState =
  | { kind: 'finished'; results: Record<string, unknown> }
  | { kind: 'interrupted'; checkpoint: string }
  | { kind: 'fresh' }
  | { kind: 'changed'; differences: string[] };

export function writeSweepRun(dir: string, record: SweepRunRecord): void {
  writeFileAtomic(path.join(dir, SWEEP_RUN_FILE), Buffer.from(JSON.stringify(record, null, 2) + '\n'));
}

export function readSweepRun(dir: string): SweepRunRecord | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(dir, SWEEP_RUN_FILE), 'utf8')) as Partial<SweepRunRecord>;
    return Array.isArray(parsed.argv) && parsed.argv.every((a) => typeof a === 'string') ? (parsed as SweepRunRecord) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The flags that make a run what it is: the command line without what differs between starts
 * of the same run (--resume_from_checkpoint, --overwrite_output_dir) and without --output_dir
 * (the directory the record sits in; a sweep directory that was moved still matches), as
 * `--flag values` groups.
 */
export function runIdentity(argv: readonly string[]): string[] {
  const groups: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--overwrite_output_dir') continue;
    if (token === '--output_dir' || token === '--resume_from_checkpoint') {
      i++;
      continue;
    }
    if (token.startsWith('--') || groups.length === 0) groups.push(token);
    else groups[groups.length - 1] += ` ${token}`;
  }
  return groups;
}

/** What differs between the recorded and the planned command line, one line per flag. */
export function identityDifferences(recorded: readonly string[], planned: readonly string[]): string[] {
  const before = runIdentity(recorded);
  const now = runIdentity(planned);
  const gone = before.filter((g) => !now.includes(g)).map((g) => `earlier: ${g}`);
  const added = now.filter((g) => !before.includes(g)).map((g) => `now: ${g}`);
  const moved = gone.length === 0 && added.length === 0 && before.join('\n') !== now.join('\n') ? ['the same flags in another order'] : [];
  return [...gone, ...added, ...moved];
}

/** The state of `dir` for a run to be started with `argv` (see the top of the file). */
export function runState(dir: string, argv: readonly string[]): RunState {
  const entries = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  const record = readSweepRun(dir);
  const trainerFiles = entries.filter((n) => (FINAL_FILES as readonly string[]).includes(n) || /^checkpoint-\d+$/.test(n));
  if (!record) {
    if (trainerFiles.length === 0) return { kind: 'fresh' };
    return {
      kind: 'changed',
      differences: [`${dir} holds a training run (${trainerFiles.sort().join(', ')}) that this sweep did not start (no ${SWEEP_RUN_FILE})`],
    };
  }
  const differences = identityDifferences(record.argv, argv);
  if (differences.length > 0) return { kind: 'changed', differences };
  const results = finalResults(dir, entries);
  if (results) return { kind: 'finished', results };
  const checkpoint = latestIntactCheckpoint(dir, () => undefined);
  if (checkpoint) return { kind: 'interrupted', checkpoint };
  return { kind: 'fresh' };
}

/** all_results.json of a finished run (every final file present), else undefined. */
function finalResults(dir: string, entries: readonly string[]): Record<string, unknown> | undefined {
  if (!FINAL_FILES.every((name) => entries.includes(name))) return undefined;
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(path.join(dir, 'all_results.json'), 'utf8'));
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Before a fresh start: the result files of an earlier start go, so that only this start's results can appear. */
export function removeStaleResults(dir: string): void {
  for (const name of STALE_RESULT_FILES) fs.rmSync(path.join(dir, name), { force: true });
}
