// Label alignment, features, collate and predictions on hand-computed examples. Expected ids are
// looked up in the fixture vocabulary file itself (id = line number - 1), not through the tokenizer.
import * as fs from 'fs';
import * as path from 'path';
import { DataError } from '../../lib/data/readers/data_error';
import {
  IGNORED_LABEL,
  alignLabels,
  argmaxPerToken,
  buildTokenFeatures,
  encodeWords,
  logitsOfRow,
  predictWordLabels,
  resolveTokenLabels,
  tokenSequencesForSeqeval,
  wordSequencesForSeqeval,
  type TaggedSentence,
  type TokenFeature,
  type WordEncoding,
} from '../../lib/data/token_classification';
import { BertTokenizer } from '../../lib/tokenization';

const VOCAB_FILE = path.join(__dirname, '..', 'fixtures', 'tokenizer', 'vocab-uncased.txt');
const VOCAB = fs.readFileSync(VOCAB_FILE, 'utf8').split('\n');
const ids = (...tokens: string[]): number[] =>
  tokens.map((t) => {
    const i = VOCAB.indexOf(t);
    if (i < 0) throw new Error(`${t} is not in the fixture vocabulary`);
    return i;
  });

const X = IGNORED_LABEL;
// Sorted like run_ner.py: B-LOC 0, B-PER 1, I-LOC 2, I-PER 3, O 4.
const LABELS = resolveTokenLabels({ fromFlag: ['B-LOC', 'B-PER', 'I-LOC', 'I-PER', 'O'] });

let tokenizer: BertTokenizer;
beforeAll(async () => {
  tokenizer = await BertTokenizer.fromVocab(VOCAB_FILE);
});

// "don't" is three WordPieces, "東京" is [UNK] + 京 (東 is not in the vocabulary), the zero-width
// space is deleted by the normalizer and gives no token.
const SENTENCE: TaggedSentence = {
  tokens: ['Hello', "don't", 'Paris', '東京', '\u200b', 'lives'],
  tags: ['O', 'O', 'B-LOC', 'B-LOC', 'O', 'B-PER'],
  source: { file: 'train.txt', line: 10, tokenPerLine: true },
};

describe('alignLabels (run_ner.py tokenize_and_align_labels)', () => {
  test('first sub-token gets the label, the others -100 or, with labelAllTokens, the I- label', () => {
    const wordIds = [null, 0, 1, 1, 1, 2, null];
    const tags = [4, 0, 1]; // O, B-LOC, B-PER
    expect(alignLabels(wordIds, tags)).toEqual([X, 4, 0, X, X, 1, X]);
    expect(alignLabels(wordIds, tags, { labelAllTokens: true, bToI: LABELS.bToI })).toEqual([X, 4, 0, 2, 2, 1, X]);
  });

  test('a word is new when its id differs from the previous token (also after a special token)', () => {
    expect(alignLabels([null, 0, null, 0, 0], [1], { labelAllTokens: true, bToI: LABELS.bToI })).toEqual([X, 1, X, 1, 3]);
    expect(() => alignLabels([null, 0], [1], { labelAllTokens: true })).toThrow(/labelAllTokens needs bToI/);
    expect(() => alignLabels([null, 2], [1])).toThrow(/token of word 2, but only 1 word labels/);
  });
});

