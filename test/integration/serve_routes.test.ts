// `bertrun serve` routes on a real server (loopback, fetch): each route's answer is the pipeline's own
// answer in that route's shape; /info, /health, /openapi.json and /metrics describe what ran.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { BertTask } from '../../lib/models/bert_model';
import { pipeline, pipelineOn, type Pipeline, type PipelineTaskName } from '../../lib/serving/pipeline';
import { BatchReports } from '../../lib/serving/server';
import {
  LABELS,
  MAX_POSITIONS,
  get,
  maxDifference,
  metricValue,
  post,
  startServer,
  writeClassifier,
  writeModelWithHead,
  writeSentenceEncoder,
  type RunningServer,
} from '../helpers/served_models';

let root: string;
let classifierDir: string;
let encoderDir: string;
let classifier: Pipeline<'text-classification'>;
let encoder: Pipeline<'sentence-embeddings'>;
let classifierServer: RunningServer;
let encoderServer: RunningServer;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-serve-routes-'));
  classifierDir = path.join(root, 'classifier');
  encoderDir = path.join(root, 'encoder');
  await writeClassifier(classifierDir);
  await writeSentenceEncoder(encoderDir);
  const reports = new BatchReports();
  classifier = await pipeline('text-classification', classifierDir, { onBatch: reports.onBatch, maxBatchTokens: 2048, maxBatchRequests: 16 });
  encoder = await pipeline('sentence-embeddings', encoderDir);
  classifierServer = await startServer({ pipeline: classifier, batchReports: reports, maxClientBatchSize: 8 });
  encoderServer = await startServer({ pipeline: encoder });
});

afterAll(async () => {
  await classifierServer?.app.close();
  await encoderServer?.app.close();
  await classifier?.dispose();
  await encoder?.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

interface LabelScore {
  label: string;
  score: number;
}

test('POST /v1/model_prediction/ answers ["label", softmax score] of the best label, as the pipeline does, for a pair and for one sentence', async () => {
  const pair = await post(`${classifierServer.url}/v1/model_prediction/`, { sentence1: 'the cat runs', sentence2: 'a dog sleeps' });
  expect(pair.status).toBe(200);
  const [[bestPair]] = (await classifier([{ text: 'the cat runs', text_pair: 'a dog sleeps' }], { top_k: 1, function_to_apply: 'softmax' })) as LabelScore[][];
  expect(pair.body).toEqual([bestPair.label, expect.any(Number)]);
  expect(Math.abs((pair.body as [string, number])[1] - bestPair.score)).toBeLessThan(1e-9);

  const single = await post(`${classifierServer.url}/v1/model_prediction`, { sentence: 'very big fish' });
  expect(single.status).toBe(200);
  const all = (await classifier('very big fish', { top_k: null })) as LabelScore[];
  expect((single.body as [string, number])[0]).toBe(all[0].label);
  expect(Math.abs((single.body as [string, number])[1] - all[0].score)).toBeLessThan(1e-9);
  // A softmax score of the best of 3 labels.
  expect(all.reduce((sum, s) => sum + s.score, 0)).toBeCloseTo(1, 6);
  expect((single.body as [string, number])[1]).toBeGreaterThanOrEqual(1 / 3);
});

test('POST /predict (text-embeddings-inference) answers every label, best first, as the pipeline with top_k null: one text, a pair, a batch, raw_scores', async () => {
  const url = `${classifierServer.url}/predict`;
  const one = await post(url, { inputs: 'the red bird' });
  expect(one.status).toBe(200);
  expect(maxDifference(one.body, await classifier('the red bird', { top_k: null }))).toBeLessThan(1e-9);
  const scores = (one.body as LabelScore[]).map((s) => s.score);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));
  expect((one.body as LabelScore[]).map((s) => s.label).sort()).toEqual([...LABELS].sort());

  const pair = await post(url, { inputs: ['the red bird', 'a blue fish'] });
  expect(pair.status).toBe(200);
  const [pairExpected] = (await classifier([{ text: 'the red bird', text_pair: 'a blue fish' }], { top_k: null })) as LabelScore[][];
  expect(maxDifference(pair.body, pairExpected)).toBeLessThan(1e-9);

  const batch = await post(url, { inputs: [['the red bird'], ['the red bird', 'a blue fish'], ['not very small']] });
  expect(batch.status).toBe(200);
  const batchExpected = await classifier(['the red bird', { text: 'the red bird', text_pair: 'a blue fish' }, 'not very small'], { top_k: null });
  expect(maxDifference(batch.body, batchExpected)).toBeLessThan(1e-6);

  const raw = await post(url, { inputs: 'the red bird', raw_scores: true });
  expect(raw.status).toBe(200);
  expect(maxDifference(raw.body, await classifier('the red bird', { top_k: null, function_to_apply: 'none' }))).toBeLessThan(1e-9);
  expect((raw.body as LabelScore[]).reduce((sum, s) => sum + s.score, 0)).not.toBeCloseTo(1, 3);
});

