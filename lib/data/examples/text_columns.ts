import { readRecords, type ReadRecordsOptions } from '../readers/read_records';
import type { ColumnRef } from './column_ref';

/** The text columns a text-classification file is read with. */
export interface TextColumns {
  textColumn: ColumnRef;
  /** Absent: single texts. */
  textPairColumn?: ColumnRef;
}

/** Columns that number the rows rather than hold text; never chosen as a text by {@link chooseTextColumns}. */
const ROW_ID_COLUMNS = new Set(['id', 'idx', 'index', 'guid']);

/**
 * run_glue.py's choice of text columns for a user's file, from its column names (a header row, or
 * the keys of the first JSON record): of the columns other than the label column, `sentence1` and
 * `sentence2` as a pair when both are there, else the first two as a pair, else the first one alone.
 * Unlike run_glue.py, a row-id column (`id`, `idx`, `index`, `guid`) is never taken for a text.
 *
 * What the caller already knows wins: `given.textColumn` (the pair is then the rule's pair only when
 * the rule picks the same first text, else none) and `given.textPairColumn` (`null`: single texts).
 * Returns undefined when there is no column left to read a text from.
 */
export function chooseTextColumns(
  columns: readonly string[],
  labelColumn: ColumnRef | undefined,
  given: { textColumn?: ColumnRef; textPairColumn?: ColumnRef | null } = {},
): TextColumns | undefined {
  const label = typeof labelColumn === 'number' ? columns[labelColumn] : labelColumn;
  const candidates = columns.filter((c) => c !== label && !ROW_ID_COLUMNS.has(c.toLowerCase()));
  const rule: string[] =
    candidates.includes('sentence1') && candidates.includes('sentence2') ? ['sentence1', 'sentence2'] : candidates.slice(0, Math.min(2, candidates.length));
  const named = (ref: ColumnRef): string | undefined => (typeof ref === 'number' ? columns[ref] : ref);
  if (given.textColumn !== undefined) {
    if (given.textPairColumn !== undefined) return withPair(given.textColumn, given.textPairColumn);
    return withPair(given.textColumn, rule.length === 2 && rule[0] === named(given.textColumn) ? rule[1] : null);
  }
  if (given.textPairColumn === null) return rule.length > 0 ? { textColumn: rule[0] } : undefined;
  if (given.textPairColumn !== undefined) {
    const pair = named(given.textPairColumn);
    const text = rule.find((c) => c !== pair) ?? candidates.find((c) => c !== pair);
    return text !== undefined ? withPair(text, given.textPairColumn) : undefined;
  }
  if (rule.length === 0) return undefined;
  return withPair(rule[0], rule[1] ?? null);
}

function withPair(textColumn: ColumnRef, textPairColumn: ColumnRef | null): TextColumns {
  return textPairColumn === null ? { textColumn } : { textColumn, textPairColumn };
}

/**
 * The column names of a TSV/CSV file with a header, or the keys of the first record of a JSON /
 * JSONL file; undefined for a TSV/CSV file read without a header (its columns are only indexes)
 * and for a file without records. Reads no further than the first record.
 */
export async function peekColumnNames(file: string, options: ReadRecordsOptions = {}): Promise<readonly string[] | undefined> {
  for await (const record of readRecords(file, options)) {
    if (record.columns !== undefined) return record.columns;
    return Array.isArray(record.values) ? undefined : Object.keys(record.values);
  }
  return undefined;
}
