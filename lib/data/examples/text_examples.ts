import { DataError } from '../readers/data_error';
import { readRecordBatches, type ReadRecordsOptions, type SourceRecord } from '../readers/read_records';
import { readColumn, type ColumnRef } from './column_ref';

/**
 * A label as found in the data, before it is mapped to an id: a string (TSV/CSV, JSON), a number
 * or boolean (JSON), or a list of labels (JSON, multi-label).
 */
export type RawLabel = string | number | boolean | ReadonlyArray<string | number>;

/** Where an example came from. */
export interface SourceLocation {
  file: string;
  /** 1-based line where the record starts. */
  line: number;
}

/** One text-classification (or regression) example. */
export interface TextExample {
  text: string;
  /** The second sentence of a sentence-pair task. */
  textPair?: string;
  /** Absent when no label column was asked for (test sets). */
  label?: RawLabel;
  source: SourceLocation;
}

/** Options of {@link loadTextExamples}: which columns hold what, plus how to read the file. */
export interface TextExampleOptions extends ReadRecordsOptions {
  /** Column of the (first) text. */
  textColumn: ColumnRef;
  /** Column of the second text of a pair. */
  textPairColumn?: ColumnRef;
  /** Column of the label; leave out for unlabeled (test) data. */
  labelColumn?: ColumnRef;
  /** Accept texts that are empty or only whitespace instead of failing. Default false. */
  allowEmptyText?: boolean;
  /**
   * How error messages name the options above, so they say what the caller's user can change.
   * Defaults: the command-line flags `--text_column`, `--text_pair_column`, `--label_column`;
   * allowEmptyText has no flag, so its hint is left out unless named here.
   */
  optionNames?: TextExampleOptionNames;
}

/** Display names of the column options in error messages (see {@link TextExampleOptions.optionNames}). */
export interface TextExampleOptionNames {
  textColumn?: string;
  textPairColumn?: string;
  labelColumn?: string;
  allowEmptyText?: string;
}

/** The names errors use by default: bertrun's command-line flags. */
export const CLI_OPTION_NAMES = { textColumn: '--text_column', textPairColumn: '--text_pair_column', labelColumn: '--label_column' } as const;

/**
 * Streams the examples of a file one by one (see {@link loadTextExamples} for the checks);
 * does not fail on an empty file.
 */
export async function* iterateTextExamples(file: string, options: TextExampleOptions): AsyncGenerator<TextExample, void, undefined> {
  for await (const batch of readRecordBatches(file, options)) {
    for (const record of batch) yield toExample(record, options);
  }
}

/**
 * Reads all examples of a TSV/CSV/JSON/JSONL file. Labels are kept as found (see
 * {@link RawLabel}); map them with `resolveLabels` / `encodeLabel`. Throws a {@link DataError},
 * naming the file and line, for malformed rows, a missing column, an empty text, a missing label,
 * and for a file with no records at all (instead of an empty dataset surfacing during training).
 */
export async function loadTextExamples(file: string, options: TextExampleOptions): Promise<TextExample[]> {
  const examples: TextExample[] = [];
  for await (const batch of readRecordBatches(file, options)) {
    for (const record of batch) examples.push(toExample(record, options));
  }
  if (examples.length === 0) {
    throw new DataError(
      'EMPTY_DATASET',
      file,
      undefined,
      'the file has no records (it is empty, or holds only a header row, blank lines or an empty JSON array), so there is nothing to train or evaluate on',
      'Check that the path points to the intended file and that the file has data rows',
    );
  }
  return examples;
}

function toExample(record: SourceRecord, options: TextExampleOptions): TextExample {
  const allowEmpty = options.allowEmptyText ?? false;
  const names = options.optionNames ?? {};
  const emptyTextHint = names.allowEmptyText;
  const example: TextExample = {
    text: detach(readText(record, options.textColumn, names.textColumn ?? CLI_OPTION_NAMES.textColumn, allowEmpty, emptyTextHint)),
    source: { file: record.file, line: record.line },
  };
  if (options.textPairColumn !== undefined) {
    example.textPair = detach(readText(record, options.textPairColumn, names.textPairColumn ?? CLI_OPTION_NAMES.textPairColumn, allowEmpty, emptyTextHint));
  }
  if (options.labelColumn !== undefined) {
    const label = readLabel(record, options.labelColumn, names.labelColumn ?? CLI_OPTION_NAMES.labelColumn);
    example.label = typeof label === 'string' ? detach(label) : label;
  }
  return example;
}

/**
 * A copy of `s` that does not keep its source alive. Fields of TSV/CSV rows are V8 slices of the
 * whole 1 MiB chunk they were read from; keeping two sentences of an MNLI row would otherwise keep
 * the entire file (parse trees included) in memory. Concatenating flattens into a fresh string.
 */
function detach(s: string): string {
  return (' ' + s).slice(1);
}

/**
 * The text in `record`'s column: strings as they are, numbers and booleans as text, null as "";
 * an array or object is a DataError naming the column and `option`, the flag that chose it.
 */
export function columnText(record: SourceRecord, column: ColumnRef, option: string): string {
  const value = readColumn(record, column, option);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return '';
  throw new DataError(
    'MALFORMED_ROW',
    record.file,
    record.line,
    `column ${JSON.stringify(column)} holds ${Array.isArray(value) ? 'an array' : 'an object'}, not text`,
    `Point ${option} at a column that holds a string`,
  );
}

function readText(record: SourceRecord, column: ColumnRef, option: string, allowEmpty: boolean, allowEmptyOption: string | undefined): string {
  const text = columnText(record, column, option);
  if (!allowEmpty && text.trim().length === 0) {
    throw new DataError(
      'EMPTY_TEXT',
      record.file,
      record.line,
      `the text in column ${JSON.stringify(column)} is empty`,
      `Fix or remove this row${allowEmptyOption ? `, check that ${option} is the right column, or allow empty texts (${allowEmptyOption})` : `, or check that ${option} is the right column`}`,
    );
  }
  return text;
}

function readLabel(record: SourceRecord, column: ColumnRef, option: string): RawLabel {
  const value = readColumn(record, column, option);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value) && value.every((v): v is string | number => typeof v === 'string' || typeof v === 'number')) return value;
  if (value === null || value === undefined) {
    throw new DataError(
      'MISSING_LABEL',
      record.file,
      record.line,
      `the label in column ${JSON.stringify(column)} is missing (null)`,
      'Give this row a label or remove it; for unlabeled (test) data leave out the label column',
    );
  }
  throw new DataError(
    'MALFORMED_ROW',
    record.file,
    record.line,
    `the label in column ${JSON.stringify(column)} is ${JSON.stringify(value)}; a label must be a string, a number, a boolean, or a list of strings/numbers (multi-label)`,
    'Fix the label in this row',
  );
}
