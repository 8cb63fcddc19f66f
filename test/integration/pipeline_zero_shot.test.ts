// zero-shot-classification against transformers' ZeroShotClassificationPipeline (live, one Python
// run): all-MiniLM-L6-v2 with a seeded random 3-label NLI head, and tiny random NLI models, each
// saved by bertrun and loaded by both sides, entailment last (the usual MNLI layout) and first (so
// the contradiction logit is the last one). Labels exactly, scores within 1e-4.
import { PipelineInputError, PipelineSetupError } from '../../lib/serving/errors';
import { pipeline, type Pipeline } from '../../lib/serving/pipeline';
import { expectClose, fieldOf, maxNestedDiff, pipelineTestFiles, writeMiniLmWithHead, writeTinyModel, type ReferenceResult } from '../helpers/pipeline_models';

type ModelName = 'minilm' | 'nli' | 'entailFirst';

interface Case {
  model: ModelName;
  inputs: unknown;
  kwargs: Record<string, unknown>;
}

const LABELS = ['sports', 'politics', 'cooking', 'weather'];
const TOPICS = ['sports', 'politics', 'food', 'weather', 'technology'];
const GAME = 'The home team scored twice in the final minutes and won the championship.';

const CASES: Case[] = [
  { model: 'minilm', inputs: GAME, kwargs: { candidate_labels: TOPICS } },
  { model: 'minilm', inputs: GAME, kwargs: { candidate_labels: TOPICS, multi_label: true } },
  {
    model: 'minilm',
    inputs: [
      'The senate passed the new budget after a long debate.',
      'Heavy rain and strong winds are expected tomorrow morning.',
      'Stir the onions until golden.',
    ],
    kwargs: { candidate_labels: TOPICS, multi_label: false },
  },
  {
    model: 'minilm',
    inputs: ['The senate passed the new budget after a long debate.', 'My new phone has a faster processor and a better camera.'],
    kwargs: { candidate_labels: 'politics, technology, travel', multi_label: true },
  },
  {
    model: 'minilm',
    inputs: 'We spent two weeks hiking in the mountains of Peru.',
    kwargs: { candidate_labels: ['travel', 'finance', 'health'], hypothesis_template: 'This story is about {}.' },
  },
  {
    model: 'minilm',
    inputs: 'We spent two weeks hiking in the mountains of Peru.',
    kwargs: { candidate_labels: ['travel', 'finance', 'health'], hypothesis_template: 'The topic is {}.', multi_label: true },
  },
  { model: 'nli', inputs: 'i love this game !', kwargs: { candidate_labels: LABELS } },
  { model: 'nli', inputs: 'the cat eats the fish .', kwargs: { candidate_labels: 'cooking, sports,  weather,' } },
  { model: 'nli', inputs: 'the cat eats the fish .', kwargs: { candidate_labels: LABELS, multi_label: true } },
  { model: 'nli', inputs: 'the cat eats the fish .', kwargs: { candidate_labels: ['cooking'] } },
  { model: 'nli', inputs: 'a big red dog', kwargs: { candidate_labels: LABELS, hypothesis_template: 'it is about {} !' } },
  { model: 'nli', inputs: 'a big red dog', kwargs: { candidate_labels: LABELS, hypothesis_template: '{0} , {0} ? {{ not }}' } },
  { model: 'nli', inputs: ['i hate the food', 'the bird sleeps', 'very very small'], kwargs: { candidate_labels: LABELS } },
  { model: 'nli', inputs: ['i hate the food'], kwargs: { candidate_labels: LABELS, multi_label: false } },
  { model: 'entailFirst', inputs: 'i love this game !', kwargs: { candidate_labels: LABELS } },
  // Longer than the model's 64 tokens: the text is cut, the hypothesis kept (only_first).
  { model: 'entailFirst', inputs: 'the big cat eats the small red fish . '.repeat(10), kwargs: { candidate_labels: LABELS } },
  { model: 'entailFirst', inputs: ['i love this game !', 'blue fish'], kwargs: { candidate_labels: LABELS, multi_label: true } },
  { model: 'entailFirst', inputs: 'i love this game !', kwargs: { candidate_labels: 'sports' } },
];

// Requests transformers refuses too; bertrun names the field.
const ERROR_CASES: Array<Case & { field: string }> = [
  { model: 'nli', inputs: 'the cat', kwargs: { candidate_labels: [] }, field: 'parameters.candidate_labels' },
  { model: 'nli', inputs: 'the cat', kwargs: { candidate_labels: ' , ' }, field: 'parameters.candidate_labels' },
  { model: 'nli', inputs: 'the cat', kwargs: { candidate_labels: LABELS, hypothesis_template: 'no placeholder' }, field: 'parameters.hypothesis_template' },
  { model: 'nli', inputs: 'the cat', kwargs: { candidate_labels: LABELS, hypothesis_template: '{label}' }, field: 'parameters.hypothesis_template' },
];

const caseName = (c: Case) => `${c.model} ${JSON.stringify(c.inputs).slice(0, 40)} ${JSON.stringify(c.kwargs)}`;

const files = pipelineTestFiles('bertrun-zero-shot-');
let reference: ReferenceResult[];
let pipelines: Map<ModelName, Pipeline<'zero-shot-classification'>>;

