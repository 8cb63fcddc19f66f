// Masked-LM masking: the 15% selection and 80/10/10 replacement checked statistically over ~200k
// positions, special tokens never touched, whole-word masking's word and count rules, and masks that
// depend on (seed, epoch, index) only.
import { IGNORE_LABEL, maskFeature, maskingSeed, wholeWordTargetCount, type MaskableFeature, type MaskingOptions } from '../../lib/data/masked_lm/masking';
import { SeededRandom } from '../../lib/data/loader/seeded_random';

const CLS = 1;
const SEP = 2;
const PAD = 0;
const MASK = 3;
const VOCAB = 30522;
const BASE: Omit<MaskingOptions, 'index'> = { mlmProbability: 0.15, maskTokenId: MASK, vocabSize: VOCAB, seed: 42, epoch: 0 };

interface Synthetic extends MaskableFeature {
  inputIds: number[];
  specialTokensMask: number[];
  wordStarts: number[];
}

/** `[CLS] words [SEP] [PAD]...`: words of 1-4 pieces with ordinary ids (>= 100), padded to `length`. */
function synthetic(rng: SeededRandom, length: number, pads: number, maxPieces = 4): Synthetic {
  const inputIds = [CLS];
  const wordStarts = [1];
  while (inputIds.length < length - pads - 1) {
    const pieces = Math.min(1 + rng.below(maxPieces), length - pads - 1 - inputIds.length);
    for (let p = 0; p < pieces; p++) {
      inputIds.push(100 + rng.below(VOCAB - 100));
      wordStarts.push(p === 0 ? 1 : 0);
    }
  }
  inputIds.push(SEP);
  wordStarts.push(1);
  for (let p = 0; p < pads; p++) {
    inputIds.push(PAD);
    wordStarts.push(1);
  }
  const specialTokensMask = inputIds.map((id) => (id === CLS || id === SEP || id === PAD ? 1 : 0));
  return { inputIds, specialTokensMask, wordStarts };
}

function corpus(count: number, length: number, pads: number, maxPieces = 4): Synthetic[] {
  const rng = new SeededRandom(7);
  return Array.from({ length: count }, () => synthetic(rng, length, pads, maxPieces));
}

/** |observed - n p| within 5 standard deviations of Binomial(n, p). */
function expectBinomial(observed: number, n: number, p: number): void {
  const sigma = Math.sqrt(n * p * (1 - p));
  expect(Math.abs(observed - n * p)).toBeLessThanOrEqual(5 * sigma);
}

test('token masking: 15% of the maskable positions selected, then 80% [MASK], 10% random, 10% unchanged', () => {
  const features = corpus(1700, 128, 6); // 1700 * 120 = 204000 maskable positions
  let maskable = 0;
  let selected = 0;
  let toMask = 0;
  let toOther = 0;
  let unchanged = 0;
  let randomIdSum = 0;
  // Counted rather than asserted one by one: 200k expect() calls take seconds.
  let specialTouched = 0;
  let unselectedChanged = 0;
  let wrongLabel = 0;
  features.forEach((f, index) => {
    const out = maskFeature(f, { ...BASE, index });
    expect(out.inputIds).toHaveLength(f.inputIds.length);
    f.inputIds.forEach((id, i) => {
      if (f.specialTokensMask[i]) {
        if (out.labels[i] !== IGNORE_LABEL || out.inputIds[i] !== id) specialTouched++;
        return;
      }
      maskable++;
      if (out.labels[i] === IGNORE_LABEL) {
        if (out.inputIds[i] !== id) unselectedChanged++;
        return;
      }
      selected++;
      if (out.labels[i] !== id) wrongLabel++;
      if (out.inputIds[i] === MASK) toMask++;
      else if (out.inputIds[i] === id) unchanged++;
      else {
        toOther++;
        randomIdSum += out.inputIds[i];
      }
    });
  });
  expect({ specialTouched, unselectedChanged, wrongLabel }).toEqual({ specialTouched: 0, unselectedChanged: 0, wrongLabel: 0 });
  expect(maskable).toBe(204000);
  expectBinomial(selected, maskable, 0.15);
  expectBinomial(toMask, selected, 0.8);
  expectBinomial(toOther, selected, 0.1);
  expectBinomial(unchanged, selected, 0.1);
  // Random ids are uniform over the whole vocabulary: mean (V - 1) / 2, sd V / sqrt(12) per draw.
  const sd = VOCAB / Math.sqrt(12) / Math.sqrt(toOther);
  expect(Math.abs(randomIdSum / toOther - (VOCAB - 1) / 2)).toBeLessThanOrEqual(5 * sd);
});

test('masks depend on (seed, epoch, index) only: same inputs give the same masks, another epoch or index others', () => {
  const [f, g] = corpus(2, 256, 0);
  const a = maskFeature(f, { ...BASE, index: 5 });
  expect(maskFeature(f, { ...BASE, index: 5 })).toEqual(a);
  // A resumed run masks feature 5 without having masked features 0..4 first: nothing else feeds the stream.
  maskFeature(g, { ...BASE, index: 4 });
  expect(maskFeature(f, { ...BASE, index: 5 })).toEqual(a);
  expect(maskFeature(f, { ...BASE, index: 5, epoch: 1 }).labels).not.toEqual(a.labels);
  expect(maskFeature(f, { ...BASE, index: 6 }).labels).not.toEqual(a.labels);
  expect(maskFeature(f, { ...BASE, index: 5, seed: 43 }).labels).not.toEqual(a.labels);
  const seeds = new Set(Array.from({ length: 10000 }, (_, i) => maskingSeed(42, i % 10, Math.floor(i / 10))));
  expect(seeds.size).toBe(10000);
});

