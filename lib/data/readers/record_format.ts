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
 * The format of `file`: `explicit` when given (checked against `byExtension`'s formats), else
 * from its extension (a trailing `.gz` is looked through). Throws a {@link DataError} listing
 * the accepted extensions and formats when neither says.
 */
export function formatFromExtension<F extends string>(file: string, byExtension: Readonly<Record<string, F>>, explicit?: string): F {
  const formats = [...new Set(Object.values(byExtension))];
  if (explicit !== undefined) {
    if (!(formats as string[]).includes(explicit)) {
      throw new DataError('UNKNOWN_FORMAT', file, undefined, `unknown format ${JSON.stringify(explicit)}`, `Use one of: ${formats.join(', ')}`);
    }
    return explicit as F;
  }
  let name = path.basename(file).toLowerCase();
  if (name.endsWith('.gz')) name = name.slice(0, -3);
  const format = byExtension[path.extname(name)];
  if (format === undefined) {
    throw new DataError(
      'UNKNOWN_FORMAT',
      file,
      undefined,
      `cannot tell the format from the extension ${JSON.stringify(path.extname(name))}`,
      `Rename the file (${Object.keys(byExtension).join(', ')}) or pass the format explicitly (format: ${formats.map((f) => `"${f}"`).join(' | ')})`,
    );
  }
  return format;
}

/** The format of a {@link readRecords} file: `explicit`, else from its extension. */
export function detectRecordFormat(file: string, explicit?: RecordFormat): RecordFormat {
  return formatFromExtension(file, BY_EXTENSION, explicit);
}
