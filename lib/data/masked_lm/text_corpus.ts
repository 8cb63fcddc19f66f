// The texts of a masked-language-model corpus (`--train_file` / `--validation_file`): plain text
// (one text per line) or the text column of a JSON/JSONL/CSV/TSV file, streamed in batches, and for
// line-based files (.txt, .jsonl, not gzipped) a byte-offset index for reading text k at random.
import * as fs from 'fs';
import type { ColumnRef } from '../examples/column_ref';
import { columnText } from '../examples/text_examples';
import { DataError } from '../readers/data_error';
import { LineSplitter } from '../readers/line_splitter';
import { readRecordBatches, type SourceRecord } from '../readers/read_records';
import { formatFromExtension } from '../readers/record_format';
import { readTextChunks } from '../readers/text_chunks';

/** `text`: one text per line; the others: a column of each record. */
export type CorpusFormat = 'text' | 'jsonl' | 'json' | 'csv' | 'tsv';

const BY_EXTENSION: Readonly<Record<string, CorpusFormat>> = {
  '.txt': 'text',
  '.text': 'text',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.json': 'json',
  '.csv': 'csv',
  '.tsv': 'tsv',
  '.tab': 'tsv',
};

const TEXT_COLUMN_OPTION = '--text_column_name';

export interface TextCorpusOptions {
  /** Default: from the extension (`.txt`, `.jsonl`, `.json`, `.csv`, `.tsv`, each optionally `.gz`). */
  format?: CorpusFormat;
  /** JSON/JSONL/CSV/TSV: the column holding the text. Default, as run_mlm.py: `text` when the first record has it, else its first column. */
  textColumnName?: ColumnRef;
  /**
   * Keep empty and whitespace-only texts (default false: skipped, as run_mlm.py's `--line_by_line`
   * does; its grouping mode keeps them, each then adding only `[CLS] [SEP]`).
   */
  keepEmptyTexts?: boolean;
  /** Longest line accepted, in characters (default 4 MiB, see `line_length_limit`). */
  maxLineLength?: number;
  /** Texts per batch yielded by {@link readCorpusTexts} (the last batch may be smaller). Default 1000. */
  batchSize?: number;
}

/** Texts with, for addressable files, where each one's bytes lie (`starts[i] === -1` otherwise). */
interface EntryBatch {
  texts: string[];
  starts: number[];
  byteLengths: number[];
}

/**
 * Streams the texts of `file` in batches, in file order, skipping empty ones unless asked. Holds
 * one chunk of the file (about 1 MiB) and one batch at a time. Throws a {@link DataError} naming
 * the file (and line) for a missing or malformed file, and `EMPTY_DATASET` when it has no text.
 */
export async function* readCorpusTexts(file: string, options: TextCorpusOptions = {}): AsyncGenerator<string[], void, undefined> {
  let any = false;
  for await (const batch of corpusEntries(file, options, { column: undefined })) {
    any = true;
    yield batch.texts;
  }
  if (!any) throw emptyCorpus(file);
}

/**
 * A corpus opened for random access: one streamed pass records where each text's bytes start and
 * how many there are (12 bytes per text; the texts themselves are not kept), then {@link text}
 * reads text k with one positioned read. Only line-based files that are not gzipped can be read
 * this way (`.txt`, `.jsonl`): `.gz` files and JSON arrays / CSV / TSV (whose records may span or
 * share lines) are indexed for their count only and read sequentially with {@link batches}.
 */
export class TextCorpus {
  private handle: Promise<fs.promises.FileHandle> | undefined;

  private constructor(
    readonly file: string,
    readonly format: CorpusFormat,
    /** Number of texts. */
    readonly size: number,
    private readonly options: TextCorpusOptions,
    private readonly column: ColumnRef | undefined,
    private readonly starts: Float64Array | null,
    private readonly byteLengths: Uint32Array | null,
  ) {}

