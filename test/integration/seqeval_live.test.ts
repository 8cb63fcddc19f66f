// The seqeval metrics against the real seqeval 1.2.2 (in the project's .venv) on a few hundred
// seeded random tag sequences in every scheme, well-formed and not: every score, every report
// row and its printed text, the entities, the warnings and the errors must agree.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SeededRandom } from '../../lib/data/loader/seeded_random';
import {
  accuracyScore,
  classificationReport,
  classificationReportText,
  f1Score,
  getEntities,
  getStrictEntities,
  precisionScore,
  recallScore,
  ReportOptions,
  Scheme,
  SeqevalAverage,
  SeqevalError,
  SeqevalWarning,
  ZeroDivision,
} from '../../lib/evaluation/seqeval';
import { runPythonScript } from '../helpers/python_script';

interface Case {
  y_true: string[][];
  y_pred: string[][];
  suffix: boolean;
  zero_division: ZeroDivision;
  scheme: Scheme | null;
}
type Value = unknown;
interface Outcome {
  value?: Value;
  error?: string;
  warnings: [string, string][];
}
interface Reference {
  cases: { accuracy: Outcome; modes: Record<string, Record<string, Outcome>> }[];
}

const SCHEMES: readonly Scheme[] = ['IOB2', 'IOB1', 'IOBES', 'BILOU', 'IOE1', 'IOE2'];
const TYPES = ['PER', 'LOC', 'ORG', 'MISC', 'DATE-TIME', '', 'org', 'Ärzte'];
/** Prefixes of a scheme's single-token entity, and of a longer entity's first, middle, last token. */
const SHAPES: Record<Scheme, { single: string; first: string; middle: string; last: string }> = {
  IOB2: { single: 'B', first: 'B', middle: 'I', last: 'I' },
  IOB1: { single: 'I', first: 'I', middle: 'I', last: 'I' },
  IOBES: { single: 'S', first: 'B', middle: 'I', last: 'E' },
  BILOU: { single: 'U', first: 'B', middle: 'I', last: 'L' },
  IOE1: { single: 'I', first: 'I', middle: 'I', last: 'I' },
  IOE2: { single: 'E', first: 'I', middle: 'I', last: 'E' },
};
const ALLOWED: Record<Scheme, string> = { IOB2: 'IOB', IOB1: 'IOB', IOBES: 'IOBES', BILOU: 'IOBUL', IOE1: 'IOE', IOE2: 'IOE' };

class CaseGenerator {
  constructor(private readonly random: SeededRandom) {}

  pick<T>(items: readonly T[]): T {
    return items[this.random.below(items.length)];
  }

  chance(p: number): boolean {
    return this.random.next() < p;
  }

  tag(prefix: string, type: string): string {
    return prefix === 'O' ? 'O' : `${prefix}-${type}`;
  }

  /** A well-formed sentence of `scheme`, adjacent same-type entities included. */
  sentence(scheme: Scheme, allO: boolean): string[] {
    const length = this.chance(0.05) ? 0 : 1 + this.random.below(14);
    const tags: string[] = [];
    let previousType: string | null = null;
    while (tags.length < length) {
      if (allO || this.chance(0.5)) {
        tags.push('O');
        previousType = null;
        continue;
      }
      const type = this.chance(0.7) ? this.pick(TYPES.slice(0, 3)) : this.pick(TYPES);
      const size = Math.min(1 + this.random.below(4), length - tags.length);
      const shape = SHAPES[scheme];
      const prefixes = size === 1 ? [shape.single] : [shape.first, ...Array(size - 2).fill(shape.middle), shape.last];
      // IOB1 marks the first token of an entity that follows one of its type with B-;
      // IOE1 marks the last token of an entity followed by one of its type with E-.
      if (scheme === 'IOB1' && previousType === type) prefixes[0] = 'B';
      if (scheme === 'IOE1' && previousType === type) {
        const lastTag = tags[tags.length - 1];
        tags[tags.length - 1] = this.tag('E', lastTag.slice(2));
      }
      for (const p of prefixes) tags.push(this.tag(p, type));
      previousType = type;
    }
    return tags;
  }

