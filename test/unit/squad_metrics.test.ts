import * as fs from 'fs';
import * as path from 'path';
import {
  answerTokens,
  normalizeAnswer,
  squadExactMatch,
  squadGoldFromJson,
  squadV1F1,
  squadV1Metrics,
  squadV1QuestionScores,
  squadV2F1,
  squadV2Metrics,
  squadV2RawScores,
  SquadDatasetJson,
  SquadGold,
} from '../../lib/evaluation/squad_metrics';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'squad-metrics');

function readFixture<T>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(FIXTURES, name), 'utf8')) as T;
}

interface V1QuestionExpected {
  prediction: string | null;
  normalized_prediction?: string;
  normalized_golds?: string[];
  exact_match: number;
  f1: number;
}
interface V2QuestionExpected {
  has_answer: boolean;
  prediction: string;
  normalized_prediction: string;
  na_prob: number;
  exact: number;
  f1: number;
}
interface V2Run {
  command: string;
  na_prob_file: boolean;
  na_prob_thresh: number;
  result: Record<string, number>;
}
interface Expected {
  'v1.1': { result: Record<string, number>; per_question: Record<string, V1QuestionExpected> };
  'v2.0': { runs: V2Run[]; per_question_raw: Record<string, V2QuestionExpected> };
}

const expected = readFixture<Expected>('expected.json');
const devV1 = readFixture<SquadDatasetJson>('dev-v1.1.json');
const devV2 = readFixture<SquadDatasetJson>('dev-v2.0.json');
const predictionsV1 = readFixture<Record<string, string>>('predictions-v1.1.json');
const predictionsV2 = readFixture<Record<string, string>>('predictions-v2.0.json');
const naProbsV2 = readFixture<Record<string, number>>('na_prob-v2.0.json');

describe('SQuAD v1.1 against the official script (fixture)', () => {
  const gold = squadGoldFromJson(devV1);

  test('the gold list has every question in file order', () => {
    expect(gold).toHaveLength(30);
    expect(gold.map((q) => q.id)).toEqual(Object.keys(expected['v1.1'].per_question));
    expect(gold.every((q) => q.answers.length >= 1 && q.answers.length <= 3)).toBe(true);
  });

  test('per-question normalization, exact match and F1', () => {
    const scores = new Map(squadV1QuestionScores(gold, predictionsV1).map((s) => [s.id, s]));
    const goldById = new Map(gold.map((q) => [q.id, q]));
    for (const [id, want] of Object.entries(expected['v1.1'].per_question)) {
      const got = scores.get(id);
      expect({ id, answered: got?.answered, exactMatch: got?.exactMatch, f1: got?.f1 }).toEqual({
        id,
        answered: want.prediction !== null,
        exactMatch: want.exact_match,
        f1: want.f1,
      });
      if (want.prediction === null) continue;
      expect(predictionsV1[id]).toBe(want.prediction);
      expect(normalizeAnswer(want.prediction)).toBe(want.normalized_prediction);
      expect(goldById.get(id)?.answers.map(normalizeAnswer)).toEqual(want.normalized_golds);
    }
  });

  test('overall result, equal to the last bit', () => {
    const result = squadV1Metrics(gold, predictionsV1);
    expect(result).toEqual(expected['v1.1'].result);
    expect(result.exact_match).toBe(36.666666666666664);
    expect(result.f1).toBe(67.70370370370371);
  });

  test('the parsed file and the flat list give the same result', () => {
    expect(squadV1Metrics(devV1, predictionsV1)).toEqual(squadV1Metrics(gold, predictionsV1));
  });
});

