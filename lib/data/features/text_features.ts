// Text examples -> model features: tokenized (pairs truncated longest_first to max_seq_length),
// labels encoded to ids / targets. Tokenization runs in batches off the main thread.
import type { BertTokenizer } from '../../tokenization';
import type { TextFeature } from '../loader/collate';
import type { TextExample } from '../examples/text_examples';
import { encodeLabel, type ResolvedLabels } from '../examples/labels';

export interface FeatureOptions {
  maxSeqLength: number;
  /** Label encoding; omit for unlabeled (test) data. */
  labels?: ResolvedLabels;
  /** Examples per encodeBatch call. */
  chunkSize?: number;
}

export async function buildTextFeatures(examples: readonly TextExample[], tokenizer: BertTokenizer, options: FeatureOptions): Promise<TextFeature[]> {
  if (!Number.isInteger(options.maxSeqLength) || options.maxSeqLength < 3) {
    throw new Error(`max_seq_length must be an integer >= 3, got ${options.maxSeqLength}`);
  }
  const features: TextFeature[] = [];
  const chunk = options.chunkSize ?? 4096;
  for (let start = 0; start < examples.length; start += chunk) {
    const part = examples.slice(start, start + chunk);
    const inputs = part.map((e) => (e.textPair !== undefined ? ([e.text, e.textPair] as const) : e.text));
    const encodings = await tokenizer.encodeBatch(inputs, { maxLength: options.maxSeqLength, truncation: 'longest_first' });
    encodings.forEach((enc, i) => {
      const feature: TextFeature = { inputIds: enc.inputIds, tokenTypeIds: enc.tokenTypeIds };
      if (options.labels && part[i].label !== undefined) feature.label = encodeLabel(part[i], options.labels);
      features.push(feature);
    });
  }
  return features;
}
