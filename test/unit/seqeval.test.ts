import * as fs from 'fs';
import * as path from 'path';
import {
  accuracyScore,
  classificationReport,
  classificationReportText,
  f1Score,
  formatClassificationReport,
  formatFixed,
  getEntities,
  getStrictEntities,
  precisionScore,
  recallScore,
  ReportOptions,
  ReportRow,
  Scheme,
  SeqevalError,
  SeqevalWarning,
  ZeroDivision,
} from '../../lib/evaluation/seqeval';

// Expected outputs of the real seqeval 1.2.2; see test/fixtures/seqeval/README.md.
type FixtureNumber = number | 'NaN';
interface FixtureRow {
  precision: FixtureNumber;
  recall: FixtureNumber;
  'f1-score': FixtureNumber;
  support: number;
}
interface ModeExpectation {
  scheme?: Scheme;
  error?: string;
  report: Record<string, FixtureRow>;
  report_text: string | null;
  report_text_error: string | null;
  precision: number;
  recall: number;
  f1: number;
  entities_true: (string | number)[][];
  entities_pred: (string | number)[][];
  warnings: string[];
}
interface FixtureCase {
  id: string;
  family: string;
  note: string;
  y_true: string[][];
  y_pred: string[][];
  options: { suffix: boolean; zero_division: ZeroDivision };
  accuracy: number;
  default: ModeExpectation;
  strict: ModeExpectation;
}

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'seqeval', 'cases.json');
const CASES = (JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { cases: FixtureCase[] }).cases;

function expectClose(actual: number, expected: FixtureNumber, what: string): void {
  if (expected === 'NaN') {
    if (!Number.isNaN(actual)) throw new Error(`${what}: expected NaN, got ${actual}`);
    return;
  }
  if (!(Math.abs(actual - expected) <= 1e-12 * Math.abs(expected))) {
    throw new Error(`${what}: expected ${expected}, got ${actual}`);
  }
}

function expectReport(rows: ReportRow[], expected: Record<string, FixtureRow>): void {
  expect(rows.map((r) => r.name)).toEqual(Object.keys(expected));
  for (const row of rows) {
    const want = expected[row.name];
    expectClose(row.precision, want.precision, `${row.name} precision`);
    expectClose(row.recall, want.recall, `${row.name} recall`);
    expectClose(row.f1, want['f1-score'], `${row.name} f1-score`);
    expect(row.support).toBe(want.support);
  }
}

function thrown(fn: () => unknown): SeqevalError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SeqevalError) return err;
    throw err;
  }
  throw new Error('expected a SeqevalError, nothing was thrown');
}

function modeOptions(c: FixtureCase, mode: 'default' | 'strict', onWarning: (w: SeqevalWarning) => void): ReportOptions {
  const common = { suffix: c.options.suffix, zeroDivision: c.options.zero_division, onWarning };
  if (mode === 'default') return common;
  return { ...common, mode: 'strict', scheme: c.strict.scheme as Scheme };
}

describe('seqeval fixtures (seqeval 1.2.2 outputs)', () => {
  test('the fixture holds the 50 documented cases', () => {
    expect(CASES).toHaveLength(50);
    expect(CASES.filter((c) => c.strict.error !== undefined).length).toBeGreaterThan(0);
  });

  test.each(CASES.map((c) => [c.id, c] as const))('accuracy: %s', (_id, c) => {
    expectClose(accuracyScore(c.y_true, c.y_pred), c.accuracy, 'accuracy');
  });

  for (const mode of ['default', 'strict'] as const) {
    test.each(CASES.map((c) => [c.id, c] as const))(`${mode} mode: %s`, (_id, c) => {
      const expected = c[mode];
      const warnings: SeqevalWarning[] = [];
      const options = modeOptions(c, mode, (w) => warnings.push(w));
      const entities = (y: string[][]): unknown[] =>
        mode === 'default'
          ? getEntities(y, options)
          : getStrictEntities(y, { scheme: c.strict.scheme as Scheme, suffix: c.options.suffix }).map((e) => [e.sentence, e.type, e.start, e.end]);

      if (expected.error !== undefined) {
        const calls: (() => unknown)[] = [
          () => classificationReport(c.y_true, c.y_pred, options),
          () => classificationReportText(c.y_true, c.y_pred, options),
          () => precisionScore(c.y_true, c.y_pred, options),
          () => recallScore(c.y_true, c.y_pred, options),
          () => f1Score(c.y_true, c.y_pred, options),
          () => [entities(c.y_true), entities(c.y_pred)],
        ];
        for (const call of calls) {
          const err = thrown(call);
          expect(err.pythonError).toBe(expected.error);
          // seqeval's invalid-token text is already the message users see.
          expect(`ValueError: ${err.message}`).toBe(expected.error);
        }
        return;
      }

      expectReport(classificationReport(c.y_true, c.y_pred, options), expected.report);
      if (expected.report_text_error !== null) {
        expect(thrown(() => classificationReportText(c.y_true, c.y_pred, options)).pythonError).toBe(expected.report_text_error);
      } else {
        expect(classificationReportText(c.y_true, c.y_pred, options)).toBe(expected.report_text);
      }
      expectClose(precisionScore(c.y_true, c.y_pred, options), expected.precision, 'precision');
      expectClose(recallScore(c.y_true, c.y_pred, options), expected.recall, 'recall');
      expectClose(f1Score(c.y_true, c.y_pred, options), expected.f1, 'f1');
      expect(entities(c.y_true)).toEqual(expected.entities_true);
      expect(entities(c.y_pred)).toEqual(expected.entities_pred);
      expect([...new Set(warnings.map((w) => w.category))].sort()).toEqual(expected.warnings);
    });
  }
});

