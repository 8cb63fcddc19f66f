// Masked-LM data: group_texts blocks and line-by-line features on hand-checked texts (fixture
// vocabulary: single letters are tokens, "playable" is "play ##able"), and the corpus reader / byte
// offset index on awkward files (multi-byte UTF-8, CRLF, BOM, no final newline, .gz, JSONL, CSV).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { buildMlmFeatures, type MlmFeatureSet } from '../../lib/data/masked_lm/mlm_features';
import { readCorpusTexts, TextCorpus } from '../../lib/data/masked_lm/text_corpus';
import { maskFeature } from '../../lib/data/masked_lm/masking';
import { DataError } from '../../lib/data/readers/data_error';
import { BertTokenizer } from '../../lib/tokenization/bert_tokenizer';

let tokenizer: BertTokenizer;
let dir: string;
beforeAll(async () => {
  tokenizer = await BertTokenizer.fromVocab(path.join(__dirname, '..', 'fixtures', 'tokenizer', 'vocab-uncased.txt'));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'masked-lm-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function* batches(...groups: string[][]): AsyncGenerator<string[]> {
  for (const g of groups) yield g;
}

function tokens(set: MlmFeatureSet): string[][] {
  return Array.from({ length: set.size }, (_, k) => set.feature(k).inputIds.map((id) => tokenizer.idToToken(id) ?? '?'));
}

test('group_texts: [CLS] text [SEP] concatenated in order, cut into blocks of exactly maxSeqLength, remainder dropped', async () => {
  // 15 tokens: [CLS] a b c [SEP] [CLS] d e [SEP] [CLS] f g h i [SEP] -> 3 blocks, "h i [SEP]" dropped.
  const set = await buildMlmFeatures(batches(['a b c', 'd e'], ['f g h i']), tokenizer, { maxSeqLength: 4, lineByLine: false, textsPerGroup: Infinity });
  expect(tokens(set)).toEqual([
    ['[CLS]', 'a', 'b', 'c'],
    ['[SEP]', '[CLS]', 'd', 'e'],
    ['[SEP]', '[CLS]', 'f', 'g'],
  ]);
  expect(set.lengths()).toEqual([4, 4, 4]);
  expect(set.tokenCount).toBe(12);
  const second = set.feature(1);
  expect(second.specialTokensMask).toEqual([1, 1, 0, 0]);
  expect(second.tokenTypeIds).toEqual([0, 0, 0, 0]);
});

test('group_texts with run_mlm.py groups: each group of texts drops its own remainder', async () => {
  // Group 1 (2 texts): 9 tokens -> 2 blocks, "[SEP]" dropped; group 2: [CLS] f g h i [SEP] -> 1 block.
  const set = await buildMlmFeatures(batches(['a b c'], ['d e', 'f g h i']), tokenizer, { maxSeqLength: 4, lineByLine: false, textsPerGroup: 2 });
  expect(tokens(set)).toEqual([
    ['[CLS]', 'a', 'b', 'c'],
    ['[SEP]', '[CLS]', 'd', 'e'],
    ['[CLS]', 'f', 'g', 'h'],
  ]);
});

test('line by line: blank texts skipped, truncation keeps the final [SEP]; word starts mark ## pieces', async () => {
  const set = await buildMlmFeatures(batches(['a b c d e f g h', '   ', ''], ['playable a']), tokenizer, { maxSeqLength: 5, lineByLine: true });
  expect(tokens(set)).toEqual([
    ['[CLS]', 'a', 'b', 'c', '[SEP]'],
    ['[CLS]', 'play', '##able', 'a', '[SEP]'],
  ]);
  const f = set.feature(1);
  expect(f.specialTokensMask).toEqual([1, 0, 0, 0, 1]);
  expect(f.wordStarts).toEqual([1, 1, 0, 1, 1]);
  // Whole-word masking on real word pieces: "play" and "##able" go together.
  for (let index = 0; index < 40; index++) {
    const { labels } = maskFeature(f, {
      mlmProbability: 0.5,
      wholeWordMask: true,
      maskTokenId: tokenizer.maskTokenId!,
      vocabSize: tokenizer.vocabSize,
      seed: 1,
      epoch: 0,
      index,
    });
    expect(labels[1] === -100).toBe(labels[2] === -100);
  }
});

test('features read back the tokenizer ids across corpus batches and tokenizer calls', async () => {
  const texts = Array.from({ length: 2500 }, (_, i) => `text ${i % 10} playing`);
  const set = await buildMlmFeatures(batches(texts.slice(0, 1200), texts.slice(1200)), tokenizer, {
    maxSeqLength: 16,
    lineByLine: true,
    tokenizeBatchSize: 300,
  });
  expect(set.size).toBe(2500);
  const expected = await tokenizer.encodeBatch(texts, { maxLength: 16, truncation: true });
  for (const k of [0, 299, 300, 1199, 1200, 2499]) expect(set.feature(k).inputIds).toEqual(expected[k].inputIds);
});

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, content);
  return file;
}

