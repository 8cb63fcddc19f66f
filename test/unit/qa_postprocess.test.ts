import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { NBestEntry, postprocessQaPredictions, QaExampleRef, QaPredictions, QaWindow, writeQaPredictionFiles } from '../../lib/evaluation/qa_postprocess';

// Every window below is laid out as [CLS] <question tokens> [SEP] <context tokens> [SEP] (padding),
// so position 0 is CLS (the null answer) and only context tokens have offsets.

/** softmax(a, b) for the first of two scores: 1 / (1 + e^(b - a)). */
const firstOfTwo = (a: number, b: number) => 1 / (1 + Math.exp(b - a));

function texts(entries: NBestEntry[]): string[] {
  return entries.map((entry) => entry.text);
}

function expectProbabilitiesSumToOne(result: QaPredictions): void {
  for (const entries of Object.values(result.nbest)) {
    const sum = entries.reduce((total, entry) => total + entry.probability, 0);
    expect(sum).toBeCloseTo(1, 12);
  }
}

describe('postprocessQaPredictions: windows', () => {
  // "Alpha beta gamma delta epsilon": Alpha 0-5, beta 6-10, gamma 11-16, delta 17-22, epsilon 23-30.
  const context = 'Alpha beta gamma delta epsilon';
  const examples: QaExampleRef[] = [
    { id: 'other', context: 'unused words here' },
    { id: 'greek', context },
  ];
  // Windows of "greek" overlap on "gamma"; the window of "other" comes between them.
  const windows: QaWindow[] = [
    { exampleIndex: 1, offsets: [null, null, null, [0, 5], [6, 10], [11, 16], null] },
    { exampleIndex: 0, offsets: [null, null, [0, 6], [7, 12], null] },
    { exampleIndex: 1, offsets: [null, null, null, [11, 16], [17, 22], [23, 30], null] },
  ];
  const start = [
    [1, 0, 0, 0.5, 0.2, 0.1, 0],
    [0, 0, 1, 0.5, 0],
    [0.5, 0, 0, 0.2, 3.0, 0.1, 0],
  ];
  const end = [
    [1, 0, 0, 0.1, 0.6, 0.3, 0],
    [0, 0, 0.2, 2, 0],
    [0.5, 0, 0, 0.1, 0.2, 2.5, 0],
  ];

  test('the answer is found in the second window of its example', () => {
    // nBestSize 2.
    // greek window 0: starts [0 (1), 3 (0.5)], ends [0 (1), 4 (0.6)]; only (3,4) has offsets on
    //   both sides: "Alpha beta" [0,10], 0.5 + 0.6 = 1.1.
    // greek window 2: starts [4 (3.0), 0 (0.5)], ends [5 (2.5), 0 (0.5)]; only (4,5):
    //   "delta epsilon" [17,30], 3.0 + 2.5 = 5.5.
    // Sorted: delta epsilon 5.5, Alpha beta 1.1; p = 1/(1 + e^(1.1 - 5.5)).
    // other: starts [2 (1), 3 (0.5)], ends [3 (2), 2 (0.2)]: (2,3) "unused words" 3, (2,2) "unused"
    //   1.2, (3,3) "words" 2.5, (3,2) end < start. Sorted: unused words, words (n-best 2).
    const result = postprocessQaPredictions(examples, windows, start, end, { nBestSize: 2 });
    expect(result.predictions).toEqual({ other: 'unused words', greek: 'delta epsilon' });
    expect(Object.keys(result.predictions)).toEqual(['other', 'greek']);
    expect(result.nullOdds).toBeUndefined();
    const greek = result.nbest.greek;
    expect(texts(greek)).toEqual(['delta epsilon', 'Alpha beta']);
    expect(greek[0]).toMatchObject({ start_logit: 3.0, end_logit: 2.5, offsets: [17, 30] });
    expect(greek[1]).toMatchObject({ start_logit: 0.5, end_logit: 0.6, offsets: [0, 10] });
    expect(greek[0].probability).toBeCloseTo(firstOfTwo(5.5, 1.1), 12);
    expect(greek[1].probability).toBeCloseTo(1 - firstOfTwo(5.5, 1.1), 12);
    expect(texts(result.nbest.other)).toEqual(['unused words', 'words']);
    expect(result.nbest.other[0].probability).toBeCloseTo(firstOfTwo(3, 2.5), 12);
    expectProbabilitiesSumToOne(result);
  });

  test('inputs that do not line up are errors', () => {
    expect(() => postprocessQaPredictions(examples, windows, start.slice(1), end)).toThrow(/3 windows but 2 rows/);
    expect(() => postprocessQaPredictions(examples, [windows[1]], [start[1]], [end[1]])).toThrow(/example greek \(index 1\) has no window/);
    const stray: QaWindow[] = [...windows.slice(0, 2), { ...windows[2], exampleIndex: 2 }];
    expect(() => postprocessQaPredictions(examples, stray, start, end)).toThrow(/window 2 points to example 2/);
    const nan = [start[0], start[1], [0.5, 0, NaN, 0, 0, 0, 0]];
    expect(() => postprocessQaPredictions(examples, windows, nan, end)).toThrow(/start logit 2 of window 2 is NaN/);
    expect(() => postprocessQaPredictions([examples[1], examples[1]], [], [], [])).toThrow(/appears more than once/);
    expect(() => postprocessQaPredictions(examples, windows, start, end, { nBestSize: 0 })).toThrow(/nBestSize/);
  });
});

