import { DataError } from './data_error';
import { DelimitedParser, type DelimitedRecord } from './delimited_parser';
import { JsonArrayParser, type JsonElementText } from './json_array_parser';
import { JsonScanError } from './streaming_json_scanner';
import { resolveMaxLineLength } from './line_length_limit';
import { LineSplitter } from './line_splitter';
import { detectRecordFormat, type RecordFormat } from './record_format';
import { readTextChunks } from './text_chunks';

/** How quotes in TSV/CSV fields are treated. */
export type Quoting = 'none' | 'rfc4180';

/** Options of {@link readRecords}. */
export interface ReadRecordsOptions {
  /** File format; default from the extension (`.tsv`, `.csv`, `.json`, `.jsonl`, optionally `.gz`). */
  format?: RecordFormat;
  /** TSV/CSV: whether the first record names the columns. Default true. Ignored for JSON. */
  hasHeader?: boolean;
  /**
   * TSV/CSV quoting. `'rfc4180'`: double-quoted fields may hold delimiters, `""` and newlines.
   * `'none'`: quotes are ordinary characters. Default: `'none'` for TSV (GLUE files contain
   * unbalanced quotes), `'rfc4180'` for CSV.
   */
  quoting?: Quoting;
  /**
   * TSV/CSV/JSONL: the longest line accepted, in characters (JavaScript string length: UTF-16 code
   * units), and for quoted TSV/CSV also the longest record a quoted field spreads over several
   * lines. Longer is a `LINE_TOO_LONG` {@link DataError}, raised before more than the limit is held
   * in memory. Default 4 MiB (4194304). Not applied to `.json` files, which are often one line.
   */
  maxLineLength?: number;
}

/** A record read from a data file, with where it came from. */
export interface SourceRecord {
  /** The file, as passed to {@link readRecords}. */
  file: string;
  /** 1-based line where the record starts. */
  line: number;
  /**
   * The fields: by column name for JSON/JSONL and for TSV/CSV with a header; in column order
   * (strings) for TSV/CSV without one.
   */
  values: Record<string, unknown> | string[];
  /** TSV/CSV with a header: the column names in file order (one array shared by all records). */
  columns?: readonly string[];
}

/**
 * Streams the records of a TSV, CSV, JSON (top-level array of objects) or JSONL file. Nothing but
 * the current chunk of the file (about 1 MiB) and the record being read (for TSV/CSV/JSONL at most
 * `maxLineLength` characters) is held in memory, so files larger than memory can be read. Blank
 * lines are skipped; a UTF-8 BOM is removed. CSV quoting is strict, as Python's
 * `csv.reader(f, strict=True)`. Every problem is a {@link DataError} naming the file and line; the
 * records before it are delivered first.
 *
 * @example
 * for await (const r of readRecords('data/train.tsv')) console.log(r.line, r.values);
 */
export async function* readRecords(file: string, options: ReadRecordsOptions = {}): AsyncGenerator<SourceRecord, void, undefined> {
  for await (const batch of readRecordBatches(file, options)) {
    for (const record of batch) yield record;
  }
}

/**
 * {@link readRecords} in batches (the records completed by each chunk read from the file, never
 * empty). Same records and errors; much less per-record overhead for bulk consumers, since every
 * step of an async iteration costs a promise.
 */
