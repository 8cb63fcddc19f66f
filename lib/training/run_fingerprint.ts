// A run's identity, recorded in every checkpoint: the training arguments that change the result,
// the number of processes, a digest of the training features (data, tokenizer, max length and
// labels all show there) and what the caller knows of its sources (data files, tokenizer, model).
// Resuming is refused when the identity differs, so a checkpoint of another run, or of this run
// with another learning rate or data, is never continued silently.
import { createHash } from 'crypto';
import type { FeatureSource } from '../data/loader/feature_source';
import type { TrainingArguments } from '../config/training_arguments';

export const FINGERPRINT_FILE = 'run_fingerprint.json';

/** Field name to value; values are compared as JSON. */
export type RunFingerprint = Record<string, string | number | boolean | null>;

/**
 * The arguments that decide the weights. Left out on purpose: output, logging, evaluation and
 * saving cadence, progress display, gradient checkpointing (same numbers, less memory), DDP
 * transport settings, and the eval batch size.
 */
const RESULT_ARGUMENTS = [
  'per_device_train_batch_size',
  'gradient_accumulation_steps',
  'learning_rate',
  'weight_decay',
  'adam_beta1',
  'adam_beta2',
  'adam_epsilon',
  'max_grad_norm',
  'num_train_epochs',
  'max_steps',
  'lr_scheduler_type',
  'warmup_ratio',
  'warmup_steps',
  'seed',
  'group_by_length',
  'dataloader_drop_last',
  'fp16',
  'bf16',
  'loss_scale_init',
  'loss_scale_growth_factor',
  'loss_scale_backoff_factor',
  'loss_scale_growth_interval',
  'auto_find_batch_size',
] as const satisfies ReadonlyArray<keyof TrainingArguments>;

export function runFingerprint(args: TrainingArguments, worldSize: number, train: FeatureSource, sources: RunFingerprint = {}): RunFingerprint {
  const fingerprint: RunFingerprint = {};
  for (const name of RESULT_ARGUMENTS) fingerprint[name] = args[name];
  fingerprint.world_size = worldSize;
  fingerprint.train_examples = train.length;
  fingerprint.train_features_sha256 = featuresDigest(train);
  return { ...fingerprint, ...sources };
}

/** One line per field that differs: `learning_rate: 0.00005 in the checkpoint, 0.0001 now`. */
export function fingerprintDifferences(recorded: RunFingerprint, current: RunFingerprint): string[] {
  const names = [...new Set([...Object.keys(recorded), ...Object.keys(current)])];
  return names
    .filter((name) => JSON.stringify(recorded[name] ?? null) !== JSON.stringify(current[name] ?? null))
    .map((name) => `${name}: ${show(recorded[name])} in the checkpoint, ${show(current[name])} now`);
}

function show(value: RunFingerprint[string] | undefined): string {
  return value === undefined ? '(not recorded)' : JSON.stringify(value);
}

/** sha256 over every feature's ids and targets (as the first epoch has them), in order. */
function featuresDigest(features: FeatureSource): string {
  const hash = createHash('sha256');
  for (let i = 0; i < features.length; i++) {
    const f = features.feature(i, 0);
    hash.update(Int32Array.from(f.inputIds));
    hash.update(Int32Array.from(f.tokenTypeIds));
    hash.update(JSON.stringify([f.label ?? null, f.tokenLabels ?? null, f.startPosition ?? null, f.endPosition ?? null, f.headLabels ?? null]));
  }
  return hash.digest('hex');
}
