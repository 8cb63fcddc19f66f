// What the Trainer trains on: an array of features, or a source that builds each feature when a
// batch needs it (masked-LM pretraining: compact token ids, a fresh mask per epoch drawn from
// (seed, epoch, index), so a resumed run sees exactly the batches an uninterrupted one would).
import type { TextFeature } from './collate';

export interface FeatureSource {
  readonly length: number;
  /** Tokens of feature `index` (for length grouping and batch shapes). */
  lengthOf(index: number): number;
  /** Feature `index` as epoch `epoch` trains on it. */
  feature(index: number, epoch: number): TextFeature;
}

export type TrainFeatures = readonly TextFeature[] | FeatureSource;

export function asFeatureSource(features: TrainFeatures): FeatureSource {
  if (!Array.isArray(features)) return features as FeatureSource;
  const list = features as readonly TextFeature[];
  return { length: list.length, lengthOf: (i) => list[i].inputIds.length, feature: (i) => list[i] };
}
