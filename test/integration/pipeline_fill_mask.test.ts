// fill-mask against transformers' FillMaskPipeline (live, one Python run): a tiny masked-LM and
// all-MiniLM-L6-v2 with a newly initialised masked-LM head (its decoder tied to the real word
// embeddings), each saved by bertrun and loaded by both; tokens, token strings and sequences
// exactly, scores within 1e-4.
import * as fs from 'fs';
import * as path from 'path';
import { PipelineInputError, PipelineSetupError } from '../../lib/serving/errors';
import { pipeline, type Pipeline } from '../../lib/serving/pipeline';
import { expectClose, maxNestedDiff, pipelineTestFiles, writeMiniLmWithHead, writeTinyModel, type ReferenceResult } from '../helpers/pipeline_models';

type ModelName = 'tiny' | 'minilm';

interface Case {
  name: string;
  /** The model that runs the case; default tiny. */
  model?: ModelName;
  inputs: unknown;
  kwargs?: Record<string, unknown>;
}

const CASES: Case[] = [
  { name: 'one mask, default top_k', inputs: 'the cat [MASK] very big.' },
  { name: 'top_k 3', inputs: 'i love the [MASK] game!', kwargs: { top_k: 3 } },
  { name: 'top_k 1, upper case text', inputs: 'The DOG eats [MASK].', kwargs: { top_k: 1 } },
  { name: 'two masks in one input', inputs: 'the [MASK] eats a [MASK] fish.', kwargs: { top_k: 2 } },
  { name: 'a list of inputs', inputs: ['a [MASK] bird.', 'the [MASK] [MASK] sleeps', 'cooking is [MASK]'] },
  { name: 'a list of one input (transformers unwraps it)', inputs: ['the [MASK] runs'] },
  { name: 'targets: a list', inputs: 'the [MASK] runs.', kwargs: { targets: ['cat', 'dog', 'fish'] } },
  { name: 'targets: one string', inputs: 'the [MASK] runs.', kwargs: { targets: 'bird' } },
  {
    // "Cat" and "birds" are not vocabulary tokens: their first tokens (cat, bird) stand in; "zebra" tokenizes to [UNK]; "" to nothing (dropped).
    name: 'targets not in the vocabulary',
    inputs: 'the [MASK] runs.',
    kwargs: { targets: ['Cat', 'birds', 'zebra', '', 'dog'], top_k: 10 },
  },
  { name: 'targets with two masks', inputs: '[MASK] dog eats [MASK]', kwargs: { targets: ['a', 'the', 'food'] } },
  { name: 'unknown words and a literal [CLS]', inputs: 'zebras [CLS] are [MASK] quickly', kwargs: { top_k: 4 } },
  // MiniLM: the real uncased WordPiece vocabulary (30522 tokens), the real encoder, a seeded random head.
  { name: 'MiniLM: one mask, default top_k', model: 'minilm', inputs: 'The capital of France is [MASK].' },
  { name: 'MiniLM: top_k 3', model: 'minilm', inputs: 'I went to the [MASK] to buy some fresh bread.', kwargs: { top_k: 3 } },
  { name: 'MiniLM: two masks in one input, top_k 3', model: 'minilm', inputs: 'The [MASK] sat on the [MASK] and fell asleep.', kwargs: { top_k: 3 } },
  {
    // "Rainy" is lower-cased to a vocabulary word; "snowstorms" is split into word pieces (its first stands in).
    name: 'MiniLM: targets',
    model: 'minilm',
    inputs: 'The weather today is [MASK] and windy.',
    kwargs: { targets: ['sunny', 'Rainy', 'cold', 'snowstorms'] },
  },
  {
    name: 'MiniLM: targets with two masks',
    model: 'minilm',
    inputs: 'My [MASK] likes to play [MASK] after school.',
    kwargs: { targets: ['brother', 'sister', 'football', 'music'], top_k: 2 },
  },
  {
    name: 'MiniLM: a list of inputs',
    model: 'minilm',
    inputs: ['She opened the [MASK] and walked inside.', 'Paris is a beautiful [MASK] in Europe.'],
    kwargs: { top_k: 3 },
  },
];

// Inputs transformers refuses too; bertrun names the field.
const ERROR_CASES: Array<Case & { field: string }> = [
  { name: 'no mask', inputs: 'the cat runs', field: 'inputs' },
  { name: 'no mask in the second input', inputs: ['the [MASK] runs', 'the cat runs'], field: 'inputs[1]' },
  { name: 'no usable target', inputs: 'the [MASK] runs', kwargs: { targets: [''] }, field: 'parameters.targets' },
];

const files = pipelineTestFiles('bertrun-fill-mask-');
let fill: Pipeline<'fill-mask'>;
let pipelines: Map<ModelName, Pipeline<'fill-mask'>>;
let reference: ReferenceResult[];

