// Native training primitives: HF initialisation, dropout only in training mode, gradient
// accumulation, AdamW state export/import giving an exact continuation.
import { BertModel } from '../../lib/models/bert_model';
import { byName, maxAbsDiff, toNumbers } from '../helpers/tensors';
import { TINY_BATCH } from '../helpers/tiny_batch';

const CONFIG = {
  vocab_size: 300,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 96,
  max_position_embeddings: 32,
  num_labels: 3,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
};
const NO_DROPOUT = { ...CONFIG, hidden_dropout_prob: 0, attention_probs_dropout_prob: 0 };
const BATCH = TINY_BATCH;

function stats(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  return { mean, std };
}

test('initialisation follows HF: N(0, initializer_range) weights, zero biases, LayerNorm 1/0, zero padding row; seeded', async () => {
  const model = BertModel.fromConfig({ ...CONFIG, initializer_range: 0.05 }, 'sequence-classification', { seed: 11 });
  const state = byName(await model.stateDict());
  const word = toNumbers(state.get('bert.embeddings.word_embeddings.weight')!.data);
  expect(word.slice(0, 64).every((v) => v === 0)).toBe(true); // pad_token_id 0
  const { mean, std } = stats(word.slice(64));
  expect(Math.abs(mean)).toBeLessThan(0.005);
  expect(Math.abs(std - 0.05)).toBeLessThan(0.002);
  const query = stats(toNumbers(state.get('bert.encoder.layer.1.attention.self.query.weight')!.data));
  expect(Math.abs(query.std - 0.05)).toBeLessThan(0.004);
  for (const [name, t] of state) {
    const v = toNumbers(t.data);
    if (name.endsWith('LayerNorm.weight')) expect(v.every((x) => x === 1)).toBe(true);
    else if (name.endsWith('.bias')) expect(v.every((x) => x === 0)).toBe(true);
  }
  const same = byName(await BertModel.fromConfig({ ...CONFIG, initializer_range: 0.05 }, 'sequence-classification', { seed: 11 }).stateDict());
  const other = byName(await BertModel.fromConfig({ ...CONFIG, initializer_range: 0.05 }, 'sequence-classification', { seed: 12 }).stateDict());
  expect(maxAbsDiff(same.get('classifier.weight')!.data, state.get('classifier.weight')!.data)).toBe(0);
  expect(maxAbsDiff(other.get('classifier.weight')!.data, state.get('classifier.weight')!.data)).toBeGreaterThan(0);
});

test('dropout is active in training mode only', async () => {
  const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 1 });
  const a = await model.forward(BATCH);
  const b = await model.forward(BATCH);
  expect(maxAbsDiff(a.outputs.logits.data, b.outputs.logits.data)).toBe(0);
  await model.train();
  const c = await model.forward(BATCH);
  const d = await model.forward(BATCH);
  expect(maxAbsDiff(c.outputs.logits.data, d.outputs.logits.data)).toBeGreaterThan(1e-4);
  await model.eval();
  const e = await model.forward(BATCH);
  expect(maxAbsDiff(a.outputs.logits.data, e.outputs.logits.data)).toBe(0);
});

test('gradients accumulate across forwardBackward calls until zeroGrad; lossScale scales them', async () => {
  const model = BertModel.fromConfig(NO_DROPOUT, 'sequence-classification', { seed: 2 });
  await model.forwardBackward(BATCH);
  const once = byName(await model.gradients());
  await model.forwardBackward(BATCH);
  const twice = byName(await model.gradients());
  for (const [name, g] of once) {
    const doubled = Float32Array.from(g.data as Float32Array, (v) => 2 * v);
    expect(maxAbsDiff(twice.get(name)!.data, doubled)).toBeLessThanOrEqual(1e-6);
  }
  expect((await model.takeLoss()).count).toBe(2);
  await model.zeroGrad();
  expect(await model.gradients()).toEqual([]);
  await model.forwardBackward(BATCH, { lossScale: 0.5 });
  const half = byName(await model.gradients());
  for (const [name, g] of once) {
    const halved = Float32Array.from(g.data as Float32Array, (v) => 0.5 * v);
    expect(maxAbsDiff(half.get(name)!.data, halved)).toBeLessThanOrEqual(1e-7);
  }
});

test('clipGradNorm returns the norm before clipping and scales the total norm to maxNorm', async () => {
  const model = BertModel.fromConfig(NO_DROPOUT, 'sequence-classification', { seed: 3 });
  await model.forwardBackward(BATCH);
  const grads = await model.gradients();
  const expected = Math.sqrt(grads.reduce((s, g) => s + toNumbers(g.data).reduce((a, v) => a + v * v, 0), 0));
  const before = await model.clipGradNorm(expected / 4);
  expect(Math.abs(before - expected) / expected).toBeLessThan(1e-5);
  const after = await model.clipGradNorm(0);
  expect(Math.abs(after - expected / 4) / (expected / 4)).toBeLessThan(1e-4);
});

