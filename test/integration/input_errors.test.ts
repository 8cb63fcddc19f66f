// Bad input is refused before it reaches libtorch, with a message naming the field and the limit;
// native failures arrive as rejected promises and the process keeps running.
import { BertModel } from '../../lib/models/bert_model';
import type { NativeBatch } from '../../lib/native';

const CONFIG = {
  vocab_size: 50,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 20,
  max_position_embeddings: 8,
  type_vocab_size: 2,
  num_labels: 3,
};

function batch(overrides: Partial<NativeBatch> = {}): NativeBatch {
  return { shape: [2, 4], inputIds: new Int32Array([1, 2, 3, 4, 5, 6, 0, 0]), attentionMask: new Int32Array([1, 1, 1, 1, 1, 1, 0, 0]), ...overrides };
}

describe('input validation', () => {
  const model = BertModel.fromConfig(CONFIG, 'sequence-classification');

  test('token id >= vocab_size names the position and the limit', async () => {
    await expect(model.forward(batch({ inputIds: new Int32Array([1, 2, 3, 4, 5, 50, 0, 0]) }))).rejects.toThrow(
      /input_ids has 50 at \[1, 1\], but vocab_size is 50/,
    );
  });

  test('negative token id', async () => {
    await expect(model.forward(batch({ inputIds: new Int32Array([1, -3, 3, 4, 5, 6, 0, 0]) }))).rejects.toThrow(/input_ids has -3 at \[0, 1\]/);
  });

  test('token type id >= type_vocab_size', async () => {
    await expect(model.forward(batch({ tokenTypeIds: new Int32Array([0, 0, 2, 0, 0, 0, 0, 0]) }))).rejects.toThrow(
      /token_type_ids has 2 at \[0, 2\], but type_vocab_size is 2/,
    );
  });

  test('sequence longer than max_position_embeddings', async () => {
    await expect(model.forward({ shape: [1, 9], inputIds: new Int32Array(9).fill(1) })).rejects.toThrow(
      /sequence length 9 exceeds max_position_embeddings \(8\)/,
    );
  });

  test('shape and data length disagree', async () => {
    await expect(model.forward({ shape: [2, 4], inputIds: new Int32Array(7) })).rejects.toThrow(
      /batch.inputIds: shape \[2, 4\] needs 8 elements but the array has 7/,
    );
  });

  test('wrong dtype for ids', async () => {
    await expect(model.forward({ shape: [1, 2], inputIds: new Float32Array([1, 2]) as unknown as Int32Array })).rejects.toThrow(
      /batch.inputIds must be an Int32Array or BigInt64Array/,
    );
  });

  test('empty batch', async () => {
    await expect(model.forward({ shape: [0, 4], inputIds: new Int32Array(0) })).rejects.toThrow(/batch is empty/);
  });

  test('label out of range for num_labels', async () => {
    await expect(model.forwardBackward(batch({ labels: new Int32Array([1, 3]) }))).rejects.toThrow(/labels has 3 at \[1\], but num_labels is 3/);
  });

  test('attention mask must be 0/1', async () => {
    await expect(model.forward(batch({ attentionMask: new Int32Array([1, 1, 2, 1, 1, 1, 0, 0]) }))).rejects.toThrow(/attention_mask has 2/);
  });

  test('training without labels is refused', async () => {
    await expect(model.forwardBackward(batch())).rejects.toThrow(/needs labels/);
  });

  test('token classification labels: -100 allowed, others checked', async () => {
    const tok = BertModel.fromConfig(CONFIG, 'token-classification');
    await expect(tok.forward(batch({ labels: new Int32Array([0, 1, 2, -100, 0, 1, -100, -100]) }))).resolves.toHaveProperty('loss');
    await expect(tok.forward(batch({ labels: new Int32Array([0, 1, 2, -100, 0, 7, -100, -100]) }))).rejects.toThrow(
      /labels has 7 at \[1, 1\], but num_labels is 3. Use -100/,
    );
  });

  test('the model still works after every rejection (no corrupted state)', async () => {
    const out = await model.forward(batch({ labels: new Int32Array([0, 2]) }));
    expect(out.outputs.logits.shape).toEqual([2, 3]);
    expect(Number.isFinite(out.loss)).toBe(true);
  });

  test('bad config and unknown task or device', () => {
    expect(() => BertModel.fromConfig({ ...CONFIG, hidden_size: 15 }, 'base')).toThrow(/hidden_size.*multiple of num_attention_heads/);
    expect(() => BertModel.fromConfig({ ...CONFIG, hidden_act: 'swishy' }, 'base')).toThrow(/hidden_act/);
    expect(() => BertModel.fromConfig(CONFIG, 'summarization' as never)).toThrow(/unknown task "summarization"/);
    expect(() => BertModel.fromConfig(CONFIG, 'base', { device: 'tpu' })).toThrow(/device 'tpu'/);
  });

  test('state dict with wrong shapes is refused and names the tensor', async () => {
    const other = BertModel.fromConfig({ ...CONFIG, num_labels: 5 }, 'sequence-classification');
    const tensors = await other.stateDict();
    await expect(model.loadWeights(tensors)).rejects.toThrow(/classifier.weight: checkpoint \[5, 16\], model \[3, 16\]/);
    const report = await model.loadWeights(tensors, { ignoreMismatchedSizes: true });
    expect(report.mismatchedKeys.map((m) => m.name).sort()).toEqual(['classifier.bias', 'classifier.weight']);
  });
});
