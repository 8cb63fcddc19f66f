import * as path from 'path';
import { DataError } from '../readers/data_error';
import { readConllSentences, type ConllOptions } from './conll_reader';
import { readJsonSentences, type JsonSentenceOptions } from './json_sentence_reader';
import type { TaggedSentence } from './tagged_sentence';

/** Layouts of token-classification files. */
export type TaggedSentenceFormat = 'conll' | 'json' | 'jsonl';

export interface TaggedSentenceOptions extends ConllOptions, Omit<JsonSentenceOptions, 'format'> {
  /** Default from the extension (a trailing `.gz` is looked through). */
  format?: TaggedSentenceFormat;
}

const BY_EXTENSION: Readonly<Record<string, TaggedSentenceFormat>> = {
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.conll': 'conll',
  '.conll03': 'conll',
  '.txt': 'conll',
  '.tsv': 'conll',
  '.tab': 'conll',
  '.bio': 'conll',
  '.iob': 'conll',
  '.iob2': 'conll',
};

/** The layout of `file`: `explicit` when given, else from its extension; a {@link DataError} when neither says. */
export function taggedSentenceFormat(file: string, explicit?: TaggedSentenceFormat): TaggedSentenceFormat {
  if (explicit !== undefined) {
    if (explicit !== 'conll' && explicit !== 'json' && explicit !== 'jsonl') {
      throw new DataError('UNKNOWN_FORMAT', file, undefined, `unknown format ${JSON.stringify(explicit)}`, 'Use one of: conll, json, jsonl');
    }
    return explicit;
  }
  let name = path.basename(file).toLowerCase();
  if (name.endsWith('.gz')) name = name.slice(0, -3);
  const format = BY_EXTENSION[path.extname(name)];
  if (format === undefined) {
    throw new DataError(
      'UNKNOWN_FORMAT',
      file,
      undefined,
      `cannot tell the format from the extension ${JSON.stringify(path.extname(name))}`,
      `Rename the file (${Object.keys(BY_EXTENSION).join(', ')}) or pass the format explicitly (format: "conll" | "json" | "jsonl")`,
    );
  }
  return format;
}

/**
 * Reads a token-classification file: CoNLL (one word per line: `.conll`, `.txt`, `.tsv`, `.bio`,
 * `.iob`, ...) or JSON Lines / JSON records (`.jsonl`, `.json`). See {@link readConllSentences}
 * and {@link readJsonSentences} for the layouts and the checks.
 */
export async function readTaggedSentences(file: string, options: TaggedSentenceOptions = {}): Promise<TaggedSentence[]> {
  const format = taggedSentenceFormat(file, options.format);
  if (format === 'conll') return readConllSentences(file, { labelColumn: options.labelColumn });
  return readJsonSentences(file, { ...options, format });
}
