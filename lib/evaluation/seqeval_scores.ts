/**
 * Precision, recall and F1 from per-type entity counts, with seqeval's (scikit-learn's)
 * zero-division rules, warnings and averages.
 */
import { TypeCounts } from './seqeval_counts';
import { SeqevalAverage, WarningSink, ZeroDivision } from './seqeval_types';

/** The scores whose ill-definedness the caller asked to hear about (seqeval's `warn_for`). */
export type WarnFor = readonly ('precision' | 'recall' | 'f-score')[];

export const WARN_FOR_ALL: WarnFor = ['precision', 'recall', 'f-score'];

export interface Scores {
  precision: number;
  recall: number;
  f1: number;
  /** Gold entities. */
  support: number;
}

interface ScoreArrays {
  precision: number[];
  recall: number[];
  f1: number[];
}

export interface ScoreContext {
  warnFor: WarnFor;
  zeroDivision: ZeroDivision;
  sink: WarningSink;
}

function illDefined(subject: string, modifier: string, size: number): string {
  const where = size === 1 ? 'due to' : 'in labels with';
  return `${subject} ill-defined and being set to 0.0 ${where} no ${modifier} samples. ` + 'Use `zero_division` parameter to control this behavior.';
}

function divide(numerators: readonly number[], denominators: readonly number[], metric: 'precision' | 'recall', context: ScoreContext): number[] {
  const zeroValue = context.zeroDivision === 1 ? 1 : 0;
  let anyZero = false;
  const result = numerators.map((n, i) => {
    if (denominators[i] !== 0) return n / denominators[i];
    anyZero = true;
    return zeroValue;
  });
  if (anyZero && context.zeroDivision === 'warn' && context.warnFor.includes(metric)) {
    const title = metric === 'precision' ? 'Precision' : 'Recall';
    const subject = context.warnFor.includes('f-score') ? `${title} and F-score are` : `${title} is`;
    const modifier = metric === 'precision' ? 'predicted' : 'true';
    context.sink.warn('UndefinedMetricWarning', illDefined(subject, modifier, result.length));
  }
  return result;
}

function scoreArrays(tp: readonly number[], predicted: readonly number[], gold: readonly number[], context: ScoreContext): ScoreArrays {
  const precision = divide(tp, predicted, 'precision', context);
  const recall = divide(tp, gold, 'recall', context);
  // An F1 warning of its own only when F1 alone was asked for and a type has neither side.
  const f1Only = context.warnFor.length === 1 && context.warnFor[0] === 'f-score';
  if (context.zeroDivision === 'warn' && f1Only && gold.some((g, i) => g === 0 && predicted[i] === 0)) {
    context.sink.warn('UndefinedMetricWarning', illDefined('F-score is', 'true nor predicted', gold.length));
  }
  const f1 = precision.map((p, i) => {
    const r = recall[i];
    return p + r === 0 ? 0 : (2 * p * r) / (p + r);
  });
  return { precision, recall, f1 };
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/** numpy's mean, NaN (and its two RuntimeWarnings) for no values. */
function mean(values: readonly number[], sink: WarningSink): number {
  if (values.length === 0) {
    sink.warn('RuntimeWarning', 'Mean of empty slice');
    sink.warn('RuntimeWarning', 'invalid value encountered in scalar divide');
    return NaN;
  }
  return sum(values) / values.length;
}

function weightedMean(values: readonly number[], weights: readonly number[]): number {
  return sum(values.map((v, i) => v * weights[i])) / sum(weights);
}

/** Scores of each type, in `counts.types` order. */
export function perTypeScores(counts: TypeCounts, context: ScoreContext): Scores[] {
  const s = scoreArrays(counts.truePositives, counts.predicted, counts.gold, context);
  return counts.types.map((_, i) => ({
    precision: s.precision[i],
    recall: s.recall[i],
    f1: s.f1[i],
    support: counts.gold[i],
  }));
}

/**
 * One average over the types. micro: scores of the summed counts; macro: plain mean (NaN when
 * there is no type); weighted: mean weighted by gold counts, and when there are no gold
 * entities at all, precision and F1 are zero_division's value if nothing was predicted (else 0)
 * and recall is zero_division's value.
 */
export function averageScores(counts: TypeCounts, average: SeqevalAverage, context: ScoreContext): Scores {
  const support = sum(counts.gold);
  if (average === 'micro') {
    const s = scoreArrays([sum(counts.truePositives)], [sum(counts.predicted)], [support], context);
    return { precision: s.precision[0], recall: s.recall[0], f1: s.f1[0], support };
  }
  const s = scoreArrays(counts.truePositives, counts.predicted, counts.gold, context);
  if (average === 'macro') {
    return {
      precision: mean(s.precision, context.sink),
      recall: mean(s.recall, context.sink),
      f1: mean(s.f1, context.sink),
      support,
    };
  }
  if (support === 0) {
    const zeroValue = context.zeroDivision === 1 ? 1 : 0;
    const nothingPredicted = sum(counts.predicted) === 0;
    return {
      precision: nothingPredicted ? zeroValue : 0,
      recall: zeroValue,
      f1: nothingPredicted ? zeroValue : 0,
      support,
    };
  }
  return {
    precision: weightedMean(s.precision, counts.gold),
    recall: weightedMean(s.recall, counts.gold),
    f1: weightedMean(s.f1, counts.gold),
    support,
  };
}