describe('SQuAD v2.0 against the official script (fixture)', () => {
  const gold = squadGoldFromJson(devV2);

  test('the gold list has 40 questions, 15 of them impossible with no answers', () => {
    expect(gold).toHaveLength(40);
    expect(gold.filter((q) => q.isImpossible === true)).toHaveLength(15);
    expect(gold.filter((q) => q.isImpossible === true).every((q) => q.answers.length === 0)).toBe(true);
  });

  test('raw per-question scores', () => {
    const raw = squadV2RawScores(gold, predictionsV2);
    expect([...raw.exact.keys()]).toEqual(Object.keys(expected['v2.0'].per_question_raw));
    for (const [id, want] of Object.entries(expected['v2.0'].per_question_raw)) {
      expect({
        id,
        hasAnswer: raw.hasAnswer.get(id),
        normalized: normalizeAnswer(predictionsV2[id]),
        naProb: naProbsV2[id],
        exact: raw.exact.get(id),
        f1: raw.f1.get(id),
      }).toEqual({
        id,
        hasAnswer: want.has_answer,
        normalized: want.normalized_prediction,
        naProb: want.na_prob,
        exact: want.exact,
        f1: want.f1,
      });
    }
  });

  test.each(expected['v2.0'].runs.map((run) => [run.command, run] as const))('%s', (_command, run) => {
    const result = run.na_prob_file
      ? squadV2Metrics(gold, predictionsV2, naProbsV2, run.na_prob_thresh)
      : squadV2Metrics(gold, predictionsV2, undefined, run.na_prob_thresh);
    expect(result).toEqual(run.result);
    expect(Object.keys(result)).toEqual(Object.keys(run.result));
  });

  test('the default threshold is the script default 1.0', () => {
    expect(squadV2Metrics(gold, predictionsV2, naProbsV2)).toEqual(expected['v2.0'].runs[1].result);
  });

  test('the parsed file, a flat list and a Map of na_probs agree', () => {
    const fromFile = squadV2Metrics(devV2, predictionsV2, naProbsV2, 0.5);
    const fromMap = squadV2Metrics(gold, predictionsV2, new Map(Object.entries(naProbsV2)), 0.5);
    expect(fromFile).toEqual(expected['v2.0'].runs[2].result);
    expect(fromMap).toEqual(expected['v2.0'].runs[2].result);
  });
});

describe('normalizeAnswer, hand-computed', () => {
  test.each([
    ['The Cat sat.', 'cat sat'],
    ['A.', ''], // punctuation goes first, so "A." is the article "a"
    ['an', ''],
    ['and theatre', 'and theatre'],
    ['1,000', '1000'],
    ['Trans-Orlan', 'transorlan'],
    ['A\u2013E', '\u2013e'], // the en dash is not ASCII punctuation and not a word character
    ['\u201cthe quote\u201d', '\u201c quote\u201d'],
    ['_a_', ''], // "_" is punctuation, removed before the article is seen
    ['ESPA\u00d1A', 'espa\u00f1a'], // Unicode \b: "\u00f1" is a word character, the final "a" stays
    ['a\u00b2', 'a\u00b2'], // "\u00b2" is numeric, hence a word character
    ['a\u0301 b', '\u0301 b'], // a combining mark is not a word character
    ['\u039f\u0394\u039f\u03a3', '\u03bf\u03b4\u03bf\u03c2'], // final sigma
  ])('%j -> %j', (input, output) => {
    expect(normalizeAnswer(input)).toBe(output);
  });

  test('whitespace is what Python str.split() splits on', () => {
    // NBSP, thin space, ideographic space, NEL, line separator, information separators U+001C..U+001F
    expect(normalizeAnswer('x\u00a0y\u2009z\u3000w\u0085v\u2028u\u001ct\u001fs')).toBe('x y z w v u t s');
    expect(normalizeAnswer('  tab\there\nnewline  ')).toBe('tab here newline');
    // zero-width space and BOM are not whitespace for Python (BOM is for JavaScript's \s)
    expect(normalizeAnswer('x\u200by')).toBe('x\u200by');
    expect(normalizeAnswer('\ufeffend')).toBe('\ufeffend');
    // but both are non-word characters, so they bound an article: "\ufeff" + "the" -> "\ufeff" + " "
    expect(normalizeAnswer('\ufeffthe end')).toBe('\ufeff end');
    expect(normalizeAnswer('a\u200bb')).toBe('\u200bb');
    expect(answerTokens('x\u00a0y\u200bz')).toEqual(['x', 'y\u200bz']);
    expect(answerTokens(' . ')).toEqual([]);
  });
});

describe('per-answer scores, hand-computed', () => {
  test('exact match compares normalized strings', () => {
    expect(squadExactMatch('The Eiffel Tower!', 'eiffel   tower')).toBe(1);
    expect(squadExactMatch('Eiffel', 'eiffel tower')).toBe(0);
  });

  test('F1 counts shared tokens as a multiset', () => {
    // pred [oxygen, oxygen], gold [oxygen]: common 1, P = 1/2, R = 1, F1 = 2*(1/2)*1/(3/2) = 2/3
    expect(squadV1F1('oxygen oxygen', 'oxygen')).toBe(2 / 3);
    // pred [red, red, blue], gold [red, blue, blue, green]: common red 1 + blue 1 = 2,
    // P = 2/3, R = 2/4, F1 = 2*(2/3)*(1/2)/(2/3 + 1/2) = (2/3)/(7/6) = 4/7
    expect(squadV1F1('red red blue', 'red blue blue green')).toBeCloseTo(4 / 7, 15);
    expect(squadV2F1('red red blue', 'red blue blue green')).toBeCloseTo(4 / 7, 15);
    expect(squadV1F1('Paris', 'London')).toBe(0);
  });

  test('empty token lists: v1.1 gives 0, v2.0 gives 1 when both are empty', () => {
    expect(squadV1F1('A', 'the')).toBe(0);
    expect(squadExactMatch('A', 'the')).toBe(1);
    expect(squadV2F1('', '')).toBe(1);
    expect(squadV2F1('.', '')).toBe(1);
    expect(squadV2F1('Paris', '')).toBe(0);
    expect(squadV2F1('', 'Paris')).toBe(0);
  });
});

