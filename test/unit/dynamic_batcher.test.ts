// The dynamic batcher's packing rules, with a fake model that records each batch it is given.
import { DynamicBatcher, type BatchLimits, type BatchReport } from '../../lib/serving/batcher';

interface Item {
  id: number;
  length: number;
}

function recorder(limits: Partial<BatchLimits> = {}, delayMs = 0, fail?: (items: Item[]) => boolean) {
  const batches: Item[][] = [];
  const reports: BatchReport[] = [];
  const batcher = new DynamicBatcher<Item, string>(
    async (items) => {
      batches.push(items);
      if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
      if (fail?.(items)) throw new Error('forward failed');
      return items.map((item) => `out-${item.id}`);
    },
    (item) => item.length,
    { maxBatchTokens: 1000, maxBatchRequests: 100, maxWaitMs: 0, ...limits },
    (report) => reports.push(report),
  );
  return { batcher, batches, reports };
}

const items = (lengths: number[], firstId = 0): Item[] => lengths.map((length, i) => ({ id: firstId + i, length }));

test('items submitted in one tick share one batch, and each result goes to its own item', async () => {
  const { batcher, batches, reports } = recorder();
  const [a, b] = await Promise.all([batcher.submit(items([5, 7])), batcher.submit(items([6], 2))]);
  expect(a).toEqual(['out-0', 'out-1']);
  expect(b).toEqual(['out-2']);
  expect(batches).toHaveLength(1);
  expect(reports[0]).toMatchObject({ items: 3, tokens: 18, paddedTokens: 21 });
});

test('batches never exceed the token budget (longest x count) or the request limit; an item over the budget runs alone', async () => {
  const { batcher, batches } = recorder({ maxBatchTokens: 40, maxBatchRequests: 3 });
  const lengths = [10, 3, 8, 12, 5, 9, 50, 4, 7, 11];
  const out = await batcher.submit(items(lengths));
  expect(out).toEqual(lengths.map((_, i) => `out-${i}`));
  expect(
    batches
      .flat()
      .map((i) => i.id)
      .sort((x, y) => x - y),
  ).toEqual(lengths.map((_, i) => i));
  for (const batch of batches) {
    const padded = Math.max(...batch.map((i) => i.length)) * batch.length;
    expect(batch.length).toBeLessThanOrEqual(3);
    if (batch.length > 1) expect(padded).toBeLessThanOrEqual(40);
  }
  expect(batches.find((b) => b.some((i) => i.length === 50))).toHaveLength(1);
});

test('items of similar length are batched together, so padding stays small', async () => {
  const { batcher, batches } = recorder({ maxBatchTokens: 10_000, maxBatchRequests: 4 });
  // Short and long alternate in arrival order; sorted packing puts the shorts together.
  const lengths = [5, 100, 6, 101, 7, 102, 8, 103];
  await batcher.submit(items(lengths));
  const spreads = batches.map((b) => Math.max(...b.map((i) => i.length)) - Math.min(...b.map((i) => i.length)));
  expect(batches.map((b) => b.length)).toEqual([4, 4]);
  expect(Math.max(...spreads)).toBeLessThanOrEqual(3);
});

test('the oldest queued item is always in the next batch, however many later items arrive', async () => {
  const { batcher, batches } = recorder({ maxBatchTokens: 20, maxBatchRequests: 2 }, 5);
  const first = batcher.submit(items([1]));
  // While the first batch runs, a long item and many short ones queue up.
  await new Promise((r) => setImmediate(r));
  const long = batcher.submit(items([15], 1));
  await new Promise((r) => setImmediate(r));
  const shorts = batcher.submit(items([1, 1, 1, 1, 1, 1], 2));
  await Promise.all([first, long, shorts]);
  // The long item arrived before the shorts, so it runs in the second batch, not after them.
  expect(batches[1].map((i) => i.id)).toContain(1);
});

