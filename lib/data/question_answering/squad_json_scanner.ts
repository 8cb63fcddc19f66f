// Incremental scanner for SQuAD JSON (`{"data": [{"title", "paragraphs": [{"context", "qas"}]}]}`).
// It walks the structure down to `data[i].paragraphs[j]` and hands each paragraph's JSON text to
// the caller, so memory is bounded by the largest paragraph, never by the file. Everything
// outside the paragraphs (keys, titles, version) is small and parsed as it streams by.
import { JsonScanError } from '../readers/json_array_parser';

/** One paragraph object, still unparsed, with where it came from. */
export interface SquadParagraphText {
  json: string;
  /** 1-based line of the paragraph's opening `{`. */
  line: number;
  article: number;
  paragraph: number;
  /** The article's title when it appears before its paragraphs in the file (it usually does). */
  title: string | undefined;
}

interface ObjectFrame {
  kind: 'object';
  key: string | null;
  expect: 'key-or-end' | 'key' | 'colon' | 'value' | 'comma-or-end';
}
interface ArrayFrame {
  kind: 'array';
  index: number;
  expect: 'value-or-end' | 'value' | 'comma-or-end';
}
type Frame = ObjectFrame | ArrayFrame;

const enum Mode {
  Structure,
  /** Inside a string outside any paragraph (a key or a small value). */
  String,
  /** Inside a number / true / false / null. */
  Scalar,
  /** Inside a paragraph object: only nesting and strings are tracked. */
  Capture,
}

const isWhitespace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9;
const isScalarEnd = (c: number) => isWhitespace(c) || c === 44 /* , */ || c === 125 /* } */ || c === 93; /* ] */

export class SquadJsonScanner {
  private readonly stack: Frame[] = [];
  private mode = Mode.Structure;
  private line = 1;
  private rootStarted = false;
  private rootDone = false;
  private sawData = false;
  private title: string | undefined;
  // String / scalar token being read, possibly across chunks.
  private token = '';
  private tokenIsKey = false;
  private escaped = false;
  // Paragraph capture.
  private parts: string[] = [];
  private depth = 0;
  private inString = false;
  private captureLine = 0;

