// Which token ranges of each text go into the main encoding and the overflowing ones, in the
// order tokenizers produces them (Encoding::truncate and Encoding::merge_with).

/** A half-open token range [start, end) of one text. */
export type TokenRange = readonly [number, number];

/**
 * Windows of a text of `length` tokens cut to `maxLength`: the first is the kept part, the rest
 * overflow, each starting `maxLength - stride` tokens after the previous one (the last may be
 * shorter). Cutting to 0 keeps nothing and overflows the whole text in one window.
 * Requires stride < maxLength whenever the text is cut (see truncationTargets).
 */
export function windowRanges(length: number, maxLength: number, stride: number): TokenRange[] {
  if (maxLength >= length) return [[0, length]];
  if (maxLength === 0)
    return [
      [0, 0],
      [0, length],
    ];
  const ranges: TokenRange[] = [];
  for (let start = 0; ; start += maxLength - stride) {
    const end = Math.min(start + maxLength, length);
    ranges.push([start, end]);
    if (end === length) return ranges;
  }
}

/**
 * Window combinations of a text pair, main first: the first text's overflowing windows each with
 * every window of the second text, then the first text's kept window with the second text's
 * overflowing ones. (This is the order of tokenizers' Encoding::merge_with, which transformers
 * flattens into rows.)
 */
export function pairWindows(first: readonly TokenRange[], second: readonly TokenRange[]): Array<[TokenRange, TokenRange]> {
  const combos: Array<[TokenRange, TokenRange]> = [[first[0], second[0]]];
  for (const a of first.slice(1)) for (const b of second) combos.push([a, b]);
  for (const b of second.slice(1)) combos.push([first[0], b]);
  return combos;
}
