import * as path from 'path';
import { DataError } from './data_error';

/** File formats {@link readRecords} understands. */
export type RecordFormat = 'tsv' | 'csv' | 'json' | 'jsonl';

const BY_EXTENSION: Readonly<Record<string, RecordFormat>> = {
  '.tsv': 'tsv',
  '.tab': 'tsv',
  '.csv': 'csv',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
};

/** Whether `value` names a {@link RecordFormat}. */
export function isRecordFormat(value: string): value is RecordFormat {
  return value === 'tsv' || value === 'csv' || value === 'json' || value === 'jsonl';
}

/**
 * The format of `file` from its extension (a trailing `.gz` is looked through), or `explicit`
 * when given. Throws a {@link DataError} naming the accepted extensions when neither says.
 */
export function detectRecordFormat(file: string, explicit?: RecordFormat): RecordFormat {
  if (explicit !== undefined) {
    if (!isRecordFormat(explicit)) {
      throw new DataError('UNKNOWN_FORMAT', file, undefined, `unknown format ${JSON.stringify(explicit)}`, 'Use one of: tsv, csv, json, jsonl');
    }
    return explicit;
  }
  let name = path.basename(file).toLowerCase();
  if (name.endsWith('.gz')) name = name.slice(0, -3);
  const format = BY_EXTENSION[path.extname(name)];
  if (format === undefined) {
    throw new DataError(
      'UNKNOWN_FORMAT',
      file,
      undefined,
      `cannot tell the format from the extension ${JSON.stringify(path.extname(name))}`,
      'Rename the file to .tsv, .csv, .json or .jsonl, or pass the format explicitly (format: "tsv" | "csv" | "json" | "jsonl")',
    );
  }
  return format;
}
