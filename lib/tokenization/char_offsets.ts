/**
 * Maps a code point index of `text` to its UTF-16 index: `map[i]` is where the i-th code point
 * starts in the JavaScript string, and `map[codePointCount]` is `text.length`.
 *
 * The tokenizers binding (like Python) reports offsets in code points; JavaScript strings index
 * UTF-16 code units, which differ after any character outside the Basic Multilingual Plane
 * (emoji, 𝐀, CJK extension B). Use this to convert a Python-style character index (e.g. SQuAD's
 * `answer_start`) into an index usable with `text.slice`.
 *
 * Returns null when the text has no surrogate code units, i.e. when both indexings agree.
 */
export function codePointToUtf16Map(text: string): Uint32Array | null {
  if (!/[\uD800-\uDFFF]/.test(text)) return null;
  const starts: number[] = [];
  let utf16 = 0;
  // for..of walks code points; a lone surrogate counts as one, as it does in the binding (which
  // receives it as U+FFFD).
  for (const ch of text) {
    starts.push(utf16);
    utf16 += ch.length;
  }
  starts.push(utf16);
  return Uint32Array.from(starts);
}