describe('squadV1Metrics, hand-computed', () => {
  const gold: SquadGold[] = [
    { id: 'q1', answers: ['Paris', 'the city of Paris'] },
    { id: 'q2', answers: ['blue whale'] },
    { id: 'q3', answers: ['1969'] },
  ];

  test('maxima over gold answers, missing predictions count as 0, extras are ignored', () => {
    // q1: EM 1 (vs "Paris"), F1 1. q2 "whale": EM 0, F1 = 2*1*(1/2)/(3/2) = 2/3. q3 missing: 0, 0.
    const result = squadV1Metrics(gold, { q1: 'paris', q2: 'whale', extra: 'ignored' });
    expect(result.exact_match).toBeCloseTo((100 * 1) / 3, 12);
    expect(result.f1).toBeCloseTo((100 * (1 + 2 / 3)) / 3, 12);
  });

  test('a question without gold answers is an error, not a silent 0', () => {
    expect(() => squadV1Metrics([{ id: 'x', answers: [] }], { x: '' })).toThrow(/question x has no gold answers/);
    expect(() => squadV1Metrics([], {})).toThrow(/no questions/);
  });
});

describe('squadV2Metrics, hand-computed', () => {
  const gold: SquadGold[] = [
    { id: 'q1', answers: ['Paris'], isImpossible: false },
    { id: 'q2', answers: [], isImpossible: true },
    { id: 'q3', answers: ['blue whale'], isImpossible: false },
    { id: 'q4', answers: [] },
  ];
  const predictions = { q1: 'Paris', q2: 'London', q3: 'whale', q4: '' };
  // Raw: q1 exact 1 f1 1; q2 0 0; q3 exact 0, f1 = 2*1*(1/2)/(3/2) = 2/3; q4 1 1.
  const naProbs = { q1: 0.1, q2: 0.5, q3: 0.5, q4: 0.9 };

  test('totals and HasAns/NoAns splits', () => {
    const result = squadV2Metrics(gold, predictions);
    expect(result.exact).toBe(50); // (1+0+0+1)/4
    expect(result.f1).toBeCloseTo((100 * (1 + 0 + 2 / 3 + 1)) / 4, 12);
    expect(result.total).toBe(4);
    expect(result.HasAns_exact).toBe(50); // q1, q3
    expect(result.HasAns_f1).toBeCloseTo((100 * (1 + 2 / 3)) / 2, 12);
    expect(result.HasAns_total).toBe(2);
    expect(result.NoAns_exact).toBe(50); // q2, q4
    expect(result.NoAns_f1).toBe(50);
    expect(result.NoAns_total).toBe(2);
    expect(result.best_exact).toBeUndefined();
  });

  test('a question with na_prob strictly above the threshold counts as "no answer"', () => {
    // threshold 0.5: only q4 (0.9) flips, and it is already right: unchanged.
    expect(squadV2Metrics(gold, predictions, naProbs, 0.5).exact).toBe(50);
    // threshold 0.4: q2 (impossible) becomes 1, q3 (answerable) becomes 0, q4 stays 1.
    const result = squadV2Metrics(gold, predictions, naProbs, 0.4);
    expect(result.exact).toBe(75);
    expect(result.f1).toBe(75);
    expect(result.HasAns_f1).toBe(50);
    expect(result.NoAns_f1).toBe(100);
  });

  test('best thresholds walk the questions by na_prob from "answer nothing"', () => {
    // Start 2 (q2, q4 right). q1 (0.1): +1 -> 3, best so far, thresh 0.1. q2 (0.5): non-empty
    // prediction on an impossible question: -1 -> 2. q3 (0.5): exact +0 -> 2, f1 +2/3 -> 2.67.
    // q4 (0.9): empty prediction: +0. Best 3 of 4 for both.
    const result = squadV2Metrics(gold, predictions, naProbs);
    expect(result.best_exact).toBe(75);
    expect(result.best_exact_thresh).toBe(0.1);
    expect(result.best_f1).toBe(75);
    expect(result.best_f1_thresh).toBe(0.1);
  });

  test('only a strictly better running score moves the threshold', () => {
    // q2 now predicted "": q1 +1 -> 3 (0.1), q2 +0 -> 3 (equal: stays 0.1), q3 exact +0 -> 3,
    // f1 +2/3 -> 3.67 (better: 0.5), q4 +0.
    const result = squadV2Metrics(gold, { ...predictions, q2: '' }, naProbs);
    expect(result.best_exact).toBe(75);
    expect(result.best_exact_thresh).toBe(0.1);
    expect(result.best_f1).toBeCloseTo((100 * (3 + 2 / 3)) / 4, 12);
    expect(result.best_f1_thresh).toBe(0.5);
  });

  test('ties in na_prob keep the na_probs order', () => {
    const tieGold: SquadGold[] = [
      { id: 'q1', answers: ['Paris'] },
      { id: 'q2', answers: [] },
      { id: 'q3', answers: ['Paris'] },
    ];
    const tiePredictions = { q1: 'Rome', q2: 'London', q3: 'Paris' };
    // Start 1. q1 (0.2): +0 -> 1. Then the two at 0.5:
    // q2 first: -1 -> 0, q3: +1 -> 1; never above 1: best 1/3, thresh 0.0.
    const q2First = squadV2Metrics(
      tieGold,
      tiePredictions,
      new Map([
        ['q1', 0.2],
        ['q2', 0.5],
        ['q3', 0.5],
      ]),
    );
    expect(q2First.best_exact).toBeCloseTo(100 / 3, 12);
    expect(q2First.best_exact_thresh).toBe(0);
    // q3 first: +1 -> 2 (best, 0.5), q2: -1 -> 1: best 2/3, thresh 0.5.
    const q3First = squadV2Metrics(
      tieGold,
      tiePredictions,
      new Map([
        ['q1', 0.2],
        ['q3', 0.5],
        ['q2', 0.5],
      ]),
    );
    expect(q3First.best_exact).toBeCloseTo(200 / 3, 12);
    expect(q3First.best_exact_thresh).toBe(0.5);
  });

  test('a gold answer that normalizes to nothing is dropped; the question still counts as HasAns', () => {
    // gold "The" normalizes to "" -> gold list [""]; prediction "a" normalizes to "" -> exact 1, f1 1.
    const result = squadV2Metrics([{ id: 'q', answers: ['The'] }], { q: 'a' });
    expect(result).toEqual({ exact: 100, f1: 100, total: 1, HasAns_exact: 100, HasAns_f1: 100, HasAns_total: 1 });
  });

  test('inputs the official script cannot score are errors', () => {
    expect(() => squadV2Metrics(gold, { q1: 'Paris' })).toThrow(/3 question\(s\) have no prediction \(q2, q3, q4\)/);
    expect(() => squadV2Metrics(gold, predictions, { q1: 0.1 })).toThrow(/na_probs has no entry for question q2/);
    expect(() => squadV2Metrics([{ id: 'z', answers: ['x'], isImpossible: true }], { z: '' })).toThrow(/is_impossible=true but 1 gold answer/);
  });
});

