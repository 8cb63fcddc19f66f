// Incremental JSON scanner: fed chunks of text, it counts lines, reads strings (escapes included)
// and scalars that may span chunks, and hands values the grammar asks for back as raw text once
// their brackets balance, so memory is bounded by the largest such value, never by the file. What
// the document must look like (a top-level array of records, SQuAD's nesting) is the grammar's job.

/** A structural error found while scanning; `line` is 1-based and the caller adds the file name. */
export class JsonScanError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * How the scanner reads what starts at a character the grammar was shown:
 * - `'punctuation'`: the grammar took the character itself (`[`, `,`, `:`, a closing bracket...);
 * - `'string'`: a string starts at this `"`; its decoded value goes to {@link JsonGrammar.string};
 * - `'scalar'`: a number, `true`, `false` or `null` starts here; it ends at whitespace, `,`, `}` or
 *   `]`, and its text goes to {@link JsonGrammar.scalar};
 * - `'captured'`: an object or array starts at this `{` or `[`; its raw text, once its brackets
 *   balance, goes to {@link JsonGrammar.captured}.
 */
export type JsonTokenStart = 'punctuation' | 'string' | 'scalar' | 'captured';

/** The document structure a {@link StreamingJsonScanner} reports to. It throws {@link JsonScanError} for what it refuses. */
export interface JsonGrammar {
  /** A character between tokens that is not whitespace: `chunk[at]`, on `line`. */
  tokenStart(code: number, chunk: string, at: number, line: number): JsonTokenStart;
  /** The decoded value of a string that `'string'` started; `line` is the line of its closing quote. */
  string?(value: string, line: number): void;
  /** The text of a scalar that `'scalar'` started, already checked to be valid JSON. */
  scalar?(text: string, line: number): void;
  /** The raw JSON text of a value that `'captured'` started, and the line of its opening bracket. */
  captured(text: string, line: number): void;
}

/** Where the input stopped: inside an unfinished string or captured value, or between tokens (`null`), and on which line. */
export interface JsonScanEnd {
  unfinished: 'string' | 'captured-value' | null;
  line: number;
}

const enum Mode {
  BetweenTokens,
  String,
  Scalar,
  /** Inside a captured value: only nesting and strings are tracked. */
  Captured,
}

const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const NEWLINE = 10;
const CARRIAGE_RETURN = 13;
const SPACE = 32;
const TAB = 9;

export class StreamingJsonScanner {
  private mode = Mode.BetweenTokens;
  private line = 1;
  /** The token (string, scalar or captured value) being read, as far as earlier chunks held it. */
  private pendingParts: string[] = [];
  private escaped = false;
  private depth = 0;
  private inString = false;
  private capturedLine = 0;

  constructor(private readonly grammar: JsonGrammar) {}

  /** Feeds a chunk; the grammar hears of every token it completes. Throws {@link JsonScanError}. */
  push(chunk: string): void {
    // The scan state lives in locals (much faster than fields in this loop); it is written back at
    // the end. After a thrown error the scanner is not used again.
    let mode = this.mode;
    let line = this.line;
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    // Where the token being read starts in this chunk.
    let tokenFrom = mode === Mode.BetweenTokens ? -1 : 0;
    for (let i = 0; i < chunk.length; i++) {
      if (mode === Mode.Captured) {
        // Most of a file is inside captured values: this inner loop runs until the value closes.
        for (; i < chunk.length; i++) {
          const c = chunk.charCodeAt(i);
          if (c === NEWLINE) line++;
          if (inString) {
            if (escaped) escaped = false;
            else if (c === BACKSLASH) escaped = true;
            else if (c === QUOTE) inString = false;
          } else if (c === QUOTE) {
            inString = true;
          } else if (c === LBRACE || c === LBRACKET) {
            depth++;
          } else if ((c === RBRACE || c === RBRACKET) && --depth === 0) {
            break;
          }
        }
        if (i === chunk.length) break;
        mode = Mode.BetweenTokens;
        this.grammar.captured(this.takeToken(chunk, tokenFrom, i + 1), this.capturedLine);
        continue;
      }
      const c = chunk.charCodeAt(i);
      if (c === NEWLINE) line++;
      if (mode === Mode.String) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) {
          mode = Mode.BetweenTokens;
          const value = decodeString(this.takeToken(chunk, tokenFrom, i), line);
          this.grammar.string?.(value, line);
        } else if (c === NEWLINE || c === CARRIAGE_RETURN) {
          throw new JsonScanError(line, 'a string contains a raw line break (invalid JSON)');
        }
        continue;
      }
      if (mode === Mode.Scalar) {
        if (!isScalarEnd(c)) continue;
        mode = Mode.BetweenTokens;
        this.finishScalar(this.takeToken(chunk, tokenFrom, i), line);
        // The character that ended the scalar is read between tokens, below.
      }
      if (c === SPACE || c === TAB || c === NEWLINE || c === CARRIAGE_RETURN) continue;
      const start = this.grammar.tokenStart(c, chunk, i, line);
      if (start === 'captured') {
        mode = Mode.Captured;
        depth = 1;
        inString = false;
        escaped = false;
        tokenFrom = i;
        this.capturedLine = line;
      } else if (start === 'string') {
        mode = Mode.String;
        escaped = false;
        tokenFrom = i + 1;
      } else if (start === 'scalar') {
        mode = Mode.Scalar;
        tokenFrom = i;
      }
    }
    if (mode !== Mode.BetweenTokens) this.pendingParts.push(chunk.slice(tokenFrom));
    this.mode = mode;
    this.line = line;
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
  }

  /** Ends the input: finishes a scalar it stopped in (throws {@link JsonScanError} if invalid) and says where it stopped. */
  end(): JsonScanEnd {
    if (this.mode === Mode.Scalar) {
      this.mode = Mode.BetweenTokens;
      this.finishScalar(this.takeToken('', 0, 0), this.line);
    }
    const unfinished = this.mode === Mode.Captured ? 'captured-value' : this.mode === Mode.String ? 'string' : null;
    return { unfinished, line: this.line };
  }

  /** The whole token that ends at `chunk[end]` (exclusive), joined with what earlier chunks held of it. */
  private takeToken(chunk: string, from: number, end: number): string {
    const tail = chunk.slice(from, end);
    if (this.pendingParts.length === 0) return tail;
    this.pendingParts.push(tail);
    const text = this.pendingParts.join('');
    this.pendingParts = [];
    return text;
  }

  private finishScalar(text: string, line: number): void {
    try {
      JSON.parse(text);
    } catch {
      throw new JsonScanError(line, `invalid JSON value ${JSON.stringify(text.slice(0, 20))}`);
    }
    this.grammar.scalar?.(text, line);
  }
}

function isScalarEnd(c: number): boolean {
  return c === SPACE || c === NEWLINE || c === CARRIAGE_RETURN || c === TAB || c === COMMA || c === RBRACE || c === RBRACKET;
}

function decodeString(raw: string, line: number): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    throw new JsonScanError(line, 'invalid string escape');
  }
}
