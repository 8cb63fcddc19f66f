// Finding and reading the files of a BERT tokenizer: a directory (tokenizer.json, else vocab.txt
// with tokenizer_config.json) or a lone vocab.txt, resolved to one tokenizer.json plus settings.
import * as fs from 'fs';
import * as path from 'path';
import { readVocabFile } from './vocab_file';
import { BertTokenizerSettings, SpecialTokens, StatedSettings, readStatedSettings, resolveSettings } from './tokenizer_config';
import { TokenizerJson, bertNormalizerJson, bertTokenizerJson, isBertNormalizer, modelVocab, parseTokenizerJson } from './tokenizer_json';

export interface TokenizerSource {
  json: TokenizerJson;
  settings: BertTokenizerSettings;
  /** The file the vocabulary came from, for messages. */
  file: string;
}

/** Options of a tokenizer built from vocab.txt; transformers' defaults when left out. */
export interface VocabOptions {
  doLowerCase?: boolean;
  /** null (default): strip accents exactly when lower-casing. */
  stripAccents?: boolean | null;
  tokenizeChineseChars?: boolean;
  /** Longest input the model takes; default: no limit (transformers' int(1e30)). */
  modelMaxLength?: number;
}

/**
 * Reads a tokenizer directory. With tokenizer.json, settings stated in tokenizer_config.json
 * override its BertNormalizer, as transformers' BertTokenizer does; without it, the pipeline is
 * built from vocab.txt and tokenizer_config.json (transformers' defaults where that is missing).
 */
export function readTokenizerDirectory(dir: string): TokenizerSource {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`could not read ${dir}: ${(err as Error).message}`, { cause: err });
    throw new Error(`tokenizer directory ${dir} does not exist: pass a directory holding tokenizer.json or vocab.txt (a Hugging Face model directory)`, {
      cause: err,
    });
  }
  if (!stat.isDirectory()) {
    throw new Error(`${dir} is not a directory: pass the model directory, or use BertTokenizer.fromVocab for a single vocab.txt`);
  }
  const stated = readStatedSettings(dir);
  const jsonFile = path.join(dir, 'tokenizer.json');
  if (fs.existsSync(jsonFile)) return fromTokenizerJson(jsonFile, stated);
  const vocabFile = path.join(dir, 'vocab.txt');
  if (fs.existsSync(vocabFile)) return fromVocabFile(vocabFile, resolveSettings(stated));
  throw new Error(
    `${dir} holds neither tokenizer.json nor vocab.txt: point at a Hugging Face BERT model directory ` +
      '(as written by save_pretrained), or build from a vocabulary with BertTokenizer.fromVocab(vocab.txt)',
  );
}

/** Builds the BERT pipeline from a vocab.txt. */
export function readVocabSource(vocabFile: string, options: VocabOptions = {}): TokenizerSource {
  const stated: StatedSettings = { ...options, specialTokens: {} };
  return fromVocabFile(vocabFile, resolveSettings(stated));
}

function fromVocabFile(vocabFile: string, settings: BertTokenizerSettings): TokenizerSource {
  const vocab = readVocabFile(vocabFile);
  const missing = missingSpecialTokens(vocab, settings.specialTokens);
  if (missing.length > 0) throw missingTokensError(vocabFile, missing);
  return { json: bertTokenizerJson(vocab, settings), settings, file: vocabFile };
}

function fromTokenizerJson(jsonFile: string, stated: StatedSettings): TokenizerSource {
  let text: string;
  try {
    text = fs.readFileSync(jsonFile, 'utf8');
  } catch (err) {
    throw new Error(`could not read ${jsonFile}: ${(err as Error).message}`, { cause: err });
  }
  const json = parseTokenizerJson(text, jsonFile);
  const fromNormalizer: Partial<BertTokenizerSettings> = isBertNormalizer(json.normalizer)
    ? {
        doLowerCase: json.normalizer.lowercase,
        stripAccents: json.normalizer.strip_accents,
        tokenizeChineseChars: json.normalizer.handle_chinese_chars,
      }
    : {};
  const settings = resolveSettings(stated, fromNormalizer);
  if (isBertNormalizer(json.normalizer)) {
    json.normalizer = { ...bertNormalizerJson(settings), clean_text: json.normalizer.clean_text };
  }
  const vocab = modelVocab(json);
  for (const added of json.added_tokens) vocab.set(added.content, added.id);
  const missing = missingSpecialTokens(vocab, settings.specialTokens);
  if (missing.length > 0) throw missingTokensError(jsonFile, missing);
  return { json, settings, file: jsonFile };
}

/** The required special tokens (all but [MASK], which only masked-LM training needs) absent from `vocab`. */
function missingSpecialTokens(vocab: ReadonlyMap<string, number>, tokens: SpecialTokens): string[] {
  return [tokens.unk, tokens.cls, tokens.sep, tokens.pad].filter((t) => !vocab.has(t));
}

function missingTokensError(file: string, missing: readonly string[]): Error {
  return new Error(
    `${file} lacks the special token${missing.length > 1 ? 's' : ''} ${missing.join(', ')}: a BERT vocabulary must contain ` +
      '[UNK], [CLS], [SEP] and [PAD]. Use the vocabulary of a BERT model, or, if this model names them differently, ' +
      'set unk_token / cls_token / sep_token / pad_token in tokenizer_config.json next to it',
  );
}
