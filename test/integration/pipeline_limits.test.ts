// What keeps one call's work bounded: the per-call model-input budget (maxEncodings) for inputs
// that expand (zero-shot labels, windows of long texts, QA questions), and a failing input that
// stops its siblings and leaves no work of the call running after it has failed.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BatchReport } from '../../lib/serving/batcher';
import { PipelineInputError } from '../../lib/serving/errors';
import { pipeline, type Pipeline } from '../../lib/serving/pipeline';
import { writeTinyModel, TINY_MAX_LENGTH } from '../helpers/pipeline_models';

let dir: string;
const reports: BatchReport[] = [];
let nli: Pipeline<'zero-shot-classification'>;
let ner: Pipeline<'ner'>;
let qa: Pipeline<'question-answering'>;
let strict: Pipeline<'text-classification'>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-pipeline-limits-'));
  const labels = { num_labels: 3, id2label: { 0: 'contradiction', 1: 'neutral', 2: 'entailment' }, label2id: { contradiction: 0, neutral: 1, entailment: 2 } };
  await writeTinyModel(path.join(dir, 'nli'), 'sequence-classification', labels);
  await writeTinyModel(path.join(dir, 'ner'), 'token-classification', { num_labels: 3, id2label: { 0: 'O', 1: 'B-PER', 2: 'I-PER' } });
  await writeTinyModel(path.join(dir, 'qa'), 'question-answering');
  nli = await pipeline('zero-shot-classification', path.join(dir, 'nli'));
  ner = await pipeline('ner', path.join(dir, 'ner'));
  qa = await pipeline('question-answering', path.join(dir, 'qa'));
  strict = await pipeline('text-classification', path.join(dir, 'nli'), { truncate: false, onBatch: (r) => reports.push(r) });
});

afterAll(async () => {
  for (const p of [nli, ner, qa, strict]) await p?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function rejection(work: Promise<unknown>): Promise<PipelineInputError> {
  const error = await work.then(
    () => new Error('the call succeeded'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PipelineInputError);
  return error as PipelineInputError;
}

test('zero-shot: the candidate labels of all inputs count against maxEncodings, checked before any work is queued', async () => {
  const labels = Array.from({ length: 20 }, (_, i) => `label ${i}`);
  const ok = (await nli.call(['the cat', 'the dog'], { candidate_labels: labels }, { maxEncodings: 40 })) as Array<{ labels: string[] }>;
  expect(ok.map((r) => r.labels.length)).toEqual([20, 20]);
  const error = await rejection(nli.call(['the cat', 'the dog', 'a fish'], { candidate_labels: labels }, { maxEncodings: 40 }));
  expect(error.status).toBe(400);
  expect(error.field).toBe('inputs[2]');
  expect(error.message).toMatch(/expands the request to more than 40 model inputs/);
  expect(nli.engine.queueDepth).toBe(0);
});

test('token classification: the windows of a long text count against maxEncodings', async () => {
  const long = 'the big cat eats the small red fish . '.repeat(40);
  const windows = (await ner.call(long, { aggregation_strategy: 'simple', stride: 8 })) as unknown[];
  expect(Array.isArray(windows)).toBe(true);
  const error = await rejection(ner.call(long, { aggregation_strategy: 'simple', stride: TINY_MAX_LENGTH - 3 }, { maxEncodings: 50 }));
  expect(error.field).toBe('inputs');
  expect(error.message).toMatch(/more than 50 model inputs/);
});

test('question answering: every question of {question: [...], context} counts against maxEncodings', async () => {
  const questions = Array.from({ length: 6 }, () => 'where is the cat ?');
  const answers = (await qa.call({ question: questions, context: 'the cat sleeps on the mat .' }, {}, { maxEncodings: 6 })) as unknown[];
  expect(answers).toHaveLength(6);
  const error = await rejection(qa.call({ question: [...questions, 'and the dog ?'], context: 'the cat sleeps on the mat .' }, {}, { maxEncodings: 6 }));
  expect(error.field).toMatch(/^inputs/);
  expect(error.message).toMatch(/more than 6 model inputs/);
});

test('a failing input stops its siblings from submitting more, and the call settles only when nothing of it is queued or running', async () => {
  const before = reports.reduce((n, r) => n + r.items, 0);
  const tooLong = 'the cat '.repeat(TINY_MAX_LENGTH);
  const error = await rejection(strict.call([tooLong, 'the cat', 'a dog', 'the fish'], {}));
  expect(error.status).toBe(422);
  expect(error.field).toBe('inputs[0]');
  // Taken the moment the rejection arrives, and again once any straggler would have run.
  const atRejection = reports.reduce((n, r) => n + r.items, 0) - before;
  expect(strict.engine.queueDepth).toBe(0);
  await new Promise((r) => setTimeout(r, 50));
  await strict.engine.idle();
  expect(reports.reduce((n, r) => n + r.items, 0) - before).toBe(atRejection);
  expect(atRejection).toBeLessThanOrEqual(3);
});

test('maxEncodings must be a positive integer', async () => {
  await expect(nli.call('the cat', { candidate_labels: ['a'] }, { maxEncodings: 0 })).rejects.toThrow('maxEncodings must be a positive integer, got 0');
});
