// The encoding of one input: windows of its tokenized texts laid out in BERT's template.
import type { TokenizedText } from './tokenized_text';
import type { TokenRange } from './windows';

/** The model inputs for one text or text pair. Not padded: `attentionMask` is all ones. */
export interface Encoding {
  inputIds: number[];
  tokenTypeIds: number[];
  attentionMask: number[];
  /**
   * With `returnOffsets`: per token, `[start, end)` in the text it came from, as indices into the
   * JavaScript string (UTF-16), so `text.slice(start, end)` is the token's source; `[0, 0]` for
   * special tokens. Tokens of the second text of a pair index the second text.
   */
  offsets?: Array<[number, number]>;
  /** With `returnOffsets`: per token, the index of its word within its own text; null for special tokens. */
  wordIds?: Array<number | null>;
  /** With `returnOffsets`: per token, 0 (first text), 1 (second text) or null (special token). */
  sequenceIds?: Array<number | null>;
  /** With `returnOverflowing`: the further windows of a truncated input, in transformers' order. */
  overflowing?: Encoding[];
}

export interface SpecialTokenIds {
  cls: number;
  sep: number;
}

/**
 * `[CLS] A [SEP]` or `[CLS] A [SEP] B [SEP]` (without the special tokens when `specials` is null),
 * A and B being the given token ranges of the texts; token type 1 covers B and its `[SEP]`.
 */
export function assemble(parts: ReadonlyArray<{ text: TokenizedText; range: TokenRange }>, specials: SpecialTokenIds | null, alignment: boolean): Encoding {
  const inputIds: number[] = [];
  const tokenTypeIds: number[] = [];
  const offsets: Array<[number, number]> = [];
  const wordIds: Array<number | null> = [];
  const sequenceIds: Array<number | null> = [];
  const push = (id: number, typeId: number, offset: [number, number], wordId: number | null, sequenceId: number | null): void => {
    inputIds.push(id);
    tokenTypeIds.push(typeId);
    if (!alignment) return;
    offsets.push(offset);
    wordIds.push(wordId);
    sequenceIds.push(sequenceId);
  };
  if (specials) push(specials.cls, 0, [0, 0], null, null);
  parts.forEach(({ text, range: [start, end] }, seq) => {
    for (let i = start; i < end; i++) {
      push(text.ids[i], seq, text.offsets?.[i] ?? [0, 0], text.wordIds?.[i] ?? null, seq);
    }
    if (specials) push(specials.sep, seq, [0, 0], null, null);
  });
  const attentionMask = new Array<number>(inputIds.length).fill(1);
  return alignment ? { inputIds, tokenTypeIds, attentionMask, offsets, wordIds, sequenceIds } : { inputIds, tokenTypeIds, attentionMask };
}
