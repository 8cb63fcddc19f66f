// Child-process entry of WordPiece training (lib/tokenization/wordpiece_training.ts forks it): trains
// the `tokenizers` library's WordPiece model on the files and sends back the learned tokens in id
// order. It runs apart because the Rust trainer writes stray newlines to stdout, which the parent
// discards. Self-contained on purpose (no imports from lib/): the parent may run a transpiled copy
// of this file from another directory when it runs from TypeScript sources.
import { Tokenizer, WordPiece, bertNormalizer, bertPreTokenizer } from 'tokenizers';

export interface WordPieceTrainRequest {
  /** Absolute paths of UTF-8 text files. */
  files: string[];
  lowercase: boolean;
  /** null: strip accents exactly when lower-casing. */
  stripAccents: boolean | null;
}

export type WordPieceTrainReply = { ok: true; tokens: string[] } | { ok: false; message: string };

/**
 * Trains with the library's default WordPieceTrainer (Node cannot configure it: at most 30000 tokens,
 * min_frequency 0, no special tokens, `##` prefix) behind BERT's normalizer and pre-tokenizer.
 * Returns the tokens by id: the single characters first, then the merges in the order learned.
 */
export function trainDefaultWordPiece(request: WordPieceTrainRequest): string[] {
  const tokenizer = new Tokenizer(WordPiece.empty());
  tokenizer.setNormalizer(
    bertNormalizer({
      cleanText: true,
      handleChineseChars: true,
      lowercase: request.lowercase,
      ...(request.stripAccents === null ? {} : { stripAccents: request.stripAccents }),
    }),
  );
  tokenizer.setPreTokenizer(bertPreTokenizer());
  tokenizer.train(request.files);
  return Object.entries(tokenizer.getVocab(false))
    .sort((a, b) => a[1] - b[1])
    .map(([token]) => token);
}

function isRequest(value: unknown): value is WordPieceTrainRequest {
  const r = value as Partial<WordPieceTrainRequest> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    Array.isArray(r.files) &&
    r.files.every((f) => typeof f === 'string') &&
    typeof r.lowercase === 'boolean' &&
    (r.stripAccents === null || typeof r.stripAccents === 'boolean')
  );
}

function reply(message: unknown): WordPieceTrainReply {
  if (!isRequest(message)) return { ok: false, message: 'the training worker got a malformed request' };
  try {
    return { ok: true, tokens: trainDefaultWordPiece(message) };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

if (require.main === module) {
  process.once('message', (message: unknown) => {
    process.send?.(reply(message), () => process.disconnect());
  });
}
