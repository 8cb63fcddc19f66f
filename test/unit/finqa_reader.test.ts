import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import type { FinqaEntry } from '../../lib/data/finqa/finqa_entry';
import { finqaEntries, type FinqaRecord } from '../../lib/data/finqa/finqa_reader';
import { finqaModelInput, finqaTableRowText } from '../../lib/data/finqa/model_input';
import { DataError } from '../../lib/data/readers/data_error';
import { tempDirPerTest } from '../helpers/temp_dir';

const { write } = tempDirPerTest('bertrun-finqa-');

function rawEntry(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    pre_text: [`${id} pre one .`, 'the table below shows results ( in millions ) :'],
    post_text: ['amounts may not add .'],
    filename: `${id}/2019/page_1.pdf`,
    table: [
      ['', '2019', '2018'],
      ['net revenue', '$ 1,234', '$ 1,100'],
    ],
    qa: {
      question: `what was the change in net revenue for ${id}?`,
      program: 'subtract(1234, 1100)',
      gold_inds: { table_1: 'the net revenue of 2019 is $ 1,234 ; the net revenue of 2018 is $ 1,100 ;' },
      exe_ans: 134,
      ...extra,
    },
    id,
  };
}

async function readAll(file: string): Promise<FinqaRecord[]> {
  const out: FinqaRecord[] = [];
  for await (const entry of finqaEntries(file)) out.push(entry);
  return out;
}

async function failure(file: string): Promise<DataError> {
  try {
    await readAll(file);
  } catch (err) {
    if (err instanceof DataError) return err;
    throw err;
  }
  throw new Error('expected a DataError');
}

/** 1-based lines on which `    {` (an entry of a 4-space indented array) opens. */
function entryLines(text: string): number[] {
  return text.split('\n').flatMap((l, i) => (l === '    {' ? [i + 1] : []));
}

test('streams the entries in file order, with their index, line and camelCase fields', async () => {
  const raw = [rawEntry('A'), rawEntry('B', { answer: '134', program_re: 'subtract(1234, 1100)', model_input: [['table_1', 'x']] }), rawEntry('C')];
  const text = JSON.stringify(raw, null, 4);
  const entries = await readAll(write('train.json', text));
  expect(entries.map((e) => [e.index, e.line, e.id])).toEqual([0, 1, 2].map((i) => [i, entryLines(text)[i], raw[i].id]));
  expect(entries[1]).toEqual({
    id: 'B',
    index: 1,
    line: entryLines(text)[1],
    preText: ['B pre one .', 'the table below shows results ( in millions ) :'],
    postText: ['amounts may not add .'],
    filename: 'B/2019/page_1.pdf',
    table: [
      ['', '2019', '2018'],
      ['net revenue', '$ 1,234', '$ 1,100'],
    ],
    qa: {
      question: 'what was the change in net revenue for B?',
      program: 'subtract(1234, 1100)',
      goldInds: { table_1: 'the net revenue of 2019 is $ 1,234 ; the net revenue of 2018 is $ 1,100 ;' },
      exeAns: 134,
      answer: '134',
      programRe: 'subtract(1234, 1100)',
      modelInput: [['table_1', 'x']],
    },
  });
  expect(entries[0].qa.answer).toBeUndefined();
});

test('a .gz file is read the same', async () => {
  const text = JSON.stringify([rawEntry('A'), rawEntry('B')], null, 4);
  const plain = await readAll(write('dev.json', text));
  expect(await readAll(write('dev.json.gz', zlib.gzipSync(text)))).toEqual(plain);
});

test.each([
  ['a missing table', { table: undefined }, 'entry 1 (id "B"): table: missing or not an array of rows (found nothing)'],
  ['a number in pre_text', { pre_text: ['ok', 12] }, 'entry 1 (id "B"): pre_text[1]: not a string (found number 12)'],
  [
    'a non-string cell',
    {
      table: [
        ['', '2019'],
        ['net revenue', 1234],
      ],
    },
    'entry 1 (id "B"): table[1][1]: not a string (found number 1234)',
  ],
  ['a missing program', { qa: { question: 'q?', gold_inds: {}, exe_ans: 1 } }, 'entry 1 (id "B"): qa.program: missing or not a string (found nothing)'],
  [
    'an array as exe_ans',
    { qa: { question: 'q?', program: 'add(1, 2)', gold_inds: {}, exe_ans: [3] } },
    'entry 1 (id "B"): qa.exe_ans: missing or not a number',
  ],
  [
    'a bad gold_inds key',
    { qa: { question: 'q?', program: 'add(1, 2)', gold_inds: { row_1: 'x' }, exe_ans: 3 } },
    'qa.gold_inds.row_1: keys must be text_N or table_N',
  ],
  [
    'a bad model_input pair',
    { qa: { question: 'q?', program: 'add(1, 2)', gold_inds: {}, exe_ans: 3, model_input: [['text_0']] } },
    'qa.model_input[0]: not a [key, sentence] pair',
  ],
])('%s: MALFORMED_ROW naming the file, entry index, id and line', async (_name, change, expected) => {
  const bad = { ...rawEntry('B'), ...change };
  const text = JSON.stringify([rawEntry('A'), bad, rawEntry('C')], null, 4);
  const file = write('train.json', text);
  const err = await failure(file);
  expect(err.code).toBe('MALFORMED_ROW');
  expect(err.file).toBe(file);
  expect(err.line).toBe(entryLines(text)[1]);
  expect(err.message).toContain(`${file}:${entryLines(text)[1]}: `);
  expect(err.message).toContain(expected);
  expect(err.message).toContain('github.com/czyssrs/FinQA');
});

