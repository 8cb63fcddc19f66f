// tokenizer_config.json and special_tokens_map.json: the BERT tokenizer settings transformers
// keeps next to the vocabulary.
import * as fs from 'fs';
import * as path from 'path';

/** transformers' "no limit" model_max_length, int(1e30); exactly representable as a double. */
export const VERY_LARGE_INTEGER = 1e30;

export interface SpecialTokens {
  unk: string;
  sep: string;
  pad: string;
  cls: string;
  mask: string;
}

export interface BertTokenizerSettings {
  doLowerCase: boolean;
  /** null: strip accents exactly when lower-casing (original BERT). */
  stripAccents: boolean | null;
  tokenizeChineseChars: boolean;
  modelMaxLength: number;
  /** Whether decode() also applies transformers' `clean_up_tokenization` to the whole text. */
  cleanUpTokenizationSpaces: boolean;
  specialTokens: SpecialTokens;
}

/** transformers' BertTokenizer defaults (those of transformers 5; 4.x defaulted clean-up to true). */
export const DEFAULT_SETTINGS: Readonly<BertTokenizerSettings> = {
  doLowerCase: true,
  stripAccents: null,
  tokenizeChineseChars: true,
  modelMaxLength: VERY_LARGE_INTEGER,
  cleanUpTokenizationSpaces: false,
  specialTokens: { unk: '[UNK]', sep: '[SEP]', pad: '[PAD]', cls: '[CLS]', mask: '[MASK]' },
};

/** The settings a directory's JSON files state; keys they leave out are absent. */
export interface StatedSettings {
  doLowerCase?: boolean;
  stripAccents?: boolean | null;
  tokenizeChineseChars?: boolean;
  modelMaxLength?: number;
  cleanUpTokenizationSpaces?: boolean;
  specialTokens: Partial<SpecialTokens>;
}

const SPECIAL_KEYS: ReadonlyArray<[keyof SpecialTokens, string]> = [
  ['unk', 'unk_token'],
  ['sep', 'sep_token'],
  ['pad', 'pad_token'],
  ['cls', 'cls_token'],
  ['mask', 'mask_token'],
];

/**
 * Reads `dir/tokenizer_config.json` then `dir/special_tokens_map.json` (which wins for special
 * tokens, as in transformers); either may be missing.
 */
export function readStatedSettings(dir: string): StatedSettings {
  const stated: StatedSettings = { specialTokens: {} };
  const configFile = path.join(dir, 'tokenizer_config.json');
  const config = readJsonObject(configFile);
  if (config) {
    const field = (key: string) => `${configFile}: "${key}"`;
    const bool = (key: string): boolean | undefined => {
      const v = config[key];
      if (v === undefined) return undefined;
      if (typeof v !== 'boolean') throw new Error(`${field(key)} must be true or false, got ${JSON.stringify(v)}`);
      return v;
    };
    stated.doLowerCase = bool('do_lower_case');
    stated.tokenizeChineseChars = bool('tokenize_chinese_chars');
    stated.cleanUpTokenizationSpaces = bool('clean_up_tokenization_spaces');
    const strip = config.strip_accents;
    if (strip !== undefined) {
      if (strip !== null && typeof strip !== 'boolean') {
        throw new Error(`${field('strip_accents')} must be true, false or null (follow do_lower_case), got ${JSON.stringify(strip)}`);
      }
      stated.stripAccents = strip;
    }
    const max = config.model_max_length;
    if (max !== undefined && max !== null) {
      if (typeof max !== 'number' || !Number.isInteger(max) || max <= 0) {
        throw new Error(`${field('model_max_length')} must be a positive integer, got ${JSON.stringify(max)}`);
      }
      stated.modelMaxLength = max;
    }
    Object.assign(stated.specialTokens, specialTokensIn(config, configFile));
  }
  const mapFile = path.join(dir, 'special_tokens_map.json');
  const map = readJsonObject(mapFile);
  if (map) Object.assign(stated.specialTokens, specialTokensIn(map, mapFile));
  return stated;
}

