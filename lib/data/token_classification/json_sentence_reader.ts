// JSON Lines (or a JSON array) of token-classification records: {"tokens": [...], "ner_tags": [...]},
// the layout of Hugging Face datasets and of run_ner.py's --train_file.
import { DataError } from '../readers/data_error';
import { readRecordBatches, type SourceRecord } from '../readers/read_records';
import { detectRecordFormat } from '../readers/record_format';
import type { TaggedSentence } from './tagged_sentence';

export interface JsonSentenceOptions {
  /** `'jsonl'` or `'json'` (one array of objects); default from the extension. */
  format?: 'json' | 'jsonl';
  /** JSON Lines: longest line accepted, in characters (default 4 MiB). */
  maxLineLength?: number;
  /** Key of the words. Default, as run_ner.py: `tokens` when the first record has it, else its first key. */
  tokensColumn?: string;
  /**
   * Key of the tags. Default: `<taskName>_tags` (`ner_tags`) when the first record has it, else
   * `tags`, else, as run_ner.py, its second key.
   */
  tagsColumn?: string;
  /** run_ner.py's --task_name, which names the default tags key. Default `ner`. */
  taskName?: string;
  /**
   * Label names in id order, to read tags written as integer ids (Hugging Face ClassLabel
   * datasets exported to JSON). Without it integer tags are an error.
   */
  labelNames?: readonly string[];
}

const TOKENS_OPTION = 'tokensColumn (--text_column_name)';
const TAGS_OPTION = 'tagsColumn (--label_column_name)';

/**
 * Reads every record of a JSON Lines / JSON file as a sentence. Tags may be label names or
 * integer ids into `labelNames`. Throws a {@link DataError} naming file and line for a missing
 * column, a value that is not a list of strings (words) or of names/ids (tags), as many tags as
 * words not being given, an unknown id, a record without words, and for a file without records.
 */
export async function readJsonSentences(file: string, options: JsonSentenceOptions = {}): Promise<TaggedSentence[]> {
  const sentences: TaggedSentence[] = [];
  const format = options.format ?? detectRecordFormat(file);
  if (format !== 'json' && format !== 'jsonl') {
    throw new DataError(
      'UNKNOWN_FORMAT',
      file,
      undefined,
      `expected a .json or .jsonl file of {"tokens": [...], "ner_tags": [...]} records, not ${format}`,
      'Convert the file to JSON Lines, or read a one-word-per-line file as CoNLL',
    );
  }
  let columns: { tokens: string; tags: string } | undefined;
  for await (const batch of readRecordBatches(file, { format, ...(options.maxLineLength !== undefined ? { maxLineLength: options.maxLineLength } : {}) })) {
    for (const record of batch) {
      const values = record.values as Record<string, unknown>;
      columns ??= chooseColumns(record, values, options);
      const tokens = readTokens(record, values, columns.tokens);
      const tags = readTags(record, values, columns.tags, options.labelNames);
      if (tags.length !== tokens.length) {
        throw new DataError(
          'MALFORMED_ROW',
          record.file,
          record.line,
          `${JSON.stringify(columns.tokens)} has ${tokens.length} words but ${JSON.stringify(columns.tags)} has ${tags.length} tags`,
          'Give every word exactly one tag',
        );
      }
      sentences.push({ tokens, tags, source: { file: record.file, line: record.line, tokenPerLine: false } });
    }
  }
  if (sentences.length === 0) {
    throw new DataError(
      'EMPTY_DATASET',
      file,
      undefined,
      'the file has no records (it is empty, holds only blank lines, or is an empty JSON array)',
      'Check that the path points to the intended file: one {"tokens": [...], "ner_tags": [...]} object per line',
    );
  }
  return sentences;
}

