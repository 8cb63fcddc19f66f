// fill-mask against transformers' FillMaskPipeline (live, one Python run): a tiny masked-LM saved
// by bertrun, loaded by both; tokens, token strings and sequences exactly, scores within 1e-4.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { PipelineInputError, PipelineSetupError } from '../../lib/serving/errors';
import { pipeline, type Pipeline } from '../../lib/serving/pipeline';
import { expectClose, maxNestedDiff, writeTinyModel } from '../helpers/pipeline_models';
import { runPythonScript } from '../helpers/python_script';

interface Case {
  name: string;
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
];

// Inputs transformers refuses too; bertrun names the field.
const ERROR_CASES: Array<Case & { field: string }> = [
  { name: 'no mask', inputs: 'the cat runs', field: 'inputs' },
  { name: 'no mask in the second input', inputs: ['the [MASK] runs', 'the cat runs'], field: 'inputs[1]' },
  { name: 'no usable target', inputs: 'the [MASK] runs', kwargs: { targets: [''] }, field: 'parameters.targets' },
];

let dir: string;
let fill: Pipeline<'fill-mask'>;
let reference: Array<{ output?: unknown; error?: string }>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-fill-mask-'));
  const model = await writeTinyModel(path.join(dir, 'mlm'), 'masked-lm', { initializer_range: 0.3 }, 3);
  const cases = [...CASES, ...ERROR_CASES].map((c) => ({ task: 'fill-mask', model, inputs: c.inputs, kwargs: c.kwargs ?? {} }));
  fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(cases));
  reference = JSON.parse(runPythonScript('pipeline_reference_cls.py', [path.join(dir, 'cases.json')]));
  fill = await pipeline('fill-mask', model, { warn: () => undefined });
});

afterAll(async () => {
  await fill?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

test.each(CASES.map((c, i) => [c.name, i] as const))('%s: as transformers', async (_name, i) => {
  const c = CASES[i];
  const expected = reference[i];
  expect(expected.error).toBeUndefined();
  const actual = await fill.call(c.inputs, c.kwargs);
  expectClose(actual, expected.output, 1e-4);
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

test('a tokenizer without a mask token cannot fill masks', async () => {
  const model = await writeTinyModel(path.join(dir, 'no-mask'), 'masked-lm');
  fs.writeFileSync(path.join(model, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, mask_token: '[NOPE]' }));
  await expect(pipeline('fill-mask', model, { warn: () => undefined })).rejects.toThrow(PipelineSetupError);
});
