// The model-level precision and memory controls on CPU: autocast outputs within fp16/bf16
// rounding of float32 (and its cast cache never serving weights from before an optimizer step),
// the loss scaler's rules (torch.amp.GradScaler's), and activation checkpointing giving the same
// gradients as storing activations.
import { BertModel } from '../../lib/models/bert_model';
import { native } from '../../lib/native';
import { byName, maxAbsDiff, toNumbers } from '../helpers/tensors';
import { TINY_BATCH } from '../helpers/tiny_batch';

// initializer_range 0.2 gives logits of order 1, so relative and absolute errors agree.
const CONFIG = {
  vocab_size: 300,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 96,
  max_position_embeddings: 32,
  num_labels: 3,
  initializer_range: 0.2,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
};
const WITH_DROPOUT = { ...CONFIG, hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 };
const BATCH = TINY_BATCH;

const maxAbs = (data: Float32Array): number => Math.max(...Array.from(data, Math.abs));

describe('autocast', () => {
  test('bf16 and fp16 logits stay within their rounding of float32; null goes back to exact float32', async () => {
    const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 1 });
    const fp32 = (await model.forward(BATCH)).outputs.logits.data;
    const scale = maxAbs(fp32);
    await model.setMixedPrecision('bfloat16');
    expect(model.info().mixedPrecision).toBe('bfloat16');
    const bf16 = await model.forward(BATCH);
    expect(bf16.outputs.logits.data.constructor.name).toBe('Float32Array'); // widened for JS
    const bf16Error = maxAbsDiff(bf16.outputs.logits.data, fp32) / scale;
    await model.setMixedPrecision('float16');
    const fp16Error = maxAbsDiff((await model.forward(BATCH)).outputs.logits.data, fp32) / scale;
    // bf16 keeps 8 significant bits (unit roundoff 2^-8), fp16 11 (2^-11); two layers compound a few.
    expect(bf16Error).toBeGreaterThan(1e-4);
    expect(bf16Error).toBeLessThan(16 * 2 ** -8);
    expect(fp16Error).toBeGreaterThan(1e-5);
    expect(fp16Error).toBeLessThan(16 * 2 ** -11);
    await model.setMixedPrecision(null);
    expect(maxAbsDiff((await model.forward(BATCH)).outputs.logits.data, fp32)).toBe(0);
  });

  test('the cast cache is cleared after each forward: after an optimizer step, bf16 uses the new weights', async () => {
    const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 2 });
    await model.setMixedPrecision('bfloat16');
    await model.train();
    const before = (await model.forward(BATCH)).outputs.logits.data;
    await model.forwardBackward(BATCH);
    await model.step({ lr: 0.05, zeroGrad: true });
    const after = (await model.forward(BATCH)).outputs.logits.data;
    // A fresh model holding the stepped weights computes the same bf16 logits.
    const fresh = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 3 });
    await fresh.loadWeights(await model.stateDict(), { strict: true });
    await fresh.setMixedPrecision('bfloat16');
    await fresh.train();
    expect(maxAbsDiff(after, (await fresh.forward(BATCH)).outputs.logits.data)).toBe(0);
    expect(maxAbsDiff(after, before)).toBeGreaterThan(1e-3);
  });

  test('an unknown precision is refused with the choices', async () => {
    const model = BertModel.fromConfig(CONFIG, 'sequence-classification');
    await expect(model.setMixedPrecision('int8' as 'bfloat16')).rejects.toThrow("mixed precision must be 'bfloat16', 'float16' or null (float32), got 'int8'");
  });
});

