/** One top-level element of a JSON file, still unparsed. */
export interface JsonElementText {
  /** The element's JSON text, from its opening `{` to its closing `}`. */
  text: string;
  /** 1-based line of the opening `{`. */
  line: number;
}

/** A structural error found while scanning; the caller adds the file name. */
export class JsonScanError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

const enum Top {
  /** Before the first non-whitespace character. */
  Start,
  /** After `[` or `,` inside the top-level array. */
  ArrayExpectValue,
  /** Right after `[`: a value or `]`. */
  ArrayExpectValueOrEnd,
  /** After an element: `,` or `]`. */
  ArrayExpectCommaOrEnd,
  /** After the closing `]`: only whitespace may follow. */
  AfterArray,
  /** The file is a sequence of objects (JSON Lines saved as .json, or one object). */
  Sequence,
}

const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;
const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const NEWLINE = 10;

/**
 * Incremental splitter for a JSON file holding a top-level array of objects (or, as Hugging Face
 * `datasets` also accepts, a whitespace-separated sequence of objects). It only tracks nesting and
 * strings to find where each object ends, and hands that text to `JSON.parse`, so memory is bounded
 * by the largest single object, never by the file.
 */
export class JsonArrayParser {
  private top = Top.Start;
  private line = 1;
  private arrayLine = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: string[] = [];
  private elementLine = 0;

  /** Feeds a chunk; returns the elements it completed. Throws {@link JsonScanError}. */
  push(chunk: string): JsonElementText[] {
    const out: JsonElementText[] = [];
    // The scan state lives in locals (much faster than fields in this loop); it is written back at
    // the end. After a thrown error the parser is not used again.
    let depth = this.depth;
    let inString = this.inString;
    let escaped = this.escaped;
    let line = this.line;
    let elementStart = depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === NEWLINE) line++;
      if (depth > 0) {
        if (inString) {
          if (escaped) escaped = false;
          else if (c === BACKSLASH) escaped = true;
          else if (c === QUOTE) inString = false;
        } else if (c === QUOTE) {
          inString = true;
        } else if (c === LBRACE || c === LBRACKET) {
          depth++;
        } else if ((c === RBRACE || c === RBRACKET) && --depth === 0) {
          this.parts.push(chunk.slice(elementStart, i + 1));
          out.push({ text: this.parts.length === 1 ? this.parts[0] : this.parts.join(''), line: this.elementLine });
          this.parts = [];
          elementStart = -1;
          if (this.top !== Top.Sequence) this.top = Top.ArrayExpectCommaOrEnd;
        }
        continue;
      }
      if (c === 32 || c === 9 || c === 10 || c === 13) continue;
      const top = this.top;
      if (c === LBRACE && (top === Top.Start || top === Top.Sequence || top === Top.ArrayExpectValue || top === Top.ArrayExpectValueOrEnd)) {
        // An element (a record) starts; it ends when its braces balance again.
        if (top === Top.Start) this.top = Top.Sequence;
        depth = 1;
        this.elementLine = line;
        elementStart = i;
      } else if (top === Top.Start && c === LBRACKET) {
        this.top = Top.ArrayExpectValueOrEnd;
        this.arrayLine = line;
      } else if (top === Top.ArrayExpectCommaOrEnd && c === COMMA) {
        this.top = Top.ArrayExpectValue;
      } else if ((top === Top.ArrayExpectCommaOrEnd || top === Top.ArrayExpectValueOrEnd) && c === RBRACKET) {
        this.top = Top.AfterArray;
      } else {
        throw new JsonScanError(line, unexpected(top, describe(chunk, i)));
      }
    }
    if (depth > 0) this.parts.push(chunk.slice(elementStart));
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    this.line = line;
    return out;
  }

  /** Ends the input; throws {@link JsonScanError} when it stops inside an object or the array. */
  end(): void {
    if (this.depth > 0) {
      throw new JsonScanError(this.elementLine, 'the file ends inside this JSON object (is the file truncated?)');
    }
    if (this.top === Top.ArrayExpectValue || this.top === Top.ArrayExpectValueOrEnd || this.top === Top.ArrayExpectCommaOrEnd) {
      throw new JsonScanError(this.arrayLine, 'the file ends before the top-level array opened here is closed with "]" (is the file truncated?)');
    }
  }
}

function unexpected(top: Top, found: string): string {
  switch (top) {
    case Top.Start:
      return `expected a JSON array of objects ("[" first), found ${found}`;
    case Top.ArrayExpectValue:
      return found === '"]"' ? 'trailing comma before "]" (JSON does not allow it)' : `each element of the array must be a JSON object ({...}), found ${found}`;
    case Top.ArrayExpectValueOrEnd:
      return `each element of the array must be a JSON object ({...}), found ${found}`;
    case Top.ArrayExpectCommaOrEnd:
      return `expected "," or "]" after an array element, found ${found}`;
    case Top.AfterArray:
      return `unexpected ${found} after the end of the top-level array`;
    case Top.Sequence:
      return `expected a JSON object ({...}) per record, found ${found}`;
  }
}

function describe(chunk: string, i: number): string {
  const cp = chunk.codePointAt(i) ?? 0;
  return JSON.stringify(String.fromCodePoint(cp));
}
