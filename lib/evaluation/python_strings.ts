/**
 * Python's view of a string: a sequence of code points. JavaScript indexes, measures and sorts
 * UTF-16 code units, which differs from Python for characters outside the BMP.
 */

/** `s[0]` and `s[1:]` in Python; `undefined` head for the empty string. */
export function splitFirstCodePoint(s: string): { head: string | undefined; rest: string } {
  const cp = s.codePointAt(0);
  if (cp === undefined) return { head: undefined, rest: '' };
  const head = String.fromCodePoint(cp);
  return { head, rest: s.slice(head.length) };
}

/** `s[-1]` and `s[:-1]` in Python; `undefined` tail for the empty string. */
export function splitLastCodePoint(s: string): { init: string; tail: string | undefined } {
  if (s.length === 0) return { init: '', tail: undefined };
  const last = s.charCodeAt(s.length - 1);
  const prev = s.length > 1 ? s.charCodeAt(s.length - 2) : 0;
  const pair = last >= 0xdc00 && last <= 0xdfff && prev >= 0xd800 && prev <= 0xdbff;
  const cut = s.length - (pair ? 2 : 1);
  return { init: s.slice(0, cut), tail: s.slice(cut) };
}

/** `len(s)` in Python. */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** Python's `str` ordering (code point by code point), for `Array.prototype.sort`. */
export function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(j) as number;
    if (ca !== cb) return ca < cb ? -1 : 1;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  const restA = a.length - i;
  const restB = b.length - j;
  return restA === restB ? 0 : restA < restB ? -1 : 1;
}

/** Python's `s.strip(chars)` for a set of BMP characters. */
export function stripChars(s: string, chars: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && chars.includes(s[start])) start++;
  while (end > start && chars.includes(s[end - 1])) end--;
  return s.slice(start, end);
}