  /** Breaks a sentence: wrong prefixes (still the scheme's), wrong types, O's, shifted spans. */
  corrupt(tags: string[], scheme: Scheme, foreign: boolean): string[] {
    const out = [...tags];
    const edits = this.random.below(4);
    for (let e = 0; e < edits && out.length > 0; e++) {
      const i = this.random.below(out.length);
      const r = this.random.next();
      if (r < 0.35) out[i] = this.tag(this.pick([...ALLOWED[scheme]]), this.pick(TYPES.slice(0, 3)));
      else if (r < 0.55) out[i] = 'O';
      else if (r < 0.75 && out[i] !== 'O') out[i] = `${out[i][0]}-${this.pick(TYPES.slice(0, 4))}`;
      else if (i + 1 < out.length) [out[i], out[i + 1]] = [out[i + 1], out[i]];
    }
    if (foreign && out.length > 0) {
      // A prefix the scheme does not allow (strict mode must throw), occasionally a bare or unknown one.
      out[this.random.below(out.length)] = this.pick(['S-PER', 'E-LOC', 'U-ORG', 'L-PER', 'B-PER', 'X-PER', 'B', 'I']);
    }
    return out;
  }

  toSuffix(tag: string): string {
    if (tag.length === 1) return tag;
    return `${tag.slice(2)}-${tag[0]}`;
  }

  case(): Case {
    const family = this.pick(SCHEMES);
    const allO = this.chance(0.04);
    const count = 1 + this.random.below(5);
    let yTrue = Array.from({ length: count }, () => this.sentence(family, allO));
    if (this.chance(0.2)) yTrue = yTrue.map((s) => this.corrupt(s, family, false));
    let yPred = yTrue.map((s) => {
      if (allO && this.chance(0.5)) return s.map(() => 'O');
      if (this.chance(0.15)) return this.sentence(family, false).concat(Array(s.length).fill('O')).slice(0, s.length);
      return this.chance(0.3) ? [...s] : this.corrupt(s, family, this.chance(0.04));
    });
    if (this.chance(0.1)) yPred = yPred.map((s) => s.map(() => 'O'));
    const suffix = this.chance(0.15);
    if (suffix) {
      yTrue = yTrue.map((s) => s.map((t) => this.toSuffix(t)));
      yPred = yPred.map((s) => s.map((t) => this.toSuffix(t)));
    }
    const zeroDivision: ZeroDivision = this.chance(0.6) ? 'warn' : this.pick([0, 1] as const);
    const scheme = this.chance(0.1) ? this.pick(SCHEMES) : family;
    return { y_true: yTrue, y_pred: yPred, suffix, zero_division: zeroDivision, scheme };
  }
}

const CASES: Case[] = (() => {
  const generator = new CaseGenerator(new SeededRandom(20240607));
  return Array.from({ length: 400 }, () => generator.case());
})();

let reference: Reference;

beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-seqeval-'));
  try {
    const request = path.join(dir, 'cases.json');
    fs.writeFileSync(request, JSON.stringify({ cases: CASES }));
    reference = JSON.parse(runPythonScript('seqeval_reference.py', [request])) as Reference;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);

/** What our call gave, in the reference's shape. */
function run(fn: (onWarning: (w: SeqevalWarning) => void) => unknown): Outcome {
  const warnings: [string, string][] = [];
  const onWarning = (w: SeqevalWarning): void => {
    warnings.push([w.category, w.message]);
  };
  try {
    return { value: fn(onWarning), warnings };
  } catch (err) {
    if (!(err instanceof SeqevalError)) throw err;
    return { error: err.pythonError, warnings };
  }
}

function sameValue(actual: unknown, expected: unknown): boolean {
  if (typeof expected === 'number' && typeof actual === 'number') {
    return actual === expected || Math.abs(actual - expected) <= 1e-12 * Math.abs(expected);
  }
  if (expected === 'NaN') return typeof actual === 'number' && Number.isNaN(actual);
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => sameValue(actual[i], e));
  }
  return actual === expected;
}