beforeAll(async () => {
  const dirs: Record<ModelName, string> = {
    tiny: await writeTinyModel(files.path('mlm'), 'masked-lm', { initializer_range: 0.3 }, 3),
    // The MiniLM checkpoint has no masked-LM head: bertrun initialises cls.predictions (transform
    // and bias) from the seed and saves it; the decoder is tied to the word embeddings on both sides.
    minilm: await writeMiniLmWithHead(files.path('minilm'), 'masked-lm', 13, {}),
  };
  const cases = [...CASES, ...ERROR_CASES].map((c) => ({ task: 'fill-mask', model: dirs[c.model ?? 'tiny'], inputs: c.inputs, kwargs: c.kwargs ?? {} }));
  reference = files.reference('pipeline_reference_cls.py', cases);
  pipelines = await files.loadAll('fill-mask', dirs);
  fill = pipelines.get('tiny')!;
});

test.each(CASES.map((c, i) => [c.name, i] as const))('%s: as transformers', async (_name, i) => {
  const c = CASES[i];
  const expected = reference[i];
  expect(expected.error).toBeUndefined();
  const actual = await pipelines.get(c.model ?? 'tiny')!.call(c.inputs, c.kwargs);
  expectClose(actual, expected.output, 1e-4);
});

// MiniLM's random head spreads its probability over 30522 tokens (the top score is near 0.005), so
// scores within 1e-4 would allow a few percent: compare their logarithms too (logits less their
// log-sum-exp), each within 1e-4.
test('MiniLM: log-scores agree within 1e-4 (the tied decoder and the new head load identically)', async () => {
  const scores = (output: unknown): number[] =>
    Array.isArray(output) ? output.flatMap(scores) : typeof output === 'object' && output !== null ? [(output as { score: number }).score] : [];
  let compared = 0;
  for (const [i, c] of CASES.entries()) {
    if (c.model !== 'minilm') continue;
    const actual = scores(await pipelines.get('minilm')!.call(c.inputs, c.kwargs));
    const expected = scores(reference[i].output);
    expect(actual).toHaveLength(expected.length);
    for (const [j, e] of expected.entries()) expect(Math.abs(Math.log(actual[j]) - Math.log(e))).toBeLessThanOrEqual(1e-4);
    compared += expected.length;
  }
  expect(compared).toBeGreaterThan(20);
});

test.each(ERROR_CASES.map((c, i) => [c.name, i] as const))('%s: transformers fails too; bertrun names the field', async (_name, i) => {
  const c = ERROR_CASES[i];
  expect(reference[CASES.length + i].error).toEqual(expect.stringMatching(/\S/));
  const err = await fill.call(c.inputs, c.kwargs).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PipelineInputError);
  expect((err as PipelineInputError).field).toBe(c.field);
});

test('bad requests name the field', async () => {
  const fieldOf = (p: Promise<unknown>) =>
    p.then(
      () => 'no error',
      (e: unknown) => (e instanceof PipelineInputError ? e.field : String(e)),
    );
  expect(await fieldOf(fill.call(''))).toBe('inputs');
  expect(await fieldOf(fill.call(['the [MASK]', 3]))).toBe('inputs[1]');
  expect(await fieldOf(fill.call('the [MASK]', { top_k: 0 }))).toBe('parameters.top_k');
  expect(await fieldOf(fill.call('the [MASK]', { targets: [1] }))).toBe('parameters.targets[0]');
  expect(await fieldOf(fill.call('the [MASK]', { top_n: 3 }))).toBe('parameters.top_n');
  await expect(fill.call('the cat runs')).rejects.toThrow('inputs: has no mask token ([MASK])');
});

test('a list gives what each input gives alone (batching changes nothing beyond 1e-5)', async () => {
  const texts = ['a [MASK] bird.', 'the [MASK] [MASK] sleeps', 'cooking is [MASK]', 'i [MASK] it !', 'the very big red dog [MASK] the small fish .'];
  const together = await fill(texts, { top_k: 4 });
  const alone = [];
  for (const text of texts) alone.push(await fill(text, { top_k: 4 }));
  expect(maxNestedDiff(together, alone)).toBeLessThanOrEqual(1e-5);
});

test('MiniLM: a list gives what each input gives alone (batching changes nothing beyond 1e-5)', async () => {
  const texts = ['She opened the [MASK] and walked inside.', 'The [MASK] sat on the [MASK] and fell asleep.', 'Hello [MASK]!'];
  const minilm = pipelines.get('minilm')!;
  const together = await minilm(texts, { top_k: 3 });
  const alone = [];
  for (const text of texts) alone.push(await minilm(text, { top_k: 3 }));
  expect(maxNestedDiff(together, alone)).toBeLessThanOrEqual(1e-5);
});

test('a tokenizer without a mask token cannot fill masks', async () => {
  const model = await writeTinyModel(files.path('no-mask'), 'masked-lm');
  fs.writeFileSync(path.join(model, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, mask_token: '[NOPE]' }));
  await expect(pipeline('fill-mask', model, { warn: () => undefined })).rejects.toThrow(PipelineSetupError);
});
