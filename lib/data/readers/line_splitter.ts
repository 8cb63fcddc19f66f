import { DataError } from './data_error';
import { describeLineLength, resolveMaxLineLength } from './line_length_limit';

/** Receives one physical line: its text without terminator, the terminator, and its 1-based number. */
export type LineHandler = (text: string, terminator: string, line: number) => void;

/** Options of {@link LineSplitter}. */
export interface LineSplitterOptions {
  /** The file being split, named in errors. */
  file?: string;
  /** Longest line accepted, in characters without the terminator (default 4 MiB, see `line_length_limit`). */
  maxLineLength?: number;
}

/**
 * Splits streamed text into lines. Only `\n` ends a line (`\r\n` is one terminator, reported as
 * such; `''` for a last line without newline); a lone `\r` stays in the text, unlike Node's
 * readline, so line numbers match what editors and `wc -l` show.
 *
 * A line longer than `maxLineLength` is a `LINE_TOO_LONG` {@link DataError}, thrown as soon as the
 * unfinished line outgrows the limit: the splitter never holds more than the limit plus one chunk.
 */
export class LineSplitter {
  private pending = '';
  private nextLine = 1;
  private readonly file: string;
  private readonly maxLineLength: number;

  constructor(options: LineSplitterOptions = {}) {
    this.file = options.file ?? '(input)';
    this.maxLineLength = resolveMaxLineLength(options.maxLineLength);
  }

  /** Characters held for a line whose end has not been read yet (never more than the limit, plus a trailing `\r`). */
  get pendingLength(): number {
    return this.pending.length;
  }

  /** Feeds a chunk; calls `onLine` for each line it completes. Throws a {@link DataError} for a line over the limit. */
  push(chunk: string, onLine: LineHandler): void {
    const pendingLength = this.pending.length;
    const text = pendingLength > 0 ? this.pending + chunk : chunk;
    const max = this.maxLineLength;
    let start = 0;
    // The pending text holds no newline, so the search starts after it.
    for (let nl = text.indexOf('\n', pendingLength); nl !== -1; nl = text.indexOf('\n', start)) {
      const cr = nl > start && text.charCodeAt(nl - 1) === 13;
      const end = cr ? nl - 1 : nl;
      if (end - start > max) throw this.tooLong(text.slice(start, end), false);
      const line = this.nextLine++;
      onLine(text.slice(start, end), cr ? '\r\n' : '\n', line);
      start = nl + 1;
    }
    let rest = text.length - start;
    // A `\r` at the end of the chunk may be the first half of a `\r\n` terminator.
    if (rest > 0 && text.charCodeAt(text.length - 1) === 13) rest--;
    if (rest > max) {
      this.pending = '';
      throw this.tooLong(text.slice(start, start + rest), true);
    }
    this.pending = text.slice(start);
  }

  /** Ends the input; calls `onLine` for a last line that did not end with a newline. */
  end(onLine: LineHandler): void {
    if (this.pending.length === 0) return;
    const text = this.pending;
    this.pending = '';
    onLine(text, '', this.nextLine++);
  }

  private tooLong(seen: string, unfinished: boolean): DataError {
    const limit = describeLineLength(this.maxLineLength);
    const hints: string[] = [];
    if (seen.indexOf('\r') !== -1)
      hints.push('the line holds "\\r" characters: if the file ends its lines with "\\r" alone (old Mac style), convert them to "\\n"');
    return new DataError(
      'LINE_TOO_LONG',
      this.file,
      this.nextLine,
      `line is longer than ${limit}, the line length limit (${unfinished ? `stopped reading after ${seen.length} characters of it` : `it has ${seen.length}`})`,
      `Fix: raise --max_line_length (maxLineLength) if the line is meant to be this long, or split the record${hints.length > 0 ? `; ${hints.join('; ')}` : ''}`,
    );
  }
}
