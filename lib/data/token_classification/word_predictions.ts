// Per-token logits of a token-classification model -> labels per word, and the sequences that
// run_ner.py hands to seqeval.
import { IGNORED_LABEL } from './label_alignment';

/** What a prediction needs of a feature: its token-to-word map and its size. */
export interface PredictedFeature {
  inputIds: readonly number[];
  wordIds: ReadonlyArray<number | null>;
  wordCount: number;
}

/**
 * Row `row` of a batch's logits, [batch, seq, numLabels] row-major, as a view of
 * [seq, numLabels] (no copy for typed arrays).
 */
export function logitsOfRow(batchLogits: Float32Array | Float64Array, shape: readonly number[], row: number): Float32Array | Float64Array {
  if (shape.length !== 3) throw new Error(`token-classification logits have shape [batch, seq, numLabels], got [${shape.join(', ')}]`);
  const [rows, seq, numLabels] = shape;
  if (batchLogits.length !== rows * seq * numLabels)
    throw new Error(`logits hold ${batchLogits.length} values, but shape [${shape.join(', ')}] needs ${rows * seq * numLabels}`);
  if (!Number.isInteger(row) || row < 0 || row >= rows) throw new Error(`row ${row} is outside the batch of ${rows}`);
  const size = seq * numLabels;
  return batchLogits.subarray(row * size, (row + 1) * size);
}

/**
 * The best label id of each of the first `tokens` rows of `logits` ([seq, numLabels] row-major;
 * rows past `tokens`, padding, are ignored). Ties go to the lower id and NaN wins, as numpy's argmax.
 */
export function argmaxPerToken(logits: ArrayLike<number>, tokens: number, numLabels: number): number[] {
  if (!Number.isInteger(numLabels) || numLabels < 1) throw new Error(`numLabels must be a positive integer, got ${numLabels}`);
  if (logits.length % numLabels !== 0) throw new Error(`logits hold ${logits.length} values, not a whole number of rows of ${numLabels} labels`);
  if (logits.length / numLabels < tokens) throw new Error(`logits have ${logits.length / numLabels} rows but the feature has ${tokens} tokens`);
  const best: number[] = [];
  for (let t = 0; t < tokens; t++) {
    const base = t * numLabels;
    let arg = 0;
    let max = logits[base];
    for (let k = 1; k < numLabels && !Number.isNaN(max); k++) {
      const v = logits[base + k];
      if (v > max || Number.isNaN(v)) {
        max = v;
        arg = k;
      }
    }
    best.push(arg);
  }
  return best;
}

/**
 * The predicted label of every word: that of its first token. null for words the model did not
 * see: those cut off at max_seq_length and those that give no token (see `truncatedWords` and
 * `emptyWords` of the feature).
 */
export function predictWordLabels(feature: PredictedFeature, logits: ArrayLike<number>, labelList: readonly string[]): Array<string | null> {
  const best = argmaxPerToken(logits, feature.inputIds.length, labelList.length);
  const words = new Array<string | null>(feature.wordCount).fill(null);
  let previous: number | null = null;
  feature.wordIds.forEach((word, t) => {
    if (word !== null && word !== previous) {
      if (word >= feature.wordCount) throw new Error(`token ${t} belongs to word ${word}, but the feature has ${feature.wordCount} words`);
      words[word] = labelList[best[t]];
    }
    previous = word;
  });
  return words;
}

/**
 * Gold and predicted word labels paired for seqeval. Words without a prediction (null) are left
 * out of both by default, which is what run_ner.py scores (it reads only tokens whose label is not
 * -100); with `fill` they are predicted as `fill` (e.g. `'O'`), so entities cut off by truncation
 * count as missed.
 */
export function wordSequencesForSeqeval(
  gold: readonly string[],
  predicted: ReadonlyArray<string | null>,
  fill?: string,
): { references: string[]; predictions: string[] } {
  if (gold.length !== predicted.length) throw new Error(`${gold.length} gold labels but ${predicted.length} predictions`);
  const references: string[] = [];
  const predictions: string[] = [];
  predicted.forEach((p, i) => {
    if (p === null && fill === undefined) return;
    references.push(gold[i]);
    predictions.push(p ?? (fill as string));
  });
  return { references, predictions };
}

/**
 * run_ner.py's `compute_metrics` input for one feature: the label names of the predicted and of
 * the gold label at every token whose gold label is not -100 (first tokens of words, or every
 * token of a word with labelAllTokens).
 */
export function tokenSequencesForSeqeval(
  feature: { inputIds: readonly number[]; labels?: readonly number[] },
  logits: ArrayLike<number>,
  labelList: readonly string[],
): { references: string[]; predictions: string[] } {
  const gold = feature.labels;
  if (gold === undefined) throw new Error('the feature has no labels to compare with');
  const best = argmaxPerToken(logits, feature.inputIds.length, labelList.length);
  const references: string[] = [];
  const predictions: string[] = [];
  gold.forEach((label, t) => {
    if (label === IGNORED_LABEL) return;
    references.push(labelList[label]);
    predictions.push(labelList[best[t]]);
  });
  return { references, predictions };
}
