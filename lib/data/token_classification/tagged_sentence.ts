/** Where a sentence came from. */
export interface SentenceSource {
  /** The file, as given by the user. */
  file: string;
  /** 1-based line of the sentence's first word (CoNLL) or of its record (JSON Lines). */
  line: number;
  /** CoNLL: one word per line, so word `i` is on line `line + i`. */
  tokenPerLine: boolean;
}

/** One sentence of a token-classification (NER) data file: its words and one tag per word. */
export interface TaggedSentence {
  tokens: string[];
  /** Label names, as many as `tokens` (integer ids in JSON are resolved to names when read). */
  tags: string[];
  source: SentenceSource;
}

/** The 1-based line that holds word `wordIndex` of a sentence from `source`. */
export function wordLine(source: SentenceSource, wordIndex: number): number {
  return source.tokenPerLine ? source.line + wordIndex : source.line;
}

/** How messages name word `wordIndex` of `tokens`: its 0-based index and text. */
export function describeWord(tokens: readonly string[], wordIndex: number): string {
  return `word ${wordIndex} (${JSON.stringify(tokens[wordIndex])})`;
}
