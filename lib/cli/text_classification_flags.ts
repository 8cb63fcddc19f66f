// Flags of `bertrun train | eval | predict`: run_glue.py's data and model arguments plus
// Hugging Face TrainingArguments, same names and defaults.
import type { FlagSchema } from './flags';
import { TRAINING_DEFAULTS } from '../training/training_arguments';
import { SCHEDULE_NAMES } from '../training/lr_schedules';

const d = TRAINING_DEFAULTS;
const STRATEGIES = ['no', 'steps', 'epoch'] as const;

export const TEXT_CLASSIFICATION_FLAGS: FlagSchema = {
  // model
  model_name_or_path: { type: 'string', help: 'local model directory (config.json + weights + tokenizer files)' },
  model_type: { type: 'string', help: 'accepted for run_glue compatibility; must be bert', choices: ['bert', 'BERT', 'Bert'] },
  tokenizer_name: { type: 'string', help: 'tokenizer directory, if not the model directory' },
  ignore_mismatched_sizes: { type: 'boolean', help: 're-initialise checkpoint tensors whose shape differs (e.g. another num_labels)', default: false },
  // data
  task_name: { type: 'string', help: 'GLUE task preset: cola, sst2, mrpc, stsb, qqp, mnli, mnli-mm, qnli, rte, wnli' },
  data_dir: { type: 'string', help: 'directory with the GLUE files of --task_name' },
  train_file: { type: 'string', help: 'training data: .tsv, .csv, .json or .jsonl' },
  validation_file: { type: 'string', help: 'evaluation data, same layout as the train file' },
  test_file: { type: 'string', help: 'unlabeled data for prediction' },
  text_column: { type: 'string', help: 'column (name or 0-based index) of the first text', default: 'sentence1' },
  text_pair_column: { type: 'string', help: 'column of the second text of a pair ("none" for single texts)', default: 'sentence2' },
  label_column: { type: 'string', help: 'column of the label', default: 'label' },
  has_header: { type: 'boolean', help: 'TSV/CSV files start with a header row', default: true },
  label_names: { type: 'list', help: 'labels in id order (default: from the model config or sorted train labels)' },
  problem_type: { type: 'string', help: 'force the loss', choices: ['single_label_classification', 'regression', 'multi_label_classification'] },
  multi_label_delimiter: { type: 'string', help: 'TSV/CSV multi-label rows: labels joined by this string' },
  max_seq_length: { type: 'integer', help: 'longest tokenized input; longer pairs are truncated longest-first (default: 128, or the model\'s max_position_embeddings if smaller)' },
  pad_to_max_length: { type: 'boolean', help: 'pad every batch to max_seq_length instead of the longest in the batch', default: false },
  overwrite_cache: { type: 'boolean', help: 'rebuild cached features', default: false },
  cache_dir: { type: 'string', help: 'where tokenized features are cached (default: .bertrun-cache next to the data)' },
  max_train_samples: { type: 'integer', help: 'use only the first N training examples' },
  max_eval_samples: { type: 'integer', help: 'use only the first N evaluation examples' },
  // what to do
  do_train: { type: 'boolean', help: 'train (implied by `bertrun train`)', default: false },
  do_eval: { type: 'boolean', help: 'evaluate on the validation set(s) (implied by `bertrun eval`)', default: false },
  do_predict: { type: 'boolean', help: 'predict the test file (implied by `bertrun predict`)', default: false },
  output_dir: { type: 'string', help: 'where the model, checkpoints, logs and results go' },
  overwrite_output_dir: { type: 'boolean', help: 'allow training into a non-empty output_dir', default: d.overwrite_output_dir },
  resume_from_checkpoint: { type: 'string', help: 'checkpoint directory to resume from, or "latest"' },
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
};