describe('seqeval corner cases, hand-computed', () => {
  test('printed numbers round exact ties half to even, as Python does', () => {
    // 0.125, 0.375, 0.625, 0.875 are exact binary fractions: ties at 2 digits.
    expect([0.125, 0.375, 0.625, 0.875].map((x) => formatFixed(x, 2))).toEqual(['0.12', '0.38', '0.62', '0.88']);
    // 0.145 is stored as 0.14499999999999999001: not a tie, rounds down.
    expect(formatFixed(0.145, 2)).toBe('0.14');
    expect(formatFixed(2 / 3, 4)).toBe('0.6667');
    expect(formatFixed(2.5, 0)).toBe('2');
    expect(formatFixed(1, 2)).toBe('1.00');
    expect(formatFixed(NaN, 2)).toBe('nan');
  });

  test('a 1/8 precision prints 0.12 in the report', () => {
    // 8 predicted PER entities, one of them right; 1 gold entity.
    const yTrue = [['B-PER', 'O', 'O', 'O', 'O', 'O', 'O', 'O']];
    const yPred = [['B-PER', 'B-PER', 'B-PER', 'B-PER', 'B-PER', 'B-PER', 'B-PER', 'B-PER']];
    const text = classificationReportText(yTrue, yPred);
    // P = 1/8, R = 1, F1 = 2*(1/8)/(9/8) = 2/9 = 0.2222.
    expect(text.split('\n')[2]).toBe('         PER       0.12      1.00      0.22         1');
  });

  test('report rows sort by code point, astral characters after the BMP', () => {
    // UTF-16 order would put U+1F600 (surrogates D83D..) before U+FF21; Python puts it after.
    const yTrue = [['B-\u{1F600}', 'O', 'B-\uFF21', 'O', 'B-a']];
    const rows = classificationReport(yTrue, yTrue);
    expect(rows.map((r) => r.name)).toEqual(['a', '\uFF21', '\u{1F600}', 'micro avg', 'macro avg', 'weighted avg']);
  });

  test('default mode: suffix tags and conlleval chunks', () => {
    // PER-B PER-I -> PER 0..1; LOC-S -> LOC at 3; an I after O starts a chunk.
    expect(getEntities(['PER-B', 'PER-I', 'O', 'LOC-S', 'O', 'ORG-I'], { suffix: true })).toEqual([
      ['PER', 0, 1],
      ['LOC', 3, 3],
      ['ORG', 5, 5],
    ]);
    // Two sentences: offsets count the 'O' appended after each sentence.
    expect(getEntities([['B-A'], ['I-A', 'I-A']])).toEqual([
      ['A', 0, 0],
      ['A', 2, 3],
    ]);
  });

  test("default mode keeps conlleval's '.' tag neutral", () => {
    // '.B' ends the I-A chunk (type change after I) but starts nothing, and no type change is
    // seen after a '.', so the chunk that I-B continues still begins at 0.
    expect(getEntities(['I-A', '.B', 'I-B'], { onWarning: () => undefined })).toEqual([
      ['A', 0, 0],
      ['B', 0, 2],
    ]);
  });

  test('default mode reports tags that are not NE tags once per call', () => {
    const warnings: SeqevalWarning[] = [];
    const entities = getEntities(['U-PER', 'O', 'U-PER'], { onWarning: (w) => warnings.push(w) });
    expect(entities).toEqual([
      ['PER', 0, 0],
      ['PER', 2, 2],
    ]);
    expect(warnings).toEqual([{ category: 'UserWarning', message: 'U-PER seems not to be NE tag.' }]);
  });

  test('strict IOE1 and IOE2 (no fixture covers them)', () => {
    // IOE2: every entity ends with E-. I-PER E-PER | O | E-LOC
    expect(getStrictEntities([['I-PER', 'E-PER', 'O', 'E-LOC']], { scheme: 'IOE2' })).toEqual([
      { sentence: 0, type: 'PER', start: 0, end: 2 },
      { sentence: 0, type: 'LOC', start: 3, end: 4 },
    ]);
    // IOE2 drops an entity not closed by E-.
    expect(getStrictEntities([['I-PER', 'I-PER', 'O']], { scheme: 'IOE2' })).toEqual([]);
    // IOE1: E- closes an entity only when another of its type follows at once.
    expect(getStrictEntities([['I-PER', 'E-PER', 'I-PER', 'O']], { scheme: 'IOE1' })).toEqual([
      { sentence: 0, type: 'PER', start: 0, end: 2 },
      { sentence: 0, type: 'PER', start: 2, end: 3 },
    ]);
    expect(thrown(() => getStrictEntities([['B-PER']], { scheme: 'IOE1' })).pythonError).toBe(
      'ValueError: Invalid token is found: B-PER. Allowed prefixes are: I|O|E.',
    );
  });

  test('strict BILOU error lists its prefixes in seqeval order', () => {
    expect(thrown(() => getStrictEntities([['S-PER']], { scheme: 'BILOU' })).message).toBe('Invalid token is found: S-PER. Allowed prefixes are: I|O|B|U|L.');
  });

  test('strict mode: a letter seqeval does not know is a KeyError, named in the message', () => {
    const err = thrown(() => f1Score([['X-PER']], [['O']], { mode: 'strict', scheme: 'IOB2' }));
    expect(err.pythonError).toBe("KeyError: 'X'");
    expect(err.message).toContain('X-PER');
  });

  test('inconsistent lengths and empty input throw seqeval errors', () => {
    expect(thrown(() => f1Score([['B-A', 'I-A']], [['I-A', 'B-A', 'O']])).pythonError).toBe(
      'ValueError: Found input variables with inconsistent numbers of samples:\n[2]\n[3]',
    );
    expect(thrown(() => precisionScore([['O']], [['O'], []])).pythonError).toBe(
      'ValueError: Found input variables with inconsistent numbers of samples:\n[1]\n[1, 0]',
    );
    expect(thrown(() => recallScore([], [])).pythonError).toBe('TypeError: Found input variables without list of list.');
    expect(thrown(() => accuracyScore([[]], [[]])).pythonError).toBe('ZeroDivisionError: division by zero');
  });

  test('accuracy counts tokens of the concatenated sentences', () => {
    // Concatenated: B-A I-A | O vs B-A O | O -> 2 of 3.
    expect(accuracyScore([['B-A', 'I-A'], ['O']], [['B-A', 'O'], ['O']])).toBeCloseTo(2 / 3, 15);
    expect(accuracyScore(['B-A', 'O'], ['B-A', 'I-A'])).toBe(0.5);
  });

  test('averages: micro, macro, weighted, zero_division', () => {
    // Gold: PER x2 (0..1, 3), LOC (5). Pred: PER 0..1 (right), PER 3..4 (wrong span), ORG (6).
    const yTrue = [['B-PER', 'I-PER', 'O', 'B-PER', 'O', 'B-LOC', 'O']];
    const yPred = [['B-PER', 'I-PER', 'O', 'B-PER', 'I-PER', 'O', 'B-ORG']];
    // micro: tp 1, predicted 3, gold 3.
    expect(precisionScore(yTrue, yPred)).toBeCloseTo(1 / 3, 15);
    expect(recallScore(yTrue, yPred)).toBeCloseTo(1 / 3, 15);
    // Per type: LOC P=0/0->0 R=0; ORG P=0 R=0/0->0; PER P=1/2 R=1/2 F=1/2. macro F1 = 1/6.
    expect(f1Score(yTrue, yPred, { average: 'macro' })).toBeCloseTo(1 / 6, 15);
    // weighted by gold (LOC 1, ORG 0, PER 2): (0*1 + 0*0 + 0.5*2) / 3 = 1/3.
    expect(f1Score(yTrue, yPred, { average: 'weighted' })).toBeCloseTo(1 / 3, 15);
    // zero_division=1: LOC precision 1, ORG recall 1; LOC F1 = 2*1*0/1 = 0, ORG F1 = 0.
    // macro precision = (1 + 0 + 0.5)/3 = 0.5, macro recall = (0 + 1 + 0.5)/3 = 0.5.
    expect(precisionScore(yTrue, yPred, { average: 'macro', zeroDivision: 1 })).toBeCloseTo(0.5, 15);
    expect(recallScore(yTrue, yPred, { average: 'macro', zeroDivision: 1 })).toBeCloseTo(0.5, 15);
  });

  test('warnings name the ill-defined score, once per call', () => {
    const warnings: SeqevalWarning[] = [];
    precisionScore([['B-A']], [['O']], { onWarning: (w) => warnings.push(w) });
    f1Score([['O']], [['O']], { onWarning: (w) => warnings.push(w) });
    expect(warnings).toEqual([
      {
        category: 'UndefinedMetricWarning',
        message: 'Precision is ill-defined and being set to 0.0 due to no predicted samples. Use `zero_division` parameter to control this behavior.',
      },
      {
        category: 'UndefinedMetricWarning',
        message: 'F-score is ill-defined and being set to 0.0 due to no true nor predicted samples. Use `zero_division` parameter to control this behavior.',
      },
    ]);
    const quiet: SeqevalWarning[] = [];
    precisionScore([['B-A']], [['O']], { zeroDivision: 0, onWarning: (w) => quiet.push(w) });
    expect(quiet).toEqual([]);
  });

  test('the text report needs at least one entity type', () => {
    expect(() => formatClassificationReport([])).toThrow(/no entity type/);
  });
});
