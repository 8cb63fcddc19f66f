// The trainer's hyperparameters, with Hugging Face TrainingArguments names and defaults.
// One schema serves the API, the CLI flags and --config files.
import { heartbeatTimeoutProblem } from '../distributed/peer_watchdog';
import { SCHEDULE_NAMES, type ScheduleName } from './lr_schedules';

export type IntervalStrategy = 'no' | 'steps' | 'epoch';

export interface TrainingArguments {
  output_dir: string;
  overwrite_output_dir: boolean;
  per_device_train_batch_size: number;
  per_device_eval_batch_size: number;
  gradient_accumulation_steps: number;
  learning_rate: number;
  weight_decay: number;
  adam_beta1: number;
  adam_beta2: number;
  adam_epsilon: number;
  max_grad_norm: number;
  num_train_epochs: number;
  max_steps: number;
  lr_scheduler_type: ScheduleName;
  warmup_ratio: number;
  warmup_steps: number;
  logging_steps: number;
  eval_strategy: IntervalStrategy;
  eval_steps: number | null;
  save_strategy: IntervalStrategy;
  save_steps: number;
  save_total_limit: number | null;
  load_best_model_at_end: boolean;
  metric_for_best_model: string | null;
  greater_is_better: boolean | null;
  seed: number;
  group_by_length: boolean;
  dataloader_drop_last: boolean;
  device: string;
  /** Progress bar on a TTY; plain log lines otherwise or when false. */
  disable_tqdm: boolean;
  report_to: Array<'tensorboard'>;
  /** DDP: gradient bucket size in MiB (HF / torch default 25). */
  ddp_bucket_cap_mb: number;
  /** DDP: seconds a rendezvous or collective may wait before failing (HF default 1800). */
  ddp_timeout: number;
  /**
   * DDP: seconds a rank may wait in a collective for a peer without a heartbeat (stopped, or on a
   * frozen node) before it reports that rank and exits; 0 never (bertrun's own, not HF's).
   */
  ddp_heartbeat_timeout: number;
  /** DDP: gloo (CPU) or nccl (CUDA); null picks from the device. */
  ddp_backend: 'gloo' | 'nccl' | null;
  /** Mixed precision: float16 autocast with dynamic loss scaling (CUDA; CPU works, slowly). */
  fp16: boolean;
  /** Mixed precision: bfloat16 autocast (CUDA with Ampere or newer, and CPU). */
  bf16: boolean;
  /** fp16 loss scaler (torch.amp.GradScaler's settings and defaults). */
  loss_scale_init: number;
  loss_scale_growth_factor: number;
  loss_scale_backoff_factor: number;
  loss_scale_growth_interval: number;
  /** Recompute each encoder layer's activations in backward: less memory, about a third more compute. */
  gradient_checkpointing: boolean;
  /** On out-of-memory, halve per_device_train_batch_size and start again. */
  auto_find_batch_size: boolean;
  /** Resume from a checkpoint even when its run fingerprint (arguments, data, model) differs. */
  ignore_resume_mismatch: boolean;
}

export const TRAINING_DEFAULTS: Omit<TrainingArguments, 'output_dir'> = {
  overwrite_output_dir: false,
  per_device_train_batch_size: 8,
  per_device_eval_batch_size: 8,
  gradient_accumulation_steps: 1,
  learning_rate: 5e-5,
  weight_decay: 0,
  adam_beta1: 0.9,
  adam_beta2: 0.999,
  adam_epsilon: 1e-8,
  max_grad_norm: 1.0,
  num_train_epochs: 3,
  max_steps: -1,
  lr_scheduler_type: 'linear',
  warmup_ratio: 0,
  warmup_steps: 0,
  logging_steps: 500,
  eval_strategy: 'no',
  eval_steps: null,
  save_strategy: 'steps',
  save_steps: 500,
  save_total_limit: null,
  load_best_model_at_end: false,
  metric_for_best_model: null,
  greater_is_better: null,
  seed: 42,
  group_by_length: false,
  dataloader_drop_last: false,
  device: 'cpu',
  disable_tqdm: false,
  report_to: ['tensorboard'],
  ddp_bucket_cap_mb: 25,
  ddp_timeout: 1800,
  ddp_heartbeat_timeout: 30,
  ddp_backend: null,
  fp16: false,
  bf16: false,
  loss_scale_init: 65536,
  loss_scale_growth_factor: 2,
  loss_scale_backoff_factor: 0.5,
  loss_scale_growth_interval: 2000,
  gradient_checkpointing: false,
  auto_find_batch_size: false,
  ignore_resume_mismatch: false,
};

