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

const enum State {
  StartField,
  InField,
  InQuoted,
  QuoteInQuoted,
}

/**
 * Assembles records from lines. With `quoting` it follows RFC 4180 the way Python's `csv` module
 * (default dialect, strict=False) reads it: a field that starts with `"` is quoted, `""` inside it
 * is one quote, newlines inside it belong to the field (CRLF kept as is); a quote elsewhere is a
 * literal character. Without `quoting` every line is one record split on the delimiter, which is
 * what GLUE's TSVs need (QQP and MNLI contain unbalanced quotes).
 */
export class DelimitedParser {
  private state = State.StartField;
  private fields: string[] = [];
  private field = '';
  private recordLine = 0;
  private quoteLine = 0;
  private readonly delimiterCode: number;

  constructor(
    private readonly delimiter: string,
    private readonly quoting: boolean,
  ) {
    if (delimiter.length !== 1) throw new Error(`delimiter must be one character, got ${JSON.stringify(delimiter)}`);
    this.delimiterCode = delimiter.charCodeAt(0);
  }

  /**
   * Feeds one line (`terminator` is `'\n'`, `'\r\n'` or `''` at the end of the input); returns the
   * record it completes, or undefined (blank line, or the record continues on the next line).
   */
  pushLine(text: string, terminator: string, line: number): DelimitedRecord | undefined {
    const inRecord = this.state === State.InQuoted;
    if (!inRecord) {
      if (isBlank(text, this.delimiter)) return undefined;
      if (!this.quoting || text.indexOf('"') === -1) {
        return { fields: text.split(this.delimiter), line, endLine: line };
      }
      this.recordLine = line;
      this.fields = [];
      this.field = '';
      this.state = State.StartField;
    }

    const QUOTE = 34;
    const delim = this.delimiterCode;
    let state = this.state;
    let field = this.field;
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
            this.fields.push(field);
            field = '';
            state = State.StartField;
            runStart = i + 1;
          } else {
            state = State.InField;
            runStart = i;
          }
          break;
      }
    }

    if (state === State.InQuoted) {
      this.field = field + text.slice(runStart) + terminator;
      this.state = state;
      return undefined;
    }
    if (state === State.InField) field += text.slice(runStart);
    this.fields.push(field);
    const record = { fields: this.fields, line: this.recordLine, endLine: line };
    this.fields = [];
    this.field = '';
    this.state = State.StartField;
    return record;
  }

  /** Ends the input; returns where an unterminated quoted field began, if the input ended inside one. */
  end(): OpenQuote | undefined {
    if (this.state !== State.InQuoted) return undefined;
    return { recordLine: this.recordLine, quoteLine: this.quoteLine };
  }
}

function isBlank(text: string, delimiter: string): boolean {
  return text.length === 0 || (text.trim().length === 0 && text.indexOf(delimiter) === -1);
}
