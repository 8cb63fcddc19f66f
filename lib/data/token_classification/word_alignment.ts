// Tokenizing a sentence given as words, as transformers' `tokenizer(words, is_split_into_words=True)`
// does. The tokenizers binding is given the words joined by single spaces, and each token is
// mapped back to its word through its character offsets. This gives the same tokens as tokenizing
// each word on its own because BERT's normalizer works character by character (cleaning, CJK
// spacing, lower-casing, accent stripping) and its pre-tokenizer splits at every whitespace, so no
// token can cross the space between two words. Parity with transformers is tested live.
import type { BertTokenizer, Encoding } from '../../tokenization';

/** One sentence's encoding, with every token traced to its word. */
export interface WordEncoding {
  inputIds: number[];
  tokenTypeIds: number[];
  /** Per token, the index of its word in the sentence; null for `[CLS]` and `[SEP]`. */
  wordIds: Array<number | null>;
  /** Words whose tokens all fall past `maxLength`, so the model never sees them (in order). */
  truncatedWords: number[];
  /** Words that give no token at all, e.g. `""`, `" "`, a lone control character or zero-width space. */
  emptyWords: number[];
}

export interface WordEncodingOptions {
  /** Tokens per sentence, `[CLS]` and `[SEP]` included; later tokens are cut off (run_ner.py's max_seq_length). */
  maxLength: number;
}

/** Encodes sentences given as word lists (tokenized in parallel off the main thread). */
export async function encodeWords(
  tokenizer: BertTokenizer,
  sentences: ReadonlyArray<readonly string[]>,
  options: WordEncodingOptions,
): Promise<WordEncoding[]> {
  const { maxLength } = options;
  if (!Number.isInteger(maxLength) || maxLength < 3)
    throw new Error(`maxLength must be an integer >= 3 (room for [CLS], one token and [SEP]), got ${maxLength}`);
  const texts = sentences.map((words) => words.join(' '));
  // The windows past the first tell which words truncation dropped.
  const encodings = await tokenizer.encodeBatch(texts, { maxLength, truncation: 'longest_first', returnOffsets: true, returnOverflowing: true });
  return encodings.map((encoding, i) => traceWords(encoding, texts[i], sentences[i]));
}

/** `encoding` of `text`, the `words` joined by single spaces, with its tokens traced to the words. */
function traceWords(encoding: Encoding, text: string, words: readonly string[]): WordEncoding {
  const starts = wordStarts(words);
  const wordIds = wordIdsOf(encoding, text, starts, words);
  const kept = new Set<number>();
  for (const w of wordIds) if (w !== null) kept.add(w);
  const cut = new Set<number>();
  for (const window of encoding.overflowing ?? []) {
    for (const w of wordIdsOf(window, text, starts, words)) if (w !== null && !kept.has(w)) cut.add(w);
  }
  const truncatedWords: number[] = [];
  const emptyWords: number[] = [];
  words.forEach((_, w) => {
    if (cut.has(w)) truncatedWords.push(w);
    else if (!kept.has(w)) emptyWords.push(w);
  });
  return { inputIds: encoding.inputIds, tokenTypeIds: encoding.tokenTypeIds, wordIds, truncatedWords, emptyWords };
}

/** Where each word starts in `words.join(' ')` (UTF-16 indices). */
function wordStarts(words: readonly string[]): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const word of words) {
    starts.push(at);
    at += word.length + 1;
  }
  return starts;
}

const WHITESPACE = /\s/;

function wordIdsOf(encoding: Encoding, text: string, starts: readonly number[], words: readonly string[]): Array<number | null> {
  const offsets = encoding.offsets ?? [];
  // The sequence id, not the binding's word id, tells special tokens apart: a `[MASK]` written in
  // the text is a token of the text.
  return (encoding.sequenceIds ?? []).map((sequence, t) => {
    if (sequence === null) return null;
    const [start, end] = offsets[t];
    // An added token with lstrip (not BERT's own) also takes in the whitespace before it, which
    // may end the previous word; its word is the one of its first other character.
    let at = start;
    while (at < end - 1 && WHITESPACE.test(text[at])) at++;
    const w = lastAtOrBefore(starts, at);
    if (w >= 0 && at < starts[w] + words[w].length) return w;
    throw new Error(`internal error: token ${t} at [${start}, ${end}) is outside every word of ${JSON.stringify(words)}`);
  });
}

/** Index of the last element of ascending `xs` that is <= `x`, or -1. */
function lastAtOrBefore(xs: readonly number[], x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