/**
 * Each setting from the first source that has it: the stated files, then `base` (values read from
 * elsewhere, e.g. tokenizer.json's normalizer), then transformers' defaults.
 */
export function resolveSettings(stated: StatedSettings, base: Partial<BertTokenizerSettings> = {}): BertTokenizerSettings {
  const d = DEFAULT_SETTINGS;
  return {
    doLowerCase: first(stated.doLowerCase, base.doLowerCase, d.doLowerCase),
    stripAccents: first(stated.stripAccents, base.stripAccents, d.stripAccents),
    tokenizeChineseChars: first(stated.tokenizeChineseChars, base.tokenizeChineseChars, d.tokenizeChineseChars),
    modelMaxLength: first(stated.modelMaxLength, base.modelMaxLength, d.modelMaxLength),
    cleanUpTokenizationSpaces: first(stated.cleanUpTokenizationSpaces, base.cleanUpTokenizationSpaces, d.cleanUpTokenizationSpaces),
    specialTokens: { ...d.specialTokens, ...base.specialTokens, ...stated.specialTokens },
  };
}

function first<T>(...values: Array<T | undefined>): T {
  return values.find((v) => v !== undefined) as T;
}

/** tokenizer_config.json as transformers' BertTokenizer writes it (keys sorted, as HF does). */
export function tokenizerConfigText(settings: BertTokenizerSettings): string {
  const s = settings.specialTokens;
  const config = {
    clean_up_tokenization_spaces: settings.cleanUpTokenizationSpaces,
    cls_token: s.cls,
    do_basic_tokenize: true,
    do_lower_case: settings.doLowerCase,
    mask_token: s.mask,
    model_max_length: MODEL_MAX_LENGTH_PLACEHOLDER,
    never_split: null,
    pad_token: s.pad,
    sep_token: s.sep,
    strip_accents: settings.stripAccents,
    tokenize_chinese_chars: settings.tokenizeChineseChars,
    tokenizer_class: 'BertTokenizer',
    unk_token: s.unk,
  };
  // JSON.stringify writes 1e30 as "1e+30", which Python reads as a float; transformers expects
  // the integer, and BigInt prints the double's exact integer value (int(1e30) in Python).
  return `${JSON.stringify(config, null, 2)}\n`.replace(`"${MODEL_MAX_LENGTH_PLACEHOLDER}"`, BigInt(settings.modelMaxLength).toString());
}

const MODEL_MAX_LENGTH_PLACEHOLDER = '@@bertrun:model_max_length@@';

/** special_tokens_map.json as transformers writes it. */
export function specialTokensMapText(settings: BertTokenizerSettings): string {
  const s = settings.specialTokens;
  const map = { cls_token: s.cls, mask_token: s.mask, pad_token: s.pad, sep_token: s.sep, unk_token: s.unk };
  return `${JSON.stringify(map, null, 2)}\n`;
}

/** The JSON object in `file`, or null when the file does not exist. */
function readJsonObject(file: string): Record<string, unknown> | null {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`could not read ${file}: ${(err as Error).message}`, { cause: err });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}): repair it, or delete it to use transformers' BertTokenizer defaults`, {
      cause: err,
    });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${file} must hold a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Special token strings, written either as strings or as AddedToken objects `{ "content": ... }`. */
function specialTokensIn(o: Record<string, unknown>, file: string): Partial<SpecialTokens> {
  const out: Partial<SpecialTokens> = {};
  for (const [name, key] of SPECIAL_KEYS) {
    const v = o[key];
    if (v === undefined || v === null) continue;
    if (typeof v === 'string') {
      out[name] = v;
    } else if (typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string') {
      out[name] = (v as { content: string }).content;
    } else {
      throw new Error(`${file}: "${key}" must be a token string, got ${JSON.stringify(v)}`);
    }
  }
  return out;
}
