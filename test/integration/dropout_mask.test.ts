// The encoder's CPU dropout mask (native/model/dropout.cc): a counter-based hash seeded from
// libtorch's CPU generator. Checked for the statistics dropout needs and for reproducibility
// through manualSeed and saved RNG states (what exact resume relies on).
import { native } from '../../lib/native';

const N = 1_000_000;

function keptFraction(mask: Float32Array, from = 0, to = mask.length): number {
  let kept = 0;
  for (let i = from; i < to; i++) if (mask[i] !== 0) kept++;
  return kept / (to - from);
}

// Pearson correlation of the keep indicators at distance `lag`.
function lagCorrelation(mask: Float32Array, lag: number): number {
  const n = mask.length - lag;
  let sx = 0,
    sy = 0,
    sxy = 0,
    sxx = 0,
    syy = 0;
  for (let i = 0; i < n; i++) {
    const x = mask[i] !== 0 ? 1 : 0;
    const y = mask[i + lag] !== 0 ? 1 : 0;
    sx += x;
    sy += y;
    sxy += x * y;
    sxx += x * x;
    syy += y * y;
  }
  return (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
}

test.each([0.1, 0.5])('p = %s: values are 0 or 1/(1-p), the kept share is 1-p, blocks and neighbours independent', async (p) => {
  await native().manualSeed(123);
  const mask = await native().dropoutMask(N, p);
  expect(mask.length).toBe(N);
  const scale = Math.fround(1 / (1 - p));
  expect(mask.every((v) => v === 0 || v === scale)).toBe(true);
  const sigma = Math.sqrt((p * (1 - p)) / N);
  expect(Math.abs(keptFraction(mask) - (1 - p))).toBeLessThan(5 * sigma);
  // 100 blocks of 10,000: no block far off (a broken counter or seed mix shows up as drift).
  const blockSigma = Math.sqrt((p * (1 - p)) / 10_000);
  for (let b = 0; b < 100; b++) {
    expect(Math.abs(keptFraction(mask, b * 10_000, (b + 1) * 10_000) - (1 - p))).toBeLessThan(5 * blockSigma);
  }
  // Neighbours share one 64-bit hash (low and high halves): they must still be uncorrelated.
  for (const lag of [1, 2, 3, 64]) expect(Math.abs(lagCorrelation(mask, lag))).toBeLessThan(5 / Math.sqrt(N));
});

test('manualSeed and saved RNG states reproduce the masks; consecutive masks differ', async () => {
  await native().manualSeed(7);
  const first = await native().dropoutMask(4096, 0.1);
  const second = await native().dropoutMask(4096, 0.1);
  expect(Buffer.from(first.buffer).equals(Buffer.from(second.buffer))).toBe(false);
  await native().manualSeed(7);
  expect(Array.from(await native().dropoutMask(4096, 0.1))).toEqual(Array.from(first));

  const state = await native().getRngState();
  const next = await native().dropoutMask(4096, 0.1);
  await native().dropoutMask(4096, 0.1);
  await native().setRngState(state);
  expect(Array.from(await native().dropoutMask(4096, 0.1))).toEqual(Array.from(next));
});

test('p = 0 keeps everything; bad arguments are errors', async () => {
  expect((await native().dropoutMask(1000, 0)).every((v) => v === 1)).toBe(true);
  await expect(async () => native().dropoutMask(10, 1)).rejects.toThrow(/p in \[0, 1\)/);
  await expect(async () => native().dropoutMask(-1, 0.1)).rejects.toThrow(/count must be >= 0/);
});
