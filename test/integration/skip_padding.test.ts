// skipPadding (the default) runs the encoder on real tokens only. What it must leave unchanged,
// checked against the same model computing every position (skipPadding: false). Parity of both
// modes with Hugging Face is in hf_live_parity / hf_fixture_parity / minilm_real_weights.
import { BertModel, type BertTask } from '../../lib/models/bert_model';
import type { NativeBatch } from '../../lib/native';
import { SeededRandom } from '../../lib/data/loader/seeded_random';
import { byName, compareSkippedPadding, maxAbsDiff } from '../helpers/tensors';

const CONFIG = {
  vocab_size: 200,
  hidden_size: 48,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  intermediate_size: 80,
  max_position_embeddings: 64,
  num_labels: 3,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
};

// Rows of very different lengths (1..seq real tokens), padded at the end, heavy padding overall.
function paddedBatch(rows: number, seq: number, seed: number, lengths?: number[]): NativeBatch & { lengths: number[] } {
  const random = new SeededRandom(seed);
  const lens = lengths ?? Array.from({ length: rows }, (_, r) => (r === 0 ? seq : 1 + random.below(seq)));
  const ids = new BigInt64Array(rows * seq);
  const mask = new BigInt64Array(rows * seq);
  const tokenLabels = new BigInt64Array(rows * seq).fill(-100n);
  lens.forEach((len, r) => {
    for (let c = 0; c < len; c++) {
      ids[r * seq + c] = BigInt(1 + random.below(CONFIG.vocab_size - 1));
      mask[r * seq + c] = 1n;
      tokenLabels[r * seq + c] = BigInt(random.below(3));
    }
  });
  return { shape: [rows, seq], inputIds: ids, attentionMask: mask, labels: tokenLabels, lengths: lens };
}

async function gradientsOf(model: BertModel, batch: NativeBatch, skipPadding: boolean) {
  await model.zeroGrad();
  await model.forwardBackward(batch, { skipPadding });
  return byName(await model.gradients());
}

test.each<[BertTask, boolean]>([
  ['sequence-classification', false],
  ['token-classification', true],
  ['masked-lm', true],
])('%s: loss and every gradient are the same with padding skipped (heavy padding, training mode)', async (task, tokenLabels) => {
  const model = BertModel.fromConfig(CONFIG, task, { seed: 3 });
  await model.train();
  const { lengths, ...padded } = paddedBatch(8, 40, 21);
  const batch: NativeBatch = tokenLabels ? padded : { ...padded, labels: BigInt64Array.from(lengths, (n) => BigInt(n % 3)) };
  const skipped = await model.forwardBackward(batch, { returnLoss: true, skipPadding: true });
  const computed = await model.forwardBackward(batch, { returnLoss: true, skipPadding: false });
  expect(Math.abs(skipped! - computed!)).toBeLessThanOrEqual(1e-6);
  const a = await gradientsOf(model, batch, true);
  const b = await gradientsOf(model, batch, false);
  expect(a.size).toBeGreaterThan(10);
  for (const [name, grad] of a) {
    expect({ name, close: maxAbsDiff(grad.data, b.get(name)!.data) <= 1e-6 }).toEqual({ name, close: true });
  }
});

test('sequence classification logits are the same with padding skipped; per-token outputs are 0 only at padding', async () => {
  const cls = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 4 });
  const { lengths: _l, labels: _t, ...batch } = paddedBatch(6, 33, 5);
  const a = await cls.forward(batch);
  const b = await cls.forward(batch, { skipPadding: false });
  expect(maxAbsDiff(a.outputs.logits.data, b.outputs.logits.data)).toBeLessThanOrEqual(1e-6);

  const base = BertModel.fromConfig(CONFIG, 'base', { seed: 4 });
  const packed = await base.forward(batch);
  const full = await base.forward(batch, { skipPadding: false });
  const hidden = full.outputs.last_hidden_state;
  const { kept, skipped } = compareSkippedPadding(packed.outputs.last_hidden_state.data, hidden.data, hidden.shape, batch.attentionMask!);
  expect(kept).toBeLessThanOrEqual(1e-5);
  expect(skipped).toBe(0);
  // The full run's values at padded positions are not zero, so the check above is not vacuous.
  expect(compareSkippedPadding(hidden.data, hidden.data, hidden.shape, batch.attentionMask!).skipped).toBeGreaterThan(0.1);
});

test('a row with no real token falls back to computing padding (HF attends uniformly over it)', async () => {
  const model = BertModel.fromConfig(CONFIG, 'base', { seed: 6 });
  const { lengths: _l, labels: _t, ...batch } = paddedBatch(3, 9, 8, [9, 0, 4]);
  const a = await model.forward(batch);
  const b = await model.forward(batch, { skipPadding: false });
  expect(maxAbsDiff(a.outputs.last_hidden_state.data, b.outputs.last_hidden_state.data)).toBe(0);
});

test('token classification with labels on padded positions computes padding (HF reads those labels)', async () => {
  const model = BertModel.fromConfig(CONFIG, 'token-classification', { seed: 7 });
  const { lengths: _l, ...batch } = paddedBatch(4, 12, 9, [12, 3, 7, 5]);
  const labels = (batch.labels as BigInt64Array).map((v) => (v === -100n ? 1n : v));
  const a = await model.forward({ ...batch, labels });
  const b = await model.forward({ ...batch, labels }, { skipPadding: false });
  expect(maxAbsDiff(a.outputs.logits.data, b.outputs.logits.data)).toBe(0);
  expect(Math.abs(a.loss! - b.loss!)).toBe(0);
});
