// Every way loading or encoding can fail ends in an Error naming the file or option and the fix;
// none of them aborts the process (the tokenizers binding panics on some inputs we refuse first).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BertTokenizer } from '../../lib/tokenization';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'tokenizer');
const VOCAB = fs.readFileSync(path.join(FIXTURES, 'vocab-uncased.txt'), 'utf8');

let dir: string;
let tok: BertTokenizer;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-tokenizer-errors-'));
  tok = await BertTokenizer.fromDirectory(path.join(FIXTURES, 'hf-uncased'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory holding `files`. */
function tokenizerDir(name: string, files: Record<string, string>): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(d, file), text);
  return d;
}

/** A valid BERT tokenizer.json (saved by BertTokenizer itself), as an object to break. */
async function validTokenizerJson(): Promise<Record<string, unknown>> {
  const out = path.join(dir, `valid-${Math.random().toString(36).slice(2)}`);
  await tok.save(out);
  return JSON.parse(fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
}

describe('missing files', () => {
  test('a directory that does not exist', async () => {
    const missing = path.join(dir, 'nope');
    await expect(BertTokenizer.fromDirectory(missing)).rejects.toThrow(`tokenizer directory ${missing} does not exist`);
  });

  test('a file where a directory is expected', async () => {
    await expect(BertTokenizer.fromDirectory(path.join(FIXTURES, 'vocab-cased.txt'))).rejects.toThrow(/is not a directory: .*fromVocab/);
  });

  test('a directory with neither tokenizer.json nor vocab.txt', async () => {
    const d = tokenizerDir('empty', { 'config.json': '{}' });
    await expect(BertTokenizer.fromDirectory(d)).rejects.toThrow(`${d} holds neither tokenizer.json nor vocab.txt`);
  });

  test('a vocab.txt that does not exist', async () => {
    const missing = path.join(dir, 'missing-vocab.txt');
    await expect(BertTokenizer.fromVocab(missing)).rejects.toThrow(`vocabulary file ${missing} does not exist`);
  });

  test('an empty vocab.txt', async () => {
    const d = tokenizerDir('empty-vocab', { 'vocab.txt': '' });
    await expect(BertTokenizer.fromDirectory(d)).rejects.toThrow(`vocabulary file ${path.join(d, 'vocab.txt')} is empty`);
  });
});

describe('vocabularies without the special tokens BERT needs', () => {
  test.each(['[UNK]', '[CLS]', '[SEP]', '[PAD]'])('vocab.txt without %s', async (token) => {
    const d = tokenizerDir(`no-${token.slice(1, -1)}`, { 'vocab.txt': VOCAB.replace(`${token}\n`, '[unused99]\n') });
    const file = path.join(d, 'vocab.txt');
    await expect(BertTokenizer.fromDirectory(d)).rejects.toThrow(`${file} lacks the special token ${token}`);
    await expect(BertTokenizer.fromVocab(file)).rejects.toThrow(/must contain \[UNK\], \[CLS\], \[SEP\] and \[PAD\].*tokenizer_config\.json/);
  });

  test('all missing ones are named at once', async () => {
    const d = tokenizerDir('no-cls-sep', { 'vocab.txt': VOCAB.replace('[CLS]\n', 'x1\n').replace('[SEP]\n', 'x2\n') });
    await expect(BertTokenizer.fromDirectory(d)).rejects.toThrow('lacks the special tokens [CLS], [SEP]');
  });

  test('[MASK] is optional: maskTokenId is null without it', async () => {
    const d = tokenizerDir('no-mask', { 'vocab.txt': VOCAB.replace('[MASK]\n', 'x1\n') });
    const t = await BertTokenizer.fromDirectory(d);
    expect(t.maskTokenId).toBeNull();
    expect((await t.encode('hello')).inputIds).toEqual([12, 2980, 13]);
  });

  test('special tokens renamed in tokenizer_config.json are looked up under their names', async () => {
    const renamed = VOCAB.replace('[UNK]\n', '<unk>\n');
    const without = tokenizerDir('renamed-unk-no-config', { 'vocab.txt': renamed });
    await expect(BertTokenizer.fromDirectory(without)).rejects.toThrow('lacks the special token [UNK]');
    const d = tokenizerDir('renamed-unk', { 'vocab.txt': renamed, 'tokenizer_config.json': JSON.stringify({ unk_token: '<unk>' }) });
    const t = await BertTokenizer.fromDirectory(d);
    expect(t.unkTokenId).toBe(11);
    expect((await t.encode('☃')).inputIds).toEqual([12, 11, 13]);
  });

  test('a tokenizer.json whose vocabulary lacks [SEP] names tokenizer.json', async () => {
    const json = await validTokenizerJson();
    const model = json.model as { vocab: Record<string, number> };
    delete model.vocab['[SEP]'];
    json.added_tokens = (json.added_tokens as Array<{ content: string }>).filter((t) => t.content !== '[SEP]');
    const d = tokenizerDir('json-no-sep', { 'tokenizer.json': JSON.stringify(json) });
    await expect(BertTokenizer.fromDirectory(d)).rejects.toThrow(`${path.join(d, 'tokenizer.json')} lacks the special token [SEP]`);
  });
});

describe('unreadable tokenizer.json and tokenizer_config.json', () => {
  test('truncated tokenizer.json', async () => {
    const text = JSON.stringify(await validTokenizerJson());
    const d = tokenizerDir('json-truncated', { 'tokenizer.json': text.slice(0, text.length / 2), 'vocab.txt': VOCAB });
    const file = path.join(d, 'tokenizer.json');
    await expect(BertTokenizer.fromDirectory(d)).rejects.toThrow(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not valid JSON .*delete it to build the tokenizer from vocab.txt`),
    );
  });

  test('tokenizer.json of another model type', async () => {
    const json = await validTokenizerJson();
    json.model = { type: 'BPE', vocab: { a: 0 }, merges: [] };
    const d = tokenizerDir('json-bpe', { 'tokenizer.json': JSON.stringify(json) });
    await expect(BertTokenizer.fromDirectory(d)).rejects.toThrow(/holds a "BPE" model; BERT tokenizers use WordPiece/);
  });

  test('tokenizer.json that the tokenizers library rejects', async () => {
    const json = await validTokenizerJson();
    json.normalizer = { type: 'NoSuchNormalizer' };
    const d = tokenizerDir('json-bad-normalizer', { 'tokenizer.json': JSON.stringify(json) });
    await expect(BertTokenizer.fromDirectory(d)).rejects.toThrow(`the tokenizers library could not load ${path.join(d, 'tokenizer.json')}`);
  });

  test("tokenizer.json whose post-processor is not BERT's template", async () => {
    const json = await validTokenizerJson();
    json.post_processor = { type: 'RobertaProcessing', sep: ['[SEP]', 13], cls: ['[CLS]', 12], trim_offsets: true, add_prefix_space: false };
    const d = tokenizerDir('json-roberta', { 'tokenizer.json': JSON.stringify(json) });
    await expect(BertTokenizer.fromDirectory(d)).rejects.toThrow(/does not lay out text pairs as BERT does/);
  });

  test('tokenizer_config.json that is not JSON, or has a wrongly typed setting', async () => {
    const broken = tokenizerDir('config-broken', { 'vocab.txt': VOCAB, 'tokenizer_config.json': '{"do_lower_case": tru' });
    await expect(BertTokenizer.fromDirectory(broken)).rejects.toThrow(`${path.join(broken, 'tokenizer_config.json')} is not valid JSON`);
    const typed = tokenizerDir('config-typed', { 'vocab.txt': VOCAB, 'tokenizer_config.json': '{"do_lower_case": "yes"}' });
    await expect(BertTokenizer.fromDirectory(typed)).rejects.toThrow('"do_lower_case" must be true or false, got "yes"');
    const strip = tokenizerDir('config-strip', { 'vocab.txt': VOCAB, 'tokenizer_config.json': '{"strip_accents": 1}' });
    await expect(BertTokenizer.fromDirectory(strip)).rejects.toThrow('"strip_accents" must be true, false or null');
  });
});

describe('encode options', () => {
  const long = 'the quick brown fox jumps over the lazy dog and runs away from the river bank today';
  const words17 = 'the of and to in is was he for it with as his on be at by'; // 17 tokens (fixture README)

  test.each([
    [{ maxLength: 0 }, 'maxLength must be a positive integer, got 0'],
    [{ maxLength: 7.5 }, 'maxLength must be a positive integer, got 7.5'],
    [{ maxLength: 8, stride: -1 }, 'stride must be a non-negative integer, got -1'],
    [{ maxLength: 8, truncation: 'longest' as never }, "truncation must be one of 'longest_first', 'only_first', 'only_second'"],
    [{ maxLength: 1 }, 'maxLength 1 leaves no room: a single text already takes 2 special tokens'],
    [{ maxLength: 8, stride: 7, returnOverflowing: true }, 'stride 7 is too large for maxLength 8: it must be at most 6'],
    [
      { maxLength: 8, stride: 6, returnOverflowing: true },
      "stride 6 is too large: with maxLength 8 and 'longest_first', the text is cut into windows of 6 tokens",
    ],
    [{ maxLength: 8, truncation: 'only_second' as const }, "cannot truncate a single text with 'only_second'"],
    [{ truncation: true }, "truncation 'longest_first' needs maxLength: this tokenizer has no model_max_length"],
  ])('single text with %j', async (options, message) => {
    const cased = await BertTokenizer.fromDirectory(path.join(FIXTURES, 'hf-cased')); // model_max_length unbounded
    await expect(cased.encode(long, null, options)).rejects.toThrow(message);
  });

  test.each([
    [{ maxLength: 2 }, 'maxLength 2 leaves no room: a text pair already takes 3 special tokens'],
    [{ maxLength: 12, truncation: 'only_first' as const }, "cannot truncate with 'only_first' to maxLength 12: the second text alone has 17 tokens"],
    [{ maxLength: 20, truncation: 'only_second' as const }, "cannot truncate with 'only_second' to maxLength 20: the first text alone has 17 tokens"],
    [{ maxLength: 23, truncation: 'only_second' as const, stride: 3, returnOverflowing: true }, 'the second text is cut into windows of 3 tokens'],
    [{ maxLength: 13, stride: 5, returnOverflowing: true }, 'the first text is cut into windows of 5 tokens'],
  ])('pair with %j', async (options, message) => {
    expect((await tok.encode(words17, null, { addSpecialTokens: false })).inputIds).toHaveLength(17);
    await expect(tok.encode(words17, words17, options)).rejects.toThrow(message);
  });

  test('a pair that fits needs no truncation however the stride is set', async () => {
    const e = await tok.encode('short', 'pair', { maxLength: 8, truncation: 'only_second', stride: 4, returnOverflowing: true });
    expect(e.overflowing).toEqual([]);
  });

  test('batch errors name the input', async () => {
    await expect(tok.encodeBatch(['ok', 42 as unknown as string])).rejects.toThrow('input 1 must be a string or a [string, string] pair, got number');
    await expect(tok.encodeBatch(['ok', ['a'] as unknown as [string, string]])).rejects.toThrow(
      'input 1 must be a string or a [string, string] pair, got an array of 1',
    );
    await expect(tok.encodeBatch(['ok', [words17, 'x']], { maxLength: 8, truncation: 'only_first', stride: 5, returnOverflowing: true })).rejects.toThrow(
      /^input 1: stride 5 is too large/,
    );
  });

  test('decode refuses what is not a token id', async () => {
    await expect(tok.decode([12, -1])).rejects.toThrow('decode: id 1 is -1, not a token id');
    await expect(tok.decode([1.5])).rejects.toThrow('decode: id 0 is 1.5, not a token id');
  });

  test('modelMaxLength given to fromVocab must be a positive integer', async () => {
    await expect(BertTokenizer.fromVocab(path.join(FIXTURES, 'vocab-cased.txt'), { modelMaxLength: 0 })).rejects.toThrow(
      'modelMaxLength must be a positive integer, got 0',
    );
  });
});
