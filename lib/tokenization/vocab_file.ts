// vocab.txt: one WordPiece token per line, the id being the line number (from 0).
import * as fs from 'fs';

/**
 * Reads vocab.txt the way transformers' `load_vocab` does: Python text mode turns `\r\n` and
 * `\r` into line ends, every line (the last one even without a newline) is a token with only the
 * newline removed, and a token listed twice keeps the id of its last line.
 * Returns the token → id map in line order.
 */
export function readVocabFile(file: string): Map<string, number> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Error(`vocabulary file ${file} does not exist: pass the vocab.txt of a BERT model (one WordPiece token per line)`, { cause: err });
    }
    throw new Error(`could not read vocabulary file ${file}: ${(err as Error).message}`, { cause: err });
  }
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) {
    throw new Error(`vocabulary file ${file} is empty: a BERT vocab.txt lists one WordPiece token per line`);
  }
  const vocab = new Map<string, number>();
  lines.forEach((token, id) => vocab.set(token, id));
  return vocab;
}

/**
 * vocab.txt text for a token → id map. Ids must be exactly 0..n-1 (the line numbers) and tokens
 * must not contain line breaks; `source` names the vocabulary's origin in errors.
 */
export function vocabFileText(vocab: ReadonlyMap<string, number>, source: string): string {
  const byId: string[] = new Array<string>(vocab.size);
  for (const [token, id] of vocab) {
    if (!Number.isInteger(id) || id < 0 || id >= vocab.size || byId[id] !== undefined) {
      throw new Error(
        `cannot write vocab.txt: the vocabulary of ${source} does not use the ids 0..${vocab.size - 1} once each ` +
          `(token ${JSON.stringify(token)} has id ${id}), and vocab.txt can only store ids as line numbers`,
      );
    }
    if (/[\r\n]/.test(token)) {
      throw new Error(`cannot write vocab.txt: token ${JSON.stringify(token)} (id ${id}) of ${source} contains a line break`);
    }
    byId[id] = token;
  }
  return byId.map((token) => `${token}\n`).join('');
}