  /** Indexes `file` in one streamed pass. Throws as {@link readCorpusTexts} does. */
  static async open(file: string, options: TextCorpusOptions = {}): Promise<TextCorpus> {
    const format = corpusFormat(file, options.format);
    const addressable = !isGzip(file) && (format === 'text' || format === 'jsonl');
    const starts = new GrowableArray(Float64Array);
    const lengths = new GrowableArray(Uint32Array);
    const resolved: { column: ColumnRef | undefined } = { column: undefined };
    let size = 0;
    for await (const batch of corpusEntries(file, options, resolved)) {
      size += batch.texts.length;
      if (!addressable) continue;
      for (let i = 0; i < batch.starts.length; i++) {
        starts.push(batch.starts[i]);
        lengths.push(batch.byteLengths[i]);
      }
    }
    if (size === 0) throw emptyCorpus(file);
    return addressable
      ? new TextCorpus(file, format, size, options, resolved.column, starts.finish(), lengths.finish())
      : new TextCorpus(file, format, size, options, resolved.column, null, null);
  }

  /** Whether {@link text} works (a `.txt` or `.jsonl` file that is not gzipped). */
  get randomAccess(): boolean {
    return this.starts !== null;
  }

  /** The texts in file order, as {@link readCorpusTexts} streams them (re-reads the file). */
  batches(): AsyncGenerator<string[], void, undefined> {
    return readCorpusTexts(this.file, { ...this.options, format: this.format, textColumnName: this.column });
  }

  /** Text `k` (0-based, counting only the texts kept), read from the file. */
  async text(k: number): Promise<string> {
    if (this.starts === null || this.byteLengths === null) {
      throw new Error(`${this.file}: random access needs an uncompressed .txt or .jsonl file; read this corpus sequentially with batches()`);
    }
    if (!Number.isInteger(k) || k < 0 || k >= this.size) throw new RangeError(`text index ${k} is outside 0..${this.size - 1}`);
    const length = this.byteLengths[k];
    const start = this.starts[k];
    // The promise is kept, so concurrent reads share one open file; a failed open is retried next time.
    if (this.handle === undefined) {
      const opening = fs.promises.open(this.file, 'r');
      this.handle = opening;
      opening.catch(() => {
        if (this.handle === opening) this.handle = undefined;
      });
    }
    const handle = await this.handle;
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await handle.read(buf, done, length - done, start + done);
      if (bytesRead === 0) throw new Error(`${this.file}: the file is shorter than when it was indexed; reopen the corpus`);
      done += bytesRead;
    }
    const line = buf.toString('utf8');
    if (this.format === 'text') return line;
    return textOf({ file: this.file, line: 0, values: parseJsonObject(this.file, 0, line) }, this.column ?? 'text');
  }

  /** Closes the file opened by {@link text}. */
  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    const open = await handle?.catch(() => undefined);
    await open?.close();
  }
}

function corpusFormat(file: string, explicit: CorpusFormat | undefined): CorpusFormat {
  return formatFromExtension(file, BY_EXTENSION, explicit);
}

function isGzip(file: string): boolean {
  return file.toLowerCase().endsWith('.gz');
}

/** Entries of `file` in batches; `resolved.column` receives the text column chosen from the first record. */
async function* corpusEntries(
  file: string,
  options: TextCorpusOptions,
  resolved: { column: ColumnRef | undefined },
): AsyncGenerator<EntryBatch, void, undefined> {
  const format = corpusFormat(file, options.format);
  const batchSize = options.batchSize ?? 1000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  resolved.column = options.textColumnName;
  const keepEmpty = options.keepEmptyTexts ?? false;
  const source =
    format === 'text' || format === 'jsonl'
      ? lineEntries(file, format, options, resolved, keepEmpty)
      : recordEntries(file, format, options, resolved, keepEmpty);
  let pending: EntryBatch = newBatch();
  for await (const batch of source) {
    for (let i = 0; i < batch.texts.length; i++) {
      pending.texts.push(batch.texts[i]);
      pending.starts.push(batch.starts[i]);
      pending.byteLengths.push(batch.byteLengths[i]);
      if (pending.texts.length === batchSize) {
        yield pending;
        pending = newBatch();
      }
    }
  }
  if (pending.texts.length > 0) yield pending;
}

function newBatch(): EntryBatch {
  return { texts: [], starts: [], byteLengths: [] };
}