export async function* readRecordBatches(file: string, options: ReadRecordsOptions = {}): AsyncGenerator<SourceRecord[], void, undefined> {
  const format = detectRecordFormat(file, options.format);
  if (options.quoting !== undefined && options.quoting !== 'none' && options.quoting !== 'rfc4180') {
    throw new Error(`quoting must be "none" or "rfc4180", got ${JSON.stringify(options.quoting)}`);
  }
  const maxLineLength = resolveMaxLineLength(options.maxLineLength);
  const chunks = readTextChunks(file);
  let reader: BatchReader;
  switch (format) {
    case 'tsv':
    case 'csv':
      reader = delimitedReader(
        file,
        format === 'tsv' ? '\t' : ',',
        options.hasHeader ?? true,
        options.quoting ?? (format === 'tsv' ? 'none' : 'rfc4180'),
        maxLineLength,
      );
      break;
    case 'jsonl':
      reader = jsonLinesReader(file, maxLineLength);
      break;
    case 'json':
      reader = jsonArrayReader(file);
      break;
  }
  const batch: SourceRecord[] = [];
  // On an error, the records parsed before it still go out first, as if read one by one.
  const flushThenThrow = (err: unknown): SourceRecord[] => {
    if (batch.length === 0) throw err;
    pendingError = err;
    return batch.splice(0);
  };
  let pendingError: unknown;
  for await (const chunk of chunks) {
    let out: SourceRecord[];
    try {
      reader.push(chunk, batch);
      out = batch.splice(0);
    } catch (err) {
      out = flushThenThrow(err);
    }
    if (out.length > 0) yield out;
    if (pendingError !== undefined) throw pendingError;
  }
  let out: SourceRecord[];
  try {
    reader.end(batch);
    out = batch.splice(0);
  } catch (err) {
    out = flushThenThrow(err);
  }
  if (out.length > 0) yield out;
  if (pendingError !== undefined) throw pendingError;
}

/** Turns text chunks into records, appending them to `out`; throws a {@link DataError}. */
interface BatchReader {
  push(chunk: string, out: SourceRecord[]): void;
  end(out: SourceRecord[]): void;
}

function delimitedReader(file: string, delimiter: string, hasHeader: boolean, quoting: Quoting, maxLineLength: number): BatchReader {
  const splitter = new LineSplitter({ file, maxLineLength });
  const parser = new DelimitedParser({ file, delimiter, quoting: quoting === 'rfc4180', maxRecordLength: maxLineLength });
  let names: string[] | undefined;
  let plainObjects = true;
  let expected: { count: number; line: number } | undefined;

  const accept = (rec: DelimitedRecord, out: SourceRecord[]): void => {
    if (expected === undefined) {
      expected = { count: rec.fields.length, line: rec.line };
      if (hasHeader) {
        checkHeader(file, rec.fields, rec.line);
        names = rec.fields;
        // Plain objects share one V8 shape and are faster; only a "__proto__" column needs a
        // prototype-less object to stay an ordinary key.
        plainObjects = !names.includes('__proto__');
        return;
      }
    } else if (rec.fields.length !== expected.count) {
      throw columnCountError(file, rec, expected, hasHeader, delimiter, quoting);
    }
    if (names === undefined) {
      out.push({ file, line: rec.line, values: rec.fields });
      return;
    }
    const values: Record<string, unknown> = plainObjects ? {} : (Object.create(null) as Record<string, unknown>);
    for (let i = 0; i < names.length; i++) values[names[i]] = rec.fields[i];
    out.push({ file, line: rec.line, values, columns: names });
  };

  let sink: SourceRecord[] = [];
  const onLine = (text: string, terminator: string, line: number): void => {
    const rec = parser.pushLine(text, terminator, line);
    if (rec) accept(rec, sink);
  };
  return {
    push(chunk, out) {
      sink = out;
      splitter.push(chunk, onLine);
    },
    end(out) {
      sink = out;
      splitter.end(onLine);
      const open = parser.end();
      if (open) {
        throw new DataError(
          'UNTERMINATED_QUOTE',
          file,
          open.quoteLine,
          `unterminated quoted field: the quote that opens a field here (in the record starting at line ${open.recordLine}) is never closed before the end of the file`,
          quoting === 'rfc4180' && delimiter === '\t'
            ? 'Close the quote, write a quote inside a quoted field as "", or read the file with quoting "none"'
            : 'Close the quote, or write a quote inside a quoted field as ""',
        );
      }
    },
  };
}

function checkHeader(file: string, names: readonly string[], line: number): void {
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    const first = seen.get(name);
    if (first !== undefined) {
      throw new DataError(
        'DUPLICATE_COLUMN',
        file,
        line,
        `the header names column ${JSON.stringify(name)} twice (columns ${first} and ${i}, 0-based)`,
        'Rename one of them; if this file has no header row, read it with hasHeader false (then select columns by 0-based index)',
      );
    }
    seen.set(name, i);
  });
}