describe('postprocessQaPredictions: an answer across the stride overlap', () => {
  // "one two three four five six": one 0-3, two 4-7, three 8-13, four 14-18, five 19-23, six 24-27.
  // Window 0 holds one..four, window 1 three..six. "four" is the last token of window 0 (no right
  // context) and has one token each side in window 1, so its maximum context is window 1.
  const examples: QaExampleRef[] = [{ id: 'n', context: 'one two three four five six' }];
  const offsets0: QaWindow['offsets'] = [null, [0, 3], [4, 7], [8, 13], [14, 18], null];
  const offsets1: QaWindow['offsets'] = [null, [8, 13], [14, 18], [19, 23], [24, 27], null];
  const start = [
    [0, 0, 0, 1, 4, 0],
    [0, 0, 3.5, 0, 0, 0],
  ];
  const end = [
    [0, 0, 0, 0, 3, 0],
    [0, 0, 0, 3, 0, 0],
  ];

  test('the span is taken from the window where its start token has maximum context', () => {
    const windows: QaWindow[] = [
      { exampleIndex: 0, offsets: offsets0, tokenIsMaxContext: [false, true, true, true, false, false] },
      { exampleIndex: 0, offsets: offsets1, tokenIsMaxContext: [false, false, true, true, true, false] },
    ];
    // nBestSize 2. Window 0: starts [4 (4), 3 (1)], ends [4 (3), 5 (0: the latest of the zeros)].
    //   (4,4) "four" would score 7 but token 4 is not max context here; (3,4) "three four" 1+3 = 4.
    // Window 1: starts [2 (3.5), 5], ends [3 (3), 5]; (2,3) "four five" [14,23] 3.5+3 = 6.5.
    const result = postprocessQaPredictions(examples, windows, start, end, { nBestSize: 2 });
    expect(result.predictions).toEqual({ n: 'four five' });
    expect(texts(result.nbest.n)).toEqual(['four five', 'three four']);
    expect(result.nbest.n[0].offsets).toEqual([14, 23]);
    expect(result.nbest.n[0].probability).toBeCloseTo(firstOfTwo(6.5, 4), 12);
    expectProbabilitiesSumToOne(result);
  });

  test('without max-context information the truncated span in window 0 wins', () => {
    const windows: QaWindow[] = [
      { exampleIndex: 0, offsets: offsets0 },
      { exampleIndex: 0, offsets: offsets1 },
    ];
    // "four" 7 (window 0), "three four" 4 (window 0), "four five" 6.5 (window 1); n-best 2 keeps 7 and 6.5.
    const result = postprocessQaPredictions(examples, windows, start, end, { nBestSize: 2 });
    expect(result.predictions).toEqual({ n: 'four' });
    expect(texts(result.nbest.n)).toEqual(['four', 'four five']);
    expect(result.nbest.n[0].probability).toBeCloseTo(firstOfTwo(7, 6.5), 12);
  });
});

