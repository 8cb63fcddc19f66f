/**
 * Classification metrics computed as scikit-learn computes them (`accuracy_score`,
 * `precision_recall_fscore_support`, `matthews_corrcoef`, `confusion_matrix`), which is what
 * Hugging Face `evaluate` and `run_glue.py` call.
 *
 * Every function takes `(predictions, labels)` in that order (Hugging Face `evaluate`'s
 * `compute(predictions, references)` order; scikit-learn's is the reverse). Values are integer
 * class ids, e.g. the argmax of the logits.
 *
 * Zero division: a precision, recall or F1 whose denominator is 0 (a class never predicted, or
 * never present) counts as 0, as scikit-learn's default `zero_division="warn"` returns, but no
 * warning is printed.
 */

/** How per-class scores combine into one number: scikit-learn's `average` argument. */
export type Average = 'binary' | 'macro' | 'micro' | 'weighted';

const AVERAGES: readonly Average[] = ['binary', 'macro', 'micro', 'weighted'];

/** Options for {@link precisionRecallF1}, {@link precision}, {@link recall} and {@link f1}. */
export interface AverageOptions {
  /**
   * `binary` (default): the scores of class `posLabel` alone; at most two classes may occur.
   * `macro`: unweighted mean over the classes found in predictions or labels.
   * `micro`: scores from true/false positives summed over all classes (equals accuracy when
   * every class is counted). `weighted`: mean weighted by each class's count in `labels`.
   */
  average?: Average;
  /** The positive class for `average: 'binary'`; ignored otherwise. Default 1. */
  posLabel?: number;
}

/** Precision, recall and F1 under one averaging. */
export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

/** Counts of (label, prediction) pairs. */
export interface ConfusionMatrix {
  /** Class ids, ascending; row and column `i` belong to `classes[i]`. */
  classes: number[];
  /** `counts[i][j]`: items whose label is `classes[i]` and prediction is `classes[j]`. */
  counts: number[][];
}

function checkClassPairs(metric: string, predictions: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (predictions.length !== labels.length) {
    throw new Error(`${metric}: predictions has ${predictions.length} items but labels has ${labels.length}; they must pair one to one`);
  }
  if (predictions.length === 0) {
    throw new Error(`${metric}: predictions and labels are empty; there is nothing to score`);
  }
  checkClassIds(metric, 'predictions', predictions);
  checkClassIds(metric, 'labels', labels);
}

function checkClassIds(metric: string, what: string, values: ArrayLike<number>): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isInteger(values[i])) {
      throw new Error(
        `${metric}: ${what}[${i}] is ${values[i]}, not an integer class id` + (what === 'predictions' ? ' (take the argmax of the logits first)' : ''),
      );
    }
  }
}

function sortedClasses(predictions: ArrayLike<number>, labels: ArrayLike<number>): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < labels.length; i++) seen.add(labels[i]);
  for (let i = 0; i < predictions.length; i++) seen.add(predictions[i]);
  return [...seen].sort((a, b) => a - b);
}

/**
 * The confusion matrix, rows = labels and columns = predictions (scikit-learn's
 * `confusion_matrix(labels, predictions)`).
 *
 * @param classes - the classes to index by, e.g. every label id of the dataset so that classes
 *   that never occur still get a row; default: those found in predictions or labels. Every
 *   value found must be listed (unlike scikit-learn, which silently drops the others).
 */
export function confusionMatrix(predictions: ArrayLike<number>, labels: ArrayLike<number>, classes?: readonly number[]): ConfusionMatrix {
  checkClassPairs('confusionMatrix', predictions, labels);
  const ids = classes ? [...new Set(classes)].sort((a, b) => a - b) : sortedClasses(predictions, labels);
  return tally(predictions, labels, ids);
}

function tally(predictions: ArrayLike<number>, labels: ArrayLike<number>, classes: number[]): ConfusionMatrix {
  const index = new Map<number, number>(classes.map((c, i) => [c, i]));
  const counts = classes.map(() => new Array<number>(classes.length).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const row = index.get(labels[i]);
    const col = index.get(predictions[i]);
    if (row === undefined || col === undefined) {
      const [what, value] = row === undefined ? ['labels', labels[i]] : ['predictions', predictions[i]];
      throw new Error(`confusionMatrix: ${what}[${i}] is ${value}, which is not in classes [${classes.join(', ')}]`);
    }
    counts[row][col] += 1;
  }
  return { classes, counts };
}

/** Fraction of predictions equal to their label (scikit-learn `accuracy_score`). */
export function accuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkClassPairs('accuracy', predictions, labels);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) correct += 1;
  return correct / labels.length;
}

interface ClassCounts {
  truePositives: number;
  predicted: number;
  actual: number;
}