test('an entry without an id is named by its index alone', async () => {
  const { id: _id, ...noId } = rawEntry('A');
  const file = write('train.json', JSON.stringify([noId]));
  const err = await failure(file);
  expect(err.message.startsWith(`${file}:1: entry 0: id: missing or not a string (found nothing). Each FinQA entry must look like`)).toBe(true);
});

test('malformed JSON: the error names the line', async () => {
  const good = JSON.stringify(rawEntry('A'), null, 4);
  const second = good.split('\n').length + 2;
  // A trailing comma inside the second entry (found by JSON.parse, which reports where: at the "}").
  let err = await failure(write('a.json', `[\n${good},\n{\n  "id": "B",\n  "pre_text": [],\n}\n]`));
  expect(err.code).toBe('INVALID_JSON');
  expect(err.line).toBe(second + 3);
  expect(err.message).toContain(`entry 1 (from line ${second}): invalid JSON`);
  // A bare word: JSON.parse gives no position, so the entry's first line.
  err = await failure(write('a.json', `[\n${good},\n{\n  "id": "B",\n  "pre_text": [oops]\n}\n]`));
  expect(err.code).toBe('INVALID_JSON');
  expect(err.line).toBe(second);
  // A missing comma between entries (found by the scanner).
  const missingComma = `[\n${good}\n${good}\n]`;
  err = await failure(write('b.json', missingComma));
  expect(err.code).toBe('INVALID_JSON');
  expect(err.line).toBe(good.split('\n').length + 2);
  // A truncated file.
  err = await failure(write('c.json', `[\n${good},\n${good.slice(0, 40)}`));
  expect(err.code).toBe('INVALID_JSON');
  expect(err.message).toMatch(/truncated/);
});

test.each([
  ['an empty array', '[\n]\n'],
  ['an empty file', ''],
])('%s: EMPTY_DATASET naming the file', async (_name, text) => {
  const file = write('empty.json', text);
  const err = await failure(file);
  expect(err.code).toBe('EMPTY_DATASET');
  expect(err.message).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no FinQA entries found`));
});

test('a missing file is MISSING_FILE', async () => {
  const err = await failure(path.join(path.dirname(write('x.json', '')), 'nope.json'));
  expect(err.code).toBe('MISSING_FILE');
});

function entry(qa: Partial<FinqaEntry['qa']>): FinqaEntry {
  return {
    id: 'X/2019/page_2.pdf-1',
    preText: ['revenue grew in 2019 .', 'the table below shows results :'],
    postText: ['see note 4 . . . . . .', 'amounts   may not add .'],
    table: [
      ['( in millions )', '2019', '2018'],
      ['net revenue', '$ 1,234', '$ 1,100'],
      ['operating income ( loss )', '( 45 )', '12'],
    ],
    qa: { question: ' what was the  percentage change in net revenue ?', program: '', goldInds: {}, exeAns: 0, ...qa },
  };
}

describe('finqaModelInput', () => {
  test('uses model_input when present: its sentences in its order', () => {
    const modelInput: Array<[string, string]> = [
      ['text_1', 'the table below shows results :'],
      ['table_2', 'the operating income ( loss ) of 2019 is ( 45 ) ;'],
      ['text_3', 'amounts may not add .'],
    ];
    expect(finqaModelInput(entry({ modelInput, goldInds: { text_0: 'revenue grew in 2019 .' } }))).toEqual({
      question: 'what was the percentage change in net revenue ?',
      context: 'the table below shows results : the operating income ( loss ) of 2019 is ( 45 ) ; amounts may not add .',
    });
  });

  test('else the gold facts, in document order (pre_text, table rows, post_text)', () => {
    const goldInds = { text_3: 'amounts may not add .', table_1: 'the net revenue of 2019 is $ 1,234 ;', text_0: 'revenue grew in 2019 .' };
    expect(finqaModelInput(entry({ goldInds, modelInput: [] })).context).toBe(
      'revenue grew in 2019 . the net revenue of 2019 is $ 1,234 ; amounts may not add .',
    );
  });

  test('else the whole document with the table rows linearised', () => {
    expect(finqaModelInput(entry({})).context).toBe(
      'revenue grew in 2019 . the table below shows results : ' +
        '( in millions ) the net revenue of 2019 is $ 1,234 ; the net revenue of 2018 is $ 1,100 ; ' +
        '( in millions ) the operating income ( loss ) of 2019 is ( 45 ) ; the operating income ( loss ) of 2018 is 12 ; ' +
        'see note 4 amounts may not add .',
    );
  });

  test('table rows: no header label, ragged rows cut as zip does', () => {
    expect(finqaTableRowText(['', '2019', '2018', '2017'], ['cash , end of year', '$ 5', '$  6'])).toBe(
      'the cash , end of year of 2019 is $ 5 ; the cash , end of year of 2018 is $ 6 ;',
    );
    expect(finqaTableRowText(['', '2019'], ['net income', '7', '8'])).toBe('the net income of 2019 is 7 ;');
  });
});

test('the example dataset reads whole, and its gold table facts follow the same row template', async () => {
  const dir = path.join(__dirname, '..', '..', 'examples', 'finqa');
  const counts: Record<string, number> = {};
  for (const split of ['train', 'dev', 'test']) {
    const entries = await readAll(path.join(dir, `${split}.json`));
    counts[split] = entries.length;
    for (const e of entries) {
      for (const [key, text] of Object.entries(e.qa.goldInds)) {
        if (key.startsWith('table_')) expect(text).toBe(finqaTableRowText(e.table[0], e.table[Number(key.slice(6))]));
        else expect(text).toBe([...e.preText, ...e.postText][Number(key.slice(5))]);
      }
    }
  }
  expect(counts).toEqual({ train: 240, dev: 60, test: 60 });
  expect(fs.statSync(path.join(dir, 'train.json')).size).toBeLessThan(1 << 20);
});
