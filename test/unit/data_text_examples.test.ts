import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import { DataError } from '../../lib/data/readers/data_error';
import { iterateTextExamples, loadTextExamples, type TextExampleOptions } from '../../lib/data/examples/text_examples';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-examples-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

async function failure(file: string, options: TextExampleOptions): Promise<DataError> {
  try {
    await loadTextExamples(file, options);
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error(`loading ${file} did not fail`);
}

// The seed's data: id, sentence1, sentence2, label with a header, labels with a typo kept as is.
const SEED_TSV = 'id\tsentence1\tsentence2\tlabel\n1\t今天天气很好\t天气不错\tpositive\n2\t"太差了\t不好\tnegtive\n3\t一般\t还行\tneutral\n';

describe('loadTextExamples', () => {
  test('sentence pairs by header name, with source file and line', async () => {
    const file = write('train.tsv', SEED_TSV);
    const examples = await loadTextExamples(file, { textColumn: 'sentence1', textPairColumn: 'sentence2', labelColumn: 'label' });
    expect(examples).toEqual([
      { text: '今天天气很好', textPair: '天气不错', label: 'positive', source: { file, line: 2 } },
      { text: '"太差了', textPair: '不好', label: 'negtive', source: { file, line: 3 } },
      { text: '一般', textPair: '还行', label: 'neutral', source: { file, line: 4 } },
    ]);
  });

  test('columns by 0-based index, as numbers or digit strings, with or without a header', async () => {
    const withHeader = write('train.tsv', SEED_TSV);
    const byIndex = await loadTextExamples(withHeader, { textColumn: 1, textPairColumn: '2', labelColumn: 3 });
    expect(byIndex.map((e) => [e.text, e.textPair, e.label])).toEqual([
      ['今天天气很好', '天气不错', 'positive'],
      ['"太差了', '不好', 'negtive'],
      ['一般', '还行', 'neutral'],
    ]);
    const cola = write('cola.tsv', "gj04\t1\t\tOur friends won't buy this analysis.\ngj04\t0\t*\tMore a pseudo generalization.\n");
    const examples = await loadTextExamples(cola, { hasHeader: false, textColumn: 3, labelColumn: 1 });
    expect(examples).toEqual([
      { text: "Our friends won't buy this analysis.", label: '1', source: { file: cola, line: 1 } },
      { text: 'More a pseudo generalization.', label: '0', source: { file: cola, line: 2 } },
    ]);
    expect(examples[0]).not.toHaveProperty('textPair');
  });

  test('JSON and JSONL keep raw labels: strings, numbers, booleans, lists; dotted paths reach nested keys', async () => {
    const json = write(
      'train.json',
      JSON.stringify(
        [
          { text: 'a', labels: ['sports', 'news'], meta: { q: 'nested?' } },
          { text: 'b', labels: [], meta: { q: 'x' } },
        ],
        null,
        2,
      ),
    );
    expect(await loadTextExamples(json, { textColumn: 'text', textPairColumn: 'meta.q', labelColumn: 'labels' })).toEqual([
      { text: 'a', textPair: 'nested?', label: ['sports', 'news'], source: { file: json, line: 2 } },
      { text: 'b', textPair: 'x', label: [], source: { file: json, line: 12 } },
    ]);
    const jsonl = write('d.jsonl', '{"s": "x", "y": 2.5}\n{"s": 7, "y": true}\n');
    expect((await loadTextExamples(jsonl, { textColumn: 's', labelColumn: 'y' })).map((e) => [e.text, e.label])).toEqual([
      ['x', 2.5],
      ['7', true],
    ]);
  });

  test('no label column (test data) gives examples without labels; iterate streams them', async () => {
    const file = write('test.csv', 'text\n"hello, world"\nbye\n');
    const seen: string[] = [];
    for await (const e of iterateTextExamples(file, { textColumn: 'text' })) {
      expect(e).not.toHaveProperty('label');
      seen.push(e.text);
    }
    expect(seen).toEqual(['hello, world', 'bye']);
  });
});

test('loaded examples do not keep the rest of the file in memory (e.g. MNLI parse-tree columns)', async () => {
  const rows = ['parse\ttext\tlabel'];
  const parseTree = `(ROOT (S ${'(NP (DT the) (NN word)) '.repeat(80)}))`;
  for (let i = 0; i < 20_000; i++) rows.push(`${parseTree}\tsentence number ${i} is short\t${i % 2}`);
  const file = write('wide.tsv', `${rows.join('\n')}\n`);
  const fileSize = fs.statSync(file).size;
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  const before = process.memoryUsage().heapUsed;
  const examples = await loadTextExamples(file, { textColumn: 'text', labelColumn: 'label' });
  gc();
  const retained = process.memoryUsage().heapUsed - before;
  expect(examples).toHaveLength(20_000);
  expect(examples[19_999].text).toBe('sentence number 19999 is short');
  expect(fileSize).toBeGreaterThan(35e6);
  // The texts themselves are about 0.6 MB; holding slices of the read chunks would keep ~fileSize.
  expect(retained).toBeLessThan(fileSize / 5);
});

describe('errors name the file and line and say how to fix', () => {
  test('a missing header column lists the available columns', async () => {
    const file = write('train.tsv', SEED_TSV);
    const err = await failure(file, { textColumn: 'sentence1', textPairColumn: 'sentence2', labelColumn: 'gold_label' });
    expect(err.code).toBe('MISSING_COLUMN');
    expect(err.message).toBe(
      `${file}:2: column "gold_label" not found; the columns (from the header) are: 0: "id", 1: "sentence1", 2: "sentence2", 3: "label". ` +
        'Pass one of them as --label_column',
    );
  });

  test('a missing JSON key lists the keys of that record', async () => {
    const file = write('d.jsonl', '{"text": "a", "label": 1}\n{"txt": "b", "label": 0}\n');
    const err = await failure(file, { textColumn: 'text', labelColumn: 'label' });
    expect(err.code).toBe('MISSING_COLUMN');
    expect(err.message).toContain(`${file}:2: column "text" not found; the keys are: "txt", "label"`);
    expect(err.message).toContain('Pass one of them as --text_column');
    expect(err.message).not.toContain('textColumn');
  });

  test('an index past the last field, or a name in a headerless file', async () => {
    const file = write('cola.tsv', 'gj04\t1\t\tsentence\n');
    const past = await failure(file, { hasHeader: false, textColumn: 4 });
    expect(past.message).toContain(`${file}:1: column 4 does not exist: the row has 4 fields (0 to 3)`);
    const named = await failure(file, { hasHeader: false, textColumn: 'sentence' });
    expect(named.message).toContain(`${file}:1: column "sentence" cannot be found: this file is read without a header row`);
  });

  test('an empty text (or whitespace only) is an error unless allowed', async () => {
    const file = write('dev.csv', 'text,label\nfine,1\n"  ",0\n');
    const err = await failure(file, { textColumn: 'text', labelColumn: 'label' });
    expect(err.code).toBe('EMPTY_TEXT');
    expect(err.message).toMatch(/:3: the text in column "text" is empty\. Fix or remove this row/);
    expect(err.message.startsWith(`${file}:3:`)).toBe(true);
    const allowed = await loadTextExamples(file, { textColumn: 'text', labelColumn: 'label', allowEmptyText: true });
    expect(allowed[1].text).toBe('  ');
  });

  test('a null label is a missing label; an object label is malformed', async () => {
    const file = write('d.jsonl', '{"text": "a", "label": null}\n');
    const err = await failure(file, { textColumn: 'text', labelColumn: 'label' });
    expect(err.code).toBe('MISSING_LABEL');
    expect(err.message.startsWith(`${file}:1: the label in column "label" is missing`)).toBe(true);
    const obj = write('o.jsonl', '\n{"text": "a", "label": {"x": 1}}\n');
    const err2 = await failure(obj, { textColumn: 'text', labelColumn: 'label' });
    expect(err2.message.startsWith(`${obj}:2: the label in column "label" is {"x":1}`)).toBe(true);
  });

  test('a malformed row surfaces from the reader with file and line', async () => {
    const file = write('train.tsv', 'a\tb\n1\t2\n3\n');
    const err = await failure(file, { textColumn: 'a' });
    expect(err.code).toBe('MALFORMED_ROW');
    expect(err.message.startsWith(`${file}:3: expected 2 tab-separated fields`)).toBe(true);
  });

  test.each([
    ['empty.tsv', ''],
    ['header-only.tsv', 'id\tsentence1\tsentence2\tlabel\n'],
    ['blank.csv', '\n\n'],
    ['empty.json', '[]'],
    ['empty.jsonl', ''],
  ])('a file without records (%s) is an EMPTY_DATASET error, not num_samples=0 at train time', async (name, content) => {
    const file = write(name, content);
    const err = await failure(file, { textColumn: 0 });
    expect(err.code).toBe('EMPTY_DATASET');
    expect(err.message.startsWith(`${file}: the file has no records`)).toBe(true);
    expect(err.message).toContain('nothing to train or evaluate on');
  });

  test('a missing file is a MISSING_FILE error with the path', async () => {
    const file = path.join(dir, 'dev.tsv');
    const err = await failure(file, { textColumn: 0 });
    expect(err.code).toBe('MISSING_FILE');
    expect(err.message.startsWith(`${file}: file not found`)).toBe(true);
  });
});