describe('postprocessQaPredictions: SQuAD v2.0 null answers', () => {
  // "red green blue": red 0-3, green 4-9, blue 10-14.
  const examples: QaExampleRef[] = [{ id: 'q', context: 'red green blue' }];
  const windows: QaWindow[] = [
    { exampleIndex: 0, offsets: [null, [0, 3], [4, 9], null] },
    { exampleIndex: 0, offsets: [null, [4, 9], [10, 14], null] },
  ];
  const start = [
    [2, 0.5, 1, 0],
    [1, 0.3, 0.2, 0],
  ];
  const end = [
    [3, 0.2, 1.0, 0],
    [1.5, 0.1, 0.4, 0],
  ];
  // Null scores 2+3 = 5 and 1+1.5 = 2.5: the example's null score is 2.5 (window 1's CLS logits).
  // nBestSize 2. Window 0: starts [0, 2], ends [0, 2]: only (2,2) "green" 1+1 = 2.
  // Window 1: starts [0, 1], ends [0, 2]: only (1,2) "green blue" 0.3+0.4 = 0.7.
  // Sorted with the null: null 2.5, green 2, green blue 0.7 -> keep [null, green].
  // Best non-null: green; score_diff = 2.5 - 1 - 1 = 0.5.

  test('the null answer wins at the default threshold 0', () => {
    const result = postprocessQaPredictions(examples, windows, start, end, { nBestSize: 2, version2WithNegative: true });
    expect(result.predictions).toEqual({ q: '' });
    expect(result.nullOdds).toEqual({ q: 0.5 });
    const [nullEntry, green] = result.nbest.q;
    expect(nullEntry).toEqual({ text: '', start_logit: 1, end_logit: 1.5, probability: expect.closeTo(firstOfTwo(2.5, 2), 12) });
    expect(green).toEqual({
      text: 'green',
      start_logit: 1,
      end_logit: 1,
      offsets: [4, 9],
      probability: expect.closeTo(firstOfTwo(2, 2.5), 12),
    });
    expectProbabilitiesSumToOne(result);
  });

  test('the threshold is strict: a score difference equal to it keeps the span', () => {
    const options = { nBestSize: 2, version2WithNegative: true };
    const answer = (nullScoreDiffThreshold: number) =>
      postprocessQaPredictions(examples, windows, start, end, { ...options, nullScoreDiffThreshold }).predictions.q;
    expect(answer(0.4)).toBe('');
    expect(answer(0.5)).toBe('green');
    expect(answer(1)).toBe('green');
    expect(answer(-1)).toBe('');
  });

  test('without version2WithNegative the best span is the answer', () => {
    const result = postprocessQaPredictions(examples, windows, start, end, { nBestSize: 2 });
    expect(result.predictions).toEqual({ q: 'green' });
    expect(texts(result.nbest.q)).toEqual(['green', 'green blue']);
  });

  test('a null answer cut by n-best is added back after it', () => {
    // One window, null score -2 + -1 = -3. nBestSize 1: start 1 (1), end 2 (2): "red green" 3.
    // Kept: [red green]; the null is appended: [red green 3, null -3]. score_diff = -3 - 1 - 2 = -6.
    const result = postprocessQaPredictions(examples, [windows[0]], [[-2, 1, 0.5, 0]], [[-1, 0.5, 2, 0]], { nBestSize: 1, version2WithNegative: true });
    expect(result.predictions).toEqual({ q: 'red green' });
    expect(result.nullOdds).toEqual({ q: -6 });
    expect(texts(result.nbest.q)).toEqual(['red green', '']);
    expect(result.nbest.q[0].probability).toBeCloseTo(firstOfTwo(3, -3), 12);
    expectProbabilitiesSumToOne(result);
  });
});

