// Tagged sentences -> token-classification features: words tokenized as run_ner.py does
// (is_split_into_words, truncated to max_seq_length) and labels aligned to the tokens.
import type { BertTokenizer } from '../../tokenization';
import { alignLabels } from './label_alignment';
import type { SentenceSource } from './tagged_sentence';
import { tagIds, type LabeledWords, type TokenLabels } from './token_labels';
import { encodeWords, type WordEncoding } from './word_alignment';

/** A sentence to encode; `tags` and `source` are needed for training and evaluation data. */
export interface WordSequence {
  tokens: readonly string[];
  tags?: readonly string[];
  source?: SentenceSource;
}

/** One sentence's model input. */
export interface TokenFeature extends WordEncoding {
  /** Per token: the label id, or -100 where the loss ignores it; absent for unlabeled data. */
  labels?: number[];
  /** Number of words in the sentence. */
  wordCount: number;
}

export interface TokenFeatureOptions {
  /** Tokens per sentence, special tokens included (run_ner.py's --max_seq_length). */
  maxSeqLength: number;
  /** The label list; omit for unlabeled data (prediction). */
  labels?: TokenLabels;
  /** Give every token of a word a label, not only its first (run_ner.py's --label_all_tokens). Default false. */
  labelAllTokens?: boolean;
  /** Sentences per tokenizer call. */
  chunkSize?: number;
}

/**
 * Encodes sentences for token classification, one feature per sentence. Words past
 * `maxSeqLength` are dropped, as in run_ner.py; each feature lists them (`truncatedWords`), and
 * the words that produce no token (`emptyWords`), so predictions can say which words the model did
 * not see. Throws a {@link DataError} naming file and line for a tag that is not a known label.
 */
export async function buildTokenFeatures(sentences: readonly WordSequence[], tokenizer: BertTokenizer, options: TokenFeatureOptions): Promise<TokenFeature[]> {
  const { labels } = options;
  const chunk = options.chunkSize ?? 4096;
  const features: TokenFeature[] = [];
  for (let start = 0; start < sentences.length; start += chunk) {
    const part = sentences.slice(start, start + chunk);
    const encodings = await encodeWords(
      tokenizer,
      part.map((s) => s.tokens),
      { maxLength: options.maxSeqLength },
    );
    encodings.forEach((encoding, i) => {
      const sentence = part[i];
      const feature: TokenFeature = { ...encoding, wordCount: sentence.tokens.length };
      if (labels !== undefined) {
        const name = `sentence ${start + i}`;
        const ids = tagIds(labeled(sentence, name), labels, name);
        feature.labels = alignLabels(encoding.wordIds, ids, { labelAllTokens: options.labelAllTokens, bToI: labels.bToI });
      }
      features.push(feature);
    });
  }
  return features;
}

function labeled(sentence: WordSequence, name: string): LabeledWords {
  const { tags, tokens, source } = sentence;
  if (tags === undefined || tags.length !== tokens.length) {
    const where = source ? `${source.file}:${source.line}` : name;
    throw new Error(
      `${where}: ${tags === undefined ? 'has no tags' : `has ${tokens.length} words but ${tags.length} tags`}; labeled features need one tag per word`,
    );
  }
  return { tokens, tags, source };
}
