// checkpoint-<step>/ directories: everything needed to resume exactly (weights, optimizer,
// RNG, data position, log history) and the identity of the run that wrote them, written into a
// temporary directory, sealed with a manifest of sizes and hashes, and renamed into place, so a
// crash never leaves a half-written checkpoint that looks complete.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic_write';
import type { NamedTensor } from '../io/named_tensor';
import { readSafetensors, writeSafetensors } from '../io/safetensors';
import { hasManifest, verifyManifest, writeManifest } from './checkpoint_manifest';
import { deleteCheckpoint } from './output_dir_leftovers';
import { FINGERPRINT_FILE, type RunFingerprint } from './run_fingerprint';

export const CHECKPOINT_PREFIX = 'checkpoint-';
const STATE_FILE = 'trainer_state.json';
const OPTIMIZER_FILE = 'optimizer.safetensors';
const RNG_FILE = 'rng_state.safetensors';
/** fp16 loss scaler (HF/accelerate: scaler.pt). */
const SCALER_FILE = 'scaler.safetensors';

export interface LogEntry {
  step: number;
  epoch: number;
  [metric: string]: number;
}

/** HF's trainer_state.json, plus the data position bertrun needs for an exact resume. */
export interface TrainerState {
  global_step: number;
  epoch: number;
  max_steps: number;
  num_train_epochs: number;
  logging_steps: number;
  eval_steps: number;
  save_steps: number;
  train_batch_size: number;
  log_history: LogEntry[];
  best_metric: number | null;
  best_model_checkpoint: string | null;
  /** Epoch in progress and how many of its batches were consumed. */
  data_position: { epoch: number; batches_done: number };
  /** Losses summed since the last log line, so resumed logs equal uninterrupted ones. */
  pending_loss: { sum: number; count: number };
  /**
   * fp16: optimizer steps skipped for inf/NaN gradients. They count in global_step but not in
   * the learning-rate schedule (as HF, which skips lr_scheduler.step() then).
   */
  skipped_steps: number;
}

export interface CheckpointContent {
  state: TrainerState;
  optimizer: NamedTensor[];
  /** The RNG state of the rank that reads (rank 0's when written). */
  rng: NamedTensor[];
  /** The fp16 loss scaler's state, when training used one. */
  scaler?: NamedTensor[];
}

/** rng_state.safetensors is rank 0's (HF: rng_state.pth); rank r > 0 has rng_state_<r>. */
function rngFile(rank: number): string {
  return rank === 0 ? RNG_FILE : `rng_state_${rank}.safetensors`;
}

export function checkpointDir(outputDir: string, step: number): string {
  return path.join(outputDir, `${CHECKPOINT_PREFIX}${step}`);
}

/**
 * Writes a checkpoint: `saveModel(dir)` writes weights, config and tokenizer into the temporary
 * directory, then this adds optimizer, RNG, trainer state and training args, and renames.
 */
export async function writeCheckpoint(
  outputDir: string,
  content: CheckpointContent & { trainingArgs: object; rngByRank?: NamedTensor[][]; fingerprint: RunFingerprint },
  saveModel: (dir: string) => Promise<void>,
): Promise<string> {
  const final = checkpointDir(outputDir, content.state.global_step);
  const temp = `${final}.tmp-${process.pid}`;
  fs.rmSync(temp, { recursive: true, force: true });
  fs.mkdirSync(temp, { recursive: true });
  await saveModel(temp);
  writeSafetensors(path.join(temp, OPTIMIZER_FILE), content.optimizer, { format: 'bertrun-adamw' });
  writeSafetensors(path.join(temp, RNG_FILE), content.rng, { format: 'bertrun-rng' });
  if (content.scaler) writeSafetensors(path.join(temp, SCALER_FILE), content.scaler, { format: 'bertrun-grad-scaler' });
  (content.rngByRank ?? []).forEach((rng, rank) => {
    if (rank > 0) writeSafetensors(path.join(temp, rngFile(rank)), rng, { format: 'bertrun-rng' });
  });
  writeFileAtomic(path.join(temp, 'training_args.json'), Buffer.from(JSON.stringify(content.trainingArgs, null, 2) + '\n'));
  writeFileAtomic(path.join(temp, FINGERPRINT_FILE), Buffer.from(JSON.stringify(content.fingerprint, null, 2) + '\n'));
  writeFileAtomic(path.join(temp, STATE_FILE), Buffer.from(JSON.stringify(content.state, null, 2) + '\n'));
  // Written last: a manifest that matches the files marks the checkpoint complete.
  writeManifest(temp);
  if (fs.existsSync(final)) {
    const old = `${final}.old-${process.pid}`;
    fs.renameSync(final, old);
    fs.renameSync(temp, final);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(temp, final);
  }
  return final;
}

