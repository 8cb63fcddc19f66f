// Live comparison of the TSV/CSV reader with Python's csv module, which run_glue.py and
// Hugging Face datasets rely on.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataError } from '../../lib/data/readers/data_error';
import { readRecords, type ReadRecordsOptions } from '../../lib/data/readers/read_records';
import { runPython } from '../helpers/python';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-csv-py-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

// Prints [[startLine, fields], ...] for each file; blank lines (rows == []) are dropped as
// csv.DictReader does. The start line is one past where the previous row ended. On a csv.Error,
// its message and reader.line_num (the line being read when it was raised).
const PY_READ = `
import csv, json, sys
out = {}
for spec in json.loads(sys.argv[1]):
    kw = {'delimiter': spec['delimiter']}
    if spec['quoting'] == 'none':
        kw['quoting'] = csv.QUOTE_NONE
    if spec.get('strict'):
        kw['strict'] = True
    with open(spec['file'], newline='', encoding='utf-8-sig') as f:
        reader = csv.reader(f, **kw)
        rows, prev = [], 0
        try:
            for row in reader:
                start, prev = prev + 1, reader.line_num
                if row:
                    rows.append([start, row])
            out[spec['file']] = {'rows': rows}
        except csv.Error as e:
            out[spec['file']] = {'error': str(e), 'line': reader.line_num}
print(json.dumps(out))
`;

interface PySpec {
  file: string;
  delimiter: string;
  quoting: 'none' | 'minimal';
  strict?: boolean;
}
type PyResult = { rows: Array<[number, string[]]> } | { error: string; line: number };

function pythonRead(specs: PySpec[]): Record<string, PyResult> {
  return JSON.parse(runPython(PY_READ, [JSON.stringify(specs)])) as Record<string, PyResult>;
}

async function ours(file: string, options: ReadRecordsOptions): Promise<Array<[number, string[]]>> {
  const out: Array<[number, string[]]> = [];
  for await (const r of readRecords(file, { ...options, hasHeader: false })) out.push([r.line, r.values as string[]]);
  return out;
}

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

const CSV_CASES: Record<string, string> = {
  plain: 'a,b,c\n1,2,3\n',
  quotedDelimiters: '"a,b","c,,d",e\n',
  escapedQuotes: '"a""b","""","say ""hi"" now"\n',
  newlinesInQuotes: '"line1\nline2",x,"crlf\r\ninside"\n"blank\n\nline",y,z\n',
  crlfEverywhere: 'a,b,c\r\n1,"2\r\n3",4\r\n5,6,7\r\n',
  emptyFields: ',,\na,,\n,,c\n',
  quotedEmpty: '"","",""\n',
  noFinalNewline: 'a,b,c\n1,2,"3"',
  bom: '\ufeffh1,h2,h3\n1,2,3\n',
  quoteInsideUnquoted: 'a"b,c"",d"e"f\n',
  trailingBlankLines: 'a,b,c\n1,2,3\n\n\n\n',
  blankLinesBetween: 'a,b,c\n\n1,2,3\n\r\n4,5,6\n',
  unicode: '"中文,句子",😀,"é ""ü"""\n',
  leadingSpaceBeforeQuote: ' "a", b ,c \n',
  quoteClosesAtEndOfFile: 'a,"b"',
  lineBreaksOnlyInQuotes: 'id,text,label\n1,"first\nsecond, with comma\nthird ""quoted""",pos\n2,plain,neg\n3,"two\r\nlines",pos\n',
  lastFieldQuotedAcrossLines: 'a,b\n1,"x\n\ny"\n2,z\n',
  multiLineMidFile: 'r1,x,y\n"r2\nspans\nlines",x,y\nr3,x,y\n',
};

test('CSV edge cases read exactly as Python csv.reader(strict=True) reads them', async () => {
  const files = Object.entries(CSV_CASES).map(([name, content]) => write(`${name}.csv`, content));
  const py = pythonRead(files.map((file) => ({ file, delimiter: ',', quoting: 'minimal', strict: true })));
  for (const file of files) {
    const expected = py[file];
    if (!('rows' in expected)) throw new Error(`python failed on ${file}: ${expected.error}`);
    expect({ file, rows: await ours(file, {}) }).toEqual({ file, rows: expected.rows });
  }
});

