// The trainer's hyperparameters, with Hugging Face TrainingArguments names and defaults, each
// declared once: the TrainingArguments type, TRAINING_DEFAULTS, validation, the CLI flags and
// their --help all come from TRAINING_ARGUMENTS. Rules that tie several arguments together are
// in resolveTrainingArguments, below the schema.
import { heartbeatTimeoutProblem, DEFAULT_HEARTBEAT_TIMEOUT_SECONDS } from '../distributed/peer_watchdog';
import { SCHEDULE_NAMES } from '../training/lr_schedules';
import {
  boolean,
  choice,
  choiceList,
  defaultsOf,
  integer,
  integerAtLeast,
  isFiniteNumber,
  number,
  numberAbove,
  numberInRange,
  orNull,
  resolveValues,
  text,
  type ValuesOf,
} from './argument_spec';

const STRATEGIES = ['no', 'steps', 'epoch'] as const;
export type IntervalStrategy = (typeof STRATEGIES)[number];

export const TRAINING_ARGUMENTS = {
  output_dir: text(undefined, 'where the model, checkpoints, logs and results go'),
  overwrite_output_dir: boolean(false, 'allow training into a non-empty output_dir (its old checkpoints are removed)'),
  per_device_train_batch_size: integer(8, 'training batch size', integerAtLeast(1)),
  per_device_eval_batch_size: integer(8, 'evaluation batch size', integerAtLeast(1)),
  gradient_accumulation_steps: integer(1, 'micro-batches per optimizer step', integerAtLeast(1)),
  learning_rate: number(5e-5, 'peak AdamW learning rate'),
  weight_decay: number(0, 'AdamW decoupled weight decay (not on biases and LayerNorm weights)'),
  adam_beta1: number(0.9, 'AdamW beta1', numberInRange(0, 1, true)),
  adam_beta2: number(0.999, 'AdamW beta2', numberInRange(0, 1, true)),
  adam_epsilon: number(1e-8, 'AdamW epsilon'),
  max_grad_norm: number(1.0, 'clip gradients to this total norm (0 = off)', (v) => (isFiniteNumber(v) ? undefined : `must be a number, got ${String(v)}`)),
  num_train_epochs: number(3, 'epochs (fractions allowed)'),
  max_steps: integer(-1, 'optimizer steps; overrides num_train_epochs when > 0', (v) =>
    Number.isInteger(v) && ((v as number) === -1 || (v as number) > 0) ? undefined : 'must be -1 (use epochs) or a positive integer',
  ),
  lr_scheduler_type: choice(SCHEDULE_NAMES, 'linear', 'learning-rate schedule'),
  warmup_ratio: number(0, 'share of steps for linear warm-up', numberInRange(0, 1)),
  warmup_steps: integer(0, 'warm-up steps (wins over warmup_ratio)', integerAtLeast(0)),
  logging_steps: integer(500, 'log loss, lr, grad norm every N steps (a run shorter than N logs them at its last step)', integerAtLeast(1)),
  eval_strategy: choice(STRATEGIES, 'no', 'when to evaluate during training', { aliases: ['evaluation_strategy'] }),
  eval_steps: orNull(integer(0, 'evaluate every N steps (default: logging_steps)', integerAtLeast(1))),
  save_strategy: choice(STRATEGIES, 'steps', 'when to write checkpoint-N'),
  save_steps: integer(500, 'write checkpoint-N every N steps', integerAtLeast(1)),
  save_total_limit: orNull(integer(0, 'keep at most N checkpoints (the best is kept)', integerAtLeast(1)), 'must be null or an integer >= 1'),
  load_best_model_at_end: boolean(false, 'load the best checkpoint when training ends'),
  metric_for_best_model: orNull(text(undefined, 'metric that picks the best checkpoint (default: loss)')),
  greater_is_better: orNull(boolean(false, 'whether a larger metric is better (default: not for losses)')),
  seed: integer(42, 'seed for initialisation, data order and dropout', (v) => (Number.isInteger(v) ? undefined : 'must be an integer')),
  group_by_length: boolean(false, 'batch examples of similar length together'),
  dataloader_drop_last: boolean(false, 'drop the last incomplete batch'),
  device: text('cpu', 'cpu, cuda or cuda:N'),
  disable_tqdm: boolean(false, 'plain log lines instead of a progress bar'),
  report_to: choiceList(['tensorboard'] as const, ['tensorboard'], 'tensorboard, or none'),
  ignore_resume_mismatch: boolean(false, 'resume even if the checkpoint was written with other arguments, data or model (listed as a warning)'),
  // distributed (read when started by `bertrun launch` or torchrun)
  ddp_backend: orNull(choice(['gloo', 'nccl'] as const, 'gloo', 'gloo (CPU) or nccl (CUDA); default from --device'), 'must be gloo or nccl'),
  ddp_timeout: number(1800, 'seconds the rendezvous or a collective may wait before failing', numberAbove(0)),
  ddp_heartbeat_timeout: number(
    DEFAULT_HEARTBEAT_TIMEOUT_SECONDS,
    'seconds a rank waits in a collective for a peer without a heartbeat (stopped, frozen node) before it names that rank and exits; 0: never',
    (v) => heartbeatTimeoutProblem(v as number),
  ),
  ddp_bucket_cap_mb: number(25, 'gradient bucket size (MiB) for the all-reduce overlapped with backward', numberAbove(0)),
  // precision and memory
  fp16: boolean(false, 'float16 mixed precision with dynamic loss scaling (GPUs)'),
  bf16: boolean(false, 'bfloat16 mixed precision (Ampere+ GPUs and CPUs)'),
  loss_scale_init: number(65536, 'fp16: initial loss scale', (v) => (isFiniteNumber(v) && v > 0 ? undefined : `must be a finite number > 0, got ${String(v)}`)),
  loss_scale_growth_factor: number(2, 'fp16: scale multiplier after growth_interval clean steps', (v) =>
    isFiniteNumber(v) && v > 1 ? undefined : `must be > 1, got ${String(v)}`,
  ),
  loss_scale_backoff_factor: number(0.5, 'fp16: scale multiplier after a step with inf/NaN gradients (skipped)', (v) =>
    isFiniteNumber(v) && v > 0 && v < 1 ? undefined : `must be in (0, 1), got ${String(v)}`,
  ),
  loss_scale_growth_interval: integer(2000, 'fp16: clean steps in a row before the scale grows', integerAtLeast(1)),
  gradient_checkpointing: boolean(false, 'recompute layer activations in backward: less memory, ~30% more compute'),
  auto_find_batch_size: boolean(false, 'on out-of-memory, halve the train batch size and start again'),
};

