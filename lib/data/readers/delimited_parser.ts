import { DataError } from './data_error';
import { describeLineLength, resolveMaxLineLength } from './line_length_limit';
import { TextPieces } from './text_pieces';

/** One record of a TSV/CSV file. */
export interface DelimitedRecord {
  fields: string[];
  /** Line where the record starts. */
  line: number;
  /** Line where it ends (differs from `line` only when a quoted field holds newlines). */
  endLine: number;
}

/** Where an unterminated quoted field began, reported by {@link DelimitedParser.end}. */
export interface OpenQuote {
  recordLine: number;
  quoteLine: number;
}

/** Options of {@link DelimitedParser}. */
export interface DelimitedParserOptions {
  /** The file being parsed, named in errors. */
  file: string;
  /** One character: `'\t'` or `','`. */
  delimiter: string;
  /** Whether a field may be double-quoted (RFC 4180); without, quotes are ordinary characters. */
  quoting: boolean;
  /**
   * Longest record a quoted field may stretch over several lines, in characters (default 4 MiB,
   * see `line_length_limit`); single lines are capped by the line splitter.
   */
  maxRecordLength?: number;
}

const enum State {
  StartField,
  InField,
  InQuoted,
  QuoteInQuoted,
}

/**
 * Assembles records from lines. With `quoting` it follows RFC 4180 the way Python's
 * `csv.reader(f, strict=True)` reads it: a field that starts with `"` is quoted, `""` inside it is
 * one quote, newlines inside it belong to the field (CRLF kept as is); a quote elsewhere is a
 * literal character. Strict means that anything but the delimiter or the end of the line after
 * the closing quote of a field is a `MALFORMED_QUOTE` {@link DataError} (Python: `',' expected
 * after '"'`) instead of being glued to the field: it is how an unbalanced quote shows, after it
 * has swallowed the following lines. A quoted field that keeps a record open over more than
 * `maxRecordLength` characters is a `LINE_TOO_LONG` error. Without `quoting` every line is one
 * record split on the delimiter, which is what GLUE's TSVs need (QQP and MNLI contain unbalanced
 * quotes).
 */
export class DelimitedParser {
  private state = State.StartField;
  private fields: string[] = [];
  /** The quoted field left open by the previous lines (read once, when it closes). */
  private readonly openField = new TextPieces();
  private recordLine = 0;
  private quoteLine = 0;
  /** Characters of the lines (with terminators) the open record has taken so far. */
  private recordLength = 0;
  private readonly file: string;
  private readonly delimiter: string;
  private readonly quoting: boolean;
  private readonly delimiterCode: number;
  private readonly maxRecordLength: number;

  constructor(options: DelimitedParserOptions) {
    const { delimiter } = options;
    if (delimiter.length !== 1) throw new Error(`delimiter must be one character, got ${JSON.stringify(delimiter)}`);
    this.file = options.file;
    this.delimiter = delimiter;
    this.quoting = options.quoting;
    this.delimiterCode = delimiter.charCodeAt(0);
    this.maxRecordLength = resolveMaxLineLength(options.maxRecordLength);
  }

