import { batchOrder } from '../../lib/data/loader/batch_order';
import { collate, paddedLength } from '../../lib/data/loader/collate';

const lengths = Array.from({ length: 103 }, (_, i) => 5 + ((i * 37) % 60));

test('each epoch visits every example once, reproducibly from (seed, epoch), differently per epoch', () => {
  const opts = { batchSize: 8, shuffle: true, seed: 42 };
  const e0 = batchOrder(lengths, 0, opts);
  expect(e0.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
  expect(e0.map((b) => b.length)).toEqual([...Array(12).fill(8), 7]);
  expect(batchOrder(lengths, 0, opts)).toEqual(e0);
  expect(batchOrder(lengths, 1, opts)).not.toEqual(e0);
  expect(batchOrder(lengths, 0, { ...opts, seed: 43 })).not.toEqual(e0);
  expect(batchOrder(lengths, 0, { ...opts, dropLast: true }).length).toBe(12);
  expect(batchOrder(lengths, 3, { batchSize: 10, shuffle: false, seed: 1 })[0]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(() => batchOrder(lengths, 0, { batchSize: 0, shuffle: false, seed: 1 })).toThrow(/batch size/);
});

test('group_by_length puts similar lengths together and pads less', () => {
  const many = Array.from({ length: 2000 }, (_, i) => 5 + ((i * 7919) % 120));
  const padding = (batches: number[][]) =>
    batches.reduce((sum, b) => sum + b.length * paddedLength(Math.max(...b.map((i) => many[i])), { padTokenId: 0 }) - b.reduce((s, i) => s + many[i], 0), 0);
  const plain = batchOrder(many, 0, { batchSize: 16, shuffle: true, seed: 7 });
  const grouped = batchOrder(many, 0, { batchSize: 16, shuffle: true, seed: 7, groupByLength: true });
  expect(grouped.flat().sort((a, b) => a - b)).toEqual(plain.flat().sort((a, b) => a - b));
  expect(padding(grouped)).toBeLessThan(padding(plain) / 4);
});

test('collate pads to the longest rounded up to 8, with the mask and pad id; fixed length when asked', () => {
  const batch = collate(
    [
      { inputIds: [101, 5, 6, 102], tokenTypeIds: [0, 0, 0, 0], label: 2 },
      { inputIds: [101, 7, 8, 9, 10, 11, 12, 13, 14, 102], tokenTypeIds: [0, 0, 0, 0, 0, 1, 1, 1, 1, 1], label: 0 },
    ],
    { padTokenId: 3 },
  );
  expect(batch.shape).toEqual([2, 16]);
  expect(Array.from(batch.inputIds.slice(0, 16) as Int32Array)).toEqual([101, 5, 6, 102, ...Array(12).fill(3)]);
  expect(Array.from(batch.attentionMask!.slice(16, 32) as Int32Array)).toEqual([...Array(10).fill(1), ...Array(6).fill(0)]);
  expect(Array.from(batch.tokenTypeIds!.slice(16, 32) as Int32Array)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  expect(Array.from(batch.labels! as Int32Array)).toEqual([2, 0]);
  expect(collate([{ inputIds: [1, 2], tokenTypeIds: [0, 0] }], { padTokenId: 0, fixedLength: 128 }).shape).toEqual([1, 128]);
  expect(() => collate([{ inputIds: Array(130).fill(1), tokenTypeIds: Array(130).fill(0) }], { padTokenId: 0, fixedLength: 128 })).toThrow(/truncate/);
});

test('float labels: regression [batch] and multi-label [batch, labels]', () => {
  const reg = collate(
    [
      { inputIds: [1], tokenTypeIds: [0], label: 0.5 },
      { inputIds: [1], tokenTypeIds: [0], label: 4.25 },
    ],
    { padTokenId: 0, floatLabels: true },
  );
  expect(reg.labels).toBeInstanceOf(Float32Array);
  expect(Array.from(reg.labels! as Float32Array)).toEqual([0.5, 4.25]);
  expect(reg.labelShape).toEqual([2]);
  const multi = collate([{ inputIds: [1], tokenTypeIds: [0], label: [1, 0, 1] }], { padTokenId: 0, floatLabels: true });
  expect(multi.labelShape).toEqual([1, 3]);
  expect(() => collate([{ inputIds: [1], tokenTypeIds: [0], label: [1, 0, 1] }], { padTokenId: 0 })).toThrow(/multi-hot labels need floatLabels/);
});

test('token labels pad with -100 to the batch length; QA batches carry start/end positions', () => {
  const tokens = collate(
    [
      { inputIds: [101, 5, 102], tokenTypeIds: [0, 0, 0], tokenLabels: [-100, 2, -100] },
      { inputIds: [101, 5, 6, 7, 102], tokenTypeIds: [0, 0, 0, 0, 0], tokenLabels: [-100, 1, 0, -100, -100] },
    ],
    { padTokenId: 0 },
  );
  expect(tokens.labelShape).toEqual([2, 8]);
  expect(Array.from(tokens.labels as Int32Array)).toEqual([-100, 2, -100, -100, -100, -100, -100, -100, -100, 1, 0, -100, -100, -100, -100, -100]);
  expect(() => collate([{ inputIds: [1, 2], tokenTypeIds: [0, 0], tokenLabels: [1] }], { padTokenId: 0 })).toThrow(/1 token labels for 2 tokens/);

  const qa = collate(
    [
      { inputIds: [1, 2, 3], tokenTypeIds: [0, 0, 1], startPosition: 2, endPosition: 2 },
      { inputIds: [1, 2], tokenTypeIds: [0, 1], startPosition: 0, endPosition: 0 },
    ],
    { padTokenId: 0 },
  );
  expect(Array.from(qa.startPositions as Int32Array)).toEqual([2, 0]);
  expect(Array.from(qa.endPositions as Int32Array)).toEqual([2, 0]);
  expect(qa.labels).toBeUndefined();
  expect(() =>
    collate(
      [
        { inputIds: [1], tokenTypeIds: [0], startPosition: 0, endPosition: 0 },
        { inputIds: [1], tokenTypeIds: [0] },
      ],
      { padTokenId: 0 },
    ),
  ).toThrow(/mixes labeled and unlabeled/);
});
