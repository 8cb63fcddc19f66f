import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  accuracy,
  Average,
  averageRanks,
  confusionMatrix,
  f1,
  glueMetrics,
  matthewsCorrelation,
  meanSquaredError,
  pearson,
  precision,
  precisionRecallF1,
  recall,
  resolveGlueTask,
  spearman,
} from '../../lib/evaluation';
import { runPython } from '../helpers/python';
import { SeededRandom } from '../../lib/data/loader/seeded_random';

const AVERAGES: readonly Average[] = ['binary', 'macro', 'micro', 'weighted'];

/** The library's seeded PRNG, so the random cases are the same on every run. */
function mulberry32(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

/** Equal within 1e-9 (relative above 1); NaN equals NaN. */
function close(actual: number, expected: number): boolean {
  if (Number.isNaN(expected)) return Number.isNaN(actual);
  return Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
}

describe('classification metrics, hand-computed', () => {
  // Pairs (prediction, label): (1,1) TP, (0,0) TN, (1,0) FP, (1,1) TP, (0,1) FN, (1,1) TP.
  // TP=3 FP=1 FN=1 TN=1.
  const preds = [1, 0, 1, 1, 0, 1];
  const labels = [1, 0, 0, 1, 1, 1];

  test('binary', () => {
    expect(accuracy(preds, labels)).toBeCloseTo(4 / 6, 12);
    // P = 3/(3+1), R = 3/(3+1), F1 = 2*3/(2*3+1+1) = 0.75
    expect(precisionRecallF1(preds, labels)).toEqual({ precision: 0.75, recall: 0.75, f1: 0.75 });
    // Class 0 positive: TP0 = 1 (index 1), predicted 0 at indices 1,4, labelled 0 at indices 1,2.
    // P = 1/2, R = 1/2, F1 = 2/(2+2) = 0.5
    expect(precisionRecallF1(preds, labels, { posLabel: 0 })).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5 });
    // MCC = (TP*TN - FP*FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)) = (3-1)/sqrt(4*4*2*2) = 0.25
    expect(matthewsCorrelation(preds, labels)).toBeCloseTo(0.25, 12);
    // Rows are labels: label 0 -> predicted [0,1] once each; label 1 -> predicted 0 once, 1 three times.
    expect(confusionMatrix(preds, labels)).toEqual({
      classes: [0, 1],
      counts: [
        [1, 1],
        [1, 3],
      ],
    });
  });

  test('binary inputs under macro, micro and weighted averages', () => {
    // Per class: class 0 -> 0.5 for P, R, F1; class 1 -> 0.75. Supports (labels): class 0: 2, class 1: 4.
    // macro = (0.5 + 0.75)/2 = 0.625
    expect(precisionRecallF1(preds, labels, { average: 'macro' })).toEqual({ precision: 0.625, recall: 0.625, f1: 0.625 });
    // micro: TP summed = 1 + 3 = 4 over 6 predicted / 6 actual = accuracy
    const micro = precisionRecallF1(preds, labels, { average: 'micro' });
    for (const v of Object.values(micro)) expect(v).toBeCloseTo(4 / 6, 12);
    // weighted = (0.5*2 + 0.75*4)/6 = 4/6
    const weighted = precisionRecallF1(preds, labels, { average: 'weighted' });
    for (const v of Object.values(weighted)) expect(v).toBeCloseTo(4 / 6, 12);
  });

  test('multi-class with a class never predicted and a class never labelled', () => {
    const p = [0, 1, 1, 1, 0, 3];
    const l = [0, 0, 1, 1, 2, 2];
    // class 0: TP=1, predicted 2, actual 2 -> P 1/2, R 1/2, F1 2/4
    // class 1: TP=2, predicted 3, actual 2 -> P 2/3, R 1,   F1 4/5
    // class 2: TP=0, predicted 0, actual 2 -> P 0 (0/0), R 0, F1 0
    // class 3: TP=0, predicted 1, actual 0 -> P 0, R 0 (0/0), F1 0
    const macro = precisionRecallF1(p, l, { average: 'macro' });
    expect(macro.precision).toBeCloseTo((1 / 2 + 2 / 3) / 4, 12); // 7/24
    expect(macro.recall).toBeCloseTo((1 / 2 + 1) / 4, 12); // 3/8
    expect(macro.f1).toBeCloseTo((1 / 2 + 4 / 5) / 4, 12); // 0.325
    // micro: TP 3 of 6 predicted / 6 actual
    expect(precisionRecallF1(p, l, { average: 'micro' })).toEqual({ precision: 0.5, recall: 0.5, f1: 0.5 });
    // weighted by supports 2,2,2,0: P = (1/2*2 + 2/3*2)/6 = 7/18, R = (1/2*2 + 1*2)/6 = 1/2, F1 = (1/2*2 + 4/5*2)/6 = 13/30
    const weighted = precisionRecallF1(p, l, { average: 'weighted' });
    expect(weighted.precision).toBeCloseTo(7 / 18, 12);
    expect(weighted.recall).toBeCloseTo(0.5, 12);
    expect(weighted.f1).toBeCloseTo(13 / 30, 12);
    expect(precision(p, l, { average: 'macro' })).toBe(macro.precision);
    expect(recall(p, l, { average: 'macro' })).toBe(macro.recall);
    expect(f1(p, l, { average: 'macro' })).toBe(macro.f1);
    // MCC: n=6, correct=3, t=[2,2,2,0], p=[2,3,0,1]; t.p=10, p.p=14, t.t=12
    // (3*6 - 10) / sqrt((36-14)(36-12)) = 8/sqrt(528)
    expect(matthewsCorrelation(p, l)).toBeCloseTo(8 / Math.sqrt(528), 12);
    expect(() => f1(p, l)).toThrow(/binary.*hold 4 .*\[0, 1, 2, 3\]/);
  });

  test('one class only', () => {
    // Nothing positive predicted or present: every score is 0/0, counted as 0.
    expect(precisionRecallF1([0, 0, 0], [0, 0, 0])).toEqual({ precision: 0, recall: 0, f1: 0 });
    // All positive and all right: 3/3.
    expect(precisionRecallF1([1, 1, 1], [1, 1, 1])).toEqual({ precision: 1, recall: 1, f1: 1 });
    expect(accuracy([0, 0, 0], [0, 0, 0])).toBe(1);
    // MCC is undefined with one class; scikit-learn returns 0.
    expect(matthewsCorrelation([0, 0, 0], [0, 0, 0])).toBe(0);
    expect(matthewsCorrelation([0, 1, 0], [1, 1, 1])).toBe(0);
  });

  test('posLabel must be one of two classes present', () => {
    expect(() => f1([2, 5, 5], [5, 2, 2])).toThrow(/posLabel 1 is not one of the classes \[2, 5\]/);
    // posLabel 5: TP 0, predicted 2, actual 1 -> P 0, R 0, F1 0
    expect(precisionRecallF1([2, 5, 5], [5, 2, 2], { posLabel: 5 })).toEqual({ precision: 0, recall: 0, f1: 0 });
  });

  test('confusion matrix over given classes', () => {
    expect(confusionMatrix([1, 1], [1, 0], [2, 0, 1])).toEqual({
      classes: [0, 1, 2],
      counts: [
        [0, 1, 0],
        [0, 1, 0],
        [0, 0, 0],
      ],
    });
    expect(() => confusionMatrix([1, 3], [1, 0], [0, 1])).toThrow(/predictions\[1\] is 3, which is not in classes \[0, 1\]/);
  });

  test('input errors', () => {
    expect(() => accuracy([], [])).toThrow(/accuracy: predictions and labels are empty/);
    expect(() => accuracy([1, 0, 1], [1, 0])).toThrow(/predictions has 3 items but labels has 2/);
    expect(() => f1([0.7, 0.2], [1, 0])).toThrow(/predictions\[0\] is 0.7, not an integer class id \(take the argmax/);
    expect(() => matthewsCorrelation([1, 0], [1, NaN])).toThrow(/labels\[1\] is NaN/);
    expect(() => f1([1, 0], [1, 0], { average: 'samples' as Average })).toThrow(/average must be one of/);
  });

  test('typed arrays are accepted', () => {
    expect(accuracy(new Int32Array([1, 0, 1]), [1, 1, 1])).toBeCloseTo(2 / 3, 12);
    expect(f1(new Float32Array([1, 0, 1]), new Int8Array([1, 1, 1]))).toBeCloseTo(0.8, 12); // 2*2/(3+2)
  });
});