describe('postprocessQaPredictions: filtering', () => {
  // "a b c d": a 0-1, b 2-3, c 4-5, d 6-7.
  const examples: QaExampleRef[] = [{ id: 'x', context: 'a b c d' }];
  const windows: QaWindow[] = [{ exampleIndex: 0, offsets: [null, [0, 1], [2, 3], [4, 5], [6, 7], null] }];
  const start = [[0, 4, 0, 0, 3, 0]];
  const end = [[0, 3, 1, 0, 4, 0]];
  // nBestSize 3: starts [1 (4), 4 (3), 5 (the latest 0)], ends [4 (4), 1 (3), 2 (1)].
  // (1,4) "a b c d" 4 tokens, 8; (1,1) "a" 7; (1,2) "a b" 5; (4,4) "d" 7; (4,1) and (4,2) end < start
  // (6 and 4); token 5 has no offsets.

  test('answers longer than maxAnswerLength and with end < start are skipped', () => {
    // maxAnswerLength 3 drops "a b c d": a 7, d 7 (stable: a first), a b 5.
    const result = postprocessQaPredictions(examples, windows, start, end, { nBestSize: 3, maxAnswerLength: 3 });
    expect(result.predictions).toEqual({ x: 'a' });
    expect(texts(result.nbest.x)).toEqual(['a', 'd', 'a b']);
    // softmax(7, 7, 5): e^0 / (2 + e^-2) twice, then e^-2 / (2 + e^-2).
    const denominator = 2 + Math.exp(-2);
    expect(result.nbest.x.map((entry) => entry.probability)).toEqual([
      expect.closeTo(1 / denominator, 12),
      expect.closeTo(1 / denominator, 12),
      expect.closeTo(Math.exp(-2) / denominator, 12),
    ]);
    expectProbabilitiesSumToOne(result);
  });

  test('a span of exactly maxAnswerLength tokens is allowed', () => {
    const four = postprocessQaPredictions(examples, windows, start, end, { nBestSize: 3, maxAnswerLength: 4 });
    expect(four.predictions).toEqual({ x: 'a b c d' });
    expect(texts(four.nbest.x)).toEqual(['a b c d', 'a', 'd']);
    const one = postprocessQaPredictions(examples, windows, start, end, { nBestSize: 3, maxAnswerLength: 1 });
    expect(texts(one.nbest.x)).toEqual(['a', 'd']);
  });

  test('tokens without offsets are never chosen, even with the highest logits', () => {
    // "cat dog": cat 0-3, dog 4-7. Question tokens 1-2 and the padding after the offsets (7, 8)
    // have the highest logits.
    const catDog: QaExampleRef[] = [{ id: 'c', context: 'cat dog' }];
    const window: QaWindow[] = [{ exampleIndex: 0, offsets: [null, null, null, null, [0, 3], [4, 7], null] }];
    const s = [[1, 10, 9, 0, 2, 0.5, 0, 12, 11]];
    const e = [[1, 9, 10, 0, 0.5, 2, 0, 11, 12]];
    // nBestSize 5: starts [7, 8, 1, 2, 4], ends [8, 7, 2, 1, 5]: the only valid pair is (4,5) "cat dog".
    const five = postprocessQaPredictions(catDog, window, s, e, { nBestSize: 5 });
    expect(five.nbest.c).toEqual([{ text: 'cat dog', start_logit: 2, end_logit: 2, offsets: [0, 7], probability: 1 }]);
    // nBestSize 4: the padding positions still take two of the start slots, as in HF, and token 4
    // falls out: no valid span at all, so the "empty" placeholder is the answer.
    const four = postprocessQaPredictions(catDog, window, s, e, { nBestSize: 4 });
    expect(four.predictions).toEqual({ c: 'empty' });
  });
});

describe('postprocessQaPredictions: ties', () => {
  test('equal start logits rank the later token first; equal scores keep that order', () => {
    // "x y z": x 0-1, y 2-3, z 4-5. Start logits of x and y tie at 1.
    // nBestSize 2: starts [2 (y), 1 (x)], ends [3 (z), 4 (latest 0, no offsets)].
    // (2,3) "y z" 3, then (1,3) "x y z" 3: stable order keeps "y z" first.
    const result = postprocessQaPredictions(
      [{ id: 't', context: 'x y z' }],
      [{ exampleIndex: 0, offsets: [null, [0, 1], [2, 3], [4, 5], null] }],
      [[0, 1, 1, 0, 0]],
      [[0, 0, 0, 2, 0]],
      { nBestSize: 2 },
    );
    expect(result.predictions).toEqual({ t: 'y z' });
    expect(texts(result.nbest.t)).toEqual(['y z', 'x y z']);
    expect(result.nbest.t.map((entry) => entry.probability)).toEqual([0.5, 0.5]);
  });

  test('equal scores in different windows: the earlier window wins', () => {
    // "left right": left 0-4, right 5-10; each window has one context token scoring 1 + 1 = 2.
    const result = postprocessQaPredictions(
      [{ id: 'w', context: 'left right' }],
      [
        { exampleIndex: 0, offsets: [null, null, [5, 10], null] },
        { exampleIndex: 0, offsets: [null, null, [0, 4], null] },
      ],
      [new Float32Array([0, 0, 1, 0]), new Float32Array([0, 0, 1, 0])],
      [new Float32Array([0, 0, 1, 0]), new Float32Array([0, 0, 1, 0])],
    );
    expect(result.predictions).toEqual({ w: 'right' });
    expect(texts(result.nbest.w)).toEqual(['right', 'left']);
  });
});

