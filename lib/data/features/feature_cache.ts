// On-disk cache of tokenized features, keyed by everything that determines them: the data
// file's content, the tokenizer's vocabulary and settings, max length, columns and labels.
// A changed input gives a new key, so a stale cache is never used.
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../../io/atomic_write';
import { fileDigest } from '../../io/file_digest';
import type { BertTokenizer } from '../../tokenization';
import type { TextFeature } from '../loader/collate';

const FORMAT = 'bertrun-features-v1';

export { fileDigest };

export function tokenizerFingerprint(tokenizer: BertTokenizer): string {
  const hash = createHash('sha256');
  for (let id = 0; id < tokenizer.vocabSize; id++) hash.update(`${tokenizer.idToToken(id) ?? ''}\n`);
  hash.update(JSON.stringify([tokenizer.doLowerCase, tokenizer.stripAccents, tokenizer.tokenizeChineseChars]));
  return hash.digest('hex');
}

export function cacheKey(parts: { dataDigest: string; tokenizer: string; settings: unknown }): string {
  return createHash('sha256')
    .update(JSON.stringify([FORMAT, parts.dataDigest, parts.tokenizer, parts.settings]))
    .digest('hex')
    .slice(0, 32);
}

/** Returns cached features for `key`, or builds them, stores them atomically and returns them. */
export async function cachedFeatures(
  cacheDir: string,
  key: string,
  build: () => Promise<TextFeature[]>,
  options: { overwrite?: boolean } = {},
): Promise<{ features: TextFeature[]; fromCache: boolean }> {
  const file = path.join(cacheDir, `features-${key}.json`);
  if (!options.overwrite && fs.existsSync(file)) {
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { format: string; features: TextFeature[] };
      if (parsed.format === FORMAT && Array.isArray(parsed.features)) return { features: parsed.features, fromCache: true };
    } catch {
      // A damaged cache entry is rebuilt, never trusted.
    }
  }
  const features = await build();
  fs.mkdirSync(cacheDir, { recursive: true });
  writeFileAtomic(file, Buffer.from(JSON.stringify({ format: FORMAT, features })));
  return { features, fromCache: false };
}
