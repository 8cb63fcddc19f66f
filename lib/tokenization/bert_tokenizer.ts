import * as fs from 'fs';
import * as path from 'path';
import type { Encoding as NativeEncoding, Tokenizer } from 'tokenizers';
import { writeFileAtomicAsync } from '../io/atomic_write';
import { cleanUpTokenization } from './clean_up_tokenization';
import { encodeInput } from './encode_input';
import { EncodeOptions, planEncode } from './encode_options';
import type { Encoding, SpecialTokenIds } from './encoding';
import { checkBertTemplate, createNativeTokenizer } from './native_tokenizer';
import { BertTokenizerSettings, specialTokensMapText, tokenizerConfigText } from './tokenizer_config';
import { TokenizerSource, VocabOptions, readTokenizerDirectory, readVocabSource } from './tokenizer_files';
import { TokenizerJson, modelVocab } from './tokenizer_json';
import { firstTokens, tokenizedText } from './tokenized_text';
import { vocabFileText } from './vocab_file';
import type { HubOptions } from '../hub/hub_settings';
import { resolveModelDir } from '../hub/resolve_model';

/** A text, or the two texts of a pair (e.g. question and context). */
export type TokenizerInput = string | readonly [string, string];

/**
 * BERT's WordPiece tokenizer, run by Hugging Face's `tokenizers` (the Rust library behind
 * transformers' fast tokenizers), giving what `transformers.BertTokenizerFast` gives: ids, token
 * types, offsets, truncation and overflowing windows.
 *
 * Tokenizing runs on worker threads (the binding's thread pool); truncation and the `[CLS]`/`[SEP]`
 * layout, linear in the number of tokens, run on the calling thread. Results are not padded:
 * `padTokenId` is for the data loader, which pads each batch to its own longest input.
 */
export class BertTokenizer {
  /** Number of ids, added tokens included (HF `len(tokenizer)`). */
  readonly vocabSize: number;
  readonly padTokenId: number;
  readonly clsTokenId: number;
  readonly sepTokenId: number;
  readonly unkTokenId: number;
  /** null when the vocabulary has no mask token. */
  readonly maskTokenId: number | null;
  /** Longest input the model takes (`model_max_length`); 1e30 means no limit, as in transformers. */
  readonly modelMaxLength: number;
  readonly doLowerCase: boolean;
  /** null: accents are stripped exactly when lower-casing. */
  readonly stripAccents: boolean | null;
  readonly tokenizeChineseChars: boolean;

  private readonly specials: SpecialTokenIds;

  private constructor(
    private readonly native: Tokenizer,
    private readonly json: TokenizerJson,
    private readonly settings: BertTokenizerSettings,
  ) {
    const id = (token: string): number | null => native.tokenToId(token);
    const s = settings.specialTokens;
    this.vocabSize = native.getVocabSize(true);
    this.padTokenId = id(s.pad) as number;
    this.clsTokenId = id(s.cls) as number;
    this.sepTokenId = id(s.sep) as number;
    this.unkTokenId = id(s.unk) as number;
    this.maskTokenId = id(s.mask);
    this.modelMaxLength = settings.modelMaxLength;
    this.doLowerCase = settings.doLowerCase;
    this.stripAccents = settings.stripAccents;
    this.tokenizeChineseChars = settings.tokenizeChineseChars;
    this.specials = { cls: this.clsTokenId, sep: this.sepTokenId };
  }

  /**
   * Loads a Hugging Face tokenizer directory: `tokenizer.json` when present (settings stated in
   * `tokenizer_config.json` override its normalizer, as in transformers), otherwise `vocab.txt`
   * with `tokenizer_config.json` / `special_tokens_map.json` (transformers' defaults for what they
   * leave out, e.g. lower-casing).
   */
  static async fromDirectory(dir: string): Promise<BertTokenizer> {
    return BertTokenizer.create(readTokenizerDirectory(dir));
  }

  /** Like fromDirectory, for a local directory or a Hugging Face model name (the shared hub cache, else downloaded). */
  static async fromPretrained(nameOrDir: string, options: HubOptions = {}): Promise<BertTokenizer> {
    return BertTokenizer.fromDirectory(await resolveModelDir(nameOrDir, options, 'tokenizer'));
  }

  /** Builds the BERT pipeline from a `vocab.txt` (uncased by default, like transformers). */
  static async fromVocab(vocabFile: string, options: VocabOptions = {}): Promise<BertTokenizer> {
    const max = options.modelMaxLength;
    if (max !== undefined && (!Number.isInteger(max) || max <= 0)) {
      throw new Error(`modelMaxLength must be a positive integer, got ${max}`);
    }
    return BertTokenizer.create(readVocabSource(vocabFile, options));
  }