// Inputs Python's csv.reader(strict=True) refuses: ours must refuse them too, at the same line.
const STRICT_ERROR_CASES: Record<string, { content: string; delimiter?: string; pythonError: string; line: number }> = {
  textAfterClosingQuote: { content: '"ab"c,"x"y"z",w\n', pythonError: `',' expected after '"'`, line: 1 },
  spaceAfterClosingQuote: { content: 'a,b\n"x" ,y\n', pythonError: `',' expected after '"'`, line: 2 },
  quotedWordInsideQuotedField: { content: 'text,label\nok,1\n"say "hi" now",0\n', pythonError: `',' expected after '"'`, line: 3 },
  // The fault of issue 12: the unbalanced quote on line 2 took lines 2..4 into one field, and
  // non-strict parsing glued `c"` to it, silently merging three rows into one.
  unbalancedQuoteMergesRows: { content: 'text,label\n"unclosed,pos\nb,neg\n"c",pos\nd,neg\n', pythonError: `',' expected after '"'`, line: 4 },
  textAfterQuoteAtEndOfFile: { content: 'a,"b"x', pythonError: `',' expected after '"'`, line: 1 },
  tabDelimited: { content: 'a\t"b"c\n', delimiter: '\t', pythonError: `'\t' expected after '"'`, line: 1 },
};

test.each(Object.entries(STRICT_ERROR_CASES))(
  '%s: Python csv (strict=True) raises, and so do we, at the same line',
  async (name, { content, delimiter, pythonError, line }) => {
    const file = write(`${name}.${delimiter === '\t' ? 'tsv' : 'csv'}`, content);
    const py = pythonRead([{ file, delimiter: delimiter ?? ',', quoting: 'minimal', strict: true }])[file];
    expect(py).toEqual({ error: pythonError, line });
    const err = await ours(file, { quoting: 'rfc4180' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('MALFORMED_QUOTE');
    expect((err as DataError).line).toBe(line);
    expect((err as DataError).message.startsWith(`${file}:${line}: `)).toBe(true);
    expect((err as DataError).message).toContain('. Fix: ');
  },
);

test('GLUE-style TSV with stray quotes reads as Python csv with QUOTE_NONE (how run_glue reads TSVs)', async () => {
  const file = write('qqp.tsv', 'id\tq1\tq2\tlabel\n1\tWhat is "best\tHow do I "learn" X?\t0\n2\t""\t"\t1\n3\ta\'b\t"c\t1\r\n');
  const py = pythonRead([{ file, delimiter: '\t', quoting: 'none' }])[file];
  if (!('rows' in py)) throw new Error(py.error);
  expect(await ours(file, {})).toEqual(py.rows);
  expect(py.rows[1][1]).toEqual(['1', 'What is "best', 'How do I "learn" X?', '0']);
});

test('an unterminated quote fails in both (Python with strict=True)', async () => {
  const file = write('unterminated.csv', 'a,b\n1,"open\n2,3\n');
  const py = pythonRead([{ file, delimiter: ',', quoting: 'minimal', strict: true }])[file];
  expect(py).toEqual({ error: 'unexpected end of data', line: 3 });
  await expect(ours(file, {})).rejects.toThrow(DataError);
  await expect(ours(file, {})).rejects.toThrow(`${file}:2: unterminated quoted field`);
});

test('random rows written by Python csv.writer read back identically (and as Python reads them)', async () => {
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const pieces = ['a', 'b', ' ', ',', '"', '""', '\n', '\r\n', 'é', '😀', '\t', "'"];
  const files: Array<{ file: string; rows: string[][]; terminator: string }> = [];
  for (let f = 0; f < 8; f++) {
    const width = 1 + rand(4);
    const rows: string[][] = [];
    for (let r = 0; r < 40; r++) {
      const row: string[] = [];
      for (let c = 0; c < width; c++) {
        let field = '';
        const len = rand(6);
        for (let k = 0; k < len; k++) field += pieces[rand(pieces.length)];
        row.push(field);
      }
      // A row whose only field is whitespace would be a blank line to both readers.
      if (width === 1 && row[0].trim() === '') row[0] = `x${row[0]}`;
      rows.push(row);
    }
    files.push({ file: path.join(dir, `random${f}.csv`), rows, terminator: f % 2 === 0 ? '\r\n' : '\n' });
  }
  runPython(
    `
import csv, json, sys
for spec in json.loads(sys.argv[1]):
    with open(spec['file'], 'w', newline='', encoding='utf-8') as f:
        csv.writer(f, lineterminator=spec['terminator']).writerows(spec['rows'])
`,
    [JSON.stringify(files)],
  );
  const py = pythonRead(files.map(({ file }) => ({ file, delimiter: ',', quoting: 'minimal', strict: true })));
  for (const { file, rows } of files) {
    const got = await ours(file, {});
    expect(got.map(([, fields]) => fields)).toEqual(rows);
    const expected = py[file];
    if (!('rows' in expected)) throw new Error(expected.error);
    expect(got).toEqual(expected.rows);
  }
});