test('mlmProbability 0 selects nothing and 1 selects every maskable token', () => {
  const [f] = corpus(1, 64, 4);
  expect(maskFeature(f, { ...BASE, index: 0, mlmProbability: 0 }).labels.every((l) => l === IGNORE_LABEL)).toBe(true);
  const all = maskFeature(f, { ...BASE, index: 0, mlmProbability: 1 });
  expect(all.labels).toEqual(f.inputIds.map((id, i) => (f.specialTokensMask[i] ? IGNORE_LABEL : id)));
});

/** The words of `f` as [start, end) ranges of non-special positions. */
function words(f: Synthetic): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  f.inputIds.forEach((_, i) => {
    if (f.specialTokensMask[i]) return;
    if (f.wordStarts[i] || out.length === 0 || out[out.length - 1][1] !== i) out.push([i, i + 1]);
    else out[out.length - 1][1] = i + 1;
  });
  return out;
}

test('whole-word masking selects whole words only, never special tokens, up to round(len * p) tokens', () => {
  const features = corpus(1500, 128, 8);
  let selectedTotal = 0;
  let targetTotal = 0;
  let toMask = 0;
  let specialChosen = 0;
  let splitWords = 0;
  let wrongLabel = 0;
  const targets = new Set<number>();
  const counts = new Set<number>();
  features.forEach((f, index) => {
    const out = maskFeature(f, { ...BASE, wholeWordMask: true, index });
    const chosen = out.labels.map((l) => l !== IGNORE_LABEL);
    specialChosen += f.specialTokensMask.filter((s, i) => s && chosen[i]).length;
    splitWords += words(f).filter(([start, end]) => chosen.slice(start, end).some((c) => c !== chosen[start])).length;
    const count = chosen.filter(Boolean).length;
    const target = wholeWordTargetCount(f.inputIds.length, 0.15);
    targets.add(target);
    counts.add(count);
    selectedTotal += count;
    targetTotal += target;
    out.labels.forEach((l, i) => {
      if (l === IGNORE_LABEL) return;
      if (l !== f.inputIds[i]) wrongLabel++;
      if (out.inputIds[i] === MASK) toMask++;
    });
  });
  expect({ specialChosen, splitWords, wrongLabel }).toEqual({ specialChosen: 0, splitWords: 0, wrongLabel: 0 });
  expect([...targets]).toEqual([19]); // round(128 * 0.15 = 19.2)
  // Never over the target; words have at most 4 pieces, so the greedy fill stops at most 3 short.
  expect(Math.max(...counts)).toBe(19);
  expect(Math.min(...counts)).toBeGreaterThanOrEqual(16);
  expect(selectedTotal / targetTotal).toBeGreaterThan(0.95);
  expectBinomial(toMask, selectedTotal, 0.8);
});

test('whole-word masking with one-piece words selects exactly num_to_predict tokens (Python rounding, 512 cap)', () => {
  const rng = new SeededRandom(3);
  for (const [length, expected] of [
    [10, 2], // 1.5 rounds to 2
    [30, 4], // 4.5 rounds to 4 (half to even)
    [50, 8], // 7.5 rounds to 8
    [3, 1], // 0.45 -> 0, at least 1
    [4000, 512], // 600 capped
  ]) {
    expect(wholeWordTargetCount(length, 0.15)).toBe(expected);
    const f = synthetic(rng, length, 0, 1);
    const out = maskFeature(f, { ...BASE, wholeWordMask: true, index: length });
    expect(out.labels.filter((l) => l !== IGNORE_LABEL)).toHaveLength(expected);
  }
});

test('whole-word masking skips a word that would overshoot and never splits it', () => {
  // [CLS] w(3 pieces) w(3 pieces) x [SEP]: 9 tokens, target round(1.35) = 1: only the one-piece word fits.
  const f: Synthetic = {
    inputIds: [CLS, 10, 11, 12, 20, 21, 22, 30, SEP],
    specialTokensMask: [1, 0, 0, 0, 0, 0, 0, 0, 1],
    wordStarts: [1, 1, 0, 0, 1, 0, 0, 1, 1],
  };
  for (let index = 0; index < 50; index++) {
    const labels = maskFeature(f, { ...BASE, wholeWordMask: true, index }).labels;
    expect(labels).toEqual([-100, -100, -100, -100, -100, -100, -100, 30, -100]);
  }
});

test('bad options and whole-word masking without word starts are refused', () => {
  const [f] = corpus(1, 16, 0);
  expect(() => maskFeature({ inputIds: f.inputIds, specialTokensMask: f.specialTokensMask }, { ...BASE, wholeWordMask: true, index: 0 })).toThrow(/wordStarts/);
  expect(() => maskFeature(f, { ...BASE, index: 0, mlmProbability: 1.5 })).toThrow(/mlmProbability/);
  expect(() => maskFeature(f, { ...BASE, index: -1 })).toThrow(/index/);
});
