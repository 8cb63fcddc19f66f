// text-classification against transformers' TextClassificationPipeline (live, one Python run):
// all-MiniLM-L6-v2 with a seeded random 3-label head, and tiny multi-label and regression models,
// each saved by bertrun and loaded by both sides. Labels exactly, scores within 1e-4.
import type { Pipeline } from '../../lib/serving/pipeline';
import { expectClose, fieldOf, maxNestedDiff, pipelineTestFiles, writeMiniLmWithHead, writeTinyModel, type ReferenceResult } from '../helpers/pipeline_models';

type ModelName = 'minilm' | 'multiLabel' | 'regression' | 'oneLabel';

interface Case {
  model: ModelName;
  inputs: unknown;
  kwargs?: Record<string, unknown>;
}

const PAIR = { text: 'A man is playing a guitar.', text_pair: 'Someone plays music on stage.' };

const CASES: Case[] = [
  { model: 'minilm', inputs: 'I love this movie, it was great!' },
  { model: 'minilm', inputs: ['The food was cold.', 'Transformers für die Verarbeitung natürlicher Sprache!', 'Hi'] },
  { model: 'minilm', inputs: ['Just one text in a list.'] },
  { model: 'minilm', inputs: [PAIR, { text: 'Is it raining?', text_pair: 'The sky is clear.' }] },
  { model: 'minilm', inputs: 'I love this movie, it was great!', kwargs: { top_k: 1 } },
  { model: 'minilm', inputs: 'I love this movie, it was great!', kwargs: { top_k: 2 } },
  { model: 'minilm', inputs: 'I love this movie, it was great!', kwargs: { top_k: null } },
  { model: 'minilm', inputs: ['The food was cold.', 'Hi'], kwargs: { top_k: null } },
  { model: 'minilm', inputs: ['The food was cold.', 'Hi'], kwargs: { top_k: 1 } },
  { model: 'minilm', inputs: 'The food was cold.', kwargs: { function_to_apply: 'sigmoid', top_k: null } },
  { model: 'minilm', inputs: 'The food was cold.', kwargs: { function_to_apply: 'none', top_k: null } },
  { model: 'minilm', inputs: 'The food was cold.', kwargs: { function_to_apply: 'softmax' } },
  { model: 'multiLabel', inputs: 'the cat eats the fish' },
  { model: 'multiLabel', inputs: ['the cat eats the fish', 'a big dog'], kwargs: { top_k: null } },
  { model: 'multiLabel', inputs: 'the cat eats the fish', kwargs: { function_to_apply: 'softmax', top_k: 3 } },
  { model: 'regression', inputs: 'the cat eats the fish' },
  { model: 'regression', inputs: ['the cat eats the fish', 'i love it !'], kwargs: { top_k: null } },
  { model: 'regression', inputs: 'the cat eats the fish', kwargs: { function_to_apply: 'sigmoid' } },
  { model: 'oneLabel', inputs: 'the cat eats the fish', kwargs: { top_k: null } },
  // One {text, text_pair} object (not in a list): its result unwrapped ({label, score}, or the list with top_k).
  { model: 'minilm', inputs: PAIR },
  { model: 'minilm', inputs: PAIR, kwargs: { top_k: 2 } },
];

const caseName = (c: Case) => `${c.model} ${JSON.stringify(c.inputs).slice(0, 50)} ${JSON.stringify(c.kwargs ?? {})}`;

const files = pipelineTestFiles('bertrun-text-classification-');
let reference: ReferenceResult[];
let pipelines: Map<ModelName, Pipeline<'text-classification'>>;

beforeAll(async () => {
  const dirs: Record<ModelName, string> = {
    // The real MiniLM encoder with a seeded random classification head, saved so that both sides load that head.
    minilm: await writeMiniLmWithHead(files.path('minilm'), 'sequence-classification', 11, {
      id2label: { 0: 'negative', 1: 'neutral', 2: 'positive' },
      initializer_range: 0.5,
    }),
    multiLabel: await writeTinyModel(files.path('multi'), 'sequence-classification', {
      id2label: { 0: 'animal', 1: 'color', 2: 'size', 3: 'action' },
      problem_type: 'multi_label_classification',
      initializer_range: 0.3,
    }),
    regression: await writeTinyModel(files.path('regression'), 'sequence-classification', {
      num_labels: 1,
      problem_type: 'regression',
      initializer_range: 0.3,
    }),
    oneLabel: await writeTinyModel(files.path('one-label'), 'sequence-classification', { num_labels: 1, initializer_range: 0.3 }),
  };
  const cases = CASES.map((c) => ({ task: 'text-classification', model: dirs[c.model], inputs: c.inputs, kwargs: c.kwargs ?? {} }));
  reference = files.reference('pipeline_reference_cls.py', cases);
  pipelines = await files.loadAll('text-classification', dirs);
});

test.each(CASES.map((c, i) => [caseName(c), i] as const))('%s: as transformers', async (_name, i) => {
  const c = CASES[i];
  expect(reference[i].error).toBeUndefined();
  const actual = await pipelines.get(c.model)!.call(c.inputs, c.kwargs);
  expectClose(actual, reference[i].output, 1e-4);
});

test('the MiniLM head really is random but not degenerate (scores differ between texts)', async () => {
  const [a, b] = (await pipelines.get('minilm')!(['The food was cold.', 'Hi'], { top_k: null })) as Array<Array<{ score: number }>>;
  expect(maxNestedDiff(a, b)).toBeGreaterThan(1e-3);
});

test('bad requests name the field', async () => {
  const classify = pipelines.get('minilm')!;
  expect(await fieldOf(classify.call(''))).toBe('inputs');
  expect(await fieldOf(classify.call(42))).toBe('inputs');
  expect(await fieldOf(classify.call(['fine', '']))).toBe('inputs[1]');
  expect(await fieldOf(classify.call([{ text: 'a', text_pair: 7 }]))).toBe('inputs[0].text_pair');
  expect(await fieldOf(classify.call({ text: 'a', pair: 'b' }))).toBe('inputs.pair');
  expect(await fieldOf(classify.call('fine', { top_k: 0 }))).toBe('parameters.top_k');
  expect(await fieldOf(classify.call('fine', { function_to_apply: 'relu' }))).toBe('parameters.function_to_apply');
  expect(await fieldOf(classify.call('fine', { topk: 2 }))).toBe('parameters.topk');
});

test('a list gives what each input gives alone (batching changes nothing beyond 1e-5)', async () => {
  const classify = pipelines.get('minilm')!;
  const inputs = ['The food was cold.', 'Hi', PAIR, 'A much longer sentence about the weather, which was rainy all day long in the city.'];
  const together = await classify(inputs, { top_k: null });
  const alone = [];
  // Each alone as a list of one (the shape of a list's items).
  for (const input of inputs) alone.push(((await classify([input], { top_k: null })) as unknown[])[0]);
  expect(maxNestedDiff(together, alone)).toBeLessThanOrEqual(1e-5);
});