export type TrainingArguments = ValuesOf<typeof TRAINING_ARGUMENTS>;

export const TRAINING_DEFAULTS = defaultsOf(TRAINING_ARGUMENTS) as Omit<TrainingArguments, 'output_dir'>;

/** Fills defaults and checks every field; errors name the field and the allowed values. */
export function resolveTrainingArguments(input: Partial<TrainingArguments> & { output_dir: string }): TrainingArguments {
  const args = resolveValues(TRAINING_ARGUMENTS, input, 'training argument');
  const fail = (field: string, problem: string): never => {
    throw new Error(`training argument ${field} ${problem}`);
  };
  if (args.fp16 && args.bf16) fail('fp16', 'and bf16 cannot both be set: pick one precision');
  if (args.eval_steps === null) args.eval_steps = args.logging_steps;
  if (args.load_best_model_at_end) {
    if (args.eval_strategy === 'no') fail('load_best_model_at_end', 'needs eval_strategy steps or epoch');
    if (args.save_strategy !== args.eval_strategy)
      fail('load_best_model_at_end', `needs save_strategy (${args.save_strategy}) equal to eval_strategy (${args.eval_strategy})`);
    if (args.eval_strategy === 'steps' && args.save_steps % args.eval_steps !== 0) {
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

/** The autocast dtype these arguments ask for (null: float32). */
export function mixedPrecisionOf(args: Pick<TrainingArguments, 'fp16' | 'bf16'>): 'float16' | 'bfloat16' | null {
  return args.fp16 ? 'float16' : args.bf16 ? 'bfloat16' : null;
}
