import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cacheKey, cachedFeatures, fileDigest } from '../../lib/data/features/feature_cache';

test('the key changes with the data, the tokenizer and the settings; hits reuse, damaged entries rebuild', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-cache-'));
  try {
    const file = path.join(dir, 'train.tsv');
    fs.writeFileSync(file, 'a\tb\n');
    const digest = fileDigest(file);
    fs.writeFileSync(file, 'a\tc\n');
    expect(fileDigest(file)).not.toBe(digest);
    const base = { dataDigest: digest, tokenizer: 'tok1', settings: { maxSeqLength: 128 } };
    const key = cacheKey(base);
    expect(cacheKey({ ...base })).toBe(key);
    expect(cacheKey({ ...base, dataDigest: fileDigest(file) })).not.toBe(key);
    expect(cacheKey({ ...base, tokenizer: 'tok2' })).not.toBe(key);
    expect(cacheKey({ ...base, settings: { maxSeqLength: 64 } })).not.toBe(key);

    let builds = 0;
    const build = async () => {
      builds++;
      return [{ inputIds: [1, 2, 3], tokenTypeIds: [0, 0, 0], label: 1 }];
    };
    const first = await cachedFeatures(dir, key, build);
    const second = await cachedFeatures(dir, key, build);
    expect([first.fromCache, second.fromCache, builds]).toEqual([false, true, 1]);
    expect(second.features).toEqual(first.features);
    fs.writeFileSync(path.join(dir, `features-${key}.json`), '{"format": "bertrun-features-v1", "features": [');
    const third = await cachedFeatures(dir, key, build);
    expect([third.fromCache, builds]).toEqual([false, 2]);
    expect((await cachedFeatures(dir, key, build, { overwrite: true })).fromCache).toBe(false);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
