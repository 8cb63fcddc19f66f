// run_glue.py's choice of text columns for user files, the flag-named column errors, and remembered
// settings as a defaults layer of the flag parser (below --config and the command line).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { chooseTextColumns, peekColumnNames } from '../../lib/data/examples/text_columns';
import { loadTextExamples } from '../../lib/data/examples/text_examples';
import { parseFlagsWithSources, type FlagSchema } from '../../lib/cli/flags';

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-text-columns-'))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const write = (name: string, content: string): string => {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
};

describe("chooseTextColumns: run_glue's rule", () => {
  test.each([
    [['sentence1', 'sentence2', 'label'], { textColumn: 'sentence1', textPairColumn: 'sentence2' }],
    [['label', 'premise', 'sentence2', 'sentence1'], { textColumn: 'sentence1', textPairColumn: 'sentence2' }],
    [['text', 'label'], { textColumn: 'text' }],
    [['label', 'text'], { textColumn: 'text' }],
    [['question', 'answer', 'label'], { textColumn: 'question', textPairColumn: 'answer' }],
    [['a', 'b', 'c', 'label'], { textColumn: 'a', textPairColumn: 'b' }],
    [['sentence2', 'label'], { textColumn: 'sentence2' }],
    // unlike run_glue: a row id is not a text
    [['id', 'text', 'label'], { textColumn: 'text' }],
    [['idx', 'sentence', 'label'], { textColumn: 'sentence' }],
  ])('%j -> %j', (columns, expected) => {
    expect(chooseTextColumns(columns, 'label')).toEqual(expected);
  });

  test('the label column is whichever --label_column names (name or index)', () => {
    expect(chooseTextColumns(['text', 'score'], 'score')).toEqual({ textColumn: 'text' });
    expect(chooseTextColumns(['text', 'label', 'score'], 'score')).toEqual({ textColumn: 'text', textPairColumn: 'label' });
    expect(chooseTextColumns(['y', 'text'], 0)).toEqual({ textColumn: 'text' });
  });

  test('what is given wins; the rest follows the rule', () => {
    const cols = ['question', 'answer', 'label'];
    expect(chooseTextColumns(cols, 'label', { textColumn: 'question' })).toEqual({ textColumn: 'question', textPairColumn: 'answer' });
    expect(chooseTextColumns(cols, 'label', { textColumn: 'answer' })).toEqual({ textColumn: 'answer' });
    expect(chooseTextColumns(cols, 'label', { textPairColumn: null })).toEqual({ textColumn: 'question' });
    expect(chooseTextColumns(cols, 'label', { textPairColumn: 'question' })).toEqual({ textColumn: 'answer', textPairColumn: 'question' });
    expect(chooseTextColumns(cols, 'label', { textColumn: 'x', textPairColumn: 'y' })).toEqual({ textColumn: 'x', textPairColumn: 'y' });
    expect(chooseTextColumns(['label'], 'label')).toBeUndefined();
  });

  test('peekColumnNames: the header, the first JSON record, or nothing for a headerless or empty file', async () => {
    expect(await peekColumnNames(write('a.tsv', 'text\tlabel\nhi\t1\n'))).toEqual(['text', 'label']);
    expect(await peekColumnNames(write('a.jsonl', '{"q": "x", "label": 1}\n'))).toEqual(['q', 'label']);
    expect(await peekColumnNames(write('b.tsv', 'hi\t1\n'), { hasHeader: false })).toBeUndefined();
    expect(await peekColumnNames(write('c.tsv', 'text\tlabel\n'))).toBeUndefined();
  });
});

describe('column errors name the flags, or the names the caller passes', () => {
  test('defaults: --text_column, --text_pair_column, --label_column', async () => {
    const file = write('d.tsv', 'text\tlabel\nhi\t1\n');
    await expect(loadTextExamples(file, { textColumn: 'text', textPairColumn: 'sentence2' })).rejects.toThrow(
      /column "sentence2" not found; the columns \(from the header\) are: 0: "text", 1: "label"\. Pass one of them as --text_pair_column$/,
    );
    await expect(loadTextExamples(file, { textColumn: 'text', labelColumn: 'y' })).rejects.toThrow(/Pass one of them as --label_column$/);
    const empty = write('e.tsv', 'text\tlabel\n \t1\n');
    const err = await loadTextExamples(empty, { textColumn: 'text' }).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/Fix or remove this row, or check that --text_column is the right column$/);
    expect((err as Error).message).not.toMatch(/allowEmptyText/);
  });

  test('optionNames: an API caller names its own options', async () => {
    const file = write('f.tsv', 'text\tlabel\n \t1\n');
    const err = await loadTextExamples(file, { textColumn: 'text', optionNames: { textColumn: 'textColumn', allowEmptyText: 'allowEmptyText' } }).catch(
      (e: Error) => e,
    );
    expect((err as Error).message).toMatch(/check that textColumn is the right column, or allow empty texts \(allowEmptyText\)$/);
  });
});

describe('remembered settings as defaults', () => {
  const schema: FlagSchema = {
    text_column: { type: 'string', help: '' },
    label_column: { type: 'string', help: '', default: 'label' },
    max_seq_length: { type: 'integer', help: '' },
    flag: { type: 'boolean', help: '', default: false },
  };
  const defaults = {
    values: { text_column: 'body', label_column: 'y', max_seq_length: 24, flag: true, unknown_key: 1, dropped: null },
    source: 'model/config.json',
  };

  test('they replace the schema defaults and lose to --config and the command line', () => {
    const config = write('args.json', JSON.stringify({ max_seq_length: 16 }));
    const parsed = parseFlagsWithSources(['--config', config, '--text_column', 'text'], schema, defaults);
    expect(parsed.values).toEqual({ text_column: 'text', label_column: 'y', max_seq_length: 16, flag: true });
    expect(parsed.fromDefaults).toEqual(['label_column', 'flag']);
  });

  test('a remembered value of the wrong type is an error naming where it came from', () => {
    expect(() => parseFlagsWithSources([], schema, { values: { max_seq_length: 'long' }, source: 'model/config.json' })).toThrow(
      /^model\/config\.json: --max_seq_length expects a number, got "long"$/,
    );
  });
});