function divide(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function scoresOf(c: ClassCounts): PrecisionRecallF1 {
  return {
    precision: divide(c.truePositives, c.predicted),
    recall: divide(c.truePositives, c.actual),
    // 2tp / (2tp + fp + fn), scikit-learn's form: it differs from 2PR/(P+R) when P or R is 0/0.
    f1: divide(2 * c.truePositives, c.actual + c.predicted),
  };
}

function classCounts(m: ConfusionMatrix): ClassCounts[] {
  return m.classes.map((_, i) => {
    let predicted = 0;
    let actual = 0;
    for (let j = 0; j < m.classes.length; j++) {
      predicted += m.counts[j][i];
      actual += m.counts[i][j];
    }
    return { truePositives: m.counts[i][i], predicted, actual };
  });
}

function binaryCounts(m: ConfusionMatrix, counts: ClassCounts[], posLabel: number): ClassCounts {
  const { classes } = m;
  if (classes.length > 2) {
    throw new Error(
      `average 'binary' needs at most 2 classes but predictions and labels hold ${classes.length} ` +
        `([${classes.join(', ')}]); use average 'macro', 'micro' or 'weighted'`,
    );
  }
  const at = classes.indexOf(posLabel);
  if (at >= 0) return counts[at];
  if (classes.length === 2) {
    throw new Error(`posLabel ${posLabel} is not one of the classes [${classes.join(', ')}]; set posLabel`);
  }
  // One class only and it is not the positive one: nothing positive was predicted or present.
  return { truePositives: 0, predicted: 0, actual: 0 };
}

function mean(scores: PrecisionRecallF1[], weights: number[]): PrecisionRecallF1 {
  const total = weights.reduce((a, b) => a + b, 0);
  const sum = (pick: (s: PrecisionRecallF1) => number): number =>
    divide(
      scores.reduce((acc, s, i) => acc + pick(s) * weights[i], 0),
      total,
    );
  return { precision: sum((s) => s.precision), recall: sum((s) => s.recall), f1: sum((s) => s.f1) };
}

/**
 * Precision, recall and F1 as scikit-learn's `precision_recall_fscore_support` with
 * `average` (default `binary`, positive class `posLabel`, default 1). The classes averaged over
 * are those found in predictions or labels.
 *
 * @throws for `binary` when more than two classes occur, or when two occur and neither is
 *   `posLabel`.
 */
export function precisionRecallF1(predictions: ArrayLike<number>, labels: ArrayLike<number>, options: AverageOptions = {}): PrecisionRecallF1 {
  const { average = 'binary', posLabel = 1 } = options;
  if (!AVERAGES.includes(average)) {
    throw new Error(`average must be one of ${AVERAGES.join(', ')}; got ${String(average)}`);
  }
  checkClassPairs(`precision/recall/F1 (average '${average}')`, predictions, labels);
  const m = tally(predictions, labels, sortedClasses(predictions, labels));
  const counts = classCounts(m);
  switch (average) {
    case 'binary':
      return scoresOf(binaryCounts(m, counts, posLabel));
    case 'micro':
      return scoresOf(
        counts.reduce(
          (acc, c) => ({
            truePositives: acc.truePositives + c.truePositives,
            predicted: acc.predicted + c.predicted,
            actual: acc.actual + c.actual,
          }),
          { truePositives: 0, predicted: 0, actual: 0 },
        ),
      );
    case 'macro':
      return mean(
        counts.map(scoresOf),
        counts.map(() => 1),
      );
    case 'weighted':
      return mean(
        counts.map(scoresOf),
        counts.map((c) => c.actual),
      );
  }
}

/** Precision (scikit-learn `precision_score`); see {@link precisionRecallF1}. */
export function precision(predictions: ArrayLike<number>, labels: ArrayLike<number>, options?: AverageOptions): number {
  return precisionRecallF1(predictions, labels, options).precision;
}

/** Recall (scikit-learn `recall_score`); see {@link precisionRecallF1}. */
export function recall(predictions: ArrayLike<number>, labels: ArrayLike<number>, options?: AverageOptions): number {
  return precisionRecallF1(predictions, labels, options).recall;
}

/** F1 (scikit-learn `f1_score`); see {@link precisionRecallF1}. */
export function f1(predictions: ArrayLike<number>, labels: ArrayLike<number>, options?: AverageOptions): number {
  return precisionRecallF1(predictions, labels, options).f1;
}

/**
 * Matthews correlation coefficient, multi-class form (Gorodkin's R_K) as scikit-learn's
 * `matthews_corrcoef`: binary inputs give the usual MCC. Returns 0 when it is undefined
 * (all labels, or all predictions, one class), as scikit-learn does.
 */
export function matthewsCorrelation(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkClassPairs('matthewsCorrelation', predictions, labels);
  const counts = classCounts(tally(predictions, labels, sortedClasses(predictions, labels)));
  const n = labels.length;
  let correct = 0;
  let truePred = 0;
  let predPred = 0;
  let trueTrue = 0;
  for (const c of counts) {
    correct += c.truePositives;
    truePred += c.actual * c.predicted;
    predPred += c.predicted * c.predicted;
    trueTrue += c.actual * c.actual;
  }
  const covTruePred = correct * n - truePred;
  const product = (n * n - predPred) * (n * n - trueTrue);
  return product === 0 ? 0 : covTruePred / Math.sqrt(product);
}