describe('regression metrics, hand-computed', () => {
  test('pearson', () => {
    // x - 2.5 = [-1.5,-0.5,0.5,1.5], y - 5 = [-3,-1,0,4]
    // sum xy = 4.5+0.5+0+6 = 11, sum xx = 5, sum yy = 26 -> r = 11/sqrt(130)
    expect(pearson([1, 2, 3, 4], [2, 4, 5, 9])).toBeCloseTo(11 / Math.sqrt(130), 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });

  test('spearman with ties uses average ranks', () => {
    expect(Array.from(averageRanks([10, 20, 20, 30]))).toEqual([1, 2.5, 2.5, 4]);
    expect(Array.from(averageRanks([3, 1, 3, 3, 0]))).toEqual([4, 2, 4, 4, 1]);
    // ranks x = [1,2.5,2.5,4], y = [1,3,2,4]; both mean 2.5
    // dx = [-1.5,0,0,1.5], dy = [-1.5,0.5,-0.5,1.5]: sum dxdy = 4.5, sum dx^2 = 4.5, sum dy^2 = 5
    // r = 4.5/sqrt(22.5) = sqrt(0.9)
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(Math.sqrt(0.9), 12);
    // monotone but not linear -> 1
    expect(spearman([1, 2, 3, 4], [2, 4, 5, 9])).toBeCloseTo(1, 12);
  });

  test('constant input gives NaN, like scipy', () => {
    expect(pearson([1, 2, 3], [5, 5, 5])).toBeNaN();
    expect(spearman([4, 4, 4], [1, 2, 3])).toBeNaN();
    expect(pearson([1], [2])).toBeNaN();
    expect(spearman([1], [2])).toBeNaN();
  });

  test('mean squared error', () => {
    // (0^2 + 2^2 + 3^2)/3 = 13/3
    expect(meanSquaredError([1, 2, 3], [1, 4, 0])).toBeCloseTo(13 / 3, 12);
  });

  test('input errors', () => {
    expect(() => pearson([], [])).toThrow(/pearson: predictions and labels are empty/);
    expect(() => spearman([1, 2, 3], [1, 2])).toThrow(/predictions has 3 items but labels has 2/);
    expect(() => pearson([1, NaN, 3], [1, 2, 3])).toThrow(/predictions\[1\] is NaN.*diverged/);
    expect(() => meanSquaredError([1, 2], [Infinity, 2])).toThrow(/labels\[0\] is Infinity/);
  });
});

describe('glueMetrics', () => {
  // The binary example above: accuracy 4/6, F1 0.75, MCC 0.25.
  const preds = [1, 0, 1, 1, 0, 1];
  const labels = [1, 0, 0, 1, 1, 1];

  function expectMetrics(actual: Record<string, number>, expected: Record<string, number>): void {
    expect(Object.keys(actual)).toEqual(Object.keys(expected));
    for (const [k, v] of Object.entries(expected)) expect(actual[k]).toBeCloseTo(v, 12);
  }

  test('the metric run_glue reports per task', () => {
    expectMetrics(glueMetrics('cola', preds, labels), { matthews_correlation: 0.25 });
    for (const task of ['SST-2', 'sst2', 'MNLI', 'mnli-mm', 'mnli_mismatched', 'mnli_matched', 'QNLI', 'rte', 'WNLI']) {
      expectMetrics(glueMetrics(task, preds, labels), { accuracy: 4 / 6 });
    }
    // combined_score = (4/6 + 0.75)/2 = 17/24
    for (const task of ['MRPC', 'qqp']) {
      expectMetrics(glueMetrics(task, preds, labels), { accuracy: 4 / 6, f1: 0.75, combined_score: 17 / 24 });
    }
    const r = 11 / Math.sqrt(130);
    for (const task of ['STS-B', 'stsb', 'sts_b']) {
      expectMetrics(glueMetrics(task, [1, 2, 3, 4], [2, 4, 5, 9]), { pearson: r, spearmanr: 1, combined_score: (r + 1) / 2 });
    }
  });

  test('other tasks: accuracy and macro F1, or mse for regression', () => {
    // macro F1 of the binary example = (0.5 + 0.75)/2
    expectMetrics(glueMetrics('my-sentiment', preds, labels), { accuracy: 4 / 6, macro_f1: 0.625 });
    expectMetrics(glueMetrics('my-scores', [1, 2, 3], [1, 4, 0], { isRegression: true }), { mse: 13 / 3 });
  });

  test('task names', () => {
    expect(resolveGlueTask('STS-B')).toBe('stsb');
    expect(resolveGlueTask('SST-2')).toBe('sst2');
    expect(resolveGlueTask('MNLI-MM')).toBe('mnli_mismatched');
    expect(resolveGlueTask('mnli-m')).toBe('mnli');
    expect(resolveGlueTask('CoLA')).toBe('cola');
    expect(resolveGlueTask('ax')).toBeUndefined();
  });

  test('errors come through', () => {
    expect(() => glueMetrics('stsb', [1, NaN], [1, 2])).toThrow(/NaN/);
    expect(() => glueMetrics('mrpc', [], [])).toThrow(/empty/);
    expect(() => glueMetrics('cola', [0.2, 0.9], [0, 1])).toThrow(/argmax/);
  });
});

interface ClassificationCase {
  predictions: number[];
  labels: number[];
  posLabel: number;
}

interface RegressionCase {
  predictions: number[];
  labels: number[];
}

interface ClassificationReference {
  accuracy: number;
  mcc: number;
  confusion: { classes: number[]; counts: number[][] };
  /** [precision, recall, f1] per average; null where scikit-learn raises. */
  averages: Record<Average, [number, number, number] | null>;
}

interface RegressionReference {
  pearson: number | null;
  spearman: number | null;
  mse: number;
}

interface GlueReference {
  task: string;
  metrics: Record<string, number | null>;
}

function classificationCases(random: () => number): ClassificationCase[] {
  const int = (lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)];
  const cases: ClassificationCase[] = [];
  for (let c = 0; c < 700; c++) {
    const n = c % 50 === 0 ? int(500, 2000) : int(1, 40);
    const kind = c % 7;
    let labelPool: number[];
    let predPool: number[];
    let posLabel = 1;
    if (kind <= 1) {
      labelPool = predPool = [0, 1];
      posLabel = kind === 0 ? 1 : 0;
    } else if (kind === 2) {
      // binary on other ids: posLabel 1 is not a class, so binary raises unless posLabel is one of them
      labelPool = predPool = [2, 5];
      posLabel = pick([1, 2, 5]);
    } else if (kind <= 4) {
      // multi-class where predictions and labels each use a random subset of the classes
      const k = int(3, 7);
      const all = Array.from({ length: k }, (_, i) => i - (kind === 4 ? 1 : 0));
      labelPool = all.filter(() => random() < 0.7);
      predPool = all.filter(() => random() < 0.7);
      if (labelPool.length === 0) labelPool = [all[0]];
      if (predPool.length === 0) predPool = [all[k - 1]];
    } else if (kind === 5) {
      // one class in labels (and sometimes in predictions too)
      const only = pick([0, 1]);
      labelPool = [only];
      predPool = random() < 0.5 ? [only] : [0, 1];
    } else {
      // one class predicted
      labelPool = pick([
        [0, 1],
        [0, 1, 2],
      ]);
      predPool = [pick(labelPool)];
    }
    const labels = Array.from({ length: n }, () => pick(labelPool));
    // Mostly-right predictions, so scores spread over the whole range rather than sit near chance.
    const skill = random();
    const predictions = labels.map((l) => (random() < skill && predPool.includes(l) ? l : pick(predPool)));
    cases.push({ predictions, labels, posLabel });
  }
  return cases;
}