test('a failing batch rejects only its own items; the queue keeps running', async () => {
  const { batcher, batches, reports } = recorder({ maxBatchRequests: 1 }, 0, (b) => b.some((i) => i.id === 1));
  const results = await Promise.allSettled([batcher.submit(items([3])), batcher.submit(items([3], 1)), batcher.submit(items([3], 2))]);
  expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  expect((results[1] as PromiseRejectedResult).reason.message).toBe('forward failed');
  expect(batches).toHaveLength(3);
  expect(reports.map((r) => r.error?.message)).toEqual([undefined, 'forward failed', undefined]);
  expect(await batcher.submit(items([2], 3))).toEqual(['out-3']);
});

test('maxWaitMs holds an idle queue for a fuller batch, and a full batch goes at once', async () => {
  const { batcher, batches } = recorder({ maxWaitMs: 60, maxBatchRequests: 3 });
  const started = Date.now();
  const a = batcher.submit(items([4]));
  setTimeout(() => void batcher.submit(items([4], 1)), 15);
  await a;
  expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  expect(batches[0]).toHaveLength(2);

  const full = Date.now();
  await batcher.submit(items([4, 4, 4], 2));
  expect(Date.now() - full).toBeLessThan(50);
  expect(batches[1]).toHaveLength(3);
});

test('queue depth counts waiting items; idle() resolves when everything has run', async () => {
  const { batcher } = recorder({ maxBatchRequests: 1 }, 5);
  const done = batcher.submit(items([1, 2, 3]));
  await new Promise((r) => setImmediate(r));
  expect(batcher.queueDepth).toBe(2);
  await batcher.idle();
  expect(batcher.queueDepth).toBe(0);
  await expect(done).resolves.toEqual(['out-0', 'out-1', 'out-2']);
});

test('limits are checked', () => {
  const run = async (xs: Item[]) => xs.map(() => '');
  expect(() => new DynamicBatcher(run, (i: Item) => i.length, { maxBatchTokens: 0, maxBatchRequests: 1, maxWaitMs: 0 })).toThrow(
    'maxBatchTokens must be a positive integer, got 0',
  );
  expect(() => new DynamicBatcher(run, (i: Item) => i.length, { maxBatchTokens: 1, maxBatchRequests: 1, maxWaitMs: -1 })).toThrow(
    'maxWaitMs must be a number >= 0, got -1',
  );
});

test('an onBatch listener that throws does not stop the queue', async () => {
  const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  try {
    const batcher = new DynamicBatcher<Item, number>(
      async (xs) => xs.map((x) => x.id),
      (x) => x.length,
      { maxBatchTokens: 100, maxBatchRequests: 1, maxWaitMs: 0 },
      () => {
        throw new Error('listener bug');
      },
    );
    await expect(batcher.submit(items([1, 2, 3]))).resolves.toEqual([0, 1, 2]);
    await batcher.idle();
    expect(emitWarning.mock.calls).toEqual(Array(3).fill(['onBatch listener failed: listener bug']));
  } finally {
    emitWarning.mockRestore();
  }
});

test('an item that fills the token budget alone does not wait maxWaitMs for company', async () => {
  const { batcher, batches } = recorder({ maxBatchTokens: 100, maxWaitMs: 5_000 });
  const started = Date.now();
  await batcher.submit(items([60]));
  expect(Date.now() - started).toBeLessThan(1_000);
  expect(batches).toEqual([[{ id: 0, length: 60 }]]);
});

test('a queue of 200,000 items drains in order of age, with batches picked from its oldest part', async () => {
  const { batcher, batches } = recorder({ maxBatchTokens: 1_000_000, maxBatchRequests: 5_000 });
  const lengths = Array.from({ length: 200_000 }, (_, i) => 1 + ((i * 7919) % 97));
  const out = await batcher.submit(items(lengths));
  expect(out).toHaveLength(200_000);
  expect(out[199_999]).toBe('out-199999');
  expect(batches.every((b) => b.length <= 5_000)).toBe(true);
  // The first batch comes from the first 20,000 arrivals (4 batches' worth), not from the whole queue.
  expect(Math.max(...batches[0].map((i) => i.id))).toBeLessThan(20_000);
});
