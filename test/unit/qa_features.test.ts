// SQuAD windows and targets on hand-computed cases. The fixture vocab has every letter a..j as a
// token, so "a b c d e f g h i j" is ten context tokens at character offsets 0, 2, 4, ...
import * as path from 'path';
import { buildQaFeatures, type QaFeature } from '../../lib/data/question_answering/qa_features';
import type { SquadExample } from '../../lib/data/question_answering/squad_reader';
import { BertTokenizer } from '../../lib/tokenization/bert_tokenizer';

let tokenizer: BertTokenizer;
beforeAll(async () => {
  tokenizer = await BertTokenizer.fromVocab(path.join(__dirname, '..', 'fixtures', 'tokenizer', 'vocab-uncased.txt'));
});

const CONTEXT = 'a b c d e f g h i j';
function example(answer: string | null, question = 'q', isImpossible = false): SquadExample {
  const start = answer === null ? -1 : CONTEXT.indexOf(answer);
  return {
    id: 'x',
    title: undefined,
    question,
    context: CONTEXT,
    isImpossible,
    line: 1,
    answers: answer === null ? { text: [], answerStart: [] } : { text: [answer], answerStart: [start] },
  };
}
// 10 tokens per window: [CLS] q [SEP] + 6 context tokens + [SEP]; windows overlap by 3 tokens:
// context positions [0, 6), [3, 9), [6, 10).
const OPTIONS = { maxSeqLength: 10, docStride: 3, maxQueryLength: 2 };
const contextLetters = (f: QaFeature) =>
  f.offsets
    .filter((o): o is [number, number] => o !== null)
    .map(([s, e]) => CONTEXT.slice(s, e))
    .join('');

test('long contexts become overlapping windows with offsets only on context tokens', async () => {
  const features = await buildQaFeatures([example('e f')], tokenizer, OPTIONS, true);
  expect(features.map(contextLetters)).toEqual(['abcdef', 'defghi', 'ghij']);
  expect(features.every((f) => f.inputIds.length <= 10 && f.exampleIndex === 0)).toBe(true);
  expect(features[0].offsets.slice(0, 3)).toEqual([null, null, null]); // [CLS] q [SEP]
  expect(features[0].offsets[9]).toBeNull(); // final [SEP]
  expect(features[0].tokenTypeIds).toEqual([0, 0, 0, 1, 1, 1, 1, 1, 1, 1]);
});

test('answer targets: token span where the answer is fully inside the window, [CLS] elsewhere', async () => {
  const targets = async (answer: string | null, impossible = false) =>
    (await buildQaFeatures([example(answer, 'q', impossible)], tokenizer, OPTIONS, true)).map((f) => [f.startPosition, f.endPosition]);
  // "e f" = context positions 4..5: window 0 tokens 3+4, 3+5; window 1 (starts at 3) tokens 4, 5.
  expect(await targets('e f')).toEqual([
    [7, 8],
    [4, 5],
    [0, 0],
  ]);
  // "f g" crosses window 0's end: only window 1 holds it whole.
  expect(await targets('f g')).toEqual([
    [0, 0],
    [5, 6],
    [0, 0],
  ]);
  // The answer starts at window 0's last context token (run_qa would step onto [SEP] here).
  expect(await targets('f')).toEqual([
    [8, 8],
    [5, 5],
    [0, 0],
  ]);
  expect(await targets('j')).toEqual([
    [0, 0],
    [0, 0],
    [6, 6],
  ]);
  expect(await targets(null, true)).toEqual([
    [0, 0],
    [0, 0],
    [0, 0],
  ]);
});

test('max context: each context token belongs to the window where it is farthest from an edge', async () => {
  const features = await buildQaFeatures([example('a')], tokenizer, OPTIONS, false);
  const owned = features.map((f) => f.tokenIsMaxContext.map((m, t) => (m ? CONTEXT[f.offsets[t]![0]] : '')).join(''));
  // Hand computation, score = min(left, right) + 0.01 * window length:
  // d: w0 min(3,2)=2 beats w1 0; e: w0 1.06 ties w1 1.06 -> first window; f: w1 2.06 > w0 0.06;
  // g: w1 2.06 > w2 0.04; h: w1 1.06 > w2 1.04; i: w2 1.04 > w1 0.06.
  expect(owned).toEqual(['abcde', 'fgh', 'ij']);
  expect(features.every((f) => f.startPosition === undefined)).toBe(true); // no targets asked
});

test('questions are cut to max_query_length tokens; leading white space is stripped', async () => {
  const [feature] = await buildQaFeatures([example('a', '   g h i j')], tokenizer, { maxSeqLength: 32, docStride: 4, maxQueryLength: 2 }, true);
  expect(await tokenizer.decode(feature.inputIds)).toBe('[CLS] g h [SEP] a b c d e f g h i j [SEP]');
  expect([feature.startPosition, feature.endPosition]).toEqual([4, 4]);
});

test('a doc_stride that leaves windows no room to advance is refused with the fix', async () => {
  await expect(buildQaFeatures([example('a')], tokenizer, { maxSeqLength: 10, docStride: 5, maxQueryLength: 2 }, true)).rejects.toThrow(
    /doc_stride \(5\) must be smaller than max_seq_length - max_query_length - 3 \(5\).*Fix: lower --doc_stride/,
  );
});
