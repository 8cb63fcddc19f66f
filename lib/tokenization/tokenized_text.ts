// One text's WordPiece tokens (no special tokens), copied out of the binding's Encoding.
import type { Encoding as NativeEncoding } from 'tokenizers';
import { codePointToUtf16Map } from './char_offsets';

export interface TokenizedText {
  ids: number[];
  /** Per token, [start, end) in the text as UTF-16 indices; present when asked for. */
  offsets?: Array<[number, number]>;
  /** Per token, the index of its word in the text; present when asked for. */
  wordIds?: Array<number | null>;
}

/** Copies `native`, the encoding of `text`; `alignment` adds offsets and word ids. */
export function tokenizedText(native: NativeEncoding, text: string, alignment: boolean): TokenizedText {
  const out: TokenizedText = { ids: native.getIds() };
  if (!alignment) return out;
  // The binding reports offsets in code points; JavaScript strings index UTF-16 code units.
  const map = codePointToUtf16Map(text);
  out.offsets = native.getOffsets().map(([start, end]): [number, number] => (map ? [map[start], map[end]] : [start, end]));
  out.wordIds = native.getWordIds().map((w) => w ?? null);
  return out;
}

/** The first `count` tokens of `text`. */
export function firstTokens(text: TokenizedText, count: number): TokenizedText {
  if (text.ids.length <= count) return text;
  const out: TokenizedText = { ids: text.ids.slice(0, count) };
  if (text.offsets) out.offsets = text.offsets.slice(0, count);
  if (text.wordIds) out.wordIds = text.wordIds.slice(0, count);
  return out;
}
