import { formatFromExtension } from '../readers/record_format';
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
  return formatFromExtension(file, BY_EXTENSION, explicit);
}

/**
 * Reads a token-classification file: CoNLL (one word per line: `.conll`, `.txt`, `.tsv`, `.bio`,
 * `.iob`, ...) or JSON Lines / JSON records (`.jsonl`, `.json`). See {@link readConllSentences}
 * and {@link readJsonSentences} for the layouts and the checks.
 */
export async function readTaggedSentences(file: string, options: TaggedSentenceOptions = {}): Promise<TaggedSentence[]> {
  const format = taggedSentenceFormat(file, options.format);
  if (format === 'conll') return readConllSentences(file, { labelColumn: options.labelColumn, maxLineLength: options.maxLineLength });
  return readJsonSentences(file, { ...options, format });
}
