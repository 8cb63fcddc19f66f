// TrainingArguments: Hugging Face's names and defaults, every field checked with an error that
// names it, the cross-field rules, and the CLI flags derived from the same declarations.
import { resolveTrainingArguments, TRAINING_ARGUMENTS } from '../../lib/config/training_arguments';
import { TRAINING_FLAGS } from '../../lib/cli/training_flags';
import { parseFlags } from '../../lib/cli/flags';
import { trainingArguments } from '../../lib/cli/command_common';

test("defaults are transformers.TrainingArguments' for the shared names", () => {
  const a = resolveTrainingArguments({ output_dir: 'out' });
  // Values from transformers 4.x TrainingArguments.
  expect(a).toMatchObject({
    per_device_train_batch_size: 8,
    per_device_eval_batch_size: 8,
    gradient_accumulation_steps: 1,
    learning_rate: 5e-5,
    weight_decay: 0,
    adam_beta1: 0.9,
    adam_beta2: 0.999,
    adam_epsilon: 1e-8,
    max_grad_norm: 1,
    num_train_epochs: 3,
    max_steps: -1,
    lr_scheduler_type: 'linear',
    warmup_ratio: 0,
    warmup_steps: 0,
    logging_steps: 500,
    eval_strategy: 'no',
    save_strategy: 'steps',
    save_steps: 500,
    save_total_limit: null,
    seed: 42,
    ddp_timeout: 1800,
    fp16: false,
    bf16: false,
    load_best_model_at_end: false,
    metric_for_best_model: null,
    greater_is_better: null,
  });
  expect(a.eval_steps).toBe(500); // unset: logging_steps, as HF
  expect(resolveTrainingArguments({ output_dir: 'o', report_to: ['none'] as unknown as Array<'tensorboard'> }).report_to).toEqual([]);
});

test('each bad value is refused naming the argument and what it accepts', () => {
  const bad = (overrides: Record<string, unknown>) => () => resolveTrainingArguments({ output_dir: 'out', ...overrides });
  expect(bad({ per_device_train_batch_size: 0 })).toThrow('training argument per_device_train_batch_size must be an integer >= 1, got 0');
  expect(bad({ learning_rate: -1 })).toThrow('training argument learning_rate must be a number >= 0, got -1');
  expect(bad({ warmup_ratio: 1.5 })).toThrow('training argument warmup_ratio must be in [0, 1], got 1.5');
  expect(bad({ adam_beta2: 1 })).toThrow('training argument adam_beta2 must be in [0, 1), got 1');
  expect(bad({ max_steps: 0 })).toThrow('training argument max_steps must be -1 (use epochs) or a positive integer');
  expect(bad({ lr_scheduler_type: 'exp' })).toThrow(/training argument lr_scheduler_type must be one of linear, cosine/);
  expect(bad({ save_total_limit: 0 })).toThrow('training argument save_total_limit must be null or an integer >= 1');
  expect(bad({ ddp_backend: 'mpi' })).toThrow('training argument ddp_backend must be gloo or nccl');
  expect(bad({ ddp_timeout: 0 })).toThrow('training argument ddp_timeout must be a number > 0, got 0');
  expect(bad({ loss_scale_backoff_factor: 1 })).toThrow('training argument loss_scale_backoff_factor must be in (0, 1), got 1');
  expect(bad({ fp16: 'yes' })).toThrow('training argument fp16 must be true or false, got yes');
  expect(bad({ output_dir: '' })).toThrow('training argument output_dir is required');
  expect(bad({ learning_rat: 1 })).toThrow('unknown training argument "learning_rat"');
  expect(bad({ fp16: true, bf16: true })).toThrow('training argument fp16 and bf16 cannot both be set');
  expect(bad({ load_best_model_at_end: true })).toThrow('load_best_model_at_end needs eval_strategy steps or epoch');
  expect(bad({ load_best_model_at_end: true, eval_strategy: 'steps', eval_steps: 3, save_steps: 10 })).toThrow(
    'needs save_steps (10) to be a multiple of eval_steps (3)',
  );
});

test('metric_for_best_model: loss by default with load_best_model_at_end; lower is better only for losses', () => {
  const best = resolveTrainingArguments({ output_dir: 'o', load_best_model_at_end: true, eval_strategy: 'epoch', save_strategy: 'epoch' });
  expect([best.metric_for_best_model, best.greater_is_better]).toEqual(['loss', false]);
  expect(resolveTrainingArguments({ output_dir: 'o', metric_for_best_model: 'eval_f1' }).greater_is_better).toBe(true);
});

test('every argument is a CLI flag with its default and aliases; flags and --config values become the same arguments', () => {
  for (const [name, spec] of Object.entries(TRAINING_ARGUMENTS)) {
    expect(TRAINING_FLAGS[name]).toBeDefined();
    expect(TRAINING_FLAGS[name].default).toEqual(spec.default === null ? undefined : spec.default);
  }
  const flags = parseFlags(
    ['--evaluation_strategy', 'epoch', '--save_strategy', 'epoch', '--report_to', 'none', '--learning-rate', '2e-5', '--ddp_backend', 'gloo'],
    TRAINING_FLAGS,
  );
  const a = trainingArguments(flags, 'out');
  expect(a).toMatchObject({ eval_strategy: 'epoch', report_to: [], learning_rate: 2e-5, ddp_backend: 'gloo', output_dir: 'out', eval_steps: 500 });
  expect(() => trainingArguments(parseFlags(['--logging_steps', '0'], TRAINING_FLAGS), 'out')).toThrow(
    'training argument logging_steps must be an integer >= 1, got 0',
  );
});
