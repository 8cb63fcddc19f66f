import * as path from 'path';
import * as zlib from 'zlib';
import { DataError } from '../../lib/data/readers/data_error';
import { readConllSentences, readJsonSentences, readTaggedSentences, taggedSentenceFormat, type TaggedSentence } from '../../lib/data/token_classification';
import { tempDirPerTest } from '../helpers/temp_dir';

const { dir: tmpDir, write } = tempDirPerTest('bertrun-ner-readers-');

async function failure(read: Promise<unknown>): Promise<DataError> {
  try {
    await read;
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error('reading did not fail');
}

const brief = (sentences: TaggedSentence[]): Array<[number, string[], string[]]> => sentences.map((s) => [s.source.line, s.tokens, s.tags]);

const CONLL2003 = [
  '-DOCSTART- -X- -X- O',
  '',
  'EU NNP B-NP B-ORG',
  'rejects VBZ B-VP O',
  'German JJ B-NP B-MISC',
  'call NN I-NP O',
  '. . O O',
  '',
  'Peter NNP B-NP B-PER',
  'Blackburn NNP I-NP I-PER',
].join('\n');

describe('CoNLL', () => {
  test('conll2003 layout: -DOCSTART- skipped, label from the last column, sentences start where their first word is', async () => {
    const file = write('train.txt', CONLL2003);
    const sentences = await readConllSentences(file);
    expect(brief(sentences)).toEqual([
      [3, ['EU', 'rejects', 'German', 'call', '.'], ['B-ORG', 'O', 'B-MISC', 'O', 'O']],
      [9, ['Peter', 'Blackburn'], ['B-PER', 'I-PER']],
    ]);
    expect(sentences[0].source).toEqual({ file, line: 3, tokenPerLine: true });
  });

  test('the label column by 0-based index, or counted from the end', async () => {
    const file = write('train.conll', CONLL2003);
    expect((await readConllSentences(file, { labelColumn: 1 }))[0].tags).toEqual(['NNP', 'VBZ', 'JJ', 'NN', '.']);
    expect((await readConllSentences(file, { labelColumn: 3 }))[1].tags).toEqual(['B-PER', 'I-PER']);
    expect((await readConllSentences(file, { labelColumn: -2 }))[1].tags).toEqual(['B-NP', 'I-NP']);
  });

  test('tabs, runs of spaces, CRLF, trailing whitespace, whitespace-only and repeated blank lines, -DOCSTART- without a blank line', async () => {
    const file = write('train.tsv', '\ufeffJohn\tB-PER  \r\nlives \t O\r\n \t \r\n\r\n\nin\tO\n-DOCSTART-\tO\nParis\tB-LOC\n\n\n');
    expect(brief(await readConllSentences(file))).toEqual([
      [1, ['John', 'lives'], ['B-PER', 'O']],
      [6, ['in'], ['O']],
      [8, ['Paris'], ['B-LOC']],
    ]);
  });

  test('a non-breaking space is part of a word, not a separator; .gz is read', async () => {
    const file = write('train.conll.gz', zlib.gzipSync(Buffer.from('New\u00a0York B-LOC\nCafé O\n東京 B-LOC\n', 'utf8')));
    expect(brief(await readTaggedSentences(file))).toEqual([[1, ['New\u00a0York', 'Café', '東京'], ['B-LOC', 'O', 'B-LOC']]]);
  });

  test('a word without a label', async () => {
    const file = write('train.txt', 'John B-PER\nlives\nin O\n');
    const err = await failure(readConllSentences(file));
    expect(err.code).toBe('MALFORMED_ROW');
    expect(err.message).toBe(
      `${file}:2: expected at least 2 space- or tab-separated columns (the word in column 0, the label in the last column) but found 1 ` +
        '(a word without a label). Write the label after the word, separated by a space or tab, or remove the line',
    );
    expect([err.file, err.line]).toEqual([file, 2]);
  });

  test('a line with fewer columns than the first word line, label from the end', async () => {
    const file = write('train.txt', 'EU NNP B-NP B-ORG\n\nrejects VBZ O\n');
    const err = await failure(readConllSentences(file));
    expect(err.message).toBe(
      `${file}:3: found 3 space- or tab-separated columns but the first word line (line 1) has 4; the label is read counting from the end ` +
        'of the line, so every word line needs the same columns. Fix this line (a word may contain a space, or a column may be missing), ' +
        'or choose the label column by its 0-based index (labelColumn)',
    );
  });

  test('a line too short for an explicit label column', async () => {
    const file = write('train.txt', 'EU NNP B-NP B-ORG\nrejects VBZ B-VP O\ncall NN\n');
    const err = await failure(readConllSentences(file, { labelColumn: 3 }));
    expect(err.message).toBe(
      `${file}:3: expected at least 4 space- or tab-separated columns (the word in column 0, the label in column 3) but found 2. ` +
        'Fix this line, or choose the column that holds the label (labelColumn, 0-based; negative counts from the end)',
    );
    const fromEnd = await failure(readConllSentences(write('two.txt', 'EU B-ORG\n'), { labelColumn: -3 }));
    expect(fromEnd.message).toMatch(/two\.txt:1: expected at least 4 .* the label in column -3 \(counted from the end\)\) but found 2\. /);
  });

  test('column 0 is the word, not a label column', async () => {
    const file = write('train.txt', CONLL2003);
    await expect(readConllSentences(file, { labelColumn: 0 })).rejects.toThrow(/labelColumn must be a non-zero integer \(column 0 holds the word/);
    await expect(readConllSentences(file, { labelColumn: 1.5 })).rejects.toThrow(/labelColumn must be a non-zero integer/);
  });

  test('an empty file, and one with only blank and -DOCSTART- lines', async () => {
    for (const content of ['', '\n\n  \n', '-DOCSTART- -X- -X- O\n\n-DOCSTART- -X- -X- O\n']) {
      const file = write('empty.txt', content);
      const err = await failure(readConllSentences(file));
      expect(err.code).toBe('EMPTY_DATASET');
      expect(err.message).toBe(
        `${file}: the file has no sentences (it is empty, or holds only blank lines and -DOCSTART- lines). Check that the path points to ` +
          'the intended file: a CoNLL file has one word and its label per line and a blank line between sentences',
      );
    }
  });

  test('a missing file and invalid UTF-8 are reported by the shared readers', async () => {
    const missing = await failure(readConllSentences(path.join(tmpDir(), 'nope.txt')));
    expect(missing.code).toBe('MISSING_FILE');
    const latin1 = await failure(readConllSentences(write('latin1.txt', Buffer.from('John B-PER\n\nCaf\xe9 O\n', 'latin1'))));
    expect([latin1.code, latin1.line]).toEqual(['INVALID_ENCODING', 3]);
  });
});

describe('JSON Lines', () => {
  const line = (o: unknown): string => JSON.stringify(o);

  test('tokens and ner_tags by default; blank lines skipped; the record line is the source', async () => {
    const file = write(
      'train.jsonl',
      [
        line({ id: '0', tokens: ['EU', 'rejects', 'German'], pos_tags: [1, 2, 3], ner_tags: ['B-ORG', 'O', 'B-MISC'] }),
        '',
        line({ id: '1', tokens: ['Peter', 'Blackburn'], pos_tags: [1, 1], ner_tags: ['B-PER', 'I-PER'] }),
      ].join('\n'),
    );
    const sentences = await readJsonSentences(file);
    expect(brief(sentences)).toEqual([
      [1, ['EU', 'rejects', 'German'], ['B-ORG', 'O', 'B-MISC']],
      [3, ['Peter', 'Blackburn'], ['B-PER', 'I-PER']],
    ]);
    expect(sentences[1].source).toEqual({ file, line: 3, tokenPerLine: false });
  });

  test('fallbacks: tags, <task>_tags, then the first and second keys (run_ner.py); explicit keys', async () => {
    const both = write('a.jsonl', line({ tokens: ['x'], tags: ['O'], ner_tags: ['B-X'] }));
    expect((await readJsonSentences(both))[0].tags).toEqual(['B-X']);
    const onlyTags = write('b.jsonl', line({ tags: ['O'], tokens: ['x'] }));
    expect((await readJsonSentences(onlyTags))[0]).toMatchObject({ tokens: ['x'], tags: ['O'] });
    const pos = write('c.jsonl', line({ tokens: ['x'], pos_tags: ['NN'], ner_tags: ['O'] }));
    expect((await readJsonSentences(pos, { taskName: 'pos' }))[0].tags).toEqual(['NN']);
    const positional = write('d.jsonl', line({ words: ['Paris', 'is'], labels: ['B-LOC', 'O'] }));
    expect((await readJsonSentences(positional))[0]).toMatchObject({ tokens: ['Paris', 'is'], tags: ['B-LOC', 'O'] });
    const explicit = write('e.jsonl', line({ id: 7, sentence: ['Paris'], ner: ['B-LOC'], tokens: ['no'] }));
    expect((await readJsonSentences(explicit, { tokensColumn: 'sentence', tagsColumn: 'ner' }))[0]).toMatchObject({ tokens: ['Paris'], tags: ['B-LOC'] });
  });

  test('integer tags are label ids resolved through the label list', async () => {
    const file = write('train.jsonl', line({ tokens: ['EU', 'rejects'], ner_tags: [3, 0] }));
    const sentences = await readJsonSentences(file, { labelNames: ['O', 'B-PER', 'I-PER', 'B-ORG'] });
    expect(sentences[0].tags).toEqual(['B-ORG', 'O']);
  });

  test('a JSON array file is read the same way, lines pointing at each record', async () => {
    const file = write('dev.json', `[\n  ${line({ tokens: ['a'], ner_tags: ['O'] })},\n  ${line({ tokens: ['b'], ner_tags: ['B-X'] })}\n]\n`);
    expect(brief(await readTaggedSentences(file))).toEqual([
      [2, ['a'], ['O']],
      [3, ['b'], ['B-X']],
    ]);
  });

  const bad: Array<[name: string, record: string, message: string, options?: { labelNames: string[] }]> = [
    [
      'as many tags as words',
      line({ tokens: ['a', 'b', 'c'], ner_tags: ['O', 'O'] }),
      '"tokens" has 3 words but "ner_tags" has 2 tags. Give every word exactly one tag',
    ],
    [
      'integer tags without a label list',
      line({ tokens: ['a', 'b'], ner_tags: ['O', 2] }),
      'tag 1 in "ner_tags" is the integer 2, a label id, but no label list says which label it stands for. ' +
        'Pass the label names in id order (--label_names), or write the tags as label names',
    ],
    [
      'an id outside the label list',
      line({ tokens: ['a'], ner_tags: [3] }),
      'tag 0 in "ner_tags" is the id 3, but there are 2 labels (ids 0 to 1). Fix the tag, or pass the complete label list in id order (--label_names)',
      { labelNames: ['O', 'B-X'] },
    ],
    [
      'a negative id',
      line({ tokens: ['a'], ner_tags: [-1] }),
      'tag 0 in "ner_tags" is the id -1, but there are 2 labels (ids 0 to 1)',
      { labelNames: ['O', 'B-X'] },
    ],
    [
      'a fractional id',
      line({ tokens: ['a'], ner_tags: [1.5] }),
      'tag 0 in "ner_tags" is number 1.5; a tag must be a label name or an integer label id. Fix the tag in this record',
    ],
    ['a boolean tag', line({ tokens: ['a'], ner_tags: [true] }), 'tag 0 in "ner_tags" is boolean true; a tag must be a label name or an integer label id'],
    ['a null tag', line({ tokens: ['a'], ner_tags: [null] }), 'tag 0 in "ner_tags" is null; a tag must be a label name'],
    ['an empty tag', line({ tokens: ['a'], ner_tags: [''] }), 'tag 0 in "ner_tags" is an empty string; a tag must be'],
    [
      'a word that is not a string',
      line({ tokens: ['a', 7], ner_tags: ['O', 'O'] }),
      'word 1 in "tokens" is number 7, not a string. Write every word as a JSON string',
    ],
    [
      'words given as one string',
      line({ tokens: 'a b', ner_tags: ['O', 'O'] }),
      '"tokens" holds the string "a b", not a list of words. Write the words as a JSON list, or pass the key that holds them as tokensColumn (--text_column_name)',
    ],
    [
      'tags given as an object',
      line({ tokens: ['a'], ner_tags: { 0: 'O' } }),
      '"ner_tags" holds a object, not a list of tags. Write the tags as a JSON list, or pass the key that holds them as tagsColumn (--label_column_name)',
    ],
    [
      'a sentence without words',
      line({ tokens: [], ner_tags: [] }),
      '"tokens" is an empty list: the sentence has no words. Remove this record or give it words',
    ],
    [
      'a record without the tags key',
      line({ tokens: ['a'], ner_tags: ['O'] }).replace('"ner_tags"', '"tagz"'),
      'key "ner_tags" not found; the keys are: "tokens", "tagz". Give every record the key, or pass the key that holds the tags as tagsColumn (--label_column_name)',
    ],
  ];
  // Every row gets its options: jest would take a missing last argument for a `done` callback.
  test.each(bad.map(([name, record, message, options]) => [name, record, message, options ?? {}] as const))(
    '%s: an error naming file and line',
    async (_name, record, message, options) => {
      const file = write('train.jsonl', `${line({ tokens: ['ok'], ner_tags: ['O'] })}\n\n${record}\n`);
      const err = await failure(readJsonSentences(file, options));
      expect(err.line).toBe(3);
      expect(err.message.startsWith(`${file}:3: ${message}`)).toBe(true);
    },
  );

  test('a record that is missing the words key', async () => {
    const file = write('train.jsonl', `${line({ tokens: ['a'], ner_tags: ['O'] })}\n${line({ token: ['b'], ner_tags: ['O'] })}\n`);
    const err = await failure(readJsonSentences(file));
    expect([err.code, err.message]).toEqual([
      'MISSING_COLUMN',
      `${file}:2: key "tokens" not found; the keys are: "token", "ner_tags". ` +
        'Give every record the key, or pass the key that holds the words as tokensColumn (--text_column_name)',
    ]);
  });

  test('a first record with one key: the columns cannot be told', async () => {
    const file = write('train.jsonl', line({ tokens: ['a'] }));
    const err = await failure(readJsonSentences(file));
    expect(err.message).toBe(
      `${file}:1: cannot tell which keys hold the words and the tags; the keys are: "tokens". ` +
        'Name them with tokensColumn (--text_column_name) and tagsColumn (--label_column_name)',
    );
  });

  test('invalid JSON, an empty file, a file of another format', async () => {
    const invalid = await failure(readJsonSentences(write('bad.jsonl', `${line({ tokens: ['a'], ner_tags: ['O'] })}\n{"tokens": [\n`)));
    expect([invalid.code, invalid.line]).toEqual(['INVALID_JSON', 2]);
    const emptyFile = write('empty.jsonl', '\n\n');
    const empty = await failure(readJsonSentences(emptyFile));
    expect(empty.message).toBe(
      `${emptyFile}: the file has no records (it is empty, holds only blank lines, or is an empty JSON array). ` +
        'Check that the path points to the intended file: one {"tokens": [...], "ner_tags": [...]} object per line',
    );
    const tsv = await failure(readJsonSentences(write('train.tsv', 'a\tO\n')));
    expect(tsv.code).toBe('UNKNOWN_FORMAT');
  });
});

describe('format from the extension', () => {
  test('CoNLL, JSON and JSON Lines extensions; .gz looked through; explicit format wins', () => {
    expect(['a.conll', 'a.txt', 'a.tsv', 'a.bio', 'a.IOB2', 'a.txt.gz'].map((f) => taggedSentenceFormat(f))).toEqual(Array(6).fill('conll'));
    expect(['a.json', 'a.jsonl', 'a.ndjson', 'a.jsonl.gz'].map((f) => taggedSentenceFormat(f))).toEqual(['json', 'jsonl', 'jsonl', 'jsonl']);
    expect(taggedSentenceFormat('data.csv', 'conll')).toBe('conll');
  });

  test('an unknown extension says what to do', () => {
    let err: unknown;
    try {
      taggedSentenceFormat('data/train.csv');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toBe(
      'data/train.csv: cannot tell the format from the extension ".csv". Rename the file ' +
        '(.json, .jsonl, .ndjson, .conll, .conll03, .txt, .tsv, .tab, .bio, .iob, .iob2) or pass the format explicitly (format: "json" | "jsonl" | "conll")',
    );
  });

  test('readTaggedSentences passes the options on', async () => {
    const conll = write('words.data', 'Paris NNP B-LOC\n');
    expect((await readTaggedSentences(conll, { format: 'conll', labelColumn: 1 }))[0].tags).toEqual(['NNP']);
    const json = write('train.jsonl', JSON.stringify({ w: ['Paris'], t: [1] }));
    expect((await readTaggedSentences(json, { tokensColumn: 'w', tagsColumn: 't', labelNames: ['O', 'B-LOC'] }))[0].tags).toEqual(['B-LOC']);
  });
});