describe('encodeWords', () => {
  test('tokens traced to words; a word of no token is reported as empty', async () => {
    const [e] = await encodeWords(tokenizer, [SENTENCE.tokens], { maxLength: 512 });
    expect(e.inputIds).toEqual(ids('[CLS]', 'hello', 'don', "'", 't', 'paris', '[UNK]', '京', 'lives', '[SEP]'));
    expect(e.wordIds).toEqual([null, 0, 1, 1, 1, 2, 3, 3, 5, null]);
    expect(e.tokenTypeIds).toEqual(Array(10).fill(0));
    expect([e.truncatedWords, e.emptyWords]).toEqual([[], [4]]);
  });

  test('truncation at maxLength keeps [SEP]; words whose tokens are all cut are listed, a partly kept word is not', async () => {
    const encode = async (maxLength: number): Promise<WordEncoding> => (await encodeWords(tokenizer, [SENTENCE.tokens], { maxLength }))[0];
    const [six, four, three] = [await encode(6), await encode(4), await encode(3)];
    expect(six.inputIds).toEqual(ids('[CLS]', 'hello', 'don', "'", 't', '[SEP]'));
    expect(six.wordIds).toEqual([null, 0, 1, 1, 1, null]);
    expect([six.truncatedWords, six.emptyWords]).toEqual([[2, 3, 5], [4]]);
    expect(four.inputIds).toEqual(ids('[CLS]', 'hello', 'don', '[SEP]'));
    expect([four.truncatedWords, four.emptyWords]).toEqual([[2, 3, 5], [4]]);
    expect(three.wordIds).toEqual([null, 0, null]);
    expect(three.truncatedWords).toEqual([1, 2, 3, 5]);
  });

  test('empty words, whitespace inside a word, special-token text, and many sentences at once', async () => {
    const out = await encodeWords(tokenizer, [['', 'New York', ' ', 'in'], ['[MASK]', 'Paris'], ['\u0000']], { maxLength: 16 });
    expect(out[0].inputIds).toEqual(ids('[CLS]', 'new', 'york', 'in', '[SEP]'));
    expect(out[0].wordIds).toEqual([null, 1, 1, 3, null]);
    expect(out[0].emptyWords).toEqual([0, 2]);
    expect(out[1].inputIds).toEqual(ids('[CLS]', '[MASK]', 'paris', '[SEP]'));
    expect(out[1].wordIds).toEqual([null, 0, 1, null]);
    expect(out[2]).toEqual({ inputIds: ids('[CLS]', '[SEP]'), tokenTypeIds: [0, 0], wordIds: [null, null], truncatedWords: [], emptyWords: [0] });
    await expect(encodeWords(tokenizer, [['a']], { maxLength: 2 })).rejects.toThrow(/maxLength must be an integer >= 3/);
  });

  test('characters outside the Basic Multilingual Plane before a word do not shift the mapping', async () => {
    // 𝐀 is one code point but two UTF-16 units; offsets must be compared in one unit.
    const [e] = await encodeWords(tokenizer, [['𝐀𝐀', 'Paris', 'hello']], { maxLength: 16 });
    expect(e.wordIds).toEqual([null, 0, 0, 1, 2, null]);
    expect(e.inputIds.slice(3, 5)).toEqual(ids('paris', 'hello'));
  });
});

describe('buildTokenFeatures', () => {
  test('labels on first sub-tokens; with labelAllTokens on every sub-token (B- becomes I-)', async () => {
    const [first] = await buildTokenFeatures([SENTENCE], tokenizer, { maxSeqLength: 128, labels: LABELS });
    //                       CLS hello don  '  t paris UNK 京 lives SEP
    expect(first.labels).toEqual([X, 4, 4, X, X, 0, 0, X, 1, X]);
    expect(first.wordCount).toBe(6);
    const [all] = await buildTokenFeatures([SENTENCE], tokenizer, { maxSeqLength: 128, labels: LABELS, labelAllTokens: true });
    expect(all.labels).toEqual([X, 4, 4, 4, 4, 0, 0, 2, 1, X]);
  });

  test('unlabeled sentences (prediction) get no labels; chunking does not change the result', async () => {
    const sentences = [{ tokens: ['Paris'] }, { tokens: ['hello', 'Paris'] }, { tokens: ['lives'] }];
    const whole = await buildTokenFeatures(sentences, tokenizer, { maxSeqLength: 8 });
    const chunked = await buildTokenFeatures(sentences, tokenizer, { maxSeqLength: 8, chunkSize: 2 });
    expect(chunked).toEqual(whole);
    expect(whole.map((f) => f.labels)).toEqual([undefined, undefined, undefined]);
    expect(whole[1].inputIds).toEqual(ids('[CLS]', 'hello', 'paris', '[SEP]'));
  });

  test('an unknown tag is a DataError at its line; missing tags are an error', async () => {
    const bad = { ...SENTENCE, tags: ['O', 'O', 'B-LOC', 'B-ORG', 'O', 'O'] };
    const err = await buildTokenFeatures([bad], tokenizer, { maxSeqLength: 64, labels: LABELS }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).message).toMatch(/^train\.txt:13: unknown label "B-ORG" \(word 3 \("東京"\)\)/);
    await expect(buildTokenFeatures([{ tokens: ['a'] }], tokenizer, { maxSeqLength: 64, labels: LABELS })).rejects.toThrow(
      'sentence 0: has no tags; labeled features need one tag per word',
    );
    await expect(buildTokenFeatures([{ tokens: ['a', 'b'], tags: ['O'] }], tokenizer, { maxSeqLength: 64, labels: LABELS })).rejects.toThrow(
      'sentence 0: has 2 words but 1 tags',
    );
  });
});

