// Turns tokenized features into one padded batch for the native model: dynamic padding to the
// longest sequence of the batch, rounded up to a multiple of 8 (tensor-core and SIMD friendly),
// or to a fixed length when asked.
import type { NativeBatch } from '../../native';

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
}

export interface CollateOptions {
  padTokenId: number;
  /** Pad every batch to this length (pad_to_max_length); otherwise pad to the batch's longest. */
  fixedLength?: number;
  padToMultipleOf?: number;
  /** float labels (regression / multi-label) instead of class ids */
  floatLabels?: boolean;
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