describe('squadGoldFromJson', () => {
  test('reads ids, answer texts and is_impossible in file order', () => {
    const json = {
      version: 'v2.0',
      data: [
        {
          title: 'T',
          paragraphs: [
            {
              context: 'c',
              qas: [
                {
                  id: 'a',
                  question: '?',
                  answers: [
                    { text: 'x', answer_start: 0 },
                    { text: 'y', answer_start: 1 },
                  ],
                },
                { id: 'b', question: '?', answers: [], is_impossible: true, plausible_answers: [{ text: 'z' }] },
              ],
            },
          ],
        },
        { title: 'U', paragraphs: [{ context: 'd', qas: [{ id: 'c', answers: [{ text: 'w' }], is_impossible: false }] }] },
      ],
    };
    expect(squadGoldFromJson(json)).toEqual([
      { id: 'a', answers: ['x', 'y'] },
      { id: 'b', answers: [], isImpossible: true },
      { id: 'c', answers: ['w'], isImpossible: false },
    ]);
  });

  test('names the malformed entry', () => {
    expect(() => squadGoldFromJson({})).toThrow('SQuAD JSON: the top level has no "data"');
    expect(() => squadGoldFromJson({ data: [{ paragraphs: [{ qas: [{ id: 1, answers: [] }] }] }] })).toThrow('data[0].paragraphs[0].qas[0].id is not a string');
    expect(() => squadGoldFromJson({ data: [{ paragraphs: [{ qas: [{ id: 'q', answers: [{ text: null }] }] }] }] })).toThrow(
      'data[0].paragraphs[0].qas[0].answers[0].text is not a string',
    );
  });
});