describe('loss scaler', () => {
  async function scaledModel(growthInterval = 2000): Promise<BertModel> {
    const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 4 });
    await model.configureOptimizer({ weightDecay: 0.01 });
    await model.configureGradScaler({ growthInterval });
    await model.train();
    return model;
  }
  const scalerState = async (model: BertModel) => {
    const s = byName(await model.gradScalerState());
    return { scale: toNumbers(s.get('scale')!.data)[0], tracker: toNumbers(s.get('growth_tracker')!.data)[0] };
  };

  test('starts at 2^16; an inf gradient skips the step, halves the scale and leaves weights and optimizer state untouched', async () => {
    const model = await scaledModel();
    expect(await scalerState(model)).toEqual({ scale: 65536, tracker: 0 });
    // One clean step first, so the optimizer has state (moments, step counts) to protect.
    await model.forwardBackward(BATCH);
    expect((await model.step({ lr: 1e-3, maxGradNorm: 1, zeroGrad: true })).skipped).toBe(false);
    const weights = await model.stateDict();
    const optimizer = await model.optimizerState();
    await model.forwardBackward(BATCH, { lossScale: Number.POSITIVE_INFINITY }); // injected inf gradients
    const result = await model.step({ lr: 1e-3, maxGradNorm: 1, zeroGrad: true });
    expect(result.skipped).toBe(true);
    expect(result.lossScale).toBe(32768);
    expect(await scalerState(model)).toEqual({ scale: 32768, tracker: 0 });
    const weightsAfter = byName(await model.stateDict());
    for (const t of weights) expect(maxAbsDiff(t.data, weightsAfter.get(t.name)!.data)).toBe(0);
    const optimizerAfter = byName(await model.optimizerState());
    for (const t of optimizer) expect(maxAbsDiff(t.data, optimizerAfter.get(t.name)!.data)).toBe(0);
    // NaN counts as well.
    await model.forwardBackward(BATCH, { lossScale: Number.NaN });
    expect(await model.step({ lr: 1e-3, zeroGrad: true })).toEqual({ skipped: true, lossScale: 16384 });
  });

  test('grows by 2 after growth_interval clean steps in a row; a skipped step restarts the count', async () => {
    const model = await scaledModel(3);
    const clean = async () => {
      await model.forwardBackward(BATCH);
      return model.step({ lr: 1e-4, zeroGrad: true });
    };
    await clean();
    await clean();
    expect(await scalerState(model)).toEqual({ scale: 65536, tracker: 2 });
    expect((await clean()).lossScale).toBe(131072);
    expect(await scalerState(model)).toEqual({ scale: 131072, tracker: 0 });
    await clean();
    await model.forwardBackward(BATCH, { lossScale: Number.POSITIVE_INFINITY });
    await model.step({ lr: 1e-4, zeroGrad: true });
    expect(await scalerState(model)).toEqual({ scale: 65536, tracker: 0 });
  });

  test('gradients are unscaled before clipping and the update: the step equals one without a scaler', async () => {
    const plain = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 4 });
    await plain.configureOptimizer({ weightDecay: 0.01 });
    await plain.train();
    const scaled = await scaledModel();
    for (const m of [plain, scaled]) await m.forwardBackward(BATCH);
    const a = await plain.step({ lr: 1e-3, maxGradNorm: 0.5, zeroGrad: true });
    const b = await scaled.step({ lr: 1e-3, maxGradNorm: 0.5, zeroGrad: true });
    // Scaling by a power of two and back is exact in binary floating point.
    expect(b.gradNorm).toBe(a.gradNorm);
    const after = byName(await scaled.stateDict());
    for (const t of await plain.stateDict()) expect(maxAbsDiff(t.data, after.get(t.name)!.data)).toBe(0);
  });

  test('state export and import restore scale and growth tracker; bad state is refused', async () => {
    const model = await scaledModel();
    await model.forwardBackward(BATCH, { lossScale: Number.POSITIVE_INFINITY });
    await model.step({ lr: 1e-4, zeroGrad: true });
    await model.forwardBackward(BATCH);
    await model.step({ lr: 1e-4, zeroGrad: true });
    const saved = await model.gradScalerState();
    const other = await scaledModel();
    await other.loadGradScalerState(saved);
    expect(await scalerState(other)).toEqual({ scale: 32768, tracker: 1 });
    await expect(other.loadGradScalerState(saved.filter((t) => t.name !== 'scale'))).rejects.toThrow("loss scaler state is missing 'scale'");
    const zero = saved.map((t) => (t.name === 'scale' ? { ...t, data: new Float32Array([0]) } : t));
    await expect(other.loadGradScalerState(zero)).rejects.toThrow("'scale' must be a finite number > 0");
    expect(await scalerState(other)).toEqual({ scale: 32768, tracker: 1 });
    await expect(other.configureGradScaler({ backoffFactor: 2 })).rejects.toThrow('backoff_factor must be in (0, 1)');
  });
});

describe('gradient checkpointing', () => {
  async function gradients(checkpointing: boolean, precision: 'bfloat16' | null = null) {
    const model = BertModel.fromConfig(WITH_DROPOUT, 'sequence-classification', { seed: 5 });
    await model.setGradientCheckpointing(checkpointing);
    await model.setMixedPrecision(precision);
    await model.train();
    await native().manualSeed(9);
    // Two micro-batches, the second with padding skipped (the packed layout) and dropout active:
    // the recomputation must replay the same dropout masks.
    await model.forwardBackward(BATCH);
    await model.forwardBackward({ ...BATCH, attentionMask: new Int32Array([1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 0]) });
    const after = (await model.forward(BATCH)).outputs.logits.data; // RNG position after backward
    return { grads: await model.gradients(), after, info: model.info() };
  }

  test('gives the same gradients as stored activations (fp32, dropout on, <= 1e-5)', async () => {
    const stored = await gradients(false);
    const recomputed = await gradients(true);
    expect(recomputed.info.gradientCheckpointing).toBe(true);
    expect(recomputed.grads.map((t) => t.name)).toEqual(stored.grads.map((t) => t.name));
    const byNameStored = byName(stored.grads);
    let worst = 0;
    for (const t of recomputed.grads) worst = Math.max(worst, maxAbsDiff(t.data, byNameStored.get(t.name)!.data));
    expect(worst).toBeLessThanOrEqual(1e-5);
    // The generator is where it would have been: later dropout draws are unchanged too.
    expect(maxAbsDiff(recomputed.after, stored.after)).toBe(0);
  });

  test('replays autocast in the recomputation: bf16 gradients match bf16 without checkpointing', async () => {
    const stored = await gradients(false, 'bfloat16');
    const recomputed = await gradients(true, 'bfloat16');
    const fp32 = byName((await gradients(false)).grads);
    const byNameStored = byName(stored.grads);
    let worst = 0;
    let vsFp32 = 0;
    for (const t of recomputed.grads) {
      worst = Math.max(worst, maxAbsDiff(t.data, byNameStored.get(t.name)!.data));
      vsFp32 = Math.max(vsFp32, maxAbsDiff(t.data, fp32.get(t.name)!.data));
    }
    expect(worst).toBeLessThanOrEqual(1e-5);
    expect(vsFp32).toBeGreaterThan(1e-4); // the recomputation ran in bf16, not float32
  });
});
