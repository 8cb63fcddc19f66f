/**
 * seqeval's printed `classification_report`: one right-aligned row per entity type, then the
 * micro, macro and weighted averages, numbers in Python's fixed-point format.
 */
import { codePointLength } from './python_strings';
import { SeqevalError } from './seqeval_types';

/** One row of the report: an entity type, or `micro avg` / `macro avg` / `weighted avg`. */
export interface ReportRow {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  /** Gold entities of this type (all types for the averages). */
  support: number;
}

export const AVERAGE_ROW_NAMES = ['micro avg', 'macro avg', 'weighted avg'] as const;

/**
 * Python's `format(x, '.{digits}f')`: the exact binary value rounded half to even (JavaScript's
 * toFixed rounds exact ties up, so 0.125 would print 0.13 instead of 0.12).
 */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const exponentBits = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  // |x| = mantissa * 2^exponent exactly.
  const mantissa = exponentBits === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (exponentBits === 0 ? 1 : exponentBits) - 1075;
  const scaled = mantissa * 10n ** BigInt(digits);
  let units: bigint;
  if (exponent >= 0) {
    units = scaled << BigInt(exponent);
  } else {
    const denominator = 1n << BigInt(-exponent);
    units = scaled / denominator;
    const twiceRemainder = 2n * (scaled % denominator);
    if (twiceRemainder > denominator || (twiceRemainder === denominator && units % 2n === 1n)) units += 1n;
  }
  const text = units.toString().padStart(digits + 1, '0');
  const body = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return negative ? `-${body}` : body;
}

function padStart(text: string, width: number): string {
  return ' '.repeat(Math.max(0, width - codePointLength(text))) + text;
}

/**
 * The report as seqeval prints it (`classification_report(..., digits)`), from
 * {@link ReportRow}s: type rows, a blank line, the three averages, a final newline. Throws as
 * seqeval does when there is no entity type to list.
 */
export function formatClassificationReport(rows: readonly ReportRow[], digits = 2): string {
  const typeRows = rows.filter((r) => !(AVERAGE_ROW_NAMES as readonly string[]).includes(r.name));
  const averageRows = rows.filter((r) => (AVERAGE_ROW_NAMES as readonly string[]).includes(r.name));
  if (typeRows.length === 0) throw noEntityTypeError();
  const width = Math.max(...typeRows.map((r) => codePointLength(r.name)), codePointLength('weighted avg'), digits);
  const headings = ['precision', 'recall', 'f1-score', 'support'];
  const header = `${padStart('', width)} ${headings.map((h) => ` ${padStart(h, 9)}`).join('')}`;
  const line = (r: ReportRow): string =>
    `${padStart(r.name, width)} ` +
    [r.precision, r.recall, r.f1].map((v) => ` ${padStart(formatFixed(v, digits), 9)}`).join('') +
    ` ${padStart(String(r.support), 9)}`;
  return [header, '', ...typeRows.map(line), '', ...averageRows.map(line), ''].join('\n');
}

export function noEntityTypeError(): SeqevalError {
  return new SeqevalError(
    'ValueError',
    'max() arg is an empty sequence',
    'no entity type in the gold tags or the predictions, so there is no report to print ' + '(seqeval raises ValueError: max() arg is an empty sequence)',
  );
}