async function allTexts(file: string, options = {}): Promise<string[]> {
  const out: string[] = [];
  for await (const b of readCorpusTexts(file, options)) out.push(...b);
  return out;
}

const AWKWARD = ['héllo wörld', 'naïve café ☕', '', '日本語のテキスト', '  ', 'emoji 😀 end', 'crlf line', 'last line no newline'];
// BOM, CRLF on two lines, empty and blank lines, no final newline.
const AWKWARD_FILE = '\ufeff' + AWKWARD.map((l, i) => l + (i === AWKWARD.length - 1 ? '' : i % 3 === 0 ? '\r\n' : '\n')).join('');
const KEPT = AWKWARD.filter((l) => l.trim().length > 0);

test('the offset index reads back every line exactly: UTF-8, CRLF, BOM, blank lines, no final newline', async () => {
  const file = write('awkward.txt', AWKWARD_FILE);
  const corpus = await TextCorpus.open(file);
  try {
    expect(corpus.randomAccess).toBe(true);
    expect(corpus.size).toBe(KEPT.length);
    const back = await Promise.all(KEPT.map((_, k) => corpus.text(k)));
    expect(back).toEqual(KEPT);
    expect(await corpus.text(KEPT.length - 1)).toBe('last line no newline');
    await expect(corpus.text(KEPT.length)).rejects.toThrow(RangeError);
  } finally {
    await corpus.close();
  }
  expect(await allTexts(file)).toEqual(KEPT);
  const kept = await TextCorpus.open(file, { keepEmptyTexts: true });
  expect(await Promise.all(AWKWARD.map((_, k) => kept.text(k)))).toEqual(AWKWARD);
  await kept.close();
});

test('a large file: every 997th of 20000 lines read back at random', async () => {
  const lines = Array.from({ length: 20000 }, (_, i) => `line ${i} ${'ü'.repeat(i % 50)} ${'x'.repeat(i % 300)}`);
  const file = write('big.txt', lines.join('\n') + '\n');
  const corpus = await TextCorpus.open(file);
  expect(corpus.size).toBe(20000);
  for (let k = 0; k < 20000; k += 997) expect(await corpus.text(k)).toBe(lines[k]);
  expect(await corpus.text(19999)).toBe(lines[19999]);
  await corpus.close();
});

test('.gz corpora are read sequentially (no random access)', async () => {
  const file = write('awkward.txt.gz', zlib.gzipSync(Buffer.from(AWKWARD_FILE, 'utf8')));
  const corpus = await TextCorpus.open(file);
  expect(corpus.randomAccess).toBe(false);
  expect(corpus.size).toBe(KEPT.length);
  await expect(corpus.text(0)).rejects.toThrow(/sequentially/);
  const out: string[] = [];
  for await (const b of corpus.batches()) out.push(...b);
  expect(out).toEqual(KEPT);
});

test('JSONL: the text column (default "text"), random access included; CSV: the first column when none is named text', async () => {
  const jsonl = write(
    'c.jsonl',
    ['{"id": 1, "text": "première ligne"}', '', '{"id": 2, "text": "second\\nwith newline"}', '{"id": 3, "text": ""}'].join('\r\n'),
  );
  const corpus = await TextCorpus.open(jsonl);
  expect(corpus.size).toBe(2);
  expect([await corpus.text(1), await corpus.text(0)]).toEqual(['second\nwith newline', 'première ligne']);
  await corpus.close();
  const byId = await TextCorpus.open(jsonl, { textColumnName: 'id' });
  expect(await byId.text(2)).toBe('3');
  await byId.close();

  const csv = write('c.csv', 'body,label\n"quoted, with comma",1\n"two\nlines",0\n');
  expect(await allTexts(csv)).toEqual(['quoted, with comma', 'two\nlines']);
  expect(await allTexts(csv, { textColumnName: 'label' })).toEqual(['1', '0']);
  expect((await TextCorpus.open(csv)).randomAccess).toBe(false);
  await expect(allTexts(csv, { textColumnName: 'missing' })).rejects.toMatchObject({ code: 'MISSING_COLUMN', file: csv });
});

test('an empty corpus or a missing file is a DataError naming the file', async () => {
  const blank = write('blank.txt', '\n   \n\r\n');
  for (const open of [() => TextCorpus.open(blank), () => allTexts(blank)]) {
    const err: unknown = await open().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect(err).toMatchObject({ code: 'EMPTY_DATASET', file: blank });
    expect((err as Error).message.startsWith(`${blank}:`)).toBe(true);
  }
  const missing = path.join(dir, 'nope.txt');
  await expect(TextCorpus.open(missing)).rejects.toMatchObject({ code: 'MISSING_FILE', file: missing });
  await expect(TextCorpus.open(write('x.parquet', 'x'))).rejects.toMatchObject({ code: 'UNKNOWN_FORMAT' });
});