  /**
   * Feeds one line (`terminator` is `'\n'`, `'\r\n'` or `''` at the end of the input); returns the
   * record it completes, or undefined (blank line, or the record continues on the next line).
   * Throws a {@link DataError} (`MALFORMED_QUOTE`, `LINE_TOO_LONG`).
   */
  pushLine(text: string, terminator: string, line: number): DelimitedRecord | undefined {
    const inRecord = this.state === State.InQuoted;
    if (!inRecord) {
      if (isBlank(text, this.delimiter)) return undefined;
      if (!this.quoting || text.indexOf('"') === -1) {
        return { fields: text.split(this.delimiter), line, endLine: line };
      }
      this.recordLine = line;
      this.recordLength = 0;
      this.fields = [];
      this.state = State.StartField;
    } else if (this.recordLength + text.length > this.maxRecordLength) {
      throw this.recordTooLong(line);
    }

    const QUOTE = 34;
    const delim = this.delimiterCode;
    let state = this.state;
    let field = '';
    // Whether this line continues a quoted field that is still open.
    let continuing = inRecord;
    let runStart = 0;
    // Characters are copied in runs rather than one at a time; a run ends at each quote/delimiter.
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      switch (state) {
        case State.StartField:
          if (c === QUOTE) {
            state = State.InQuoted;
            this.quoteLine = line;
            runStart = i + 1;
          } else if (c === delim) {
            this.fields.push('');
            runStart = i + 1;
          } else {
            state = State.InField;
            runStart = i;
          }
          break;
        case State.InField:
          if (c === delim) {
            this.fields.push(field + text.slice(runStart, i));
            field = '';
            state = State.StartField;
            runStart = i + 1;
          }
          break;
        case State.InQuoted:
          if (c === QUOTE) {
            field += text.slice(runStart, i);
            state = State.QuoteInQuoted;
          }
          break;
        case State.QuoteInQuoted:
          if (c === QUOTE) {
            field += '"';
            state = State.InQuoted;
            runStart = i + 1;
          } else if (c === delim) {
            this.fields.push(continuing ? this.openField.take(field) : field);
            continuing = false;
            field = '';
            state = State.StartField;
            runStart = i + 1;
          } else {
            // The parser is not used again after an error; its state is left as it is.
            throw this.textAfterClosingQuote(text, i, line);
          }
          break;
      }
    }

    if (state === State.InQuoted) {
      this.openField.add(field);
      this.openField.add(text.slice(runStart));
      this.openField.add(terminator);
      this.recordLength += text.length + terminator.length;
      this.state = state;
      return undefined;
    }
    if (state === State.InField) field += text.slice(runStart);
    this.fields.push(continuing ? this.openField.take(field) : field);
    const record = { fields: this.fields, line: this.recordLine, endLine: line };
    this.fields = [];
    this.state = State.StartField;
    return record;
  }

  /** Ends the input; returns where an unterminated quoted field began, if the input ended inside one. */
  end(): OpenQuote | undefined {
    if (this.state !== State.InQuoted) return undefined;
    return { recordLine: this.recordLine, quoteLine: this.quoteLine };
  }

  private textAfterClosingQuote(text: string, i: number, line: number): DataError {
    const found = JSON.stringify(String.fromCodePoint(text.codePointAt(i) ?? 0));
    const sep = this.delimiter === '\t' ? 'a tab' : JSON.stringify(this.delimiter);
    const opened = this.quoteLine;
    const merged =
      opened !== line
        ? `; that quoted field opened at line ${opened}, so an unbalanced quote there probably merged lines ${opened}..${line} into one record`
        : '';
    const fixes = [
      opened !== line
        ? `close the quote opened at line ${opened} where its field ends, or write it as ""`
        : 'write a quote inside a quoted field as "" (for example "say ""hi"""), or quote the whole field',
    ];
    if (this.delimiter === '\t') fixes.push('or read the file with quoting "none"');
    return new DataError(
      'MALFORMED_QUOTE',
      this.file,
      line,
      `${sep} or the end of the line must follow the closing quote of a quoted field, found ${found} (column ${i + 1})${merged}`,
      `Fix: ${fixes.join(', ')}`,
    );
  }

  private recordTooLong(line: number): DataError {
    const limit = describeLineLength(this.maxRecordLength);
    return new DataError(
      'LINE_TOO_LONG',
      this.file,
      this.recordLine,
      `the record that starts here is longer than ${limit}, the line length limit, by line ${line}: ` +
        `the quoted field opened at line ${this.quoteLine} is still open (an unbalanced quote takes in every following line up to the next quote)`,
      'Fix: close the quote (write a quote inside a quoted field as ""), or raise --max_line_length (maxLineLength) if the record is meant to be this long, or split the record',
    );
  }
}

function isBlank(text: string, delimiter: string): boolean {
  return text.length === 0 || (text.trim().length === 0 && text.indexOf(delimiter) === -1);
}
