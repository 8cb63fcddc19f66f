// Masked-LM features from a stream of texts, as run_mlm.py builds them: `--line_by_line` (each
// text its own `[CLS] ... [SEP]`, truncated) or group_texts (every text with its special tokens,
// concatenated and cut into blocks of exactly max_seq_length). The token ids of the whole corpus
// are kept in one compact typed array; the texts are tokenized a batch at a time and dropped.
import type { BertTokenizer } from '../../tokenization/bert_tokenizer';

/** What feature building needs of a tokenizer. */
export type MlmTokenizer = Pick<BertTokenizer, 'vocabSize' | 'clsTokenId' | 'sepTokenId' | 'padTokenId' | 'maskTokenId' | 'encodeBatch' | 'idToToken'>;

export interface MlmFeatureOptions {
  /** Tokens per feature: the block length (group_texts), or the truncation length (line by line). */
  maxSeqLength: number;
  /** run_mlm.py `--line_by_line`: one feature per non-blank text instead of grouped blocks. */
  lineByLine: boolean;
  /**
   * group_texts: how many consecutive texts are concatenated before cutting, each group dropping
   * its own remainder. Default 1000, as run_mlm.py (its `datasets.map(batched=True)` batches);
   * `Infinity`: the whole corpus is one concatenation, so only one remainder is dropped.
   */
  textsPerGroup?: number;
  /** Texts per tokenizer call (default 1000). */
  tokenizeBatchSize?: number;
}

/** One feature, ready for masking; inputs are unpadded and `tokenTypeIds` all 0. */
export interface MlmFeature {
  inputIds: number[];
  tokenTypeIds: number[];
  /** 1 where the token is `[CLS]`, `[SEP]`, `[PAD]` or `[MASK]` (never masked), else 0. */
  specialTokensMask: number[];
  /** 1 where the token starts a word, 0 for a WordPiece continuation (`##...`). */
  wordStarts: number[];
}

const SPECIAL = 1;
const CONTINUATION = 2;

/** The features of a corpus: all token ids in one typed array, with each feature's start. */
export class MlmFeatureSet {
  /** @param flags - per vocabulary id, bit 1: special token, bit 2: `##` continuation piece */
  constructor(
    private readonly ids: Uint16Array | Uint32Array,
    private readonly offsets: Float64Array,
    private readonly flags: Uint8Array,
  ) {}

  /** Number of features. */
  get size(): number {
    return this.offsets.length - 1;
  }

  /** Tokens in all features together. */
  get tokenCount(): number {
    return this.ids.length;
  }

  lengthOf(k: number): number {
    return this.offsets[k + 1] - this.offsets[k];
  }

  /** Every feature's length (for batch ordering by length). */
  lengths(): number[] {
    return Array.from({ length: this.size }, (_, k) => this.lengthOf(k));
  }

  /** Feature `k` (0-based), materialized as plain arrays. */
  feature(k: number): MlmFeature {
    if (!Number.isInteger(k) || k < 0 || k >= this.size) throw new RangeError(`feature index ${k} is outside 0..${this.size - 1}`);
    const inputIds = Array.from(this.ids.subarray(this.offsets[k], this.offsets[k + 1]));
    const flagOf = (id: number): number => this.flags[id] ?? 0;
    return {
      inputIds,
      tokenTypeIds: new Array<number>(inputIds.length).fill(0),
      specialTokensMask: inputIds.map((id) => (flagOf(id) & SPECIAL ? 1 : 0)),
      wordStarts: inputIds.map((id) => (flagOf(id) & CONTINUATION ? 0 : 1)),
    };
  }
}

/**
 * Per vocabulary id: whether it is a special token that masking must skip (`[CLS]`, `[SEP]`,
 * `[PAD]`, `[MASK]`) and whether it continues a word (`##` prefix, as DataCollatorForWholeWordMask reads it).
 */
export function tokenFlags(tokenizer: MlmTokenizer): Uint8Array {
  const flags = new Uint8Array(tokenizer.vocabSize);
  for (let id = 0; id < flags.length; id++) {
    if (tokenizer.idToToken(id)?.startsWith('##')) flags[id] = CONTINUATION;
  }
  for (const id of [tokenizer.clsTokenId, tokenizer.sepTokenId, tokenizer.padTokenId, tokenizer.maskTokenId]) {
    if (id !== null && id >= 0 && id < flags.length) flags[id] = SPECIAL;
  }
  return flags;
}

