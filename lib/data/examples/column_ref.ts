import { DataError } from '../readers/data_error';
import type { SourceRecord } from '../readers/read_records';

/**
 * A column of a record: a header name or JSON key (a dotted path such as `qa.question` reaches into
 * nested JSON objects), or a 0-based index. A string of digits is taken as an index when no column
 * has that name, so values straight from command-line flags work.
 */
export type ColumnRef = string | number;

/**
 * Reads `column` from `record`. `option` names the setting that chose the column as the user
 * knows it (e.g. the flag `--text_column`) so the error says what to change. Throws a {@link DataError}
 * (MISSING_COLUMN) listing the columns that do exist.
 */
export function readColumn(record: SourceRecord, column: ColumnRef, option: string): unknown {
  const { values } = record;
  if (Array.isArray(values)) {
    const index = asIndex(column);
    if (index === undefined) {
      throw missing(
        record,
        `column ${JSON.stringify(column)} cannot be found: this file is read without a header row, so columns are 0-based indexes`,
        `Pass a 0-based index as ${option} (the row has ${values.length} fields, 0 to ${values.length - 1}), or read the file with a header if its first row names the columns`,
      );
    }
    if (index >= values.length) {
      throw missing(
        record,
        `column ${index} does not exist: the row has ${values.length} fields (0 to ${values.length - 1})`,
        `Pass a 0-based index below ${values.length} as ${option}`,
      );
    }
    return values[index];
  }
  if (typeof column === 'string' && Object.prototype.hasOwnProperty.call(values, column)) return values[column];
  const index = asIndex(column);
  if (record.columns !== undefined && index !== undefined && index < record.columns.length) return values[record.columns[index]];
  if (index === undefined && typeof column === 'string' && column.includes('.')) {
    const nested = readPath(values, column.split('.'));
    if (nested.found) return nested.value;
  }
  if (record.columns === undefined && typeof column === 'number' && Object.prototype.hasOwnProperty.call(values, String(column))) {
    return values[String(column)];
  }
  const names = record.columns ?? Object.keys(values);
  const listed = names.map((n, i) => (record.columns ? `${i}: ${JSON.stringify(n)}` : JSON.stringify(n))).join(', ');
  const what = record.columns ? 'columns (from the header)' : 'keys';
  throw missing(
    record,
    `${typeof column === 'number' ? `column ${column}` : `column ${JSON.stringify(column)}`} not found; the ${what} are: ${listed || '(none)'}`,
    `Pass one of them as ${option}`,
  );
}

function asIndex(column: ColumnRef): number | undefined {
  if (typeof column === 'number') return Number.isInteger(column) && column >= 0 ? column : undefined;
  return /^\d+$/.test(column) ? Number(column) : undefined;
}

function readPath(values: Record<string, unknown>, keys: readonly string[]): { found: boolean; value?: unknown } {
  let cur: unknown = values;
  for (const key of keys) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.prototype.hasOwnProperty.call(cur, key)) return { found: false };
    cur = (cur as Record<string, unknown>)[key];
  }
  return { found: true, value: cur };
}

function missing(record: SourceRecord, problem: string, fix: string): DataError {
  return new DataError('MISSING_COLUMN', record.file, record.line, problem, fix);
}
