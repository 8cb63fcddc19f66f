import { JsonScanError, StreamingJsonScanner, type JsonGrammar, type JsonTokenStart } from './streaming_json_scanner';

/** One top-level element of a JSON file, still unparsed. */
export interface JsonElementText {
  /** The element's JSON text, from its opening `{` to its closing `}`. */
  text: string;
  /** 1-based line of the opening `{`. */
  line: number;
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
const LBRACKET = 91;
const RBRACKET = 93;
const COMMA = 44;

/**
 * Incremental splitter for a JSON file holding a top-level array of objects (or, as Hugging Face
 * `datasets` also accepts, a whitespace-separated sequence of objects). Each object is captured as
 * text by the {@link StreamingJsonScanner} and left to `JSON.parse`, so memory is bounded by the
 * largest single object, never by the file.
 */
export class JsonArrayParser {
  private readonly grammar = new TopLevelArrayGrammar();
  private readonly scanner = new StreamingJsonScanner(this.grammar);

  /** Feeds a chunk; returns the elements it completed. Throws {@link JsonScanError}. */
  push(chunk: string): JsonElementText[] {
    this.scanner.push(chunk);
    return this.grammar.takeElements();
  }

  /** Ends the input; throws {@link JsonScanError} when it stops inside an object or the array. */
  end(): void {
    if (this.scanner.end().unfinished !== null) {
      throw new JsonScanError(this.grammar.elementLine, 'the file ends inside this JSON object (is the file truncated?)');
    }
    const top = this.grammar.top;
    if (top === Top.ArrayExpectValue || top === Top.ArrayExpectValueOrEnd || top === Top.ArrayExpectCommaOrEnd) {
      throw new JsonScanError(this.grammar.arrayLine, 'the file ends before the top-level array opened here is closed with "]" (is the file truncated?)');
    }
  }
}

/** The top level of the file: `[`, objects (captured whole), `,` and `]`, or a sequence of objects. */
class TopLevelArrayGrammar implements JsonGrammar {
  top = Top.Start;
  arrayLine = 0;
  elementLine = 0;
  private elements: JsonElementText[] = [];

  tokenStart(c: number, chunk: string, at: number, line: number): JsonTokenStart {
    const top = this.top;
    if (c === LBRACE && (top === Top.Start || top === Top.Sequence || top === Top.ArrayExpectValue || top === Top.ArrayExpectValueOrEnd)) {
      // An element (a record) starts; it ends when its braces balance again.
      if (top === Top.Start) this.top = Top.Sequence;
      this.elementLine = line;
      return 'captured';
    }
    if (top === Top.Start && c === LBRACKET) {
      this.top = Top.ArrayExpectValueOrEnd;
      this.arrayLine = line;
    } else if (top === Top.ArrayExpectCommaOrEnd && c === COMMA) {
      this.top = Top.ArrayExpectValue;
    } else if ((top === Top.ArrayExpectCommaOrEnd || top === Top.ArrayExpectValueOrEnd) && c === RBRACKET) {
      this.top = Top.AfterArray;
    } else {
      throw new JsonScanError(line, unexpected(top, describe(chunk, at)));
    }
    return 'punctuation';
  }

  captured(text: string, line: number): void {
    this.elements.push({ text, line });
    if (this.top !== Top.Sequence) this.top = Top.ArrayExpectCommaOrEnd;
  }

  /** The elements completed since the last call. */
  takeElements(): JsonElementText[] {
    const elements = this.elements;
    this.elements = [];
    return elements;
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
