// The Trainer end to end on a generated, learnable sentence-pair task: it learns (>= 90% dev
// accuracy), writes an HF-style output directory, and a run resumed from a mid-training
// checkpoint ends with the same weights and metrics as the uninterrupted run.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BertModel } from '../../lib/models/bert_model';
import { Trainer, type Predictions } from '../../lib/training/trainer';
import { resolveTrainingArguments } from '../../lib/config/training_arguments';
import { listCheckpoints } from '../../lib/training/checkpoint';
import { byName, maxAbsDiff } from '../helpers/tensors';
import { makeMarkerPairs as makePairs } from '../helpers/marker_pairs';

const CONFIG = {
  vocab_size: 64,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 64,
  max_position_embeddings: 32,
  num_labels: 3,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
};
const train = makePairs(1200, 1);
const dev = makePairs(300, 2);

function accuracy(p: Predictions): Record<string, number> {
  let correct = 0;
  p.labels!.forEach((label, i) => {
    const row = Array.from(p.logits.subarray(i * p.numLabels, (i + 1) * p.numLabels));
    if (row.indexOf(Math.max(...row)) === label) correct++;
  });
  return { accuracy: correct / p.labels!.length };
}

function makeTrainer(outputDir: string, model: BertModel, overrides: Record<string, unknown> = {}): Trainer {
  const args = resolveTrainingArguments({
    output_dir: outputDir,
    per_device_train_batch_size: 16,
    per_device_eval_batch_size: 64,
    learning_rate: 2e-3,
    num_train_epochs: 4,
    warmup_ratio: 0.1,
    weight_decay: 0.01,
    logging_steps: 25,
    save_steps: 100,
    eval_strategy: 'epoch',
    gradient_accumulation_steps: 2,
    seed: 5,
    disable_tqdm: true,
    ...overrides,
  });
  return new Trainer({ model, args, train, evalSets: [{ features: dev }], padTokenId: 0, computeMetrics: accuracy, log: () => undefined });
}

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-trainer-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

test('learns the task and a resumed run ends with identical weights and metrics', async () => {
  const fullDir = path.join(root, 'full');
  const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 3 });
  const trainer = makeTrainer(fullDir, model);
  const result = await trainer.train();
  expect(result.global_step).toBe(4 * Math.ceil(Math.ceil(1200 / 16) / 2)); // 4 epochs x 38 steps
  const evals = trainer.state.log_history.filter((e) => 'eval_accuracy' in e);
  expect(evals).toHaveLength(4);
  const finalAccuracy = evals[evals.length - 1].eval_accuracy;
  expect(finalAccuracy).toBeGreaterThanOrEqual(0.9);
  for (const name of ['config.json', 'model.safetensors', 'trainer_state.json', 'train_results.json']) {
    expect(fs.existsSync(path.join(fullDir, name))).toBe(true);
  }
  expect(listCheckpoints(fullDir).map((c) => c.step)).toEqual([100]);
  expect(fs.readdirSync(path.join(fullDir, 'runs')).some((f) => f.startsWith('events.out.tfevents'))).toBe(true);

  // Resume: copy the mid-training checkpoint into a fresh output dir and continue from it.
  const resumedDir = path.join(root, 'resumed');
  fs.mkdirSync(resumedDir);
  fs.cpSync(path.join(fullDir, 'checkpoint-100'), path.join(resumedDir, 'checkpoint-100'), { recursive: true });
  const fresh = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 77 });
  const resumedTrainer = makeTrainer(resumedDir, fresh);
  const resumed = await resumedTrainer.train(true);
  expect(resumed.global_step).toBe(result.global_step);
  const a = byName(await model.stateDict());
  const b = byName(await fresh.stateDict());
  for (const [name, t] of a) expect({ name, diff: maxAbsDiff(b.get(name)!.data, t.data) <= 1e-6 }).toEqual({ name, diff: true });
  const strip = (h: typeof trainer.state.log_history) => h.map(({ eval_runtime, eval_samples_per_second, samples_per_second, ...rest }) => rest);
  expect(strip(resumedTrainer.state.log_history)).toEqual(strip(trainer.state.log_history));
}, 300000);

test('refuses a non-empty output_dir without overwrite, and an empty train set', async () => {
  const dir = path.join(root, 'occupied');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'keep.txt'), 'data');
  const model = BertModel.fromConfig(CONFIG, 'sequence-classification');
  await expect(makeTrainer(dir, model).train()).rejects.toThrow(/already exists and is not empty[\s\S]*--overwrite_output_dir/);
  expect(fs.readFileSync(path.join(dir, 'keep.txt'), 'utf8')).toBe('data');
  const empty = new Trainer({ model, args: resolveTrainingArguments({ output_dir: path.join(root, 'e') }), train: [], padTokenId: 0 });
  await expect(empty.train()).rejects.toThrow(/train dataset is empty/);
});