/** Fills defaults and checks every field; errors name the field and the allowed values. */
export function resolveTrainingArguments(input: Partial<TrainingArguments> & { output_dir: string }): TrainingArguments {
  const args = { ...TRAINING_DEFAULTS, ...stripUndefined(input) } as TrainingArguments;
  const fail = (field: string, problem: string): never => {
    throw new Error(`training argument ${field} ${problem}`);
  };
  if (typeof args.output_dir !== 'string' || args.output_dir === '') fail('output_dir', 'is required');
  const positiveInts = ['per_device_train_batch_size', 'per_device_eval_batch_size', 'gradient_accumulation_steps', 'logging_steps', 'save_steps'] as const;
  for (const f of positiveInts) if (!Number.isInteger(args[f]) || args[f] < 1) fail(f, `must be an integer >= 1, got ${String(args[f])}`);
  for (const f of ['learning_rate', 'weight_decay', 'adam_epsilon', 'warmup_ratio', 'num_train_epochs'] as const) {
    if (typeof args[f] !== 'number' || !Number.isFinite(args[f]) || args[f] < 0) fail(f, `must be a number >= 0, got ${String(args[f])}`);
  }
  if (args.warmup_ratio > 1) fail('warmup_ratio', 'must be in [0, 1]');
  for (const f of ['ddp_bucket_cap_mb', 'ddp_timeout'] as const) {
    if (typeof args[f] !== 'number' || !Number.isFinite(args[f]) || args[f] <= 0) fail(f, `must be a number > 0, got ${String(args[f])}`);
  }
  if (args.ddp_backend !== null && !['gloo', 'nccl'].includes(args.ddp_backend)) fail('ddp_backend', 'must be gloo or nccl');
  const heartbeatProblem = heartbeatTimeoutProblem(args.ddp_heartbeat_timeout);
  if (heartbeatProblem) fail('ddp_heartbeat_timeout', heartbeatProblem);
  if (args.fp16 && args.bf16) fail('fp16', 'and bf16 cannot both be set: pick one precision');
  if (!(Number.isFinite(args.loss_scale_init) && args.loss_scale_init > 0)) fail('loss_scale_init', `must be a finite number > 0, got ${String(args.loss_scale_init)}`);
  if (!(args.loss_scale_growth_factor > 1)) fail('loss_scale_growth_factor', `must be > 1, got ${String(args.loss_scale_growth_factor)}`);
  if (!(args.loss_scale_backoff_factor > 0 && args.loss_scale_backoff_factor < 1)) fail('loss_scale_backoff_factor', `must be in (0, 1), got ${String(args.loss_scale_backoff_factor)}`);
  if (!Number.isInteger(args.loss_scale_growth_interval) || args.loss_scale_growth_interval < 1) fail('loss_scale_growth_interval', `must be an integer >= 1, got ${String(args.loss_scale_growth_interval)}`);
  for (const f of ['adam_beta1', 'adam_beta2'] as const) if (!(args[f] >= 0 && args[f] < 1)) fail(f, 'must be in [0, 1)');
  if (!Number.isInteger(args.max_steps) || args.max_steps < -1 || args.max_steps === 0) fail('max_steps', 'must be -1 (use epochs) or a positive integer');
  if (!Number.isInteger(args.warmup_steps) || args.warmup_steps < 0) fail('warmup_steps', 'must be an integer >= 0');
  if (!Number.isInteger(args.seed)) fail('seed', 'must be an integer');
  if (!SCHEDULE_NAMES.includes(args.lr_scheduler_type)) fail('lr_scheduler_type', `must be one of ${SCHEDULE_NAMES.join(', ')}`);
  for (const f of ['eval_strategy', 'save_strategy'] as const) {
    if (!['no', 'steps', 'epoch'].includes(args[f])) fail(f, 'must be one of no, steps, epoch');
  }
  if (args.eval_steps === null || args.eval_steps === undefined) args.eval_steps = args.logging_steps;
  if (!Number.isInteger(args.eval_steps) || args.eval_steps < 1) fail('eval_steps', 'must be an integer >= 1');
  if (args.save_total_limit !== null && (!Number.isInteger(args.save_total_limit) || args.save_total_limit < 1)) {
    fail('save_total_limit', 'must be null or an integer >= 1');
  }
  if (args.load_best_model_at_end) {
    if (args.eval_strategy === 'no') fail('load_best_model_at_end', 'needs eval_strategy steps or epoch');
    if (args.save_strategy !== args.eval_strategy) fail('load_best_model_at_end', `needs save_strategy (${args.save_strategy}) equal to eval_strategy (${args.eval_strategy})`);
    if (args.eval_strategy === 'steps' && args.save_steps % (args.eval_steps as number) !== 0) {
      fail('load_best_model_at_end', `needs save_steps (${args.save_steps}) to be a multiple of eval_steps (${args.eval_steps})`);
    }
    if (args.metric_for_best_model === null) args.metric_for_best_model = 'loss';
  }
  if (args.metric_for_best_model !== null && args.greater_is_better === null) {
    // HF: lower is better only for losses.
    args.greater_is_better = !/loss$/.test(args.metric_for_best_model.replace(/^eval_/, ''));
  }
  return args;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** The autocast dtype these arguments ask for (null: float32). */
export function mixedPrecisionOf(args: Pick<TrainingArguments, 'fp16' | 'bf16'>): 'float16' | 'bfloat16' | null {
  return args.fp16 ? 'float16' : args.bf16 ? 'bfloat16' : null;
}