  /** Feeds a chunk; returns the paragraphs it completed. Throws {@link JsonScanError}. */
  push(chunk: string): SquadParagraphText[] {
    const out: SquadParagraphText[] = [];
    // Where the paragraph being captured / the string being read starts in this chunk.
    let captureFrom = this.mode === Mode.Capture ? 0 : -1;
    let stringFrom = this.mode === Mode.String ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c === 10) this.line++;
      switch (this.mode) {
        case Mode.Capture:
          if (this.inString) {
            if (this.escaped) this.escaped = false;
            else if (c === 92) this.escaped = true;
            else if (c === 34) this.inString = false;
          } else if (c === 34) {
            this.inString = true;
          } else if (c === 123 || c === 91) {
            this.depth++;
          } else if (c === 125 || c === 93) {
            if (--this.depth === 0) {
              this.parts.push(chunk.slice(captureFrom, i + 1));
              out.push(this.finishCapture());
              captureFrom = -1;
            }
          }
          break;
        case Mode.String:
          if (this.escaped) this.escaped = false;
          else if (c === 92) this.escaped = true;
          else if (c === 34) {
            this.finishString(this.token + chunk.slice(stringFrom, i));
            stringFrom = -1;
          } else if (c === 10 || c === 13) {
            throw new JsonScanError(this.line, 'a string contains a raw line break (invalid JSON)');
          }
          break;
        case Mode.Scalar:
          if (isScalarEnd(c)) {
            this.finishScalar();
            if (c === 10) this.line--; // the structure step below counts it again
            i--; // the delimiter belongs to the structure
          } else {
            this.token += chunk[i];
          }
          break;
        case Mode.Structure: {
          const started = this.structure(c, chunk[i]);
          if (started === 'paragraph') captureFrom = i;
          else if (started === 'string') stringFrom = i + 1;
          break;
        }
      }
    }
    if (this.mode === Mode.Capture && captureFrom >= 0) this.parts.push(chunk.slice(captureFrom));
    if (this.mode === Mode.String) this.token += chunk.slice(stringFrom);
    return out;
  }

  /** Checks that the document ended where it may. Throws {@link JsonScanError}. */
  end(): void {
    if (this.mode === Mode.Scalar) this.finishScalar();
    if (this.mode !== Mode.Structure || this.stack.length > 0 || !this.rootDone) {
      throw new JsonScanError(this.line, `the file ends inside ${this.mode === Mode.Capture ? 'a paragraph' : 'the JSON document'} (truncated?)`);
    }
    if (!this.sawData) throw new JsonScanError(1, 'no top-level "data" array: this is not a SQuAD file');
  }

  /** One structural character; says whether a paragraph capture or a string starts at it. */
  private structure(c: number, ch: string): 'paragraph' | 'string' | null {
    if (isWhitespace(c)) return null;
    const top = this.stack[this.stack.length - 1];
    if (this.rootDone) throw new JsonScanError(this.line, `unexpected ${JSON.stringify(ch)} after the end of the JSON document`);
    if (top === undefined || (top.kind === 'array' && (top.expect === 'value' || top.expect === 'value-or-end')) || (top.kind === 'object' && top.expect === 'value')) {
      if (top?.kind === 'array' && top.expect === 'value-or-end' && c === 93) {
        this.stack.pop();
        this.valueDone();
        return null;
      }
      return this.startValue(c, ch);
    }
    if (top.kind === 'object') {
      if ((top.expect === 'key' || top.expect === 'key-or-end') && c === 34) {
        this.startString(true);
        return 'string';
      }
      if (top.expect === 'key-or-end' && c === 125) {
        this.stack.pop();
        this.valueDone();
        return null;
      }
      if (top.expect === 'colon' && c === 58) {
        top.expect = 'value';
        return null;
      }
      if (top.expect === 'comma-or-end' && c === 44) {
        top.expect = 'key';
        return null;
      }
      if (top.expect === 'comma-or-end' && c === 125) {
        this.stack.pop();
        this.valueDone();
        return null;
      }
    } else if (top.expect === 'comma-or-end') {
      if (c === 44) {
        top.index++;
        top.expect = 'value';
        return null;
      }
      if (c === 93) {
        this.stack.pop();
        this.valueDone();
        return null;
      }
    }
    throw new JsonScanError(this.line, `unexpected ${JSON.stringify(ch)} (invalid JSON)`);
  }

  private startValue(c: number, ch: string): 'paragraph' | 'string' | null {
    const depth = this.stack.length;
    if (depth === 0) {
      if (c !== 123) throw new JsonScanError(this.line, 'the file must hold one JSON object with a "data" array (SQuAD format)');
      this.rootStarted = true;
    }
    const key = this.keyAt(depth - 1);
    if (depth === 1 && key === 'data') {
      if (c !== 91) throw new JsonScanError(this.line, '"data" must be an array of articles');
      this.sawData = true;
    }
    if (this.inDataArray(depth) && c !== 123) throw new JsonScanError(this.line, `data[${(this.stack[1] as ArrayFrame).index}] must be an object (an article)`);
    if (depth === 3 && this.inDataArray(2) && key === 'paragraphs' && c !== 91) {
      throw new JsonScanError(this.line, `data[${(this.stack[1] as ArrayFrame).index}].paragraphs must be an array`);
    }
    if (this.isParagraphSlot()) {
      if (c !== 123) throw new JsonScanError(this.line, `${this.paragraphPath()} must be an object with "context" and "qas"`);
      this.mode = Mode.Capture;
      this.depth = 1;
      this.inString = false;
      this.escaped = false;
      this.parts = [];
      this.captureLine = this.line;
      return 'paragraph';
    }
    if (c === 123) {
      if (this.inDataArray(depth)) this.title = undefined; // a new article
      this.stack.push({ kind: 'object', key: null, expect: 'key-or-end' });
    } else if (c === 91) {
      this.stack.push({ kind: 'array', index: 0, expect: 'value-or-end' });
    } else if (c === 34) {
      this.startString(false);
      return 'string';
    } else {
      this.mode = Mode.Scalar;
      this.token = ch;
    }
    return null;
  }

  private startString(isKey: boolean): void {
    this.mode = Mode.String;
    this.token = '';
    this.tokenIsKey = isKey;
    this.escaped = false;
  }

  private finishString(raw: string): void {
    this.mode = Mode.Structure;
    this.token = '';
    let value: string;
    try {
      value = JSON.parse(`"${raw}"`) as string;
    } catch {
      throw new JsonScanError(this.line, 'invalid string escape');
    }
    const top = this.stack[this.stack.length - 1] as ObjectFrame | ArrayFrame;
    if (this.tokenIsKey) {
      const frame = top as ObjectFrame;
      frame.key = value;
      frame.expect = 'colon';
      return;
    }
    if (this.stack.length === 3 && this.inDataArray(2) && this.keyAt(2) === 'title') this.title = value;
    this.valueDone();
  }

  private finishScalar(): void {
    const text = this.token;
    this.mode = Mode.Structure;
    this.token = '';
    try {
      JSON.parse(text);
    } catch {
      throw new JsonScanError(this.line, `invalid JSON value ${JSON.stringify(text.slice(0, 20))}`);
    }
    this.valueDone();
  }

  private finishCapture(): SquadParagraphText {
    this.mode = Mode.Structure;
    const article = (this.stack[1] as ArrayFrame).index;
    const paragraph = (this.stack[3] as ArrayFrame).index;
    const json = this.parts.join('');
    this.parts = [];
    this.valueDone();
    return { json, line: this.captureLine, article, paragraph, title: this.title };
  }

  private valueDone(): void {
    const top = this.stack[this.stack.length - 1];
    if (top === undefined) {
      if (this.rootStarted) this.rootDone = true;
      return;
    }
    top.expect = 'comma-or-end';
  }

  private keyAt(index: number): string | null {
    const frame = this.stack[index];
    return frame?.kind === 'object' ? frame.key : null;
  }

  /** Whether a value at stack depth `depth` is an element of the top-level "data" array. */
  private inDataArray(depth: number): boolean {
    return depth === 2 && this.keyAt(0) === 'data' && this.stack[1]?.kind === 'array';
  }

  private isParagraphSlot(): boolean {
    return this.stack.length === 4 && this.inDataArray(2) && this.stack[2].kind === 'object' && this.keyAt(2) === 'paragraphs' && this.stack[3].kind === 'array';
  }

  private paragraphPath(): string {
    return `data[${(this.stack[1] as ArrayFrame).index}].paragraphs[${(this.stack[3] as ArrayFrame).index}]`;
  }
}