/** `.txt` and `.jsonl`: one text per line, with its byte range (lines are counted from after a UTF-8 BOM). */
async function* lineEntries(
  file: string,
  format: 'text' | 'jsonl',
  options: TextCorpusOptions,
  resolved: { column: ColumnRef | undefined },
  keepEmpty: boolean,
): AsyncGenerator<EntryBatch, void, undefined> {
  const splitter = new LineSplitter({ file, maxLineLength: options.maxLineLength });
  const gz = isGzip(file);
  let offset = gz ? 0 : await bomLength(file);
  let batch = newBatch();
  const onLine = (text: string, terminator: string, line: number): void => {
    const start = offset;
    const bytes = Buffer.byteLength(text, 'utf8');
    offset += bytes + terminator.length;
    let value: string;
    if (format === 'text') {
      value = text;
    } else {
      if (isBlank(text)) return;
      const record: SourceRecord = { file, line, values: parseJsonObject(file, line, text) };
      resolved.column ??= defaultColumn(Object.keys(record.values));
      value = textOf(record, resolved.column);
    }
    if (!keepEmpty && isBlank(value)) return;
    batch.texts.push(value);
    batch.starts.push(gz ? -1 : start);
    batch.byteLengths.push(bytes);
  };
  for await (const chunk of readTextChunks(file)) {
    splitter.push(chunk, onLine);
    if (batch.texts.length > 0) {
      yield batch;
      batch = newBatch();
    }
  }
  splitter.end(onLine);
  if (batch.texts.length > 0) yield batch;
}

/** JSON arrays, CSV, TSV: through the project's record readers (sequential only). */
async function* recordEntries(
  file: string,
  format: 'json' | 'csv' | 'tsv',
  options: TextCorpusOptions,
  resolved: { column: ColumnRef | undefined },
  keepEmpty: boolean,
): AsyncGenerator<EntryBatch, void, undefined> {
  for await (const records of readRecordBatches(file, { format, maxLineLength: options.maxLineLength })) {
    const batch = newBatch();
    for (const record of records) {
      resolved.column ??= defaultColumn(record.columns ?? (Array.isArray(record.values) ? [] : Object.keys(record.values)));
      const value = textOf(record, resolved.column);
      if (!keepEmpty && isBlank(value)) continue;
      batch.texts.push(value);
      batch.starts.push(-1);
      batch.byteLengths.push(0);
    }
    if (batch.texts.length > 0) yield batch;
  }
}

/** run_mlm.py: `text` when there is such a column, else the first one. */
function defaultColumn(columns: readonly string[]): ColumnRef {
  return columns.includes('text') || columns.length === 0 ? 'text' : columns[0];
}

/** The text of `record`'s column (see columnText). */
function textOf(record: SourceRecord, column: ColumnRef): string {
  return columnText(record, column, TEXT_COLUMN_OPTION);
}

function parseJsonObject(file: string, line: number, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new DataError(
      'INVALID_JSON',
      file,
      line,
      `invalid JSON: ${(err as Error).message}`,
      'Each line of a JSON Lines file must be one complete JSON object; fix or remove this line',
    );
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  throw new DataError(
    'INVALID_JSON',
    file,
    line,
    'expected a JSON object ({...}) as the record',
    'Write each record as an object whose keys are the column names',
  );
}

function isBlank(text: string): boolean {
  return text.length === 0 || text.trim().length === 0;
}

/** 3 when `file` starts with a UTF-8 byte order mark (which readTextChunks drops), else 0. */
async function bomLength(file: string): Promise<number> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch {
    return 0; // readTextChunks reports a missing file as a DataError
  }
  try {
    const head = Buffer.alloc(3);
    const { bytesRead } = await handle.read(head, 0, 3, 0);
    return bytesRead === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  } finally {
    await handle.close();
  }
}

function emptyCorpus(file: string): DataError {
  return new DataError(
    'EMPTY_DATASET',
    file,
    undefined,
    'the corpus has no text (the file is empty or holds only blank lines or empty texts)',
    `Check that the path points to the intended file and, for JSON/CSV/TSV, that ${TEXT_COLUMN_OPTION} names the column with the text`,
  );
}

type NumericArray = Float64Array | Uint32Array;

/** An append-only typed array that doubles when full; {@link finish} returns it trimmed. */
class GrowableArray<T extends NumericArray> {
  private data: T;
  private length = 0;

  constructor(private readonly Type: { new (n: number): T }) {
    this.data = new Type(1024);
  }

  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = new this.Type(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }

  finish(): T {
    return this.data.slice(0, this.length) as T;
  }
}