test('POST / answers what pipeline.call answers for the same inputs and parameters', async () => {
  const cases: Array<{ inputs: unknown; parameters?: Record<string, unknown> }> = [
    { inputs: 'the cat eats' },
    { inputs: ['the cat eats', 'a dog runs very'] },
    { inputs: ['the cat eats', 'a dog runs very'], parameters: { top_k: 2 } },
    { inputs: { text: 'the cat', text_pair: 'eats fish' }, parameters: { function_to_apply: 'sigmoid' } },
    { inputs: 'the cat eats', parameters: { top_k: null } },
  ];
  for (const body of cases) {
    const response = await post(`${classifierServer.url}/`, body);
    expect(response.status).toBe(200);
    expect(maxDifference(response.body, await classifier.call(body.inputs, body.parameters))).toBeLessThan(1e-6);
  }
  // Any task through the same route: sentence embeddings.
  const embedded = await post(`${encoderServer.url}/`, { inputs: ['a big dog', 'the cat'], parameters: { normalize: true } });
  expect(embedded.status).toBe(200);
  expect(maxDifference(embedded.body, await encoder.call(['a big dog', 'the cat'], { normalize: true }))).toBeLessThan(1e-6);
});

test('POST / serves every pipeline task with no per-task code: token classification, question answering, fill-mask, zero-shot, features', async () => {
  const cases: Array<{ task: PipelineTaskName; head: BertTask; labels?: string[]; inputs: unknown; parameters?: Record<string, unknown> }> = [
    { task: 'token-classification', head: 'token-classification', labels: ['O', 'B-ANIMAL', 'I-ANIMAL'], inputs: ['the big cat runs', 'a dog'] },
    {
      task: 'question-answering',
      head: 'question-answering',
      inputs: { question: 'what runs', context: 'the big cat runs not very' },
      parameters: { top_k: 2 },
    },
    { task: 'fill-mask', head: 'masked-lm', inputs: 'the [MASK] runs', parameters: { top_k: 3 } },
    {
      task: 'zero-shot-classification',
      head: 'sequence-classification',
      labels: ['contradiction', 'neutral', 'entailment'],
      inputs: 'the cat eats fish',
      parameters: { candidate_labels: ['red', 'blue'] },
    },
    { task: 'feature-extraction', head: 'base', inputs: 'the cat' },
  ];
  for (const { task, head, labels, inputs, parameters } of cases) {
    const dir = path.join(root, task);
    await writeModelWithHead(dir, head, labels);
    const served = await pipeline(task, dir);
    const running = await startServer({ pipeline: served });
    try {
      const response = await post(`${running.url}/`, parameters ? { inputs, parameters } : { inputs });
      expect({ task, status: response.status }).toEqual({ task, status: 200 });
      expect(maxDifference(response.body, await served.call(inputs, parameters), task)).toBeLessThan(1e-6);
      const info = JSON.parse((await get(`${running.url}/info`)).text) as { task: string; labels: string[] | null };
      expect(info.task).toBe(task);
      const wrong = await post(`${running.url}/`, parameters ? { inputs: 17, parameters } : { inputs: 17 });
      expect({ task, status: wrong.status, type: (wrong.body as { error_type: string }).error_type }).toEqual({ task, status: 400, type: 'validation' });
      expect((wrong.body as { error: string }).error).toMatch(/^inputs/);
    } finally {
      await running.app.close();
      await served.dispose();
    }
  }
});

test('POST /embed (text-embeddings-inference) answers one unit-length vector per input, as the sentence-embeddings pipeline does', async () => {
  const url = `${encoderServer.url}/embed`;
  const one = await post(url, { inputs: 'the small fish' });
  expect(one.status).toBe(200);
  const vectors = one.body as number[][];
  expect(vectors).toHaveLength(1);
  expect(vectors[0]).toHaveLength(32);
  expect(Math.hypot(...vectors[0])).toBeCloseTo(1, 5);
  expect(maxDifference(vectors[0], await encoder('the small fish', { normalize: true }))).toBeLessThan(1e-6);

  const many = await post(url, { inputs: ['the small fish', 'a very big green bird runs'], normalize: false });
  expect(many.status).toBe(200);
  expect(maxDifference(many.body, await encoder(['the small fish', 'a very big green bird runs'], { normalize: false }))).toBeLessThan(1e-6);
  expect(Math.hypot(...(many.body as number[][])[0])).not.toBeCloseTo(1, 3);

  // A feature-extraction server (the same encoder, its token vectors) answers /embed with their
  // mean, which is what this encoder's 1_Pooling (mean tokens) computes.
  const features = await startServer({ pipeline: pipelineOn('feature-extraction', encoder.engine) });
  try {
    const pooled = await post(`${features.url}/embed`, { inputs: ['the small fish', 'a very big green bird runs'] });
    expect(pooled.status).toBe(200);
    expect(maxDifference(pooled.body, await encoder(['the small fish', 'a very big green bird runs'], { normalize: true }))).toBeLessThan(1e-5);
  } finally {
    await features.app.close();
  }

  // The wrong model for the route: a 400 saying what this server runs and what to load.
  const onClassifier = await post(`${classifierServer.url}/embed`, { inputs: 'the cat' });
  expect(onClassifier.status).toBe(400);
  expect(onClassifier.body).toEqual({ error: expect.stringMatching(/runs text-classification.*modules\.json/), error_type: 'validation' });
  const predictOnEncoder = await post(`${encoderServer.url}/predict`, { inputs: 'the cat' });
  expect(predictOnEncoder.status).toBe(400);
  expect((predictOnEncoder.body as { error: string }).error).toMatch(/needs a text-classification model; this server runs sentence-embeddings/);
});

