// tokenizer.json (the Hugging Face `tokenizers` serialization): the parts a BERT tokenizer reads,
// checked after parsing so a wrong file fails here with its name instead of deep in native code.
import type { BertTokenizerSettings } from './tokenizer_config';

export interface WordPieceModelJson {
  type: 'WordPiece';
  unk_token: string;
  continuing_subword_prefix: string;
  max_input_chars_per_word: number;
  vocab: Record<string, number>;
}

export interface BertNormalizerJson {
  type: 'BertNormalizer';
  clean_text: boolean;
  handle_chinese_chars: boolean;
  strip_accents: boolean | null;
  lowercase: boolean;
}

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

/** A parsed tokenizer.json; components other than the model are passed to tokenizers as they are. */
export interface TokenizerJson {
  version: string;
  truncation: unknown;
  padding: unknown;
  added_tokens: AddedTokenJson[];
  normalizer: unknown;
  pre_tokenizer: unknown;
  post_processor: unknown;
  decoder: unknown;
  model: WordPieceModelJson;
}

/** Parses and checks tokenizer.json text; `file` names it in errors. */
export function parseTokenizerJson(text: string, file: string): TokenizerJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(
      `${file} is not valid JSON (${(err as Error).message}): the file is damaged or incomplete; download it again, ` +
        'or delete it to build the tokenizer from vocab.txt and tokenizer_config.json',
      { cause: err },
    );
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${file} is not a tokenizer.json: it must hold a JSON object`);
  }
  const json = value as Record<string, unknown>;
  const model = json.model as Record<string, unknown> | undefined;
  if (typeof model !== 'object' || model === null || typeof model.vocab !== 'object' || model.vocab === null) {
    throw new Error(`${file} is not a tokenizer.json: it has no "model" with a "vocab"`);
  }
  if (model.type !== 'WordPiece') {
    throw new Error(
      `${file} holds a ${JSON.stringify(model.type ?? 'untyped')} model; BERT tokenizers use WordPiece. ` +
        'Use the tokenizer files of a BERT model, or delete tokenizer.json to build from vocab.txt',
    );
  }
  if (json.added_tokens !== undefined && !Array.isArray(json.added_tokens)) {
    throw new Error(`${file}: "added_tokens" must be a list`);
  }
  return {
    version: typeof json.version === 'string' ? json.version : '1.0',
    truncation: null,
    padding: null,
    added_tokens: (json.added_tokens as AddedTokenJson[] | undefined) ?? [],
    normalizer: json.normalizer ?? null,
    pre_tokenizer: json.pre_tokenizer ?? null,
    post_processor: json.post_processor ?? null,
    decoder: json.decoder ?? null,
    model: {
      type: 'WordPiece',
      unk_token: typeof model.unk_token === 'string' ? model.unk_token : '[UNK]',
      continuing_subword_prefix: typeof model.continuing_subword_prefix === 'string' ? model.continuing_subword_prefix : '##',
      max_input_chars_per_word: typeof model.max_input_chars_per_word === 'number' ? model.max_input_chars_per_word : 100,
      vocab: model.vocab as Record<string, number>,
    },
  };
}

export function isBertNormalizer(normalizer: unknown): normalizer is BertNormalizerJson {
  return typeof normalizer === 'object' && normalizer !== null && (normalizer as { type?: unknown }).type === 'BertNormalizer';
}

/** The normalizer transformers' BertTokenizer builds from its settings. */
export function bertNormalizerJson(settings: BertTokenizerSettings): BertNormalizerJson {
  return {
    type: 'BertNormalizer',
    clean_text: true,
    handle_chinese_chars: settings.tokenizeChineseChars,
    strip_accents: settings.stripAccents,
    lowercase: settings.doLowerCase,
  };
}

/**
 * The tokenizer.json transformers' BertTokenizer (fast) builds from a vocabulary: BertNormalizer,
 * BertPreTokenizer, WordPiece (`##`, 100 chars per word), `[CLS] $A [SEP]` / `[CLS] $A [SEP] $B:1 [SEP]:1`,
 * and the five special tokens as added tokens, matched anywhere in the raw text.
 * The special tokens must be in the vocabulary (see `missingSpecialTokens`).
 */
export function bertTokenizerJson(vocab: ReadonlyMap<string, number>, settings: BertTokenizerSettings): TokenizerJson {
  const s = settings.specialTokens;
  const idOf = (token: string): number => vocab.get(token) as number;
  const special = [...new Set([s.pad, s.unk, s.cls, s.sep, s.mask])].filter((t) => vocab.has(t));
  const addedTokens: AddedTokenJson[] = special
    .map((content) => ({ id: idOf(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }))
    .sort((a, b) => a.id - b.id);
  // A null-prototype object keeps a token named "__proto__" an ordinary key.
  const vocabObject = Object.create(null) as Record<string, number>;
  for (const [token, id] of vocab) vocabObject[token] = id;
  const specialToken = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    normalizer: bertNormalizerJson(settings),
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [specialToken(s.cls, 0), sequence('A', 0), specialToken(s.sep, 0)],
      pair: [specialToken(s.cls, 0), sequence('A', 0), specialToken(s.sep, 0), sequence('B', 1), specialToken(s.sep, 1)],
      special_tokens: {
        [s.cls]: { id: s.cls, ids: [idOf(s.cls)], tokens: [s.cls] },
        [s.sep]: { id: s.sep, ids: [idOf(s.sep)], tokens: [s.sep] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: s.unk,
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: vocabObject,
    },
  };
}

/** The token → id map of the WordPiece model, in id order. */
export function modelVocab(json: TokenizerJson): Map<string, number> {
  return new Map(Object.entries(json.model.vocab).sort((a, b) => a[1] - b[1]));
}