function regressionCases(random: () => number): RegressionCase[] {
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const cases: RegressionCase[] = [];
  for (let c = 0; c < 500; c++) {
    const n = c % 50 === 0 ? 1000 + Math.floor(random() * 2000) : 2 + Math.floor(random() * 40);
    const kind = c % 5;
    const slope = normal();
    const labels = Array.from({ length: n }, () => (kind === 3 ? 1000 : 0) + normal() * 3);
    let predictions = labels.map((y) => slope * y + normal() * random() * 5);
    let ys = labels;
    if (kind === 1) {
      // STS-B-like: scores on a 0..5 grid of fifths, many ties on both sides
      ys = labels.map((y) => Math.round(Math.min(5, Math.max(0, 2.5 + y)) * 5) / 5);
      predictions = predictions.map((p) => Math.round(p * 2) / 2);
    } else if (kind === 2) {
      // a handful of integer values: heavy ties
      ys = labels.map((y) => Math.round(y) % 3);
      predictions = predictions.map((p) => Math.round(p) % 4);
    } else if (kind === 4 && c % 10 === 4) {
      // constant on one side
      predictions = predictions.map(() => 2.5);
    }
    cases.push({ predictions, labels: ys });
  }
  return cases;
}

const REFERENCE_SCRIPT = String.raw`
import json, sys, warnings
import numpy as np
from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score, matthews_corrcoef,
                             mean_squared_error, precision_recall_fscore_support)
from scipy.stats import pearsonr, spearmanr

warnings.simplefilter("ignore")
cases = json.load(open(sys.argv[1]))

def num(x):
    x = float(x)
    return None if x != x else x

classification = []
for c in cases["classification"]:
    p, l = c["predictions"], c["labels"]
    averages = {}
    for avg in ["binary", "macro", "micro", "weighted"]:
        try:
            pr = precision_recall_fscore_support(l, p, average=avg, pos_label=c["posLabel"])
            averages[avg] = [num(pr[0]), num(pr[1]), num(pr[2])]
        except ValueError:
            averages[avg] = None
    classification.append({
        "accuracy": num(accuracy_score(l, p)),
        "mcc": num(matthews_corrcoef(l, p)),
        "confusion": {"classes": [int(v) for v in sorted(set(p) | set(l))],
                      "counts": confusion_matrix(l, p).tolist()},
        "averages": averages,
    })

regression = []
for c in cases["regression"]:
    p, l = c["predictions"], c["labels"]
    regression.append({
        "pearson": num(pearsonr(p, l).statistic),
        "spearman": num(spearmanr(p, l).statistic),
        "mse": num(mean_squared_error(l, p)),
    })

# Hugging Face's glue metric (metrics/glue/glue.py) plus run_glue.py's combined_score.
def hf_glue(task, preds, labels):
    preds, labels = np.array(preds), np.array(labels)
    if task == "cola":
        r = {"matthews_correlation": matthews_corrcoef(labels, preds)}
    elif task == "stsb":
        r = {"pearson": float(pearsonr(preds, labels)[0]), "spearmanr": float(spearmanr(preds, labels)[0])}
    elif task in ["mrpc", "qqp"]:
        r = {"accuracy": float((preds == labels).mean()), "f1": float(f1_score(y_true=labels, y_pred=preds))}
    else:
        r = {"accuracy": float((preds == labels).mean())}
    if len(r) > 1:
        r["combined_score"] = np.mean(list(r.values())).item()
    return {k: num(v) for k, v in r.items()}

glue = [{"task": g["task"], "metrics": hf_glue(g["task"], g["predictions"], g["labels"])} for g in cases["glue"]]
print(json.dumps({"classification": classification, "regression": regression, "glue": glue}))
`;

