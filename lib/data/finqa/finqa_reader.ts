// Streams the entries of a FinQA JSON file (`.gz` too) one at a time: memory is bounded by the
// largest entry, not by the file (FinQA's train.json loaded whole is what runs notebooks out of memory).
import { DataError } from '../readers/data_error';
import { JsonArrayParser, type JsonElementText } from '../readers/json_array_parser';
import { JsonScanError } from '../readers/streaming_json_scanner';
import { readTextChunks } from '../readers/text_chunks';
import { parseFinqaEntry, type FinqaEntry, type FinqaParseOptions } from './finqa_entry';

/** An entry with its 0-based position in the file's array and the line of its opening `{`. */
export type FinqaRecord = FinqaEntry & { index: number; line: number };

const JSON_FIX = 'Fix the JSON: a FinQA file is one array of entries, [{"id": ..., "qa": {...}}, ...]';

/**
 * The entries of a FinQA file, in file order, each checked by {@link parseFinqaEntry}. Throws a
 * DataError: INVALID_JSON (with the line) for broken JSON, MALFORMED_ROW for an entry with a
 * missing or mistyped field, EMPTY_DATASET at the end when the file held no entry.
 */
export async function* finqaEntries(file: string, options: FinqaParseOptions = {}): AsyncGenerator<FinqaRecord, void, undefined> {
  const parser = new JsonArrayParser();
  let index = 0;
  for await (const chunk of readTextChunks(file)) {
    for (const element of scan(file, () => parser.push(chunk))) {
      const entry = parseFinqaEntry(parseElement(file, element, index), { file, index, line: element.line }, options);
      yield Object.assign(entry, { index, line: element.line });
      index++;
    }
  }
  scan(file, () => parser.end());
  if (index === 0) {
    throw new DataError(
      'EMPTY_DATASET',
      file,
      undefined,
      'no FinQA entries found (the file is empty or holds an empty array)',
      'Point to a FinQA JSON file such as dataset/train.json',
    );
  }
}

function scan<T>(file: string, step: () => T): T {
  try {
    return step();
  } catch (err) {
    if (err instanceof JsonScanError) throw new DataError('INVALID_JSON', file, err.line, err.message, JSON_FIX);
    throw err;
  }
}

function parseElement(file: string, { text, line }: JsonElementText, index: number): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    // The scanner checks brackets and strings only; what it let through (a trailing comma, a bare word) is located here.
    const message = (err as Error).message;
    const pos = /at position (\d+)/.exec(message);
    const errorLine = pos ? line + newlinesBefore(text, Number(pos[1])) : line;
    throw new DataError('INVALID_JSON', file, errorLine, `entry ${index} (from line ${line}): invalid JSON: ${message}`, JSON_FIX);
  }
}

function newlinesBefore(text: string, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
