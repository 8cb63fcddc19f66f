/**
 * The metrics Hugging Face `run_glue.py` reports per GLUE task (`evaluate.load("glue", task)`),
 * including its `combined_score` (the mean of the metrics when there are several).
 */
import { accuracy, f1, matthewsCorrelation } from './classification_metrics';
import { meanSquaredError, pearson, spearman } from './regression_metrics';

/** GLUE task names as Hugging Face's `glue` metric spells them. */
export const GLUE_TASKS = ['cola', 'sst2', 'mrpc', 'stsb', 'qqp', 'mnli', 'mnli_mismatched', 'qnli', 'rte', 'wnli', 'hans'] as const;

/** A GLUE task name as Hugging Face's `glue` metric spells it. */
export type GlueTask = (typeof GLUE_TASKS)[number];

// Keys are lower-cased with '-', '_' and spaces removed, so 'SST-2', 'sts_b', 'MNLI-mm' all match.
const ALIASES: Readonly<Record<string, GlueTask>> = {
  cola: 'cola',
  sst2: 'sst2',
  mrpc: 'mrpc',
  stsb: 'stsb',
  qqp: 'qqp',
  mnli: 'mnli',
  mnlim: 'mnli',
  mnlimatched: 'mnli',
  mnlimm: 'mnli_mismatched',
  mnlimismatched: 'mnli_mismatched',
  qnli: 'qnli',
  rte: 'rte',
  wnli: 'wnli',
  hans: 'hans',
};

/**
 * The GLUE task a user-supplied name means, case-insensitively and with or without dashes or
 * underscores (`SST-2`, `sts-b`, `mnli-mm`, `mnli_mismatched`); undefined for other names.
 */
export function resolveGlueTask(name: string): GlueTask | undefined {
  return ALIASES[name.toLowerCase().replace(/[-_\s]/g, '')];
}

/** Options for {@link glueMetrics}. */
export interface GlueMetricOptions {
  /**
   * For a task that is not GLUE: score as regression (`mse`, as run_glue does) instead of
   * classification. GLUE tasks ignore it (STS-B is always regression, the others never).
   */
  isRegression?: boolean;
}

/**
 * The metrics run_glue reports for `task`, keyed as Hugging Face names them:
 * - cola: `matthews_correlation`
 * - sst2, mnli, mnli_mismatched, qnli, rte, wnli, hans: `accuracy`
 * - mrpc, qqp: `accuracy`, `f1` (binary, positive class 1), `combined_score`
 * - stsb: `pearson`, `spearmanr`, `combined_score`
 * - any other task: `accuracy` and `macro_f1`, or `mse` with `isRegression` (no combined score)
 *
 * `predictions` are class ids (argmax of the logits), or the regression outputs for stsb.
 * `combined_score` is the plain mean of the other metrics, NaN when one of them is.
 *
 * @throws on empty or unequal-length inputs, non-integer class ids, or non-finite regression values.
 */
export function glueMetrics(task: string, predictions: ArrayLike<number>, labels: ArrayLike<number>, options: GlueMetricOptions = {}): Record<string, number> {
  const glueTask = resolveGlueTask(task);
  switch (glueTask) {
    case 'cola':
      return { matthews_correlation: matthewsCorrelation(predictions, labels) };
    case 'mrpc':
    case 'qqp':
      return withCombinedScore({ accuracy: accuracy(predictions, labels), f1: f1(predictions, labels) });
    case 'stsb':
      return withCombinedScore({ pearson: pearson(predictions, labels), spearmanr: spearman(predictions, labels) });
    case undefined:
      return options.isRegression
        ? { mse: meanSquaredError(predictions, labels) }
        : { accuracy: accuracy(predictions, labels), macro_f1: f1(predictions, labels, { average: 'macro' }) };
    default:
      return { accuracy: accuracy(predictions, labels) };
  }
}

function withCombinedScore(metrics: Record<string, number>): Record<string, number> {
  const values = Object.values(metrics);
  return { ...metrics, combined_score: values.reduce((a, b) => a + b, 0) / values.length };
}