describe('agreement with scikit-learn and scipy on random cases', () => {
  const random = mulberry32(20240611);
  const classification = classificationCases(random);
  const regression = regressionCases(random);
  const glueTasks = ['cola', 'sst2', 'mrpc', 'qqp', 'mnli', 'qnli', 'rte', 'wnli'];
  const glue = [
    ...classification
      .filter((c) => c.labels.every((l) => l === 0 || l === 1) && c.predictions.every((p) => p === 0 || p === 1))
      .slice(0, 160)
      .map((c, i) => ({ task: glueTasks[i % glueTasks.length], predictions: c.predictions, labels: c.labels })),
    ...regression
      .filter((c) => c.predictions.length > 1)
      .slice(0, 40)
      .map((c) => ({ task: 'stsb', predictions: c.predictions, labels: c.labels })),
  ];
  let reference: {
    classification: ClassificationReference[];
    regression: RegressionReference[];
    glue: GlueReference[];
  };

  beforeAll(() => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-metrics-'));
    try {
      // A file, not argv: the cases exceed the per-argument size limit.
      const file = path.join(dir, 'cases.json');
      fs.writeFileSync(file, JSON.stringify({ classification, regression, glue }));
      reference = JSON.parse(runPython(REFERENCE_SCRIPT, [file])) as typeof reference;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  const nan = (v: number | null): number => (v === null ? NaN : v);

  test('the cases cover what they should', () => {
    expect(reference.classification).toHaveLength(classification.length);
    const raised = reference.classification.filter((r) => r.averages.binary === null).length;
    const oneClass = classification.filter((c) => new Set([...c.labels, ...c.predictions]).size === 1).length;
    const missing = classification.filter((c) => {
      const l = new Set(c.labels);
      const p = new Set(c.predictions);
      return [...l].some((v) => !p.has(v)) && [...p].some((v) => !l.has(v));
    }).length;
    expect(raised).toBeGreaterThan(50);
    expect(oneClass).toBeGreaterThan(20);
    expect(missing).toBeGreaterThan(20);
    expect(reference.regression.filter((r) => r.spearman === null).length).toBeGreaterThan(5);
    expect(regression.filter((c) => new Set(c.labels).size < c.labels.length / 2).length).toBeGreaterThan(50);
  });

  test('accuracy, precision/recall/F1 (every average), MCC and confusion matrix', () => {
    const mismatches: string[] = [];
    classification.forEach((c, i) => {
      const ref = reference.classification[i];
      const where = `case ${i} ${JSON.stringify(c)}`;
      if (!close(accuracy(c.predictions, c.labels), nan(ref.accuracy))) mismatches.push(`${where}: accuracy`);
      const mcc = matthewsCorrelation(c.predictions, c.labels);
      if (!close(mcc, nan(ref.mcc))) mismatches.push(`${where}: mcc ${mcc} vs ${ref.mcc}`);
      expect(confusionMatrix(c.predictions, c.labels)).toEqual(ref.confusion);
      for (const average of AVERAGES) {
        const expected = ref.averages[average];
        const options = { average, posLabel: c.posLabel };
        if (expected === null) {
          expect(() => precisionRecallF1(c.predictions, c.labels, options)).toThrow();
          continue;
        }
        const got = precisionRecallF1(c.predictions, c.labels, options);
        const actual = [got.precision, got.recall, got.f1];
        if (!actual.every((v, k) => close(v, nan(expected[k])))) {
          mismatches.push(`${where}: ${average} ${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`);
        }
      }
    });
    expect(mismatches).toEqual([]);
  });

  test('pearson, spearman (ties, constant inputs) and mean squared error', () => {
    const mismatches: string[] = [];
    regression.forEach((c, i) => {
      const ref = reference.regression[i];
      const got = {
        pearson: pearson(c.predictions, c.labels),
        spearman: spearman(c.predictions, c.labels),
        mse: meanSquaredError(c.predictions, c.labels),
      };
      if (!close(got.pearson, nan(ref.pearson)) || !close(got.spearman, nan(ref.spearman)) || !close(got.mse, ref.mse)) {
        mismatches.push(`case ${i} (n=${c.labels.length}): ${JSON.stringify(got)} vs ${JSON.stringify(ref)}`);
      }
    });
    expect(mismatches).toEqual([]);
  });

  test('glueMetrics matches Hugging Face glue metric + run_glue combined_score', () => {
    expect(glue.length).toBeGreaterThan(150);
    const mismatches: string[] = [];
    glue.forEach((g, i) => {
      const ref = reference.glue[i];
      const got = glueMetrics(g.task, g.predictions, g.labels);
      const sameKeys = JSON.stringify(Object.keys(got)) === JSON.stringify(Object.keys(ref.metrics));
      if (!sameKeys || !Object.entries(ref.metrics).every(([k, v]) => close(got[k], nan(v)))) {
        mismatches.push(`case ${i} ${g.task}: ${JSON.stringify(got)} vs ${JSON.stringify(ref.metrics)}`);
      }
    });
    expect(mismatches).toEqual([]);
  });
});