/** Reads a checkpoint for `rank` (its own RNG state if saved, else rank 0's, e.g. more ranks than before). */
export function readCheckpoint(dir: string, rank = 0): CheckpointContent {
  const state = readTrainerState(dir);
  const scalerFile = path.join(dir, SCALER_FILE);
  return {
    state,
    optimizer: readSafetensors(path.join(dir, OPTIMIZER_FILE)).tensors,
    rng: readSafetensors(path.join(dir, fs.existsSync(path.join(dir, rngFile(rank))) ? rngFile(rank) : RNG_FILE)).tensors,
    ...(fs.existsSync(scalerFile) ? { scaler: readSafetensors(scalerFile).tensors } : {}),
  };
}

/** trainer_state.json of a checkpoint, checked; fields added later get their neutral value. */
export function readTrainerState(dir: string): TrainerState {
  const stateFile = path.join(dir, STATE_FILE);
  if (!fs.existsSync(stateFile)) {
    throw new Error(`${dir} is not a complete checkpoint (no ${STATE_FILE}). Fix: resume from another checkpoint-<step> directory.`);
  }
  let state: TrainerState;
  try {
    state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as TrainerState;
  } catch (e) {
    throw new Error(`${stateFile}: not valid JSON (${(e as Error).message}); the checkpoint is corrupt`, { cause: e });
  }
  for (const field of ['global_step', 'data_position', 'log_history', 'pending_loss'] as const) {
    if (state[field] === undefined) throw new Error(`${stateFile}: field "${field}" is missing; was it written by bertrun?`);
  }
  return { ...state, skipped_steps: state.skipped_steps ?? 0 };
}

/** Sealed checkpoints (with a manifest; not yet verified) in outputDir, oldest step first. */
export function listCheckpoints(outputDir: string): Array<{ step: number; dir: string }> {
  if (!fs.existsSync(outputDir)) return [];
  return fs
    .readdirSync(outputDir)
    .map((name) => /^checkpoint-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ step: Number(m[1]), dir: path.join(outputDir, m[0]) }))
    .filter((c) => hasManifest(c.dir))
    .sort((a, b) => a.step - b.step);
}

/**
 * The newest checkpoint whose files match their manifest; damaged or unfinished newer ones are
 * skipped, each with a warning naming it and what is wrong.
 */
export function latestIntactCheckpoint(outputDir: string, warn: (line: string) => void): string | undefined {
  const named = fs.existsSync(outputDir) ? fs.readdirSync(outputDir).filter((n) => /^checkpoint-\d+$/.test(n)) : [];
  const newestFirst = named.map((n) => ({ step: Number(n.slice('checkpoint-'.length)), dir: path.join(outputDir, n) })).sort((a, b) => b.step - a.step);
  for (const c of newestFirst) {
    const problem = verifyManifest(c.dir);
    if (problem === undefined) return c.dir;
    warn(`warning: skipping ${c.dir}: ${problem}; trying the previous checkpoint`);
  }
  return undefined;
}

/** Throws unless `dir` is an intact checkpoint (an explicitly named one is never skipped). */
export function assertIntactCheckpoint(dir: string): void {
  const problem = verifyManifest(dir);
  if (problem !== undefined) {
    throw new Error(
      `resume_from_checkpoint: ${dir} is not an intact checkpoint: ${problem}. Fix: resume from another checkpoint-<step> directory, or use --resume_from_checkpoint latest to take the newest intact one.`,
    );
  }
}

/** The run identity a checkpoint recorded, or undefined for one written before fingerprints existed. */
export function readFingerprint(dir: string): RunFingerprint | undefined {
  const file = path.join(dir, FINGERPRINT_FILE);
  if (!fs.existsSync(file)) return undefined;
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RunFingerprint;
}

/** Deletes the oldest checkpoints beyond `limit`, never the best one (as HF does). */
export function rotateCheckpoints(outputDir: string, limit: number | null, keep: string | null): void {
  if (limit === null) return;
  const all = listCheckpoints(outputDir);
  const newest = all[all.length - 1];
  // As HF: the newest checkpoint is never rotated out (a resume must find it), so with a limit of
  // 1 and an older best checkpoint, both stay.
  const keepsBoth = limit === 1 && keep !== null && newest !== undefined && path.resolve(newest.dir) !== path.resolve(keep);
  let excess = all.length - (keepsBoth ? 2 : limit);
  for (const c of all) {
    if (excess <= 0) break;
    if (c === newest || (keep !== null && path.resolve(c.dir) === path.resolve(keep))) continue;
    deleteCheckpoint(c.dir);
    excess--;
  }
}
