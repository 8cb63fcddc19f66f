// The line length limit of the line-based readers (issue 12: a 10 MB single line must fail early
// with a clear error instead of being accumulated).
import { DataError } from '../../lib/data/readers/data_error';
import { DEFAULT_MAX_LINE_LENGTH } from '../../lib/data/readers/line_length_limit';
import { LineSplitter, type LineHandler } from '../../lib/data/readers/line_splitter';
import { readRecords, type ReadRecordsOptions, type SourceRecord } from '../../lib/data/readers/read_records';
import { tempDirPerTest } from '../helpers/temp_dir';

const { write } = tempDirPerTest('bertrun-line-length-');

const TEN_MB = 10_000_000;

async function readAll(file: string, options?: ReadRecordsOptions): Promise<{ records: SourceRecord[]; error?: DataError }> {
  const records: SourceRecord[] = [];
  try {
    for await (const r of readRecords(file, options)) records.push(r);
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return { records, error: err as DataError };
  }
  return { records };
}

/**
 * Watches every LineSplitter.push while `run` runs: how much text a push holds at once (the
 * unfinished line plus the new chunk), the longest chunk, the unfinished line left after each
 * push, and how many chunks were pushed.
 */
async function watchSplitter(run: () => Promise<void>): Promise<{ maxHeld: number; maxChunk: number; maxPendingAfter: number; pushes: number }> {
  const original = LineSplitter.prototype.push;
  const seen = { maxHeld: 0, maxChunk: 0, maxPendingAfter: 0, pushes: 0 };
  const spy = jest.spyOn(LineSplitter.prototype, 'push').mockImplementation(function (this: LineSplitter, chunk: string, onLine: LineHandler) {
    seen.pushes++;
    seen.maxChunk = Math.max(seen.maxChunk, chunk.length);
    seen.maxHeld = Math.max(seen.maxHeld, this.pendingLength + chunk.length);
    try {
      original.call(this, chunk, onLine);
    } finally {
      seen.maxPendingAfter = Math.max(seen.maxPendingAfter, this.pendingLength);
    }
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return seen;
}

describe('LineSplitter', () => {
  test('throws as soon as the unfinished line passes the limit, never holding more than it', () => {
    const splitter = new LineSplitter({ file: 'f.tsv', maxLineLength: 10_000 });
    const lines: Array<[string, number]> = [];
    const onLine: LineHandler = (text, _t, line) => lines.push([text, line]);
    splitter.push('short\nsecond\n', onLine);
    let thrown: unknown;
    let pushes = 0;
    for (; pushes < 100 && thrown === undefined; pushes++) {
      try {
        splitter.push('x'.repeat(1000), onLine);
      } catch (err) {
        thrown = err;
      }
      expect(splitter.pendingLength).toBeLessThanOrEqual(10_000);
    }
    // 10 chunks make exactly 10,000 characters (allowed); the 11th passes the limit.
    expect(pushes).toBe(11);
    expect(lines).toEqual([
      ['short', 1],
      ['second', 2],
    ]);
    expect(thrown).toBeInstanceOf(DataError);
    const err = thrown as DataError;
    expect(err.code).toBe('LINE_TOO_LONG');
    expect(err.file).toBe('f.tsv');
    expect(err.line).toBe(3);
    expect(err.message).toBe(
      'f.tsv:3: line is longer than 10000 characters, the line length limit (stopped reading after 11000 characters of it). ' +
        'Fix: raise --max_line_length (maxLineLength) if the line is meant to be this long, or split the record',
    );
  });

  test('a complete line inside one chunk is checked too; a line of exactly the limit passes, CRLF split across chunks included', () => {
    const got: Array<[number, string, number]> = [];
    const onLine: LineHandler = (text, terminator, line) => got.push([text.length, terminator, line]);
    const splitter = new LineSplitter({ file: 'f.jsonl', maxLineLength: 100 });
    splitter.push(`${'a'.repeat(100)}\r`, onLine);
    splitter.push(`\n${'b'.repeat(100)}\n`, onLine);
    expect(got).toEqual([
      [100, '\r\n', 1],
      [100, '\n', 2],
    ]);
    expect(() => splitter.push(`ok\n${'c'.repeat(101)}\nnext\n`, onLine)).toThrow(
      /^f\.jsonl:4: line is longer than 100 characters, the line length limit \(it has 101\)/,
    );
  });

  test('a long line of lone \\r (old Mac line endings) gets a hint to convert them', () => {
    const splitter = new LineSplitter({ file: 'mac.tsv', maxLineLength: 50 });
    expect(() => splitter.push('a\tb\r'.repeat(20), () => undefined)).toThrow(/old Mac style\), convert them to "\\n"/);
  });

  test('the default limit is 4 MiB; a limit that is not a positive integer is refused', () => {
    expect(DEFAULT_MAX_LINE_LENGTH).toBe(4 * 1024 * 1024);
    expect(() => new LineSplitter({ maxLineLength: 0 })).toThrow(/must be a positive whole number/);
    expect(() => new LineSplitter({ maxLineLength: 1.5 })).toThrow(/must be a positive whole number/);
  });
});

describe('readRecords with a line over the limit', () => {
  test('a 10 MB single line in a .tsv fails at line 1 naming the limit, after reading about 4 MiB of it', async () => {
    const file = write('huge.tsv', Buffer.alloc(TEN_MB, 'a'));
    let result: { records: SourceRecord[]; error?: DataError } = { records: [] };
    const seen = await watchSplitter(async () => {
      result = await readAll(file);
    });
    expect(result.records).toEqual([]);
    expect(result.error?.code).toBe('LINE_TOO_LONG');
    expect(result.error?.message).toMatch(
      new RegExp(`^${escape(file)}:1: line is longer than 4194304 characters \\(4 MiB\\), the line length limit.*Fix: raise --max_line_length`),
    );
    // Memory stays proportional to the limit: the splitter never held more than the limit plus
    // one chunk, and stopped reading the file after the chunk that passed the limit (the file has
    // about 10 chunks of 1 MiB).
    expect(seen.maxHeld).toBeLessThanOrEqual(DEFAULT_MAX_LINE_LENGTH + seen.maxChunk);
    expect(seen.maxPendingAfter).toBeLessThanOrEqual(DEFAULT_MAX_LINE_LENGTH + 1);
    expect(seen.pushes).toBeLessThanOrEqual(Math.ceil(DEFAULT_MAX_LINE_LENGTH / seen.maxChunk) + 1);
    expect(seen.pushes * seen.maxChunk).toBeLessThan(TEN_MB);
  });

  test('a 10 MB line in a .jsonl fails at its own line, after the records before it', async () => {
    const file = write('huge.jsonl', Buffer.concat([Buffer.from('{"a": 1}\n{"a": 2}\n{"text": "'), Buffer.alloc(TEN_MB, 'b'), Buffer.from('"}\n{"a": 4}\n')]));
    let result: { records: SourceRecord[]; error?: DataError } = { records: [] };
    const seen = await watchSplitter(async () => {
      result = await readAll(file);
    });
    expect(result.records.map((r) => [r.line, r.values])).toEqual([
      [1, { a: 1 }],
      [2, { a: 2 }],
    ]);
    expect(result.error?.code).toBe('LINE_TOO_LONG');
    expect(result.error?.message.startsWith(`${file}:3: line is longer than 4194304 characters (4 MiB)`)).toBe(true);
    expect(seen.maxHeld).toBeLessThanOrEqual(DEFAULT_MAX_LINE_LENGTH + seen.maxChunk);
    expect(seen.pushes * seen.maxChunk).toBeLessThan(TEN_MB);
  });

  test('maxLineLength sets the limit for TSV, CSV and JSONL; lines at the limit are read', async () => {
    const at = 'x'.repeat(40);
    for (const [name, header] of [
      ['t.tsv', 'h'],
      ['c.csv', 'h'],
      ['j.jsonl', '{"h": 0}'],
    ] as const) {
      const row = name.endsWith('.jsonl') ? `{"h": "${at.slice(9)}"}` : at;
      const ok = write(name, `${header}\n${row}\n`);
      expect((await readAll(ok, { maxLineLength: 40 })).records).toHaveLength(name.endsWith('.jsonl') ? 2 : 1);
      const long = write(name, `${header}\n${row}\n${row}y\n`);
      const { error } = await readAll(long, { maxLineLength: 40 });
      expect(error?.code).toBe('LINE_TOO_LONG');
      expect(error?.message.startsWith(`${long}:3: line is longer than 40 characters, the line length limit`)).toBe(true);
    }
    await expect(readRecords(write('x.tsv', 'a\n'), { maxLineLength: -1 }).next()).rejects.toThrow(
      /maxLineLength \(--max_line_length\) must be a positive whole number/,
    );
  });

  test('.json files (one huge line is normal for SQuAD) are not limited', async () => {
    const file = write('one-line.json', `[{"text": "${'z'.repeat(5000)}"}, {"text": "b"}]`);
    const { records, error } = await readAll(file, { maxLineLength: 100 });
    expect(error).toBeUndefined();
    expect(records.map((r) => String((r.values as { text: string }).text).length)).toEqual([5000, 1]);
  });
});

describe('a quoted CSV record over several lines', () => {
  test('is limited in total, so a quote that is never closed stops early instead of taking in the whole file', async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => `row ${i},neg\n`).join('');
    const file = write('open.csv', `text,label\nfine,pos\n"never closed,pos\n${rows}`);
    const result = await readAll(file, { maxLineLength: 500 });
    expect(result.records.map((r) => r.line)).toEqual([2]);
    const err = result.error;
    expect(err?.code).toBe('LINE_TOO_LONG');
    expect(err?.line).toBe(3);
    // Each line "row N,neg\n" has 10-12 characters: the 500 are passed around line 50, long before the end.
    expect(err?.message).toMatch(
      new RegExp(
        `^${escape(file)}:3: the record that starts here is longer than 500 characters, the line length limit, by line (4\\d|5\\d): the quoted field opened at line 3 is still open`,
      ),
    );
    expect(err?.message).toContain('Fix: close the quote');
    // Without the limit in the way, the same file is the unterminated quote it is.
    const { error: unterminated } = await readAll(file);
    expect(unterminated?.code).toBe('UNTERMINATED_QUOTE');
  });

  test('records with line breaks inside quotes under the limit read normally', async () => {
    const text = Array.from({ length: 10 }, (_, i) => `line ${i}`).join('\n');
    const file = write('ok.csv', `text,label\n"${text}",pos\nnext,neg\n`);
    const { records, error } = await readAll(file, { maxLineLength: text.length + 6 });
    expect(error).toBeUndefined();
    expect(records.map((r) => [r.line, r.values])).toEqual([
      [2, { text, label: 'pos' }],
      [12, { text: 'next', label: 'neg' }],
    ]);
    // One character less and the record (quote, text, quote, ",pos") is over the limit.
    expect((await readAll(file, { maxLineLength: text.length + 5 })).error?.code).toBe('LINE_TOO_LONG');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