/**
 * Tokenizes `texts` (batches, e.g. from `readCorpusTexts`) into masked-LM features. Line by line:
 * blank texts are skipped and each other text becomes `[CLS] tokens [SEP]`, truncated to
 * `maxSeqLength` (the `[SEP]` kept). Otherwise run_mlm.py's group_texts: each text is tokenized
 * with its `[CLS]`/`[SEP]`, the texts of a group are concatenated in order and cut into blocks of
 * exactly `maxSeqLength` tokens, the group's remainder dropped.
 */
export async function buildMlmFeatures(texts: AsyncIterable<readonly string[]>, tokenizer: MlmTokenizer, options: MlmFeatureOptions): Promise<MlmFeatureSet> {
  const { maxSeqLength, lineByLine } = options;
  const textsPerGroup = options.textsPerGroup ?? 1000;
  const tokenizeBatchSize = options.tokenizeBatchSize ?? 1000;
  const least = lineByLine ? 2 : 1;
  if (!Number.isInteger(maxSeqLength) || maxSeqLength < least) {
    throw new Error(`maxSeqLength must be an integer >= ${least}${lineByLine ? ' (room for [CLS] and [SEP])' : ''}, got ${maxSeqLength}`);
  }
  if (!(textsPerGroup === Infinity || (Number.isInteger(textsPerGroup) && textsPerGroup >= 1))) {
    throw new Error(`textsPerGroup must be a positive integer or Infinity, got ${textsPerGroup}`);
  }
  if (!Number.isInteger(tokenizeBatchSize) || tokenizeBatchSize < 1) throw new Error(`tokenizeBatchSize must be a positive integer, got ${tokenizeBatchSize}`);

  const ids = new IdStore(tokenizer.vocabSize);
  const offsets = new OffsetStore();
  // group_texts: the block being filled, and how many texts of the current group have been read.
  const block = new Array<number>(maxSeqLength);
  let filled = 0;
  let textsInGroup = 0;

  const addText = (tokens: readonly number[]): void => {
    if (lineByLine) {
      ids.append(tokens);
      offsets.push(ids.length);
      return;
    }
    for (const id of tokens) {
      block[filled++] = id;
      if (filled === maxSeqLength) {
        ids.append(block);
        offsets.push(ids.length);
        filled = 0;
      }
    }
    if (++textsInGroup === textsPerGroup) {
      filled = 0;
      textsInGroup = 0;
    }
  };

  for await (const batch of texts) {
    const kept = lineByLine ? batch.filter((t) => t.trim().length > 0) : batch;
    for (let i = 0; i < kept.length; i += tokenizeBatchSize) {
      const slice = kept.slice(i, i + tokenizeBatchSize);
      const encodings = await tokenizer.encodeBatch(slice, lineByLine ? { maxLength: maxSeqLength, truncation: true } : {});
      for (const encoding of encodings) addText(encoding.inputIds);
    }
  }
  return new MlmFeatureSet(ids.finish(), offsets.finish(), tokenFlags(tokenizer));
}

/** Token ids, 2 bytes each when the vocabulary allows (BERT's 30522 ids do), else 4. */
class IdStore {
  private data: Uint16Array | Uint32Array;
  length = 0;

  constructor(vocabSize: number) {
    this.data = vocabSize <= 0x10000 ? new Uint16Array(1 << 16) : new Uint32Array(1 << 16);
  }

  append(tokens: readonly number[]): void {
    const needed = this.length + tokens.length;
    if (needed > this.data.length) {
      let size = this.data.length * 2;
      while (size < needed) size *= 2;
      const bigger = this.data instanceof Uint16Array ? new Uint16Array(size) : new Uint32Array(size);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data.set(tokens, this.length);
    this.length = needed;
  }

  finish(): Uint16Array | Uint32Array {
    return this.data.slice(0, this.length);
  }
}

/** Feature start offsets into the id store (starting with 0). */
class OffsetStore {
  private data = new Float64Array(1024);
  private length = 1;

  push(offset: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = offset;
  }

  finish(): Float64Array {
    return this.data.slice(0, this.length);
  }
}
