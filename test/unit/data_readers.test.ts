import * as path from 'path';
import * as zlib from 'zlib';
import { DataError } from '../../lib/data/readers/data_error';
import { readRecords, type ReadRecordsOptions, type SourceRecord } from '../../lib/data/readers/read_records';
import { detectRecordFormat } from '../../lib/data/readers/record_format';
import { tempDirPerTest } from '../helpers/temp_dir';

const { dir: tmpDir, write } = tempDirPerTest('bertrun-readers-');

async function collect(file: string, options?: ReadRecordsOptions): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const r of readRecords(file, options)) out.push(r);
  return out;
}

async function failure(file: string, options?: ReadRecordsOptions): Promise<DataError> {
  try {
    await collect(file, options);
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error(`reading ${file} did not fail`);
}

const brief = (rs: SourceRecord[]): Array<[number, SourceRecord['values']]> => rs.map((r) => [r.line, { ...r.values }]);

describe('TSV', () => {
  test('header, BOM, CRLF, stray quotes kept, blank lines skipped, last line without newline', async () => {
    const file = write('train.tsv', '\ufeffid\tsentence1\tsentence2\tlabel\r\n1\tHe said "hi\tok\tneutral\r\n\r\n2\t"quoted"\tx"y\tpositive\n3\ta\tb\tnegtive');
    const records = await collect(file);
    expect(brief(records)).toEqual([
      [2, { id: '1', sentence1: 'He said "hi', sentence2: 'ok', label: 'neutral' }],
      [4, { id: '2', sentence1: '"quoted"', sentence2: 'x"y', label: 'positive' }],
      [5, { id: '3', sentence1: 'a', sentence2: 'b', label: 'negtive' }],
    ]);
    expect(records[0].file).toBe(file);
    expect(records[0].columns).toEqual(['id', 'sentence1', 'sentence2', 'label']);
    expect(records[1].columns).toBe(records[0].columns);
  });

  test('without a header records are string arrays; trailing blank lines are ignored', async () => {
    const file = write('train.tsv', "gj04\t1\t\tOur friends won't buy this analysis.\ngj04\t0\t*\tOne more pseudo generalization.\n\n\n  \n");
    const records = await collect(file, { hasHeader: false });
    expect(records.map((r) => [r.line, r.values])).toEqual([
      [1, ['gj04', '1', '', "Our friends won't buy this analysis."]],
      [2, ['gj04', '0', '*', 'One more pseudo generalization.']],
    ]);
    expect(records[0].columns).toBeUndefined();
  });

  test('quoting can be turned on for TSVs written with quotes', async () => {
    const file = write('q.tsv', 'a\tb\n"x\ty"\t"two\nlines"\n');
    expect(brief(await collect(file, { quoting: 'rfc4180' }))).toEqual([[2, { a: 'x\ty', b: 'two\nlines' }]]);
    // With the TSV default (no quoting) the same file is malformed, and the message says so.
    const err = await failure(file);
    expect(err.code).toBe('MALFORMED_ROW');
    expect(err.message).toContain(`${file}:2:`);
  });

  test('wrong number of fields names file, line, both counts and the header line', async () => {
    const file = write('dev.tsv', 'id\ttext\tlabel\n1\tfine\tpos\n2\ttoo\tmany\tfields\n');
    const err = await failure(file);
    expect(err.code).toBe('MALFORMED_ROW');
    expect(err.line).toBe(3);
    expect(err.message).toMatch(new RegExp(`^${escape(file)}:3: expected 3 tab-separated fields \\(as in the header on line 1\\) but found 4`));
    expect(err.message).toContain('may contain a tab');
    const headerless = write('nohead.tsv', 'a\tb\nc\n');
    const err2 = await failure(headerless, { hasHeader: false });
    expect(err2.message).toContain(`${headerless}:2: expected 2 tab-separated fields (as in the first row (line 1)) but found 1`);
    expect(err2.message).toContain('line break');
  });

  test('a duplicated header name is an error that suggests hasHeader false', async () => {
    const file = write('dup.tsv', 'x\t1\t1\n');
    const err = await failure(file);
    expect(err.code).toBe('DUPLICATE_COLUMN');
    expect(err.message).toContain(`${file}:1:`);
    expect(err.message).toContain('hasHeader false');
  });

  test('gzip files are read through', async () => {
    const file = write('train.tsv.gz', zlib.gzipSync(Buffer.from('a\tb\n1\t2\n')));
    expect(brief(await collect(file))).toEqual([[2, { a: '1', b: '2' }]]);
  });

  test('a header name like __proto__ is an ordinary column', async () => {
    const file = write('proto.tsv', '__proto__\tconstructor\nx\ty\n');
    const [r] = await collect(file);
    expect(Object.keys(r.values)).toEqual(['__proto__', 'constructor']);
    expect((r.values as Record<string, unknown>)['__proto__']).toBe('x');
  });
});

describe('CSV', () => {
  test('quoted fields with commas, escaped quotes, newlines and CRLF inside; line is where the record starts', async () => {
    const file = write('d.csv', 'text,label\r\n"a, b",1\r\n"say ""hi""",0\r\n"two\r\nlines\nthree",1\r\nlast,0');
    expect(brief(await collect(file))).toEqual([
      [2, { text: 'a, b', label: '1' }],
      [3, { text: 'say "hi"', label: '0' }],
      [4, { text: 'two\r\nlines\nthree', label: '1' }],
      [7, { text: 'last', label: '0' }],
    ]);
  });

  test('unterminated quote names the line where the quote opened', async () => {
    const file = write('bad.csv', 'text,label\nok,1\nfine,"2\nmore\n');
    const err = await failure(file);
    expect(err.code).toBe('UNTERMINATED_QUOTE');
    expect(err.message).toMatch(new RegExp(`^${escape(file)}:3: unterminated quoted field`));
    expect(err.message).toContain('""');
  });

  test('a stray quote that swallows lines is reported with the span of the record', async () => {
    const file = write('span.csv', 'a,b\n"x,1\ny",2,3\n');
    const err = await failure(file);
    expect(err.code).toBe('MALFORMED_ROW');
    expect(err.message).toContain(
      `${file}:2: expected 2 ","-separated fields (as in the header on line 1) but found 3; an unbalanced quote opened at line 2 probably merged lines 2..3 into this one record`,
    );
    expect(err.message).toContain('close the quote opened at line 2');
  });

  test('an unbalanced quote that merged rows (the columns still adding up) is an error, not one long field', async () => {
    // Before strict quoting this read as ONE record: text = 'unclosed,pos\nb,neg\nc"', label = 'pos'.
    const file = write('merged.csv', 'text,label\nfine,neg\n"unclosed,pos\nb,neg\n"c",pos\nd,neg\n');
    const records: SourceRecord[] = [];
    let err: unknown;
    try {
      for await (const r of readRecords(file)) records.push(r);
    } catch (e) {
      err = e;
    }
    expect(brief(records)).toEqual([[2, { text: 'fine', label: 'neg' }]]);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('MALFORMED_QUOTE');
    expect((err as DataError).line).toBe(5);
    expect((err as DataError).message).toBe(
      `${file}:5: "," or the end of the line must follow the closing quote of a quoted field, found "c" (column 2); ` +
        'that quoted field opened at line 3, so an unbalanced quote there probably merged lines 3..5 into one record. ' +
        'Fix: close the quote opened at line 3 where its field ends, or write it as ""',
    );
  });

  test('text after a closing quote on the same line is an error that shows how to write a quote', async () => {
    const file = write('q.csv', 'text,label\n"He said "hi" to me",pos\n');
    const err = await failure(file);
    expect(err.code).toBe('MALFORMED_QUOTE');
    expect(err.message).toMatch(
      new RegExp(
        `^${escape(file)}:2: "," or the end of the line must follow the closing quote of a quoted field, found "h" \\(column 11\\)\\. Fix: write a quote inside a quoted field as ""`,
      ),
    );
    // Quoted TSVs get the hint to read them without quoting.
    const tsv = write('q.tsv', 'text\tlabel\n"a"b\t1\n');
    const err2 = await failure(tsv, { quoting: 'rfc4180' });
    expect(err2.code).toBe('MALFORMED_QUOTE');
    expect(err2.message).toContain(`${tsv}:2: a tab or the end of the line must follow`);
    expect(err2.message).toContain('quoting "none"');
    // The same file with the TSV default (no quoting) is fine.
    expect(brief(await collect(tsv))).toEqual([[2, { text: '"a"b', label: '1' }]]);
  });
});

describe('JSON', () => {
  test('a pretty-printed array: each record carries the line of its opening brace', async () => {
    const file = write(
      'train.json',
      '\ufeff[\n  {\n    "text": "a [bracket] and {brace}",\n    "label": ["x", "y"]\n  },\n  {"text": "esc \\" \\\\ \\"}", "nested": {"k": [1, {"z": null}]}},\n\n  {"text": "c"}\n]\n\n',
    );
    expect(brief(await collect(file))).toEqual([
      [2, { text: 'a [bracket] and {brace}', label: ['x', 'y'] }],
      [6, { text: 'esc " \\ "}', nested: { k: [1, { z: null }] } }],
      [8, { text: 'c' }],
    ]);
  });

  test('an empty array has no records; JSON Lines saved as .json is accepted', async () => {
    expect(await collect(write('empty.json', ' [ ] '))).toEqual([]);
    expect(brief(await collect(write('lines.json', '{"a": 1}\n{"a": 2}\n')))).toEqual([
      [1, { a: 1 }],
      [2, { a: 2 }],
    ]);
  });

  test('an invalid record reports the line of the error and the parser message', async () => {
    const file = write('bad.json', '[\n{"a": 1},\n{"a": 2,\n "b" 3}\n]');
    const err = await failure(file);
    expect(err.code).toBe('INVALID_JSON');
    expect(err.message.startsWith(`${file}:4: invalid JSON in the record that starts at line 3: ${parserMessage('{"a": 2,\n "b" 3}')}`)).toBe(true);
  });

  test.each([
    ['trailing comma', '[{"a":1},\n]', 2, 'trailing comma'],
    ['a non-object element', '[{"a":1},\n 5]', 2, 'must be a JSON object'],
    ['missing comma', '[{"a":1}\n{"a":2}]', 2, 'expected "," or "]"'],
    ['a top-level scalar', '\n"text"', 2, 'expected a JSON array of objects'],
    ['a truncated array', '[\n{"a":1},\n{"a":2}', 1, 'truncated'],
    ['a truncated record', '[\n{"a":1},\n{"a":\n', 3, 'truncated'],
    ['text after the array', '[{"a":1}]\nx', 2, 'after the end of the top-level array'],
  ])('%s is an INVALID_JSON error at the right line', async (_what, content, line, words) => {
    const file = write('x.json', content);
    const err = await failure(file);
    expect(err.code).toBe('INVALID_JSON');
    expect(err.message.startsWith(`${file}:${line}: `)).toBe(true);
    expect(err.message).toContain(words);
  });

  test('records split across read chunks are reassembled', async () => {
    const long = 'w'.repeat(3 << 20);
    const file = write('big.json', `[{"text": "${long}", "n": 1},\n{"text": "é😀", "n": 2}]`);
    const records = await collect(file);
    expect(records.map((r) => [r.line, (r.values as { n: number }).n, String((r.values as { text: string }).text).length])).toEqual([
      [1, 1, long.length],
      [2, 2, 3],
    ]);
  });
});

describe('JSONL', () => {
  test('blank lines skipped, CRLF and missing final newline handled', async () => {
    const file = write('d.jsonl', '{"text": "a", "label": 1}\r\n\r\n{"text": "b", "label": [0, 2]}\n   \n{"text": "c"}');
    expect(brief(await collect(file))).toEqual([
      [1, { text: 'a', label: 1 }],
      [3, { text: 'b', label: [0, 2] }],
      [5, { text: 'c' }],
    ]);
  });

  test('an invalid line names the line and carries the parser message', async () => {
    const file = write('bad.jsonl', '{"a": 1}\n{"a": 1,}\n');
    const err = await failure(file);
    expect(err.code).toBe('INVALID_JSON');
    expect(err.message.startsWith(`${file}:2: invalid JSON (column 9): ${parserMessage('{"a": 1,}')}`)).toBe(true);
    const arr = write('arr.jsonl', '{"a": 1}\n[1, 2]\n');
    const err2 = await failure(arr);
    expect(err2.message).toContain(`${arr}:2: expected a JSON object ({...}) as the record, found an array`);
  });
});

describe('formats, files, encodings', () => {
  test('format comes from the extension (through .gz) or is explicit', () => {
    expect(detectRecordFormat('a/b/train.TSV')).toBe('tsv');
    expect(detectRecordFormat('x.csv.gz')).toBe('csv');
    expect(detectRecordFormat('x.ndjson')).toBe('jsonl');
    expect(detectRecordFormat('x.txt', 'tsv')).toBe('tsv');
    expect(() => detectRecordFormat('data/train.txt')).toThrow(/^data\/train\.txt: cannot tell the format from the extension "\.txt".*format/);
  });

  test('an explicit format overrides the extension', async () => {
    const file = write('data.txt', 'a,b\n1,2\n');
    expect(brief(await collect(file, { format: 'csv' }))).toEqual([[2, { a: '1', b: '2' }]]);
  });

  test('a missing file says so with its path', async () => {
    const file = path.join(tmpDir(), 'nope', 'train.tsv');
    const err = await failure(file);
    expect(err.code).toBe('MISSING_FILE');
    expect(err.message).toBe(`${file}: file not found. Check the path (relative paths are resolved from the current directory)`);
  });

  test('a file that is not UTF-8 (GBK) names the line and how to convert it', async () => {
    // "中文" in GBK is D6 D0 CE C4: not valid UTF-8.
    const file = write('gbk.tsv', Buffer.concat([Buffer.from('text\tlabel\nfine\t1\n'), Buffer.from([0xd6, 0xd0, 0xce, 0xc4]), Buffer.from('\t0\n')]));
    const err = await failure(file);
    expect(err.code).toBe('INVALID_ENCODING');
    expect(err.message).toMatch(new RegExp(`^${escape(file)}:3: the file is not valid UTF-8.*iconv`));
  });

  test('multi-byte characters split between read chunks decode intact', async () => {
    // Reads are 1 MiB; shifting the text by 0-3 bytes puts every byte position of 3- and 4-byte
    // characters on a chunk boundary.
    for (let shift = 0; shift < 4; shift++) {
      const text = '中文句子😀é'.repeat(150_000);
      const file = write(`mb${shift}.tsv`, `${'x'.repeat(shift)}\tlabel\n${text}\t1\n`);
      const records = await collect(file);
      expect(records).toHaveLength(1);
      expect((records[0].values as Record<string, string>)[''.padEnd(shift, 'x')] === text).toBe(true);
    }
    // An invalid byte right at a chunk boundary is still caught.
    const bad = write('bad-boundary.tsv', Buffer.concat([Buffer.from(`t\n${'a'.repeat((1 << 20) - 4)}\n`), Buffer.from([0xe4, 0xb8]), Buffer.from('\n')]));
    const err = await failure(bad);
    expect(err.code).toBe('INVALID_ENCODING');
    expect(err.message.startsWith(`${bad}:3:`)).toBe(true);
    // ...and so is a sequence cut off by the end of the file.
    const cut = write('cut.tsv', Buffer.concat([Buffer.from('t\nok\n'), Buffer.from([0xf0, 0x9f, 0x98])]));
    expect((await failure(cut)).message.startsWith(`${cut}:3: the file is not valid UTF-8`)).toBe(true);
  });

  test('a UTF-16 file (as Windows Notepad saves "Unicode") is named as such', async () => {
    const file = write('utf16.csv', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('text,label\n', 'utf16le')]));
    const err = await failure(file);
    expect(err.code).toBe('INVALID_ENCODING');
    expect(err.message).toContain(`${file}:1: the file is UTF-16`);
  });

  test('an empty file yields no records', async () => {
    expect(await collect(write('e.tsv', ''))).toEqual([]);
    expect(await collect(write('e.jsonl', '\n\n'))).toEqual([]);
    expect(await collect(write('e.json', ''))).toEqual([]);
  });
});

function parserMessage(json: string): string {
  try {
    JSON.parse(json);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected invalid JSON');
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
