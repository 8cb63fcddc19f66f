// Incremental scanner for SQuAD JSON (`{"data": [{"title", "paragraphs": [{"context", "qas"}]}]}`).
// It walks the structure down to `data[i].paragraphs[j]` and hands each paragraph's JSON text to
// the caller, so memory is bounded by the largest paragraph, never by the file. Everything
// outside the paragraphs (keys, titles, version) is small and parsed as it streams by.
import { JsonScanError, StreamingJsonScanner, type JsonGrammar, type JsonTokenStart } from '../readers/streaming_json_scanner';

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

export class SquadJsonScanner {
  private readonly grammar = new SquadGrammar();
  private readonly scanner = new StreamingJsonScanner(this.grammar);

  /** Feeds a chunk; returns the paragraphs it completed. Throws {@link JsonScanError}. */
  push(chunk: string): SquadParagraphText[] {
    this.scanner.push(chunk);
    return this.grammar.takeParagraphs();
  }

  /** Checks that the document ended where it may. Throws {@link JsonScanError}. */
  end(): void {
    const { unfinished, line } = this.scanner.end();
    if (unfinished !== null || !this.grammar.documentDone()) {
      throw new JsonScanError(line, `the file ends inside ${unfinished === 'captured-value' ? 'a paragraph' : 'the JSON document'} (truncated?)`);
    }
    if (!this.grammar.sawData) throw new JsonScanError(1, 'no top-level "data" array: this is not a SQuAD file');
  }
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

/** SQuAD's nesting: paragraphs are captured whole, everything around them is walked token by token. */
class SquadGrammar implements JsonGrammar {
  sawData = false;
  private readonly stack: Frame[] = [];
  private rootStarted = false;
  private rootDone = false;
  private title: string | undefined;
  private stringIsKey = false;
  private paragraphs: SquadParagraphText[] = [];

  /** Whether the root object has been closed. */
  documentDone(): boolean {
    return this.stack.length === 0 && this.rootDone;
  }

  /** The paragraphs completed since the last call. */
  takeParagraphs(): SquadParagraphText[] {
    const paragraphs = this.paragraphs;
    this.paragraphs = [];
    return paragraphs;
  }

  tokenStart(c: number, chunk: string, at: number, line: number): JsonTokenStart {
    const ch = chunk[at];
    const top = this.stack[this.stack.length - 1];
    if (this.rootDone) throw new JsonScanError(line, `unexpected ${JSON.stringify(ch)} after the end of the JSON document`);
    if (
      top === undefined ||
      (top.kind === 'array' && (top.expect === 'value' || top.expect === 'value-or-end')) ||
      (top.kind === 'object' && top.expect === 'value')
    ) {
      if (top?.kind === 'array' && top.expect === 'value-or-end' && c === 93) {
        this.stack.pop();
        this.valueDone();
        return 'punctuation';
      }
      return this.startValue(c, ch, line);
    }
    if (top.kind === 'object') {
      if ((top.expect === 'key' || top.expect === 'key-or-end') && c === 34) {
        this.stringIsKey = true;
        return 'string';
      }
      if (top.expect === 'key-or-end' && c === 125) {
        this.stack.pop();
        this.valueDone();
        return 'punctuation';
      }
      if (top.expect === 'colon' && c === 58) {
        top.expect = 'value';
        return 'punctuation';
      }
      if (top.expect === 'comma-or-end' && c === 44) {
        top.expect = 'key';
        return 'punctuation';
      }
      if (top.expect === 'comma-or-end' && c === 125) {
        this.stack.pop();
        this.valueDone();
        return 'punctuation';
      }
    } else if (top.expect === 'comma-or-end') {
      if (c === 44) {
        top.index++;
        top.expect = 'value';
        return 'punctuation';
      }
      if (c === 93) {
        this.stack.pop();
        this.valueDone();
        return 'punctuation';
      }
    }
    throw new JsonScanError(line, `unexpected ${JSON.stringify(ch)} (invalid JSON)`);
  }

  string(value: string): void {
    const top = this.stack[this.stack.length - 1] as ObjectFrame | ArrayFrame;
    if (this.stringIsKey) {
      const frame = top as ObjectFrame;
      frame.key = value;
      frame.expect = 'colon';
      return;
    }
    if (this.stack.length === 3 && this.inDataArray(2) && this.keyAt(2) === 'title') this.title = value;
    this.valueDone();
  }

  scalar(): void {
    this.valueDone();
  }

  captured(json: string, line: number): void {
    const article = (this.stack[1] as ArrayFrame).index;
    const paragraph = (this.stack[3] as ArrayFrame).index;
    this.paragraphs.push({ json, line, article, paragraph, title: this.title });
    this.valueDone();
  }

  private startValue(c: number, ch: string, line: number): JsonTokenStart {
    const depth = this.stack.length;
    if (depth === 0) {
      if (c !== 123) throw new JsonScanError(line, 'the file must hold one JSON object with a "data" array (SQuAD format)');
      this.rootStarted = true;
    }
    const key = this.keyAt(depth - 1);
    if (depth === 1 && key === 'data') {
      if (c !== 91) throw new JsonScanError(line, '"data" must be an array of articles');
      this.sawData = true;
    }
    if (this.inDataArray(depth) && c !== 123) throw new JsonScanError(line, `data[${(this.stack[1] as ArrayFrame).index}] must be an object (an article)`);
    if (depth === 3 && this.inDataArray(2) && key === 'paragraphs' && c !== 91) {
      throw new JsonScanError(line, `data[${(this.stack[1] as ArrayFrame).index}].paragraphs must be an array`);
    }
    if (this.isParagraphSlot()) {
      if (c !== 123) throw new JsonScanError(line, `${this.paragraphPath()} must be an object with "context" and "qas"`);
      return 'captured';
    }
    if (c === 123) {
      if (this.inDataArray(depth)) this.title = undefined; // a new article
      this.stack.push({ kind: 'object', key: null, expect: 'key-or-end' });
    } else if (c === 91) {
      this.stack.push({ kind: 'array', index: 0, expect: 'value-or-end' });
    } else if (c === 34) {
      this.stringIsKey = false;
      return 'string';
    } else {
      return 'scalar';
    }
    return 'punctuation';
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
    return (
      this.stack.length === 4 && this.inDataArray(2) && this.stack[2].kind === 'object' && this.keyAt(2) === 'paragraphs' && this.stack[3].kind === 'array'
    );
  }

  private paragraphPath(): string {
    return `data[${(this.stack[1] as ArrayFrame).index}].paragraphs[${(this.stack[3] as ArrayFrame).index}]`;
  }
}