  private static async create(source: TokenizerSource): Promise<BertTokenizer> {
    const tokenizer = new BertTokenizer(createNativeTokenizer(source.json, source.file), source.json, source.settings);
    await checkBertTemplate(tokenizer.native, tokenizer.specials, source.file);
    return tokenizer;
  }

  /**
   * Encodes one text, or the pair `text`, `pair`. An empty `pair` counts as none, as in
   * transformers' `tokenizer(text, '')` (whose batch call, like encodeBatch, keeps `[text, '']` a pair).
   */
  async encode(text: string, pair?: string | null, options: EncodeOptions = {}): Promise<Encoding> {
    const input: TokenizerInput = pair === undefined || pair === null || pair === '' ? text : [text, pair];
    const [encoding] = await this.encodeBatch([input], options);
    return encoding;
  }

  /** Encodes many inputs (texts and pairs may be mixed); the texts are tokenized in parallel off the main thread. */
  async encodeBatch(inputs: ReadonlyArray<TokenizerInput>, options: EncodeOptions = {}): Promise<Encoding[]> {
    const texts = inputs.map((input, i): readonly string[] => {
      if (typeof input === 'string') return [input];
      if (Array.isArray(input) && input.length === 2 && typeof input[0] === 'string' && typeof input[1] === 'string') return input;
      throw new Error(`input ${i} must be a string or a [string, string] pair, got ${describe(input)}`);
    });
    const plan = planEncode(options, { single: texts.some((t) => t.length === 1), pair: texts.some((t) => t.length === 2) }, this.modelMaxLength);
    if (inputs.length === 0) return [];
    const flat = texts.flat();
    let natives: NativeEncoding[];
    try {
      natives = await this.native.encodeBatch(flat, { addSpecialTokens: false });
    } catch (err) {
      throw new Error(`tokenization failed: ${(err as Error).message}`, { cause: err });
    }
    let next = 0;
    return texts.map((group, i) => {
      const tokenized = group.map((text) => tokenizedText(natives[next++], text, plan.returnOffsets));
      if (group.length === 2 && options.maxFirstLength !== undefined) tokenized[0] = firstTokens(tokenized[0], options.maxFirstLength);
      try {
        return encodeInput(tokenized, plan, this.specials);
      } catch (err) {
        throw new Error(inputs.length > 1 ? `input ${i}: ${(err as Error).message}` : (err as Error).message, { cause: err });
      }
    });
  }

  /**
   * Text of `ids` as transformers' decode gives it: WordPiece pieces joined, then, when the
   * tokenizer's `clean_up_tokenization_spaces` is set, spaces before punctuation and contractions
   * removed. `skipSpecialTokens` also drops `[UNK]`. Ids outside the vocabulary are skipped.
   */
  async decode(ids: readonly number[], skipSpecialTokens = false): Promise<string> {
    ids.forEach((id, i) => {
      if (!Number.isInteger(id) || id < 0 || id > 0xffffffff) throw new Error(`decode: id ${i} is ${id}, not a token id`);
    });
    const text = await this.native.decode([...ids], skipSpecialTokens);
    return this.settings.cleanUpTokenizationSpaces ? cleanUpTokenization(text) : text;
  }

  /** The token of `id`, or null when the vocabulary has no such id. */
  idToToken(id: number): string | null {
    return this.native.idToToken(id);
  }

  /** The id of `token`, or null when it is not in the vocabulary. */
  tokenToId(token: string): number | null {
    return this.native.tokenToId(token);
  }

  /**
   * Writes `tokenizer.json`, `vocab.txt`, `tokenizer_config.json` and `special_tokens_map.json`
   * into `dir` (created if needed), each atomically, in the layout transformers reads
   * (`AutoTokenizer.from_pretrained(dir)` loads it and gives the same ids).
   */
  async save(dir: string): Promise<void> {
    await fs.promises.mkdir(dir, { recursive: true });
    const json = this.json;
    const files: Array<[string, string]> = [
      ['vocab.txt', vocabFileText(modelVocab(json), 'this tokenizer')],
      ['tokenizer.json', `${JSON.stringify(json, null, 2)}\n`],
      ['tokenizer_config.json', tokenizerConfigText(this.settings)],
      ['special_tokens_map.json', specialTokensMapText(this.settings)],
    ];
    for (const [name, text] of files) await writeFileAtomicAsync(path.join(dir, name), Buffer.from(text, 'utf8'));
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  return value === null ? 'null' : typeof value;
}
