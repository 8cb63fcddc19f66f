// Flags every training command shares: the model directory, what to do, and Hugging Face
// TrainingArguments (same names and defaults as transformers).
import type { FlagSchema } from './flags';
import { TRAINING_DEFAULTS } from '../training/training_arguments';
import { SCHEDULE_NAMES } from '../training/lr_schedules';

const d = TRAINING_DEFAULTS;
const STRATEGIES = ['no', 'steps', 'epoch'] as const;

export const TASKS = ['text-classification', 'question-answering', 'token-classification'] as const;
export type TaskName = (typeof TASKS)[number];

export const MODEL_FLAGS: FlagSchema = {
  task: { type: 'string', help: 'what to fine-tune: text-classification (run_glue), question-answering (run_qa) or token-classification (run_ner)', default: 'text-classification', choices: TASKS },
  model_name_or_path: { type: 'string', help: 'local model directory (config.json + weights + tokenizer files)' },
  model_type: { type: 'string', help: 'accepted for run_glue compatibility; must be bert', choices: ['bert', 'BERT', 'Bert'] },
  tokenizer_name: { type: 'string', help: 'tokenizer directory, if not the model directory' },
  ignore_mismatched_sizes: { type: 'boolean', help: 're-initialise checkpoint tensors whose shape differs (e.g. another num_labels)', default: false },
};

export const TRAINING_FLAGS: FlagSchema = {
  // what to do
  do_train: { type: 'boolean', help: 'train (implied by `bertrun train`)', default: false },
  do_eval: { type: 'boolean', help: 'evaluate on the validation set(s) (implied by `bertrun eval`)', default: false },
  do_predict: { type: 'boolean', help: 'predict the test file (implied by `bertrun predict`)', default: false },
  output_dir: { type: 'string', help: 'where the model, checkpoints, logs and results go' },
  overwrite_output_dir: { type: 'boolean', help: 'allow training into a non-empty output_dir', default: d.overwrite_output_dir },
  resume_from_checkpoint: { type: 'string', help: 'checkpoint directory to resume from, or "latest" (the newest intact one; none yet: start from scratch)' },
  ignore_resume_mismatch: { type: 'boolean', help: 'resume even if the checkpoint was written with other arguments, data or model (listed as a warning)', default: d.ignore_resume_mismatch },
  // training arguments
  per_device_train_batch_size: { type: 'integer', help: 'training batch size', default: d.per_device_train_batch_size },
  per_device_eval_batch_size: { type: 'integer', help: 'evaluation batch size', default: d.per_device_eval_batch_size },
  gradient_accumulation_steps: { type: 'integer', help: 'micro-batches per optimizer step', default: d.gradient_accumulation_steps },
  learning_rate: { type: 'number', help: 'peak AdamW learning rate', default: d.learning_rate },
  weight_decay: { type: 'number', help: 'AdamW decoupled weight decay (not on biases and LayerNorm weights)', default: d.weight_decay },
  adam_beta1: { type: 'number', help: 'AdamW beta1', default: d.adam_beta1 },
  adam_beta2: { type: 'number', help: 'AdamW beta2', default: d.adam_beta2 },
  adam_epsilon: { type: 'number', help: 'AdamW epsilon', default: d.adam_epsilon },
  max_grad_norm: { type: 'number', help: 'clip gradients to this total norm (0 = off)', default: d.max_grad_norm },
  num_train_epochs: { type: 'number', help: 'epochs (fractions allowed)', default: d.num_train_epochs },
  max_steps: { type: 'integer', help: 'optimizer steps; overrides num_train_epochs when > 0', default: d.max_steps },
  lr_scheduler_type: { type: 'string', help: 'learning-rate schedule', default: d.lr_scheduler_type, choices: SCHEDULE_NAMES },
  warmup_ratio: { type: 'number', help: 'share of steps for linear warm-up', default: d.warmup_ratio },
  warmup_steps: { type: 'integer', help: 'warm-up steps (wins over warmup_ratio)', default: d.warmup_steps },
  logging_steps: { type: 'integer', help: 'log loss, lr, grad norm every N steps', default: d.logging_steps },
  eval_strategy: { type: 'string', help: 'when to evaluate during training', default: d.eval_strategy, choices: STRATEGIES, aliases: ['evaluation_strategy'] },
  eval_steps: { type: 'integer', help: 'evaluate every N steps (default: logging_steps)' },
  save_strategy: { type: 'string', help: 'when to write checkpoint-N', default: d.save_strategy, choices: STRATEGIES },
  save_steps: { type: 'integer', help: 'write checkpoint-N every N steps', default: d.save_steps },
  save_total_limit: { type: 'integer', help: 'keep at most N checkpoints (the best is kept)' },
  load_best_model_at_end: { type: 'boolean', help: 'load the best checkpoint when training ends', default: d.load_best_model_at_end },
  metric_for_best_model: { type: 'string', help: 'metric that picks the best checkpoint (default: loss)' },
  greater_is_better: { type: 'boolean', help: 'whether a larger metric is better (default: not for losses)' },
  seed: { type: 'integer', help: 'seed for initialisation, data order and dropout', default: d.seed },
  group_by_length: { type: 'boolean', help: 'batch examples of similar length together', default: d.group_by_length },
  dataloader_drop_last: { type: 'boolean', help: 'drop the last incomplete batch', default: d.dataloader_drop_last },
  device: { type: 'string', help: 'cpu, cuda or cuda:N', default: d.device },
  disable_tqdm: { type: 'boolean', help: 'plain log lines instead of a progress bar', default: d.disable_tqdm },
  report_to: { type: 'list', help: 'tensorboard, or none', default: ['tensorboard'] },
  // distributed (read when started by `bertrun launch` or torchrun)
  ddp_backend: { type: 'string', help: 'gloo (CPU) or nccl (CUDA); default from --device', choices: ['gloo', 'nccl'] },
  ddp_timeout: { type: 'number', help: 'seconds the rendezvous or a collective may wait before failing', default: d.ddp_timeout },
  ddp_heartbeat_timeout: { type: 'number', help: 'seconds a rank waits in a collective for a peer without a heartbeat (stopped, frozen node) before it names that rank and exits; 0: never', default: d.ddp_heartbeat_timeout },
  ddp_bucket_cap_mb: { type: 'number', help: 'gradient bucket size (MiB) for the all-reduce overlapped with backward', default: d.ddp_bucket_cap_mb },
  // precision and memory
  fp16: { type: 'boolean', help: 'float16 mixed precision with dynamic loss scaling (GPUs)', default: d.fp16 },
  bf16: { type: 'boolean', help: 'bfloat16 mixed precision (Ampere+ GPUs and CPUs)', default: d.bf16 },
  loss_scale_init: { type: 'number', help: 'fp16: initial loss scale', default: d.loss_scale_init },
  loss_scale_growth_factor: { type: 'number', help: 'fp16: scale multiplier after growth_interval clean steps', default: d.loss_scale_growth_factor },
  loss_scale_backoff_factor: { type: 'number', help: 'fp16: scale multiplier after a step with inf/NaN gradients (skipped)', default: d.loss_scale_backoff_factor },
  loss_scale_growth_interval: { type: 'integer', help: 'fp16: clean steps in a row before the scale grows', default: d.loss_scale_growth_interval },
  gradient_checkpointing: { type: 'boolean', help: 'recompute layer activations in backward: less memory, ~30% more compute', default: d.gradient_checkpointing },
  auto_find_batch_size: { type: 'boolean', help: 'on out-of-memory, halve the train batch size and start again', default: d.auto_find_batch_size },
};