describe('predictions back to words', () => {
  // Feature of SENTENCE truncated to 8 tokens: [CLS] hello don ' t paris [UNK] [SEP]
  const feature: TokenFeature = {
    inputIds: [12, 1, 2, 3, 4, 5, 6, 13],
    tokenTypeIds: Array(8).fill(0),
    wordIds: [null, 0, 1, 1, 1, 2, 3, null],
    labels: [X, 4, 4, X, X, 0, 0, X],
    wordCount: 6,
    truncatedWords: [5],
    emptyWords: [4],
  };
  // One row per token, 5 labels, plus 2 padded rows the prediction must ignore.
  const rows = [
    [9, 0, 0, 0, 0], // [CLS]
    [0, 0, 0, 0, 5], // hello -> O
    [0, 7, 0, 0, 1], // don -> B-PER
    [9, 0, 0, 0, 0], // ' (not a first sub-token)
    [0, 0, 0, 9, 0], // t
    [3, 3, 0, 0, 0], // paris: a tie, the lower id (B-LOC) wins
    [0, 0, 4, 0, 0], // [UNK] -> I-LOC
    [0, 0, 0, 0, 0], // [SEP]
    [99, 0, 0, 0, 0], // padding
    [99, 0, 0, 0, 0],
  ];
  const logits = Float32Array.from(rows.flat());

  test('argmax per token: ties to the lower id, NaN wins, padded rows ignored', () => {
    expect(argmaxPerToken(logits, 8, 5)).toEqual([0, 4, 1, 0, 3, 0, 2, 0]);
    expect(argmaxPerToken([1, NaN, 5, NaN, 2, 3], 2, 3)).toEqual([1, 0]);
    expect(() => argmaxPerToken([1, 2, 3], 1, 2)).toThrow('logits hold 3 values, not a whole number of rows of 2 labels');
    expect(() => argmaxPerToken([1, 2], 2, 2)).toThrow('logits have 1 rows but the feature has 2 tokens');
  });

  test("each word gets its first sub-token's label; words the model did not see get null", () => {
    expect(predictWordLabels(feature, logits, LABELS.labels)).toEqual(['O', 'B-PER', 'B-LOC', 'I-LOC', null, null]);
  });

  test('seqeval pairs: dropping unseen words equals what run_ner.py scores; fill counts them as missed', () => {
    const predicted = predictWordLabels(feature, logits, LABELS.labels);
    const dropped = wordSequencesForSeqeval(SENTENCE.tags, predicted);
    expect(dropped).toEqual({ references: ['O', 'O', 'B-LOC', 'B-LOC'], predictions: ['O', 'B-PER', 'B-LOC', 'I-LOC'] });
    expect(tokenSequencesForSeqeval(feature, logits, LABELS.labels)).toEqual(dropped);
    expect(wordSequencesForSeqeval(SENTENCE.tags, predicted, 'O')).toEqual({
      references: ['O', 'O', 'B-LOC', 'B-LOC', 'O', 'B-PER'],
      predictions: ['O', 'B-PER', 'B-LOC', 'I-LOC', 'O', 'O'],
    });
    expect(() => wordSequencesForSeqeval(['O'], [])).toThrow('1 gold labels but 0 predictions');
  });

  test('with labelAllTokens run_ner.py scores every labeled sub-token', () => {
    const all = { ...feature, labels: [X, 4, 4, 4, 4, 0, 0, X] };
    expect(tokenSequencesForSeqeval(all, logits, LABELS.labels)).toEqual({
      references: ['O', 'O', 'O', 'O', 'B-LOC', 'B-LOC'],
      predictions: ['O', 'B-PER', 'B-LOC', 'I-PER', 'B-LOC', 'I-LOC'],
    });
    expect(() => tokenSequencesForSeqeval({ inputIds: [1] }, [0], ['O'])).toThrow('the feature has no labels to compare with');
  });

  test('logitsOfRow views one row of a [batch, seq, numLabels] output', () => {
    const batch = Float32Array.from([...rows.flat(), ...rows.flat().map((v) => -v)]);
    const second = logitsOfRow(batch, [2, 10, 5], 1);
    expect(second.length).toBe(50);
    expect(second[0]).toBe(-9);
    expect(second.buffer).toBe(batch.buffer);
    expect(() => logitsOfRow(batch, [2, 10, 5], 2)).toThrow('row 2 is outside the batch of 2');
    expect(() => logitsOfRow(batch, [2, 10, 4], 0)).toThrow('logits hold 100 values, but shape [2, 10, 4] needs 80');
    expect(() => logitsOfRow(batch, [100], 0)).toThrow(/have shape \[batch, seq, numLabels\]/);
  });
});