function chooseColumns(record: SourceRecord, values: Record<string, unknown>, options: JsonSentenceOptions): { tokens: string; tags: string } {
  const keys = Object.keys(values);
  const has = (key: string): boolean => Object.prototype.hasOwnProperty.call(values, key);
  const tokens = options.tokensColumn ?? (has('tokens') ? 'tokens' : keys[0]);
  const byTask = `${options.taskName ?? 'ner'}_tags`;
  const tags = options.tagsColumn ?? (has(byTask) ? byTask : has('tags') ? 'tags' : keys[1]);
  if (tokens === undefined || tags === undefined || tokens === tags) {
    throw new DataError(
      'MISSING_COLUMN',
      record.file,
      record.line,
      `cannot tell which keys hold the words and the tags; the keys are: ${keys.map((k) => JSON.stringify(k)).join(', ') || '(none)'}`,
      `Name them with ${TOKENS_OPTION} and ${TAGS_OPTION}`,
    );
  }
  return { tokens, tags };
}

function readList(record: SourceRecord, values: Record<string, unknown>, key: string, option: string, what: string): unknown[] {
  if (!Object.prototype.hasOwnProperty.call(values, key)) {
    throw new DataError(
      'MISSING_COLUMN',
      record.file,
      record.line,
      `key ${JSON.stringify(key)} not found; the keys are: ${
        Object.keys(values)
          .map((k) => JSON.stringify(k))
          .join(', ') || '(none)'
      }`,
      `Give every record the key, or pass the key that holds the ${what} as ${option}`,
    );
  }
  const value = values[key];
  if (!Array.isArray(value)) {
    throw new DataError(
      'MALFORMED_ROW',
      record.file,
      record.line,
      `${JSON.stringify(key)} holds ${describe(value)}, not a list of ${what}`,
      `Write the ${what} as a JSON list, or pass the key that holds them as ${option}`,
    );
  }
  return value;
}

function readTokens(record: SourceRecord, values: Record<string, unknown>, key: string): string[] {
  const list = readList(record, values, key, TOKENS_OPTION, 'words');
  if (list.length === 0) {
    throw new DataError(
      'EMPTY_TEXT',
      record.file,
      record.line,
      `${JSON.stringify(key)} is an empty list: the sentence has no words`,
      'Remove this record or give it words',
    );
  }
  list.forEach((word, i) => {
    if (typeof word !== 'string') {
      throw new DataError(
        'MALFORMED_ROW',
        record.file,
        record.line,
        `word ${i} in ${JSON.stringify(key)} is ${describe(word)}, not a string`,
        'Write every word as a JSON string',
      );
    }
  });
  return list as string[];
}

function readTags(record: SourceRecord, values: Record<string, unknown>, key: string, labelNames: readonly string[] | undefined): string[] {
  return readList(record, values, key, TAGS_OPTION, 'tags').map((tag, i): string => {
    if (typeof tag === 'string' && tag.length > 0) return tag;
    if (typeof tag === 'number' && Number.isInteger(tag)) {
      if (labelNames === undefined) {
        throw new DataError(
          'UNKNOWN_LABEL',
          record.file,
          record.line,
          `tag ${i} in ${JSON.stringify(key)} is the integer ${tag}, a label id, but no label list says which label it stands for`,
          'Pass the label names in id order (--label_names), or write the tags as label names',
        );
      }
      if (tag < 0 || tag >= labelNames.length) {
        throw new DataError(
          'UNKNOWN_LABEL',
          record.file,
          record.line,
          `tag ${i} in ${JSON.stringify(key)} is the id ${tag}, but there are ${labelNames.length} labels (ids 0 to ${labelNames.length - 1})`,
          'Fix the tag, or pass the complete label list in id order (--label_names)',
        );
      }
      return labelNames[tag];
    }
    throw new DataError(
      'MALFORMED_ROW',
      record.file,
      record.line,
      `tag ${i} in ${JSON.stringify(key)} is ${describe(tag)}; a tag must be a label name or an integer label id`,
      'Fix the tag in this record',
    );
  });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value.length === 0 ? 'an empty string' : `the string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return `a ${typeof value}`;
}
