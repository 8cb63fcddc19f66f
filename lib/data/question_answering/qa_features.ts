// SQuAD examples into model windows, as run_qa.py prepares them: question + context pairs cut
// `only_second` to max_seq_length, long contexts split into overlapping windows (doc_stride
// tokens of overlap), questions cut to max_query_length tokens; per window the answer's token
// span, or [CLS] (index 0) when the answer is not inside it or there is none.
import type { TextFeature } from '../loader/collate';
import type { BertTokenizer } from '../../tokenization/bert_tokenizer';
import type { Encoding } from '../../tokenization/encoding';
import type { SquadExample } from './squad_reader';

export interface QaFeatureOptions {
  /** Tokens per window, special tokens included (run_qa: 384). */
  maxSeqLength: number;
  /** Context tokens a window shares with the previous one (run_qa: 128). */
  docStride: number;
  /** The question's tokens kept at most (legacy run_squad: 64). */
  maxQueryLength: number;
}

export interface QaFeature extends TextFeature {
  exampleIndex: number;
  /** Per token: [start, end) of its text in the example's context, null outside the context. */
  offsets: Array<[number, number] | null>;
  /**
   * Per token: whether this window gives the token its most context (it is farthest from this
   * window's edges, of all windows holding it). A span may only start at such a token, so an
   * answer seen in several windows is scored where it has the most surrounding text.
   */
  tokenIsMaxContext: boolean[];
  /** Training targets: token indices of the answer's first and last token, 0 and 0 for none. */
  startPosition?: number;
  endPosition?: number;
}

const BATCH = 256;

/** Windows of every example, in example order; with `targets`, each carries its answer span. */
export async function buildQaFeatures(
  examples: readonly SquadExample[],
  tokenizer: BertTokenizer,
  options: QaFeatureOptions,
  targets: boolean,
): Promise<QaFeature[]> {
  const { maxSeqLength, docStride, maxQueryLength } = options;
  if (docStride >= maxSeqLength - maxQueryLength - 3) {
    throw new Error(
      `doc_stride (${docStride}) must be smaller than max_seq_length - max_query_length - 3 (${maxSeqLength - maxQueryLength - 3}): ` +
        'windows could not advance. Fix: lower --doc_stride or --max_query_length, or raise --max_seq_length',
    );
  }
  const features: QaFeature[] = [];
  for (let from = 0; from < examples.length; from += BATCH) {
    const part = examples.slice(from, from + BATCH);
    // run_qa strips the question's leading white space: some SQuAD questions start with lots of it.
    const pairs = part.map((e): [string, string] => [e.question.trimStart(), e.context]);
    let encodings: Encoding[];
    try {
      encodings = await tokenizer.encodeBatch(pairs, {
        maxLength: maxSeqLength,
        truncation: 'only_second',
        stride: docStride,
        returnOverflowing: true,
        returnOffsets: true,
        maxFirstLength: maxQueryLength,
      });
    } catch (err) {
      throw new Error(`tokenizing SQuAD examples ${from}..${from + part.length - 1}: ${(err as Error).message}`, { cause: err });
    }
    encodings.forEach((main, i) => {
      const windows = [main, ...(main.overflowing ?? [])];
      const maxContext = maxContextFlags(windows, docStride);
      windows.forEach((window, w) => {
        const feature: QaFeature = {
          inputIds: window.inputIds,
          tokenTypeIds: window.tokenTypeIds,
          exampleIndex: from + i,
          offsets: window.offsets!.map((o, t) => (window.sequenceIds![t] === 1 ? o : null)),
          tokenIsMaxContext: maxContext[w],
        };
        if (targets) Object.assign(feature, answerSpan(part[i], feature.offsets));
        features.push(feature);
      });
    });
  }
  return features;
}

/** The answer's [start, end] token indices in a window, or [CLS] (0, 0) when it is not fully inside. */
function answerSpan(example: SquadExample, offsets: ReadonlyArray<[number, number] | null>): { startPosition: number; endPosition: number } {
  const none = { startPosition: 0, endPosition: 0 };
  if (example.isImpossible || example.answers.text.length === 0) return none;
  const startChar = example.answers.answerStart[0];
  const endChar = startChar + example.answers.text[0].length;
  const first = offsets.findIndex((o) => o !== null);
  let last = offsets.length - 1;
  while (last >= 0 && offsets[last] === null) last--;
  if (first < 0 || offsets[first]![0] > startChar || offsets[last]![1] < endChar) return none;
  // run_qa walks these loops over the whole window and can step onto the final [SEP] when the
  // answer starts at the window's last context token; bounded by the context, they cannot.
  let start = first;
  while (start <= last && offsets[start]![0] <= startChar) start++;
  let end = last;
  while (end >= first && offsets[end]![1] >= endChar) end--;
  return { startPosition: start - 1, endPosition: end + 1 };
}

/**
 * The max-context rule of the original BERT SQuAD code: a context token seen by several windows
 * belongs to the one where min(tokens left of it, tokens right of it) + 0.01 * window length is
 * largest (the first such window on a tie).
 */
function maxContextFlags(windows: readonly Encoding[], stride: number): boolean[][] {
  // Context tokens of window w are the whole context's tokens [spans[w].start, + length).
  const spans: Array<{ first: number; start: number; length: number }> = [];
  let start = 0;
  for (const window of windows) {
    const first = window.sequenceIds!.indexOf(1);
    const length = first < 0 ? 0 : window.sequenceIds!.lastIndexOf(1) - first + 1;
    spans.push({ first, start, length });
    start += length - stride; // windows advance by (context budget - stride): see tokenization/windows.ts
  }
  return windows.map((window, w) =>
    window.inputIds.map((_, t) => {
      const { first, start: from, length } = spans[w];
      if (first < 0 || t < first || t >= first + length) return false;
      const position = from + (t - first);
      let best = -1;
      let bestScore = -Infinity;
      spans.forEach((span, v) => {
        if (position < span.start || position >= span.start + span.length) return;
        const score = Math.min(position - span.start, span.start + span.length - 1 - position) + 0.01 * span.length;
        if (score > bestScore) {
          bestScore = score;
          best = v;
        }
      });
      return best === w;
    }),
  );
}
