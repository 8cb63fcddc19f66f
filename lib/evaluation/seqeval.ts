/**
 * Entity-level NER metrics as the Python package seqeval 1.2.2 computes them (what Hugging Face
 * `run_ner.py` and `evaluate.load("seqeval")` report): an entity counts as correct only when
 * its type and its whole span match.
 *
 * Arguments come in seqeval's order, `(yTrue, yPred)`: gold tags first (unlike the
 * `(predictions, labels)` order of classification_metrics). Both are arrays of sentences, each
 * an array of tags such as `B-PER`.
 *
 * Modes: `default` chunks tags like conlleval (any tag sequence yields entities); `strict`
 * applies a tagging scheme and throws {@link SeqevalError} on a tag the scheme does not allow.
 * Warnings seqeval would print (undefined scores, tags that are not NE tags) go to
 * `options.onWarning`.
 */
import { checkConsistentLength, countEntities, countSpans, entitySpans, entityTypes } from './seqeval_counts';
import { AVERAGE_ROW_NAMES, formatClassificationReport, noEntityTypeError, ReportRow } from './seqeval_report';
import { averageScores, perTypeScores, Scores, WARN_FOR_ALL, WarnFor } from './seqeval_scores';
import { ReportOptions, ScoreOptions, SeqevalError, WarningSink } from './seqeval_types';

export { getEntities } from './seqeval_entities';
export type { DefaultEntity } from './seqeval_entities';
export { getStrictEntities } from './seqeval_schemes';
export type { StrictEntity } from './seqeval_schemes';
export { formatClassificationReport, formatFixed } from './seqeval_report';
export type { ReportRow } from './seqeval_report';
export { SeqevalError } from './seqeval_types';
export type {
  ModeOptions,
  PythonErrorType,
  ReportOptions,
  Scheme,
  ScoreOptions,
  SeqevalAverage,
  SeqevalWarning,
  SeqevalWarningCategory,
  TagOptions,
  WarningListener,
  ZeroDivision,
} from './seqeval_types';

type Sentences = readonly (readonly string[])[];

/**
 * Token-level accuracy over all tokens, whatever the mode (seqeval's `accuracy_score`). Like
 * seqeval, sentences are concatenated and compared position by position, and the count of
 * tokens is taken from `yTrue`.
 */
export function accuracyScore(yTrue: Sentences, yPred: Sentences): number;
export function accuracyScore(yTrue: readonly string[], yPred: readonly string[]): number;
export function accuracyScore(yTrue: Sentences | readonly string[], yPred: Sentences | readonly string[]): number {
  const nested = yTrue.some((s) => Array.isArray(s));
  const flatTrue = nested ? (yTrue as Sentences).flat() : (yTrue as readonly string[]);
  const flatPred = nested ? (yPred as Sentences).flat() : (yPred as readonly string[]);
  if (flatTrue.length === 0) {
    throw new SeqevalError('ZeroDivisionError', 'division by zero', 'accuracy of no tokens: yTrue has no tags');
  }
  let correct = 0;
  const n = Math.min(flatTrue.length, flatPred.length);
  for (let i = 0; i < n; i++) if (flatTrue[i] === flatPred[i]) correct++;
  return correct / flatTrue.length;
}

function score(yTrue: Sentences, yPred: Sentences, options: ScoreOptions, warnFor: WarnFor): Scores {
  const sink = new WarningSink(options.onWarning);
  const counts = countEntities(yTrue, yPred, options, options.suffix ?? false, sink);
  return averageScores(counts, options.average ?? 'micro', {
    warnFor,
    zeroDivision: options.zeroDivision ?? 'warn',
    sink,
  });
}

/** Entity precision: correct predicted entities / predicted entities (micro average by default). */
export function precisionScore(yTrue: Sentences, yPred: Sentences, options: ScoreOptions = {}): number {
  return score(yTrue, yPred, options, ['precision']).precision;
}

/** Entity recall: correct predicted entities / gold entities (micro average by default). */
export function recallScore(yTrue: Sentences, yPred: Sentences, options: ScoreOptions = {}): number {
  return score(yTrue, yPred, options, ['recall']).recall;
}

/** Entity F1, 2PR/(P+R) (micro average by default). */
export function f1Score(yTrue: Sentences, yPred: Sentences, options: ScoreOptions = {}): number {
  return score(yTrue, yPred, options, ['f-score']).f1;
}

function reportRows(yTrue: Sentences, yPred: Sentences, options: ReportOptions, forText: boolean): ReportRow[] {
  const sink = new WarningSink(options.onWarning);
  const suffix = options.suffix ?? false;
  // seqeval checks lengths before extracting in strict mode, after listing the types otherwise.
  if (options.mode === 'strict') checkConsistentLength(yTrue, yPred);
  const spans = entitySpans(yTrue, yPred, options, suffix, sink);
  if (forText && entityTypes(spans).length === 0) throw noEntityTypeError();
  if (options.mode !== 'strict') checkConsistentLength(yTrue, yPred);
  const counts = countSpans(spans);
  const context = { warnFor: WARN_FOR_ALL, zeroDivision: options.zeroDivision ?? 'warn', sink };
  const rows: ReportRow[] = perTypeScores(counts, context).map((s, i) => ({ name: counts.types[i], ...s }));
  const averages = ['micro', 'macro', 'weighted'] as const;
  averages.forEach((average, i) => rows.push({ name: AVERAGE_ROW_NAMES[i], ...averageScores(counts, average, context) }));
  return rows;
}

/**
 * seqeval's `classification_report(..., output_dict=True)` as rows: one per entity type (sorted
 * by code point, as Python sorts strings), then `micro avg`, `macro avg`, `weighted avg`.
 * `macro avg` is NaN when there is no entity type at all.
 */
export function classificationReport(yTrue: Sentences, yPred: Sentences, options: ReportOptions = {}): ReportRow[] {
  return reportRows(yTrue, yPred, options, false);
}

/**
 * The report as seqeval prints it. Throws {@link SeqevalError} (seqeval's `ValueError: max()
 * arg is an empty sequence`) when neither side has an entity.
 */
export function classificationReportText(yTrue: Sentences, yPred: Sentences, options: ReportOptions & { digits?: number } = {}): string {
  return formatClassificationReport(reportRows(yTrue, yPred, options, true), options.digits ?? 2);
}
