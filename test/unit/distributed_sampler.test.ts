import { batchOrder } from '../../lib/data/loader/batch_order';
import { evaluationShard, mergeEvaluationShards, shardBatches } from '../../lib/data/loader/distributed_sampler';

const lengths = Array.from({ length: 50 }, (_, i) => 5 + ((i * 7) % 23));

test.each([
  [2, 4, false],
  [3, 4, true],
  [4, 2, false],
])('world %i x per-device %i (group_by_length %s): every step, the ranks together hold the single-process batch', (world, perDevice, grouped) => {
  const global = batchOrder(lengths, 3, { batchSize: world * perDevice, shuffle: true, seed: 42, groupByLength: grouped });
  const shards = Array.from({ length: world }, (_, r) => shardBatches(global, r, world));
  global.forEach((batch, step) => {
    const union = shards.flatMap((s) => s[step]);
    if (batch.length % world === 0) {
      expect([...union].sort((a, b) => a - b)).toEqual([...batch].sort((a, b) => a - b));
      shards.forEach((s) => expect(s[step].length).toBe(batch.length / world));
    } else {
      // The last, short batch is padded with the epoch's first examples: equal steps on every rank.
      expect(new Set(union)).toEqual(new Set([...batch, ...global.flat().slice(0, union.length - batch.length)]));
      shards.forEach((s) => expect(s[step].length).toBe(Math.ceil(batch.length / world)));
    }
  });
  // Same number of steps on every rank, and nothing from the epoch is missed.
  shards.forEach((s) => expect(s.length).toBe(global.length));
  expect(new Set(shards.flatMap((s) => s.flat())).size).toBe(50);
});

test('a rank takes positions r, r + W, ... of each global batch, as DistributedSampler does over the order', () => {
  expect(shardBatches([[10, 11, 12, 13, 14, 15]], 1, 3)).toEqual([[11, 14]]);
  // 5 examples, 2 ranks: padded with the epoch's first example.
  expect(shardBatches([[4, 3, 2, 1, 0]], 0, 2)).toEqual([[4, 2, 0]]);
  expect(shardBatches([[4, 3, 2, 1, 0]], 1, 2)).toEqual([[3, 1, 4]]);
});

test('evaluation shards cover every example once and merge back into the original order', () => {
  for (const [count, world] of [
    [31, 2],
    [31, 3],
    [2, 4],
    [0, 2],
    [9, 1],
  ]) {
    const shards = Array.from({ length: world }, (_, r) => evaluationShard(count, r, world));
    expect(shards.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: count }, (_, i) => i));
    expect(
      mergeEvaluationShards(
        shards.map((s) => s.map((i) => `out-${i}`)),
        count,
      ),
    ).toEqual(Array.from({ length: count }, (_, i) => `out-${i}`));
  }
});

test('a missing output or a bad rank is an error, not a wrong merge', () => {
  expect(() => mergeEvaluationShards([['a'], []], 2)).toThrow(/rank 1 returned 0 outputs/);
  expect(() => shardBatches([[1]], 2, 2)).toThrow(/rank must be in \[0, 2\), got 2/);
  expect(() => evaluationShard(5, 0, 0)).toThrow(/world size must be an integer >= 1/);
});
