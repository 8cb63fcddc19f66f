/**
 * The longest line a line-based reader (TSV, CSV, JSON Lines, CoNLL) accepts, and the longest
 * TSV/CSV record a quoted field may stretch over several lines: 4 MiB of characters. Lengths are
 * JavaScript string lengths (UTF-16 code units: a character outside the Basic Multilingual Plane,
 * such as an emoji, counts as 2). The limit keeps a reader's memory proportional to it rather than
 * to a line that never ends (a file with `\r`-only line endings, a binary file, a quote that is
 * never closed).
 */
export const DEFAULT_MAX_LINE_LENGTH = 4 * 1024 * 1024;

/** `value` checked (a positive integer), or {@link DEFAULT_MAX_LINE_LENGTH} when undefined. */
export function resolveMaxLineLength(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MAX_LINE_LENGTH;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`maxLineLength (--max_line_length) must be a positive whole number of characters, got ${value}`);
  }
  return value;
}

/** `n` characters, with the MiB figure when it is a whole number of MiB (`4194304 characters (4 MiB)`). */
export function describeLineLength(n: number): string {
  const mib = n / (1024 * 1024);
  return `${n} characters${Number.isInteger(mib) ? ` (${mib} MiB)` : ''}`;
}
