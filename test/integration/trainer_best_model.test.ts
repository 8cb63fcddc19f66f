// load_best_model_at_end, metric_for_best_model and save_total_limit, as HF's Trainer does them.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BertModel } from '../../lib/models/bert_model';
import type { TextFeature } from '../../lib/data/loader/collate';
import { Trainer } from '../../lib/training/trainer';
import { resolveTrainingArguments } from '../../lib/config/training_arguments';
import { listCheckpoints } from '../../lib/training/checkpoint';
import { readSafetensors } from '../../lib/io/safetensors';
import { byName, maxAbsDiff } from '../helpers/tensors';

function data(count: number, seed: number): TextFeature[] {
  let x = seed;
  const pick = (n: number) => (x = (x * 1103515245 + 12345) % 2147483648) % n;
  return Array.from({ length: count }, () => {
    const label = pick(2);
    const ids = Array.from({ length: 6 }, () => 10 + pick(40));
    if (label === 1) ids[pick(6)] = 5;
    return { inputIds: [1, ...ids, 2], tokenTypeIds: new Array(8).fill(0), label };
  });
}

const CONFIG = {
  vocab_size: 60,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 24,
  max_position_embeddings: 16,
  num_labels: 2,
};

test('keeps the best checkpoint by eval loss, rotates the rest, and loads the best at the end', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-best-'));
  try {
    const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 1 });
    const args = resolveTrainingArguments({
      output_dir: dir,
      per_device_train_batch_size: 8,
      learning_rate: 5e-2,
      num_train_epochs: 6,
      eval_strategy: 'steps',
      eval_steps: 5,
      save_steps: 5,
      save_total_limit: 2,
      load_best_model_at_end: true,
      logging_steps: 5,
      report_to: [],
      disable_tqdm: true,
      max_grad_norm: 0,
      warmup_steps: 0,
      lr_scheduler_type: 'constant',
    });
    expect(args.metric_for_best_model).toBe('loss');
    expect(args.greater_is_better).toBe(false);
    const trainer = new Trainer({ model, args, train: data(80, 1), evalSets: [{ features: data(40, 2) }], padTokenId: 0, log: () => undefined });
    await trainer.train();
    const evals = trainer.state.log_history.filter((e) => 'eval_loss' in e);
    expect(evals.length).toBe(12); // 60 steps / 5
    const best = evals.reduce((a, b) => (b.eval_loss < a.eval_loss ? b : a));
    expect(trainer.state.best_metric).toBe(best.eval_loss);
    expect(trainer.state.best_model_checkpoint).toBe(path.join(dir, `checkpoint-${best.step}`));
    const kept = listCheckpoints(dir).map((c) => c.step);
    expect(kept.length).toBeLessThanOrEqual(3); // the limit, plus the best when it is not among the newest
    expect(kept).toContain(best.step);
    expect(kept).toContain(60);
    // The final model is the best checkpoint's weights.
    const bestWeights = byName(readSafetensors(path.join(dir, `checkpoint-${best.step}`, 'model.safetensors')).tensors);
    for (const t of await model.stateDict()) expect(maxAbsDiff(t.data, bestWeights.get(t.name)!.data)).toBe(0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('argument checks for best-model tracking', () => {
  expect(() => resolveTrainingArguments({ output_dir: 'o', load_best_model_at_end: true })).toThrow(/needs eval_strategy steps or epoch/);
  expect(() => resolveTrainingArguments({ output_dir: 'o', load_best_model_at_end: true, eval_strategy: 'steps', eval_steps: 3, save_steps: 5 })).toThrow(
    /multiple of eval_steps/,
  );
  expect(resolveTrainingArguments({ output_dir: 'o', metric_for_best_model: 'accuracy' }).greater_is_better).toBe(true);
});
