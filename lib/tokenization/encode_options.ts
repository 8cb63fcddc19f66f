// What a caller may ask of an encode call, with the checks that do not depend on the texts.
import { VERY_LARGE_INTEGER } from './tokenizer_config';

/**
 * How to shorten an input longer than `maxLength` (Hugging Face semantics):
 * - `longest_first`: shorten the longer text; when both are long each keeps half of the budget,
 *   an odd token going to the longer text (the second on a tie);
 * - `only_first` / `only_second`: shorten only that text; if it is too short to absorb the excess
 *   the call fails (transformers' fast tokenizers raise too).
 */
export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

export interface EncodeOptions {
  /**
   * Largest number of tokens in the result, special tokens included. Default: the tokenizer's
   * `modelMaxLength` when `truncation` is set.
   */
  maxLength?: number;
  /** Default `'longest_first'` when `maxLength` is given, otherwise no truncation; `true` means `'longest_first'`. */
  truncation?: TruncationStrategy | boolean;
  /** Return the tokens cut off by truncation as further windows in `overflowing` (default false). */
  returnOverflowing?: boolean;
  /** Tokens each overflowing window repeats from the end of the previous one (default 0). */
  stride?: number;
  /** Return `offsets`, `wordIds` and `sequenceIds` (default false). */
  returnOffsets?: boolean;
  /** Add `[CLS]` / `[SEP]` (default true). */
  addSpecialTokens?: boolean;
  /**
   * Keep at most this many tokens of the first text of a pair before any other truncation
   * (SQuAD's `max_query_length`: the question's first tokens, cut token-exactly).
   */
  maxFirstLength?: number;
}

export interface TruncationRequest {
  strategy: TruncationStrategy;
  maxLength: number;
  /** 0 unless overflowing windows are returned: the stride does not change the first window. */
  stride: number;
}

/** Special tokens the BERT template adds: `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`. */
export function specialTokenCount(isPair: boolean): number {
  return isPair ? 3 : 2;
}

export interface EncodePlan {
  truncation: TruncationRequest | null;
  returnOverflowing: boolean;
  returnOffsets: boolean;
  addSpecialTokens: boolean;
}

const STRATEGIES: readonly TruncationStrategy[] = ['longest_first', 'only_first', 'only_second'];

/**
 * Checks `options` for inputs that are pairs or not (`kinds`) and resolves defaults; the limits
 * that depend on the texts' lengths are checked per input (truncation.ts).
 */
export function planEncode(options: EncodeOptions, kinds: { single: boolean; pair: boolean }, modelMaxLength: number): EncodePlan {
  const { maxLength, truncation, stride = 0 } = options;
  const addSpecialTokens = options.addSpecialTokens ?? true;
  const returnOverflowing = options.returnOverflowing ?? false;
  if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength <= 0)) {
    throw new Error(`maxLength must be a positive integer, got ${maxLength}`);
  }
  if (!Number.isInteger(stride) || stride < 0) throw new Error(`stride must be a non-negative integer, got ${stride}`);
  const { maxFirstLength } = options;
  if (maxFirstLength !== undefined && (!Number.isInteger(maxFirstLength) || maxFirstLength <= 0)) {
    throw new Error(`maxFirstLength must be a positive integer, got ${maxFirstLength}`);
  }
  if (truncation !== undefined && typeof truncation !== 'boolean' && !STRATEGIES.includes(truncation)) {
    throw new Error(`truncation must be one of ${STRATEGIES.map((s) => `'${s}'`).join(', ')}, true or false; got ${JSON.stringify(truncation)}`);
  }
  const strategy: TruncationStrategy | null =
    truncation === true ? 'longest_first' : truncation === false ? null : (truncation ?? (maxLength !== undefined ? 'longest_first' : null));
  const plan: EncodePlan = { truncation: null, returnOverflowing, returnOffsets: options.returnOffsets ?? false, addSpecialTokens };
  if (strategy === null) return plan;

  let limit = maxLength;
  if (limit === undefined) {
    if (modelMaxLength >= VERY_LARGE_INTEGER) {
      throw new Error(`truncation '${strategy}' needs maxLength: this tokenizer has no model_max_length to default to`);
    }
    limit = modelMaxLength;
  }
  for (const isPair of [false, true]) {
    if (!(isPair ? kinds.pair : kinds.single)) continue;
    const added = addSpecialTokens ? specialTokenCount(isPair) : 0;
    // transformers would silently skip truncation here (an unsigned underflow in tokenizers).
    if (limit < added) {
      throw new Error(`maxLength ${limit} leaves no room: ${isPair ? 'a text pair' : 'a single text'} already takes ${added} special tokens`);
    }
  }
  // tokenizers refuses this whatever the texts (it measures against a single text's budget).
  if (returnOverflowing && stride > limit - specialTokenCount(false)) {
    throw new Error(
      `stride ${stride} is too large for maxLength ${limit}: it must be at most ${limit - specialTokenCount(false)} ` +
        `(maxLength minus the 2 special tokens of a single text), and smaller than every window it slides over`,
    );
  }
  plan.truncation = { strategy, maxLength: limit, stride: returnOverflowing ? stride : 0 };
  return plan;
}
