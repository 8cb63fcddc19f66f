/**
 * Regression metrics as scipy / scikit-learn compute them (`scipy.stats.pearsonr`,
 * `scipy.stats.spearmanr`, `sklearn.metrics.mean_squared_error`), which is what Hugging Face
 * `evaluate` and `run_glue.py` call for STS-B and other regression tasks.
 *
 * Every function takes `(predictions, labels)`; both must be finite numbers (a NaN prediction
 * means a diverged model, and is reported rather than scored).
 *
 * Undefined correlations: when either input is constant, including a single item, Pearson and
 * Spearman are NaN, as scipy returns them (scipy's `pearsonr` raises for a single item instead;
 * here it is treated as the constant input it is).
 */

function checkRegressionPairs(metric: string, predictions: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (predictions.length !== labels.length) {
    throw new Error(`${metric}: predictions has ${predictions.length} items but labels has ${labels.length}; they must pair one to one`);
  }
  if (predictions.length === 0) {
    throw new Error(`${metric}: predictions and labels are empty; there is nothing to score`);
  }
  for (const [what, values] of [
    ['predictions', predictions],
    ['labels', labels],
  ] as const) {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new Error(
          `${metric}: ${what}[${i}] is ${values[i]}; regression metrics need finite numbers` +
            (what === 'predictions' ? ' (a NaN or infinite prediction usually means training diverged)' : ''),
        );
      }
    }
  }
}

function isConstant(values: ArrayLike<number>): boolean {
  for (let i = 1; i < values.length; i++) if (values[i] !== values[0]) return false;
  return true;
}

/** `values` minus their mean, divided by the largest absolute deviation (scipy scales the same way so squares cannot overflow). */
function centeredScaled(values: ArrayLike<number>): Float64Array {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  const mean = sum / values.length;
  const out = new Float64Array(values.length);
  let largest = 0;
  for (let i = 0; i < values.length; i++) {
    out[i] = values[i] - mean;
    largest = Math.max(largest, Math.abs(out[i]));
  }
  for (let i = 0; i < out.length; i++) out[i] /= largest;
  return out;
}

/** Pearson correlation of two checked, equally long inputs; NaN when either is constant. */
function correlation(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (isConstant(x) || isConstant(y)) return NaN;
  const xs = centeredScaled(x);
  const ys = centeredScaled(y);
  let xy = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < xs.length; i++) {
    xy += xs[i] * ys[i];
    xx += xs[i] * xs[i];
    yy += ys[i] * ys[i];
  }
  // Rounding can push |r| a hair past 1; scipy clips it back.
  return Math.min(1, Math.max(-1, xy / Math.sqrt(xx * yy)));
}

/**
 * 1-based ranks with ties given the mean of the ranks they span (`scipy.stats.rankdata`,
 * method `average`): `[10, 20, 20, 30]` ranks as `[1, 2.5, 2.5, 4]`. Values must not be NaN.
 */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end += 1;
    // Positions start..end-1 (0-based) hold ranks start+1..end; their mean is (start+1+end)/2.
    const rank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson correlation coefficient (`scipy.stats.pearsonr(...).statistic`); NaN for constant input. */
export function pearson(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkRegressionPairs('pearson', predictions, labels);
  return correlation(predictions, labels);
}

/**
 * Spearman rank correlation (`scipy.stats.spearmanr(...).statistic`): Pearson of the
 * {@link averageRanks}, so ties share their average rank. NaN for constant input.
 */
export function spearman(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkRegressionPairs('spearman', predictions, labels);
  return correlation(averageRanks(predictions), averageRanks(labels));
}

/** Mean of squared differences (`sklearn.metrics.mean_squared_error`, HF `evaluate`'s `mse`). */
export function meanSquaredError(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  checkRegressionPairs('meanSquaredError', predictions, labels);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum += (predictions[i] - labels[i]) ** 2;
  return sum / labels.length;
}