beforeAll(async () => {
  const dirs: Record<ModelName, string> = {
    // The real MiniLM encoder with a seeded random MNLI-style head, saved so that both sides load that head.
    minilm: await writeMiniLmWithHead(files.path('minilm'), 'sequence-classification', 17, {
      id2label: { 0: 'contradiction', 1: 'neutral', 2: 'entailment' },
      label2id: { contradiction: 0, neutral: 1, entailment: 2 },
      initializer_range: 0.5,
    }),
    nli: await writeTinyModel(
      files.path('nli'),
      'sequence-classification',
      { id2label: { 0: 'contradiction', 1: 'neutral', 2: 'entailment' }, initializer_range: 0.3 },
      5,
    ),
    entailFirst: await writeTinyModel(
      files.path('entail-first'),
      'sequence-classification',
      { id2label: { 0: 'ENTAILMENT', 1: 'NEUTRAL', 2: 'CONTRADICTION' }, initializer_range: 0.3 },
      6,
    ),
  };
  const cases = [...CASES, ...ERROR_CASES].map((c) => ({ task: 'zero-shot-classification', model: dirs[c.model], inputs: c.inputs, kwargs: c.kwargs }));
  reference = files.reference('pipeline_reference_cls.py', cases);
  pipelines = await files.loadAll('zero-shot-classification', dirs);
});

test.each(CASES.map((c, i) => [caseName(c), i] as const))('%s: as transformers', async (_name, i) => {
  const c = CASES[i];
  expect(reference[i].error).toBeUndefined();
  expectClose(await pipelines.get(c.model)!.call(c.inputs, c.kwargs), reference[i].output, 1e-4);
});

test.each(ERROR_CASES.map((c, i) => [caseName(c), i] as const))('%s: transformers fails too; bertrun names the field', async (_name, i) => {
  const c = ERROR_CASES[i];
  expect(reference[CASES.length + i].error).toEqual(expect.stringMatching(/\S/));
  const err = await pipelines
    .get(c.model)!
    .call(c.inputs, c.kwargs)
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PipelineInputError);
  expect((err as PipelineInputError).field).toBe(c.field);
});

test('bad requests name the field', async () => {
  const classify = pipelines.get('nli')!;
  expect(await fieldOf(classify.call('the cat'))).toBe('parameters.candidate_labels');
  expect(await fieldOf(classify.call('the cat', { candidate_labels: 3 }))).toBe('parameters.candidate_labels');
  expect(await fieldOf(classify.call('the cat', { candidate_labels: ['a', ''] }))).toBe('parameters.candidate_labels[1]');
  expect(await fieldOf(classify.call('', { candidate_labels: LABELS }))).toBe('inputs');
  expect(await fieldOf(classify.call(['the cat', 5], { candidate_labels: LABELS }))).toBe('inputs[1]');
  expect(await fieldOf(classify.call('the cat', { candidate_labels: LABELS, multi_label: 'yes' }))).toBe('parameters.multi_label');
  expect(await fieldOf(classify.call('the cat', { candidate_labels: LABELS, labels: LABELS }))).toBe('parameters.labels');
});

test('a list gives what each input gives alone (all label pairs batched; nothing changes beyond 1e-5)', async () => {
  const classify = pipelines.get('nli')!;
  const inputs = ['i hate the food', 'the bird sleeps', 'very very small', 'the green fish is not very big , it eats a small red fish .'];
  for (const multi_label of [false, true]) {
    const together = await classify(inputs, { candidate_labels: LABELS, multi_label });
    const alone = [];
    for (const input of inputs) alone.push(await classify(input, { candidate_labels: LABELS, multi_label }));
    expect(maxNestedDiff(together, alone)).toBeLessThanOrEqual(1e-5);
  }
});

test('the MiniLM head really is random but not degenerate (scores differ between texts and labels)', async () => {
  const classify = pipelines.get('minilm')!;
  const texts = [GAME, 'Stir the onions until golden.'];
  const [a, b] = (await classify(texts, { candidate_labels: TOPICS, multi_label: true })) as Array<{ labels: string[]; scores: number[] }>;
  const byLabel = (r: { labels: string[]; scores: number[] }) => TOPICS.map((l) => r.scores[r.labels.indexOf(l)]);
  expect(maxNestedDiff(byLabel(a), byLabel(b))).toBeGreaterThan(1e-3);
  expect(Math.max(...a.scores) - Math.min(...a.scores)).toBeGreaterThan(1e-3);
});

test('MiniLM: a list gives what each input gives alone (nothing changes beyond 1e-5)', async () => {
  const classify = pipelines.get('minilm')!;
  const inputs = [GAME, 'Stir the onions until golden.', 'Hi'];
  for (const multi_label of [false, true]) {
    const together = await classify(inputs, { candidate_labels: TOPICS, multi_label });
    const alone = [];
    for (const input of inputs) alone.push(await classify(input, { candidate_labels: TOPICS, multi_label }));
    expect(maxNestedDiff(together, alone)).toBeLessThanOrEqual(1e-5);
  }
});

test('a model without an entailment label cannot do zero-shot classification', async () => {
  const model = await writeTinyModel(files.path('sentiment'), 'sequence-classification', { id2label: { 0: 'negative', 1: 'positive' } });
  const err = await pipeline('zero-shot-classification', model).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(PipelineSetupError);
  expect((err as Error).message).toMatch(/label2id.*"negative","positive".*entail/s);
  expect((err as Error).message).toContain('Fix: name its classes in config.json');
});
