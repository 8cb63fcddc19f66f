// feature-extraction against transformers' FeatureExtractionPipeline and sentence-embeddings
// against sentence-transformers' SentenceTransformer.encode (live, one Python run), on the real
// all-MiniLM-L6-v2 and on copies of it with other pooling settings, and a tiny model without
// modules.json (sentence-transformers' mean-pooling fallback). Vectors within 1e-4, cosine >= 1 - 1e-5.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PipelineInputError } from '../../lib/serving/errors';
import { pipeline, type Pipeline } from '../../lib/serving/pipeline';
import { embedSentences } from '../../lib/serving/tasks/sentence_embeddings';
import { maxNestedDiff, writeTinyModel } from '../helpers/pipeline_models';
import { runPythonScript } from '../helpers/python_script';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findMiniLM } = require('../../scripts/find-minilm.js') as { findMiniLM: () => string };

type ModelName = 'minilm' | 'concat' | 'weighted' | 'lastToken' | 'plain';

const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'A man is playing a guitar on stage.',
  'Transformers für die Verarbeitung natürlicher Sprache!',
  'Hi',
];
// About 480 tokens: sentence-transformers cuts it at max_seq_length (256 for MiniLM).
const LONG = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} talks about the weather.`).join(' ');

interface EmbedCase {
  model: ModelName;
  texts: string[];
  /** undefined: the directory's choice. */
  normalize?: boolean;
}

const EMBED_CASES: EmbedCase[] = [
  { model: 'minilm', texts: [...SENTENCES, LONG] },
  { model: 'minilm', texts: SENTENCES, normalize: false },
  { model: 'concat', texts: [...SENTENCES, LONG] },
  { model: 'concat', texts: SENTENCES, normalize: true },
  { model: 'weighted', texts: SENTENCES },
  { model: 'lastToken', texts: SENTENCES },
  { model: 'plain', texts: ['the cat eats the fish .', 'a big dog', 'very'] },
];

interface FeatureCase {
  inputs: unknown;
  kwargs?: Record<string, unknown>;
}

const FEATURE_CASES: FeatureCase[] = [
  { inputs: 'The quick brown fox jumps over the lazy dog.' },
  { inputs: SENTENCES },
  { inputs: ['Hi'] },
  // About 960 tokens: more than the model takes, cut at 512 with truncation; at 8 with max_length 8.
  { inputs: `${LONG} ${LONG}`, kwargs: { truncation: true } },
  { inputs: ['Short one.', LONG], kwargs: { tokenize_kwargs: { truncation: true, max_length: 8 } } },
];

let dir: string;
const dirs = {} as Record<ModelName, string>;
let reference: Array<{ output?: unknown; error?: string }>;
const embedders = new Map<ModelName, Pipeline<'sentence-embeddings'>>();
let features: Pipeline<'feature-extraction'>;

/** A copy of MiniLM (weights and tokenizer linked) with its own modules.json and pooling / transformer settings. */
function minilmVariant(name: string, pooling: Record<string, unknown>, normalize: boolean, sentenceBert?: Record<string, unknown>): string {
  const source = findMiniLM();
  const target = path.join(dir, name);
  fs.mkdirSync(path.join(target, '1_Pooling'), { recursive: true });
  for (const file of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt']) {
    fs.symlinkSync(path.join(source, file), path.join(target, file));
  }
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    ...(normalize ? [{ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' }] : []),
  ];
  fs.writeFileSync(path.join(target, 'modules.json'), JSON.stringify(modules));
  fs.writeFileSync(path.join(target, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: 384, ...pooling }));
  if (sentenceBert) fs.writeFileSync(path.join(target, 'sentence_bert_config.json'), JSON.stringify(sentenceBert));
  return target;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-embeddings-'));
  dirs.minilm = findMiniLM();
  // Legacy booleans, three modes concatenated (cls, max, mean_sqrt_len), a short max_seq_length and do_lower_case.
  dirs.concat = minilmVariant(
    'concat',
    { pooling_mode_cls_token: true, pooling_mode_max_tokens: true, pooling_mode_mean_tokens: false, pooling_mode_mean_sqrt_len_tokens: true },
    false,
    { max_seq_length: 16, do_lower_case: true },
  );
  dirs.weighted = minilmVariant('weighted', { pooling_mode: 'weightedmean' }, true);
  dirs.lastToken = minilmVariant('last-token', { pooling_mode: 'lasttoken' }, false, { max_seq_length: 128, do_lower_case: false });
  dirs.plain = await writeTinyModel(path.join(dir, 'plain'), 'base', { initializer_range: 0.3 });
  const cases = [
    ...EMBED_CASES.map((c) => ({
      task: 'sentence-transformers',
      model: dirs[c.model],
      inputs: c.texts,
      kwargs: c.normalize === undefined ? {} : { normalize: c.normalize },
    })),
    ...FEATURE_CASES.map((c) => ({ task: 'feature-extraction', model: dirs.minilm, inputs: c.inputs, kwargs: c.kwargs ?? {} })),
  ];
  fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(cases));
  reference = JSON.parse(runPythonScript('pipeline_reference_cls.py', [path.join(dir, 'cases.json')]));
  for (const name of Object.keys(dirs) as ModelName[]) embedders.set(name, await pipeline('sentence-embeddings', dirs[name], { warn: () => undefined }));
  features = await pipeline('feature-extraction', dirs.minilm, { warn: () => undefined });
});

afterAll(async () => {
  for (const p of embedders.values()) await p.dispose();
  await features?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    dot += x * b[i];
    na += x * x;
    nb += b[i] * b[i];
  });
  return dot / Math.sqrt(na * nb);
}

test.each(EMBED_CASES.map((c, i) => [`${c.model}, normalize ${c.normalize}`, i] as const))(
  'sentence-embeddings %s: as SentenceTransformer.encode',
  async (_name, i) => {
    const c = EMBED_CASES[i];
    expect(reference[i].error).toBeUndefined();
    const expected = reference[i].output as number[][];
    const actual = (await embedders.get(c.model)!(c.texts, c.normalize === undefined ? {} : { normalize: c.normalize })) as number[][];
    expect(actual.map((v) => v.length)).toEqual(expected.map((v) => v.length));
    actual.forEach((vector, j) => {
      expect(cosine(vector, expected[j])).toBeGreaterThanOrEqual(1 - 1e-5);
      expect(maxNestedDiff(vector, expected[j])).toBeLessThanOrEqual(1e-4);
    });
  },
);

test('sentence-embeddings: one text gives one vector; normalize follows the directory unless given; embedSentences agrees', async () => {
  const embed = embedders.get('minilm')!;
  const one = (await embed('Hi')) as number[];
  expect(one).toHaveLength(384);
  expect(Math.hypot(...one)).toBeCloseTo(1, 6);
  const raw = (await embed('Hi', { normalize: false })) as number[];
  expect(Math.hypot(...raw)).not.toBeCloseTo(1, 2);
  const [viaFunction] = await embedSentences(embed.engine, ['Hi'], { normalize: false });
  expect(maxNestedDiff(viaFunction, raw)).toBe(0);
  // The tiny model has no modules.json: mean pooling, not normalized.
  const plain = (await embedders.get('plain')!('the cat')) as number[];
  expect(plain).toHaveLength(32);
  expect(Math.hypot(...plain)).not.toBeCloseTo(1, 2);
});

test.each(FEATURE_CASES.map((c, i) => [`${JSON.stringify(c.inputs).slice(0, 40)} ${JSON.stringify(c.kwargs ?? {})}`, i] as const))(
  'feature-extraction %s: as transformers',
  async (_name, i) => {
    const c = FEATURE_CASES[i];
    const expected = reference[EMBED_CASES.length + i];
    expect(expected.error).toBeUndefined();
    const actual = await features.call(c.inputs, c.kwargs);
    // Same nesting ([1][tokens][hidden] per input) and token counts, values within 1e-4.
    const shape = (x: unknown): unknown => (Array.isArray(x) && Array.isArray(x[0]) ? [x.length, shape(x[0])] : Array.isArray(x) ? x.length : typeof x);
    expect(shape(actual)).toEqual(shape(expected.output));
    expect(maxNestedDiff(actual, expected.output)).toBeLessThanOrEqual(1e-4);
  },
);

test('feature-extraction: truncation false refuses a text longer than the model takes (422), as the tokenizer does not cut it', async () => {
  const err = await features.call(['fine', `${LONG} ${LONG}`], { truncation: false }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PipelineInputError);
  expect((err as PipelineInputError).field).toBe('inputs[1]');
  expect((err as PipelineInputError).status).toBe(422);
});

test('bad requests name the field', async () => {
  const fieldOf = (p: Promise<unknown>) =>
    p.then(
      () => 'no error',
      (e: unknown) => (e instanceof PipelineInputError ? e.field : String(e)),
    );
  const embed = embedders.get('minilm')!;
  expect(await fieldOf(embed.call(''))).toBe('inputs');
  expect(await fieldOf(embed.call(['a', { text: 'b' }]))).toBe('inputs[1]');
  expect(await fieldOf(embed.call([]))).toBe('inputs');
  expect(await fieldOf(embed.call('a', { normalize: 'yes' }))).toBe('parameters.normalize');
  expect(await fieldOf(embed.call('a', { pooling: 'cls' }))).toBe('parameters.pooling');
  expect(await fieldOf(features.call(7))).toBe('inputs');
  expect(await fieldOf(features.call('a', { return_tensors: true }))).toBe('parameters.return_tensors');
  expect(await fieldOf(features.call('a', { truncation: true, tokenize_kwargs: { truncation: true } }))).toBe('parameters.truncation');
  expect(await fieldOf(features.call('a', { tokenize_kwargs: { padding: true } }))).toBe('parameters.tokenize_kwargs.padding');
  expect(await fieldOf(features.call('a', { tokenize_kwargs: { max_length: 100000 } }))).toBe('parameters.tokenize_kwargs.max_length');
});

test('a list gives what each input gives alone (batching changes nothing beyond 1e-5)', async () => {
  const texts = [...SENTENCES, LONG];
  for (const name of ['minilm', 'concat'] as const) {
    const embed = embedders.get(name)!;
    const together = await embed(texts);
    const alone = [];
    for (const text of texts) alone.push(await embed(text));
    expect(maxNestedDiff(together, alone)).toBeLessThanOrEqual(1e-5);
  }
  const together = await features(SENTENCES);
  const alone = [];
  for (const text of SENTENCES) alone.push(await features(text));
  expect(maxNestedDiff(together, alone)).toBeLessThanOrEqual(1e-5);
});
