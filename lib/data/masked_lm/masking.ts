// Masked-LM inputs and labels for one feature, as transformers' DataCollatorForLanguageModeling
// (token-level) and DataCollatorForWholeWordMask (whole words) make them, drawn from a random
// stream fixed by (seed, epoch, feature index): a resumed run masks each batch exactly as an
// uninterrupted one, and every epoch draws fresh masks.
import type { TextFeature } from '../loader/collate';
import { epochSeed, SeededRandom } from '../loader/seeded_random';

/** The label of a position the loss ignores. */
export const IGNORE_LABEL = -100;

/** BERT's max_predictions_per_seq, DataCollatorForWholeWordMask's default cap. */
export const DEFAULT_MAX_PREDICTIONS = 512;

export interface MaskingOptions {
  /** Share of the tokens to predict (run_mlm.py `--mlm_probability`, 0.15). */
  mlmProbability: number;
  /** Select whole words (DataCollatorForWholeWordMask) instead of single tokens. Needs `wordStarts`. */
  wholeWordMask?: boolean;
  maskTokenId: number;
  /** Random replacements are uniform over `0 .. vocabSize - 1` (transformers: `len(tokenizer)`). */
  vocabSize: number;
  seed: number;
  epoch: number;
  /** The feature's index in its dataset. */
  index: number;
  /** Whole-word masking: most tokens selected per sequence (default 512). */
  maxPredictions?: number;
}

/** What masking reads of a feature (an `MlmFeature` fits). */
export interface MaskableFeature {
  inputIds: ArrayLike<number>;
  /** 1: never selected (`[CLS]`, `[SEP]`, padding...). */
  specialTokensMask: ArrayLike<number>;
  /** 1 where a word starts, 0 on a `##` continuation piece; needed for whole-word masking. */
  wordStarts?: ArrayLike<number>;
}

export interface MaskedTokens {
  /** The input with the selected tokens replaced (80% `[MASK]`, 10% a random id, 10% unchanged). */
  inputIds: number[];
  /** The original id at selected positions, {@link IGNORE_LABEL} elsewhere. */
  labels: number[];
}

/**
 * Masks one feature. Token level: each non-special position is selected with probability
 * `mlmProbability`. Whole words: the words (a word-start piece and the `##` pieces after it, never
 * spanning a special token) are shuffled and taken whole, skipping a word that would overshoot,
 * until {@link wholeWordTargetCount} tokens are selected. Each selected token then becomes
 * `[MASK]` with probability 0.8, else a uniformly random id with probability 0.5, else stays.
 */
export function maskFeature(feature: MaskableFeature, options: MaskingOptions): MaskedTokens {
  checkOptions(options);
  const n = feature.inputIds.length;
  if (feature.specialTokensMask.length !== n) throw new Error(`specialTokensMask has ${feature.specialTokensMask.length} entries for ${n} tokens`);
  const rng = new SeededRandom(maskingSeed(options.seed, options.epoch, options.index));
  const selected = options.wholeWordMask ? selectWholeWords(feature, options, rng) : selectTokens(feature, options.mlmProbability, rng);
  const inputIds = Array.from(feature.inputIds);
  const labels = new Array<number>(n).fill(IGNORE_LABEL);
  for (let i = 0; i < n; i++) {
    if (!selected[i]) continue;
    labels[i] = inputIds[i];
    if (rng.next() < 0.8) inputIds[i] = options.maskTokenId;
    else if (rng.next() < 0.5) inputIds[i] = rng.below(options.vocabSize);
  }
  return { inputIds, labels };
}

/** {@link maskFeature} as a feature for `collate`: masked inputs, labels as per-token labels. */
export function maskedTextFeature(feature: MaskableFeature & { tokenTypeIds: readonly number[] }, options: MaskingOptions): TextFeature {
  const { inputIds, labels } = maskFeature(feature, options);
  return { inputIds, tokenTypeIds: Array.from(feature.tokenTypeIds), tokenLabels: labels };
}

/** The random stream's seed for one feature in one epoch. */
export function maskingSeed(seed: number, epoch: number, index: number): number {
  return fmix32((epochSeed(seed, epoch) ^ fmix32((Math.imul(index, 0x9e3779b1) + 0x7f4a7c15) >>> 0)) >>> 0);
}

/**
 * DataCollatorForWholeWordMask's `num_to_predict` for a sequence of `length` tokens (special tokens
 * included): `min(maxPredictions, max(1, round(length * p)))`, rounding halves to even as Python does.
 */
export function wholeWordTargetCount(length: number, mlmProbability: number, maxPredictions = DEFAULT_MAX_PREDICTIONS): number {
  return Math.min(maxPredictions, Math.max(1, roundHalfEven(length * mlmProbability)));
}

function selectTokens(feature: MaskableFeature, p: number, rng: SeededRandom): Uint8Array {
  const n = feature.inputIds.length;
  const selected = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (!feature.specialTokensMask[i] && rng.next() < p) selected[i] = 1;
  }
  return selected;
}

function selectWholeWords(feature: MaskableFeature, options: MaskingOptions, rng: SeededRandom): Uint8Array {
  const { wordStarts, specialTokensMask } = feature;
  const n = feature.inputIds.length;
  if (wordStarts === undefined || wordStarts.length !== n) {
    throw new Error(`whole-word masking needs wordStarts for every token (${n}), got ${wordStarts === undefined ? 'none' : wordStarts.length}`);
  }
  // Words as [start, end) token ranges.
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < n; i++) {
    if (specialTokensMask[i]) continue;
    const continues = !wordStarts[i] && ends.length > 0 && ends[ends.length - 1] === i;
    if (continues) ends[ends.length - 1] = i + 1;
    else {
      starts.push(i);
      ends.push(i + 1);
    }
  }
  const target = wholeWordTargetCount(n, options.mlmProbability, options.maxPredictions);
  const selected = new Uint8Array(n);
  let count = 0;
  for (const w of rng.permutation(starts.length)) {
    if (count >= target) break;
    const size = ends[w] - starts[w];
    if (count + size > target) continue;
    selected.fill(1, starts[w], ends[w]);
    count += size;
  }
  return selected;
}

function checkOptions(o: MaskingOptions): void {
  if (!(o.mlmProbability >= 0 && o.mlmProbability <= 1)) throw new Error(`mlmProbability must be between 0 and 1, got ${o.mlmProbability}`);
  if (!Number.isInteger(o.vocabSize) || o.vocabSize < 1) throw new Error(`vocabSize must be a positive integer, got ${o.vocabSize}`);
  if (!Number.isInteger(o.maskTokenId) || o.maskTokenId < 0) throw new Error(`maskTokenId must be a token id, got ${o.maskTokenId}`);
  if (!Number.isInteger(o.index) || o.index < 0 || o.index > 0xffffffff) throw new Error(`index must be an integer in 0..2^32-1, got ${o.index}`);
  if (!Number.isInteger(o.epoch) || o.epoch < 0) throw new Error(`epoch must be a non-negative integer, got ${o.epoch}`);
  const max = o.maxPredictions ?? DEFAULT_MAX_PREDICTIONS;
  if (!Number.isInteger(max) || max < 1) throw new Error(`maxPredictions must be a positive integer, got ${max}`);
}

function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const rest = x - floor;
  if (rest !== 0.5) return Math.round(x);
  return floor % 2 === 0 ? floor : floor + 1;
}

/** MurmurHash3's 32-bit finalizer: spreads nearby inputs (consecutive indexes) over all 32 bits. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