test('GET /health is 200 and /info describes the model, task, labels, limits, version and device', async () => {
  const health = await get(`${classifierServer.url}/health`);
  expect(health.status).toBe(200);
  expect(JSON.parse(health.text)).toEqual({ status: 'ok' });

  const info = await get(`${classifierServer.url}/info`);
  expect(info.status).toBe(200);
  const version = (JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
  expect(JSON.parse(info.text)).toEqual({
    model_dir: classifierDir,
    task: 'text-classification',
    model_type: 'sequence-classification',
    labels: LABELS,
    max_input_length: MAX_POSITIONS,
    auto_truncate: true,
    max_batch_tokens: 2048,
    max_batch_requests: 16,
    max_wait_ms: 0,
    max_concurrent_requests: 512,
    max_client_batch_size: 8,
    max_body_bytes: 2 * 1024 * 1024,
    max_request_encodings: 2048,
    device: 'cpu',
    dtype: 'float32',
    version,
  });
  const encoderInfo = JSON.parse((await get(`${encoderServer.url}/info`)).text) as Record<string, unknown>;
  expect(encoderInfo).toMatchObject({ task: 'sentence-embeddings', model_type: 'base', labels: null });
});

test('GET /openapi.json documents every route with its request schema', async () => {
  const response = await get(`${classifierServer.url}/openapi.json`);
  expect(response.status).toBe(200);
  const document = JSON.parse(response.text) as {
    openapi: string;
    paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
  };
  expect(document.openapi).toBe('3.0.3');
  expect(Object.keys(document.paths).sort()).toEqual(
    ['/', '/embed', '/health', '/info', '/metrics', '/openapi.json', '/predict', '/v1/model_prediction/'].sort(),
  );
  for (const route of ['/', '/embed', '/predict', '/v1/model_prediction/']) {
    expect(document.paths[route].post.requestBody).toMatchObject({ content: { 'application/json': { schema: expect.any(Object) } } });
    expect(Object.keys(document.paths[route].post.responses)).toEqual(expect.arrayContaining(['200', '400', '413', '422', '429', '500']));
  }
  expect(JSON.stringify(document.paths['/predict'].post.requestBody)).toContain('raw_scores');
  for (const route of ['/health', '/info', '/metrics', '/openapi.json']) expect(Object.keys(document.paths[route].get.responses)).toContain('200');
});

test('GET /metrics counts requests by route and status, and shows batches, queue depth and requests in flight', async () => {
  const before = (await get(`${classifierServer.url}/metrics`)).text;
  for (let i = 0; i < 3; i++) expect((await post(`${classifierServer.url}/predict`, { inputs: `the cat ${'runs '.repeat(i)}` })).status).toBe(200);
  expect((await post(`${classifierServer.url}/predict`, { inputs: 5 })).status).toBe(400);
  expect((await post(`${classifierServer.url}/predict`, {})).status).toBe(400);
  expect((await get(`${classifierServer.url}/missing`)).status).toBe(404);
  const response = await get(`${classifierServer.url}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  const after = response.text;
  const count = (text: string, route: string, status: string): number =>
    metricValue(text, 'bertrun_requests_total', { method: route === 'unmatched' ? 'GET' : 'POST', route, status });
  expect(count(after, '/predict', '200') - count(before, '/predict', '200')).toBe(3);
  expect(count(after, '/predict', '400') - count(before, '/predict', '400')).toBe(2);
  expect(count(after, 'unmatched', '404') - count(before, 'unmatched', '404')).toBe(1);
  const latency = (text: string): number => metricValue(text, 'bertrun_request_duration_seconds_count', { method: 'POST', route: '/predict' });
  expect(latency(after) - latency(before)).toBe(5);
  // The three answered requests ran one batch each (sequential), of one input each.
  const batches = (text: string): number => metricValue(text, 'bertrun_batch_size_count');
  const items = (text: string): number => metricValue(text, 'bertrun_batch_size_sum');
  expect(batches(after) - batches(before)).toBe(3);
  expect(items(after) - items(before)).toBe(3);
  expect(metricValue(after, 'bertrun_batch_tokens_sum') - metricValue(before, 'bertrun_batch_tokens_sum')).toBe(4 + 5 + 6);
  expect(after).toMatch(/^bertrun_queue_depth 0$/m);
  expect(after).toMatch(/^bertrun_requests_in_flight 0$/m);
  expect(after).toMatch(/^# TYPE bertrun_batch_size histogram$/m);
});