test('AdamW state export/import: a restored model continues exactly like the original', async () => {
  const original = BertModel.fromConfig(NO_DROPOUT, 'sequence-classification', { seed: 4 });
  await original.configureOptimizer({ weightDecay: 0.01 });
  await original.train();
  for (let i = 0; i < 2; i++) {
    await original.forwardBackward(BATCH);
    await original.step({ lr: 1e-3, maxGradNorm: 1, zeroGrad: true });
  }
  const weights = await original.stateDict();
  const optimizer = await original.optimizerState();
  expect(optimizer.find((t) => t.name === 'classifier.weight.step')!.data[0]).toBe(2);

  const restored = BertModel.fromConfig(NO_DROPOUT, 'sequence-classification', { seed: 99 });
  await restored.configureOptimizer({ weightDecay: 0.01 });
  await restored.loadWeights(weights, { strict: true });
  await restored.loadOptimizerState(optimizer);
  await restored.train();
  for (const model of [original, restored]) {
    await model.forwardBackward(BATCH);
    await model.step({ lr: 5e-4, maxGradNorm: 1, zeroGrad: true });
  }
  const a = byName(await original.stateDict());
  const b = byName(await restored.stateDict());
  for (const [name, t] of a) expect(maxAbsDiff(b.get(name)!.data, t.data)).toBe(0);

  // A fresh optimizer (no state) would have taken a different step: the state mattered.
  const fresh = BertModel.fromConfig(NO_DROPOUT, 'sequence-classification', { seed: 99 });
  await fresh.loadWeights(weights);
  await fresh.configureOptimizer({ weightDecay: 0.01 });
  await fresh.forwardBackward(BATCH);
  await fresh.step({ lr: 5e-4, maxGradNorm: 1, zeroGrad: true });
  expect(maxAbsDiff(byName(await fresh.stateDict()).get('classifier.weight')!.data, a.get('classifier.weight')!.data)).toBeGreaterThan(1e-6);
});

test('optimizer state with a wrong shape is refused and leaves the optimizer intact', async () => {
  const model = BertModel.fromConfig(NO_DROPOUT, 'sequence-classification', { seed: 5 });
  const state = await model.optimizerState();
  // A valid tensor listed before the bad one must not be applied either.
  const bad = state.map((t) =>
    t.name === 'classifier.weight.exp_avg'
      ? { ...t, shape: [t.shape[1], t.shape[0]] }
      : t.name === 'bert.embeddings.LayerNorm.bias.exp_avg'
        ? { ...t, data: new Float32Array(t.data.length).fill(7) }
        : t,
  );
  await expect(model.loadOptimizerState(bad)).rejects.toThrow(/optimizer state 'classifier.weight.exp_avg' has shape \[64, 3\], expected \[3, 64\]/);
  const after = byName(await model.optimizerState());
  expect(toNumbers(after.get('bert.embeddings.LayerNorm.bias.exp_avg')!.data).every((v) => v === 0)).toBe(true);
  await expect(model.loadOptimizerState(state.filter((t) => t.name !== 'classifier.bias.exp_avg_sq'))).rejects.toThrow(/missing 'classifier.bias.exp_avg_sq'/);
});

test('RNG state save/restore replays the same dropout masks; manualSeed reseeds', async () => {
  const { native } = await import('../../lib/native');
  const addon = native();
  const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 6 });
  await model.train();
  const state = await addon.getRngState();
  expect(state[0]).toMatchObject({ name: 'cpu', dtype: 'U8' });
  const first = await model.forward(BATCH);
  const second = await model.forward(BATCH);
  expect(maxAbsDiff(first.outputs.logits.data, second.outputs.logits.data)).toBeGreaterThan(1e-4);
  await addon.setRngState(state);
  const replay = await model.forward(BATCH);
  expect(maxAbsDiff(first.outputs.logits.data, replay.outputs.logits.data)).toBe(0);
  await addon.manualSeed(123);
  const a = await model.forward(BATCH);
  await addon.manualSeed(123);
  const b = await model.forward(BATCH);
  expect(maxAbsDiff(a.outputs.logits.data, b.outputs.logits.data)).toBe(0);
  await expect(addon.setRngState([{ ...state[0], name: 'cuda:7' }])).rejects.toThrow(/no such device/);
});