function ourCalls(c: Case, strict: boolean): Record<string, (onWarning: (w: SeqevalWarning) => void) => unknown> {
  const options = (onWarning: (w: SeqevalWarning) => void): ReportOptions => {
    const common = { suffix: c.suffix, zeroDivision: c.zero_division, onWarning };
    return strict ? { ...common, mode: 'strict', scheme: c.scheme as Scheme } : common;
  };
  const entities = (y: string[][], onWarning: (w: SeqevalWarning) => void): unknown =>
    strict
      ? getStrictEntities(y, { scheme: c.scheme as Scheme, suffix: c.suffix }).map((e) => [e.sentence, e.type, e.start, e.end])
      : getEntities(y, { suffix: c.suffix, onWarning });
  const calls: Record<string, (onWarning: (w: SeqevalWarning) => void) => unknown> = {
    report: (w) => classificationReport(c.y_true, c.y_pred, options(w)).map((r) => [r.name, r.precision, r.recall, r.f1, r.support]),
    report_text: (w) => classificationReportText(c.y_true, c.y_pred, options(w)),
    entities_true: (w) => entities(c.y_true, w),
    entities_pred: (w) => entities(c.y_pred, w),
  };
  for (const average of ['micro', 'macro', 'weighted'] as SeqevalAverage[]) {
    calls[`precision_${average}`] = (w) => precisionScore(c.y_true, c.y_pred, { ...options(w), average });
    calls[`recall_${average}`] = (w) => recallScore(c.y_true, c.y_pred, { ...options(w), average });
    calls[`f1_${average}`] = (w) => f1Score(c.y_true, c.y_pred, { ...options(w), average });
  }
  return calls;
}

function describeCase(c: Case): string {
  return JSON.stringify({ ...c, y_true: c.y_true.map((s) => s.join(' ')), y_pred: c.y_pred.map((s) => s.join(' ')) });
}

test('every score, report, entity list, warning and error agrees with seqeval 1.2.2', () => {
  expect(reference.cases).toHaveLength(CASES.length);
  const mismatches: string[] = [];
  let compared = 0;
  CASES.forEach((c, k) => {
    const expected = reference.cases[k];
    const check = (name: string, ours: Outcome, theirs: Outcome): void => {
      compared++;
      const same = ours.error === theirs.error && sameValue(ours.value, theirs.value) && sameValue(ours.warnings, theirs.warnings);
      if (!same) {
        mismatches.push(`case ${k} ${name}: ${describeCase(c)}\n  ours:    ${JSON.stringify(ours)}\n  seqeval: ${JSON.stringify(theirs)}`);
      }
    };
    check(
      'accuracy',
      run(() => accuracyScore(c.y_true, c.y_pred)),
      expected.accuracy,
    );
    for (const [mode, calls] of Object.entries(expected.modes)) {
      const ours = ourCalls(c, mode === 'strict');
      for (const [name, theirs] of Object.entries(calls)) check(`${mode} ${name}`, run(ours[name]), theirs);
    }
  });
  expect(mismatches.slice(0, 5)).toEqual([]);
  expect(compared).toBeGreaterThan(400 * 20);
});

test('the random cases reach the corners: strict errors, warnings of each kind, NaN, undefined scores', () => {
  const outcomes = reference.cases.flatMap((c) => [c.accuracy, ...Object.values(c.modes).flatMap((m) => Object.values(m))]);
  const errors = new Set(outcomes.flatMap((o) => (o.error === undefined ? [] : [o.error.split(':')[0]])));
  const categories = new Set(outcomes.flatMap((o) => o.warnings.map(([category]) => category)));
  const strictValues = reference.cases.filter((c) => c.modes.strict?.f1_micro.value !== undefined).length;
  // ValueError: a prefix the scheme does not allow; KeyError: an unknown prefix letter;
  // ZeroDivisionError: accuracy of a batch of empty sentences.
  expect([...errors].sort()).toEqual(['KeyError', 'ValueError', 'ZeroDivisionError']);
  expect([...categories].sort()).toEqual(['RuntimeWarning', 'UndefinedMetricWarning', 'UserWarning']);
  expect(outcomes.some((o) => o.value === 'NaN')).toBe(true);
  expect(strictValues).toBeGreaterThan(250);
  // Strict and default mode disagree on many ill-formed cases, so both are really exercised.
  const differing = reference.cases.filter(
    (c) => c.modes.strict?.f1_micro.value !== undefined && !sameValue(c.modes.strict.f1_micro.value, c.modes.default.f1_micro.value),
  ).length;
  expect(differing).toBeGreaterThan(30);
});