describe('postprocessQaPredictions: no valid span', () => {
  // Context token "word" (0-4) only; with nBestSize 1 the top start and end are both CLS.
  const examples: QaExampleRef[] = [{ id: 'e', context: 'word' }];
  const windows: QaWindow[] = [{ exampleIndex: 0, offsets: [null, [0, 4], null] }];
  const start = [[2, 1, 0]];
  const end = [[1, 0.5, 0]];

  test('v1: the "empty" placeholder is the only entry', () => {
    const result = postprocessQaPredictions(examples, windows, start, end, { nBestSize: 1 });
    expect(result.predictions).toEqual({ e: 'empty' });
    expect(result.nbest.e).toEqual([{ text: 'empty', start_logit: 0, end_logit: 0, probability: 1 }]);
  });

  test('v2: the placeholder goes before the lone null answer and is compared with it', () => {
    // Null score 2 + 1 = 3; entries [empty (score 0), null (3)]; score_diff = 3 - 0 - 0 = 3.
    const options = { nBestSize: 1, version2WithNegative: true };
    const result = postprocessQaPredictions(examples, windows, start, end, options);
    expect(result.predictions).toEqual({ e: '' });
    expect(result.nullOdds).toEqual({ e: 3 });
    expect(texts(result.nbest.e)).toEqual(['empty', '']);
    expect(result.nbest.e[0].probability).toBeCloseTo(firstOfTwo(0, 3), 12);
    expect(result.nbest.e[1]).toMatchObject({ start_logit: 2, end_logit: 1 });
    expectProbabilitiesSumToOne(result);
    const lenient = postprocessQaPredictions(examples, windows, start, end, { ...options, nullScoreDiffThreshold: 5 });
    expect(lenient.predictions).toEqual({ e: 'empty' });
  });
});

describe('postprocessQaPredictions: probabilities', () => {
  test('softmax is stable for large logits and sums to 1', () => {
    // Without subtracting the maximum, e^1999 would overflow to Infinity and give NaN.
    const result = postprocessQaPredictions(
      [{ id: 'b', context: 'big deal' }],
      [{ exampleIndex: 0, offsets: [null, [0, 3], [4, 8], null] }],
      [[0, 1000, 999, 0]],
      [[0, 999, 999, 0]],
      { nBestSize: 2 },
    );
    // ends [2, 1] (tie: later first): (1,2) "big deal" 1999, (1,1) "big" 1999; (2,2) "deal" 1998.
    expect(texts(result.nbest.b)).toEqual(['big deal', 'big']);
    expect(result.nbest.b[0].probability).toBe(0.5);
    expectProbabilitiesSumToOne(result);
  });
});

describe('writeQaPredictionFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-qa-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const result: QaPredictions = {
    predictions: { q1: 'Paris', q2: '' },
    nbest: {
      q1: [{ text: 'Paris', probability: 1, start_logit: 2, end_logit: 3, offsets: [0, 5] }],
      q2: [{ text: '', probability: 1, start_logit: 1, end_logit: 1 }],
    },
    nullOdds: { q1: -4, q2: 1.5 },
  };

  test('writes HF file names and layout, null odds only for v2', () => {
    const out = path.join(dir, 'nested', 'out');
    const written = writeQaPredictionFiles(out, result, true);
    expect(written).toEqual(['predictions.json', 'nbest_predictions.json', 'null_odds.json'].map((f) => path.join(out, f)));
    expect(fs.readFileSync(path.join(out, 'predictions.json'), 'utf8')).toBe('{\n    "q1": "Paris",\n    "q2": ""\n}\n');
    expect(fs.readFileSync(path.join(out, 'nbest_predictions.json'), 'utf8')).toBe(
      [
        '{',
        '    "q1": [',
        '        {',
        '            "start_logit": 2,',
        '            "end_logit": 3,',
        '            "text": "Paris",',
        '            "probability": 1',
        '        }',
        '    ],',
        '    "q2": [',
        '        {',
        '            "start_logit": 1,',
        '            "end_logit": 1,',
        '            "text": "",',
        '            "probability": 1',
        '        }',
        '    ]',
        '}',
        '',
      ].join('\n'),
    );
    expect(JSON.parse(fs.readFileSync(path.join(out, 'null_odds.json'), 'utf8'))).toEqual({ q1: -4, q2: 1.5 });

    const v1 = path.join(dir, 'v1');
    expect(writeQaPredictionFiles(v1, result, false, 'eval')).toEqual([path.join(v1, 'eval_predictions.json'), path.join(v1, 'eval_nbest_predictions.json')]);
    expect(fs.readdirSync(v1).sort()).toEqual(['eval_nbest_predictions.json', 'eval_predictions.json']);
  });

  test('v2 without null odds is an error', () => {
    const v1Only: QaPredictions = { predictions: result.predictions, nbest: result.nbest };
    expect(() => writeQaPredictionFiles(dir, v1Only, true)).toThrow(/no null odds/);
  });
});