function columnCountError(
  file: string,
  rec: DelimitedRecord,
  expected: { count: number; line: number },
  hasHeader: boolean,
  delimiter: string,
  quoting: Quoting,
): DataError {
  const sep = delimiter === '\t' ? 'tab' : JSON.stringify(delimiter);
  const reference = hasHeader ? `the header on line ${expected.line}` : `the first row (line ${expected.line})`;
  const hints: string[] = [];
  // A record spans lines only through a quoted field left open at the end of its first line.
  const merged = rec.endLine !== rec.line;
  if (merged) hints.push(`close the quote opened at line ${rec.line} where its field ends, or write a quote that is part of the text as ""`);
  if (quoting === 'rfc4180' && delimiter === '\t') hints.push('GLUE-style TSVs usually need quoting "none"');
  if (quoting === 'none' && rec.fields.length > expected.count) {
    hints.push(`a text field may contain a ${sep} character; with quoting "none" it cannot be escaped`);
  }
  if (quoting === 'none' && rec.fields.length < expected.count) {
    hints.push('a text field may contain a line break that split its row in two');
  }
  return new DataError(
    'MALFORMED_ROW',
    file,
    rec.line,
    `expected ${expected.count} ${sep}-separated fields (as in ${reference}) but found ${rec.fields.length}` +
      (merged ? `; an unbalanced quote opened at line ${rec.line} probably merged lines ${rec.line}..${rec.endLine} into this one record` : ''),
    `Fix or remove this row${hints.length ? `; ${hints.join('; ')}` : ''}`,
  );
}

function jsonLinesReader(file: string, maxLineLength: number): BatchReader {
  const splitter = new LineSplitter({ file, maxLineLength });
  let sink: SourceRecord[] = [];
  const parse = (text: string, _terminator: string, line: number): void => {
    if (text.trim().length === 0) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      const message = (err as Error).message;
      const pos = /at position (\d+)/.exec(message);
      throw new DataError(
        'INVALID_JSON',
        file,
        line,
        `invalid JSON${pos ? ` (column ${Number(pos[1]) + 1})` : ''}: ${message}`,
        'Each line of a JSON Lines file must be one complete JSON object; fix or remove this line',
      );
    }
    sink.push({ file, line, values: requireObject(file, line, value) });
  };
  return {
    push(chunk, out) {
      sink = out;
      splitter.push(chunk, parse);
    },
    end(out) {
      sink = out;
      splitter.end(parse);
    },
  };
}

function jsonArrayReader(file: string): BatchReader {
  const parser = new JsonArrayParser();
  const scanError = (err: unknown): unknown =>
    err instanceof JsonScanError
      ? new DataError('INVALID_JSON', file, err.line, err.message, 'Fix the JSON (a .json data file is one array of objects, [{...}, {...}])')
      : err;
  return {
    push(chunk, out) {
      let elements: JsonElementText[];
      try {
        elements = parser.push(chunk);
      } catch (err) {
        throw scanError(err);
      }
      for (const { text, line } of elements) {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (err) {
          const message = (err as Error).message;
          const pos = /at position (\d+)/.exec(message);
          const errorLine = pos ? line + countNewlines(text, Number(pos[1])) : line;
          throw new DataError(
            'INVALID_JSON',
            file,
            errorLine,
            `invalid JSON in the record that starts at line ${line}: ${message}`,
            'Fix the record; each element of the top-level array must be a valid JSON object',
          );
        }
        out.push({ file, line, values: requireObject(file, line, value) });
      }
    },
    end() {
      try {
        parser.end();
      } catch (err) {
        throw scanError(err);
      }
    },
  };
}

function requireObject(file: string, line: number, value: unknown): Record<string, unknown> {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
  throw new DataError(
    'INVALID_JSON',
    file,
    line,
    `expected a JSON object ({...}) as the record, found ${kind}`,
    'Write each record as an object whose keys are the column names',
  );
}

function countNewlines(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
