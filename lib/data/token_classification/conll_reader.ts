// CoNLL-style token-classification files: one word per line, whitespace-separated columns (word
// first), a blank line between sentences, `-DOCSTART-` lines between documents.
import { DataError } from '../readers/data_error';
import { LineSplitter } from '../readers/line_splitter';
import { readTextChunks } from '../readers/text_chunks';
import type { TaggedSentence } from './tagged_sentence';

export interface ConllOptions {
  /**
   * 0-based column that holds the label; negative counts from the end as in Python (-1, the
   * default, is the last column). Column 0 is the word and cannot be the label.
   */
  labelColumn?: number;
  /** Longest line accepted, in characters (default 4 MiB; see `line_length_limit`). */
  maxLineLength?: number;
}

const SEPARATORS = /[ \t]+/;
const DOCSTART = '-DOCSTART-';

/**
 * Reads every sentence of a CoNLL-style file (streamed; `.gz` is decompressed). Lines that hold
 * only spaces and tabs end a sentence, as does a `-DOCSTART-` line, which is skipped (as in Hugging
 * Face's conll2003 loader). When the label is counted from the end, every word line must have as
 * many columns as the first one, so that one malformed line cannot silently read another column.
 * Throws a {@link DataError} naming file and line for a malformed line, and for a file without
 * sentences.
 */
export async function readConllSentences(file: string, options: ConllOptions = {}): Promise<TaggedSentence[]> {
  const labelColumn = options.labelColumn ?? -1;
  if (!Number.isInteger(labelColumn) || labelColumn === 0) {
    throw new Error(`labelColumn must be a non-zero integer (column 0 holds the word; -1 is the last column), got ${labelColumn}`);
  }
  const sentences: TaggedSentence[] = [];
  let tokens: string[] = [];
  let tags: string[] = [];
  let startLine = 0;
  let first: { count: number; line: number } | undefined;

  const close = (): void => {
    if (tokens.length > 0) sentences.push({ tokens, tags, source: { file, line: startLine, tokenPerLine: true } });
    tokens = [];
    tags = [];
  };
  const onLine = (text: string, _terminator: string, line: number): void => {
    const trimmed = text.replace(/^[ \t]+|[ \t]+$/g, '');
    if (trimmed.length === 0) return close();
    const fields = trimmed.split(SEPARATORS);
    if (fields[0] === DOCSTART) return close();
    const index = labelColumn < 0 ? fields.length + labelColumn : labelColumn;
    if (index < 1 || index >= fields.length) throw tooFewColumnsError(file, line, fields.length, labelColumn);
    if (labelColumn < 0) {
      if (first === undefined) first = { count: fields.length, line };
      else if (fields.length !== first.count) throw columnCountError(file, line, fields.length, first);
    }
    if (tokens.length === 0) startLine = line;
    tokens.push(detach(fields[0]));
    tags.push(detach(fields[index]));
  };

  const splitter = new LineSplitter({ file, ...(options.maxLineLength !== undefined ? { maxLineLength: options.maxLineLength } : {}) });
  for await (const chunk of readTextChunks(file)) splitter.push(chunk, onLine);
  splitter.end(onLine);
  close();
  if (sentences.length === 0) {
    throw new DataError(
      'EMPTY_DATASET',
      file,
      undefined,
      'the file has no sentences (it is empty, or holds only blank lines and -DOCSTART- lines)',
      'Check that the path points to the intended file: a CoNLL file has one word and its label per line and a blank line between sentences',
    );
  }
  return sentences;
}

function tooFewColumnsError(file: string, line: number, count: number, labelColumn: number): DataError {
  const needed = labelColumn < 0 ? 1 - labelColumn : labelColumn + 1;
  const where = labelColumn === -1 ? 'the last column' : labelColumn < 0 ? `column ${labelColumn} (counted from the end)` : `column ${labelColumn}`;
  const found = count === 1 ? 'found 1 (a word without a label)' : `found ${count}`;
  return new DataError(
    'MALFORMED_ROW',
    file,
    line,
    `expected at least ${needed} space- or tab-separated columns (the word in column 0, the label in ${where}) but ${found}`,
    count === 1
      ? 'Write the label after the word, separated by a space or tab, or remove the line'
      : `Fix this line, or choose the column that holds the label (labelColumn, 0-based; negative counts from the end)`,
  );
}

function columnCountError(file: string, line: number, count: number, first: { count: number; line: number }): DataError {
  return new DataError(
    'MALFORMED_ROW',
    file,
    line,
    `found ${count} space- or tab-separated columns but the first word line (line ${first.line}) has ${first.count}; ` +
      'the label is read counting from the end of the line, so every word line needs the same columns',
    'Fix this line (a word may contain a space, or a column may be missing), or choose the label column by its 0-based index (labelColumn)',
  );
}

/** A copy of `s` that does not keep alive the 1 MiB chunk of the file it was sliced from. */
function detach(s: string): string {
  return (' ' + s).slice(1);
}
