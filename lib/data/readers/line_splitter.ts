/** Receives one physical line: its text without terminator, the terminator, and its 1-based number. */
export type LineHandler = (text: string, terminator: string, line: number) => void;

/**
 * Splits streamed text into lines. Only `\n` ends a line (`\r\n` is one terminator, reported as
 * such; `''` for a last line without newline); a lone `\r` stays in the text, unlike Node's
 * readline, so line numbers match what editors and `wc -l` show.
 */
export class LineSplitter {
  private pending = '';
  private nextLine = 1;

  /** Feeds a chunk; calls `onLine` for each line it completes. */
  push(chunk: string, onLine: LineHandler): void {
    const text = this.pending.length > 0 ? this.pending + chunk : chunk;
    let start = 0;
    for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
      const cr = nl > start && text.charCodeAt(nl - 1) === 13;
      const line = this.nextLine++;
      onLine(text.slice(start, cr ? nl - 1 : nl), cr ? '\r\n' : '\n', line);
      start = nl + 1;
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
}
