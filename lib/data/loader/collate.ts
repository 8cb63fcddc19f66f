// Turns tokenized features into one padded batch for the native model: dynamic padding to the
// longest sequence of the batch, rounded up to a multiple of 8 (tensor-core and SIMD friendly),
// or to a fixed length when asked.
import type { NativeBatch } from '../../native';
import { isTokenHead, type HeadConfig } from '../../config/head_config';

export interface TextFeature {
  inputIds: number[];
  tokenTypeIds: number[];
  /** class id, regression target, or multi-hot vector */
  label?: number | number[];
  /** Token classification: a label id per token, -100 where the loss ignores the token. */
  tokenLabels?: number[];
  /** Question answering: the answer's first and last token (0 and 0: no answer here). */
  startPosition?: number;
  endPosition?: number;
  /**
   * Multi-head models: a target per head name: class id (-100: none) for classification, a
   * multi-hot vector for multi-label, a number or vector for regression, an id per token for
   * token-classification. A head missing from a feature gets no loss from it (-100 / not sent).
   */
  headLabels?: Record<string, number | number[]>;
}

export interface CollateOptions {
  padTokenId: number;
  /** Pad every batch to this length (pad_to_max_length); otherwise pad to the batch's longest. */
  fixedLength?: number;
  padToMultipleOf?: number;
  /** float labels (regression / multi-label) instead of class ids */
  floatLabels?: boolean;
  /** A multi-head model's heads: features' headLabels become batch.headLabels. */
  heads?: ReadonlyArray<Pick<HeadConfig, 'name' | 'type' | 'num_labels'>>;
}

export function paddedLength(longest: number, options: CollateOptions): number {
  if (options.fixedLength !== undefined) return options.fixedLength;
  const multiple = options.padToMultipleOf ?? 8;
  return Math.ceil(longest / multiple) * multiple;
}

export function collate(features: readonly TextFeature[], options: CollateOptions): NativeBatch {
  if (features.length === 0) throw new Error('cannot build a batch from zero examples');
  const longest = Math.max(...features.map((f) => f.inputIds.length));
  const seq = paddedLength(longest, options);
  if (longest > seq) throw new Error(`a feature has ${longest} tokens but batches are padded to ${seq}; truncate to max_seq_length`);
  const rows = features.length;
  const inputIds = new Int32Array(rows * seq).fill(options.padTokenId);
  const tokenTypeIds = new Int32Array(rows * seq);
  const attentionMask = new Int32Array(rows * seq);
  features.forEach((f, r) => {
    inputIds.set(f.inputIds, r * seq);
    tokenTypeIds.set(f.tokenTypeIds, r * seq);
    attentionMask.fill(1, r * seq, r * seq + f.inputIds.length);
  });
  const batch: NativeBatch = { shape: [rows, seq], inputIds, tokenTypeIds, attentionMask };
  if (options.heads) {
    const headLabels = collateHeadLabels(features, options.heads, seq);
    if (headLabels) batch.headLabels = headLabels;
    return batch;
  }
  const tokenLabeled = features.filter((f) => f.tokenLabels !== undefined).length;
  const positioned = features.filter((f) => f.startPosition !== undefined && f.endPosition !== undefined).length;
  if (tokenLabeled === rows) {
    // Padding gets -100 like HF's DataCollatorForTokenClassification: the loss ignores it.
    const labels = new Int32Array(rows * seq).fill(-100);
    features.forEach((f, r) => {
      if (f.tokenLabels!.length !== f.inputIds.length)
        throw new Error(`feature ${r} has ${f.tokenLabels!.length} token labels for ${f.inputIds.length} tokens`);
      labels.set(f.tokenLabels!, r * seq);
    });
    batch.labels = labels;
    batch.labelShape = [rows, seq];
    return batch;
  }
  if (positioned === rows) {
    batch.startPositions = Int32Array.from(features, (f) => f.startPosition!);
    batch.endPositions = Int32Array.from(features, (f) => f.endPosition!);
    return batch;
  }
  if (tokenLabeled > 0 || positioned > 0) throw new Error('a batch mixes labeled and unlabeled examples');
  const labeled = features.filter((f) => f.label !== undefined);
  if (labeled.length === rows) {
    if (options.floatLabels) {
      const width = Array.isArray(features[0].label) ? (features[0].label as number[]).length : 1;
      batch.labels = Float32Array.from(features.flatMap((f) => (Array.isArray(f.label) ? f.label : [f.label as number])));
      batch.labelShape = width === 1 && !Array.isArray(features[0].label) ? [rows] : [rows, width];
    } else {
      if (features.some((f) => Array.isArray(f.label))) throw new Error('multi-hot labels need floatLabels (multi-label classification)');
      batch.labels = Int32Array.from(features.map((f) => f.label as number));
    }
  } else if (labeled.length > 0) {
    throw new Error('a batch mixes labeled and unlabeled examples');
  }
  return batch;
}

/** Each head's targets as one array; undefined when no feature carries any (inference). */
function collateHeadLabels(features: readonly TextFeature[], heads: NonNullable<CollateOptions['heads']>, seq: number): NativeBatch['headLabels'] | undefined {
  const rows = features.length;
  const labelled = features.filter((f) => f.headLabels !== undefined).length;
  if (labelled === 0) return undefined;
  if (labelled !== rows) throw new Error('a batch mixes labeled and unlabeled examples');
  const known = new Set(heads.map((h) => h.name));
  for (const f of features) {
    for (const name of Object.keys(f.headLabels!)) {
      if (!known.has(name)) throw new Error(`unexpected label field "${name}": the model's heads are ${[...known].join(', ')}`);
    }
  }
  const out: NonNullable<NativeBatch['headLabels']> = {};
  for (const head of heads) {
    const values = features.map((f) => f.headLabels![head.name]);
    if (values.every((v) => v === undefined)) continue;
    if (isTokenHead(head)) {
      const data = new Int32Array(rows * seq).fill(-100);
      values.forEach((v, r) => {
        if (v === undefined) return;
        if (!Array.isArray(v) || v.length !== features[r].inputIds.length)
          throw new Error(`feature ${r}: head "${head.name}" needs one label per token (${features[r].inputIds.length}), got ${JSON.stringify(v)}`);
        data.set(v, r * seq);
      });
      out[head.name] = { data, shape: [rows, seq] };
    } else if (head.type === 'classification') {
      out[head.name] = { data: Int32Array.from(values, (v) => (v === undefined ? -100 : (v as number))), shape: [rows] };
    } else {
      // multi-label and regression: every row needs its target (a float has no "ignore" value).
      const width = head.type === 'regression' && head.num_labels === 1 ? 1 : head.num_labels;
      const data = new Float32Array(rows * width);
      values.forEach((v, r) => {
        const row = Array.isArray(v) ? v : v === undefined ? undefined : [v];
        if (row === undefined || row.length !== width)
          throw new Error(`feature ${r}: head "${head.name}" needs ${width} target value(s), got ${JSON.stringify(v)}`);
        data.set(row, r * width);
      });
      out[head.name] = { data, shape: width === 1 && head.type === 'regression' ? [rows] : [rows, width] };
    }
  }
  return out;
}
