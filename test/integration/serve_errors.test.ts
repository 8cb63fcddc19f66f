// `bertrun serve` failures on a real server: every status a client can get (400, 401, 404, 413,
// 422, 429, 500), each as {"error", "error_type"} with a message naming the field at fault; a
// failing batch fails only its own requests and the server keeps serving.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { NativeBatch } from '../../lib/native';
import { pipeline, pipelineOn, type Pipeline } from '../../lib/serving/pipeline';
import { BatchReports, type ServedPipeline } from '../../lib/serving/server';
import { get, metricValue, post, startServer, writeClassifier, writeModelWithHead, type RunningServer } from '../helpers/served_models';

let root: string;
let modelDir: string;
let classifier: Pipeline<'text-classification'>;
let server: RunningServer;
const servers: RunningServer[] = [];
const pipelines: Array<{ dispose(): Promise<void> }> = [];

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-serve-errors-'));
  modelDir = path.join(root, 'classifier');
  await writeClassifier(modelDir);
  classifier = await pipeline('text-classification', modelDir);
  pipelines.push(classifier);
  server = await startServer({ pipeline: classifier, maxClientBatchSize: 4 });
  servers.push(server);
});

afterAll(async () => {
  for (const s of servers) await s.app.close();
  for (const p of pipelines) await p.dispose();
  fs.rmSync(root, { recursive: true, force: true });
});

async function serve(options: Parameters<typeof startServer>[0]): Promise<RunningServer> {
  const started = await startServer(options);
  servers.push(started);
  return started;
}

function expectError(response: { status: number; body: unknown }, status: number, errorType: string, message: RegExp): void {
  expect({ status: response.status, body: response.body }).toEqual({ status, body: { error: expect.stringMatching(message), error_type: errorType } });
}

test('400 for malformed JSON, a wrong type, an empty string, a missing or unknown field, and too many inputs, naming the field', async () => {
  const { url } = server;
  expectError(await post(`${url}/`, '{"inputs": "the cat",'), 400, 'validation', /^body: not valid JSON/);
  expectError(await post(`${url}/predict`, '{inputs}'), 400, 'validation', /^body: not valid JSON/);
  expectError(await post(`${url}/`, ''), 400, 'validation', /^body: /);
  // Wrong types: fastify's schema validation names the field.
  expectError(await post(`${url}/v1/model_prediction/`, { sentence: 5 }), 400, 'validation', /^body\/sentence must be string, got 5$/);
  expectError(await post(`${url}/embed`, { inputs: 'a', normalize: 'yes' }), 400, 'validation', /^body\/normalize must be boolean/);
  expectError(await post(`${url}/predict`, { inputs: { text: 'a' } }), 400, 'validation', /^body\/inputs must be a text, a pair/);
  expectError(await post(`${url}/`, { inputs: 'the cat', parameters: 'top_k=1' }), 400, 'validation', /^body\/parameters must be object/);
  // ...and the pipeline names fields inside inputs and parameters.
  expectError(await post(`${url}/`, { inputs: ['the cat', 7] }), 400, 'validation', /^inputs\[1\]: must be a string/);
  expectError(await post(`${url}/`, { inputs: 'the cat', parameters: { top_k: 'all' } }), 400, 'validation', /^parameters\.top_k: must be an integer/);
  expectError(await post(`${url}/`, { inputs: 'the cat', parameters: { temperature: 1 } }), 400, 'validation', /^parameters\.temperature: is not a parameter/);
  // Empty strings.
  expectError(await post(`${url}/`, { inputs: '' }), 400, 'validation', /^inputs: must not be empty$/);
  expectError(await post(`${url}/v1/model_prediction/`, { sentence1: 'the cat', sentence2: '' }), 400, 'validation', /^body\/sentence2 must not be empty$/);
  expectError(await post(`${url}/predict`, { inputs: [['the cat'], ['a dog', '']] }), 400, 'validation', /^inputs\[1\]\[1\]: must not be empty$/);
  expectError(await post(`${url}/embed`, { inputs: ['a', ''] }), 400, 'validation', /^body\/inputs\/1 must not be empty$/);
  // Missing and unknown fields.
  expectError(await post(`${url}/`, { parameters: {} }), 400, 'validation', /^body\/inputs is required$/);
  expectError(await post(`${url}/predict`, { input: 'the cat' }), 400, 'validation', /^body\/inputs is required$/);
  expectError(await post(`${url}/v1/model_prediction/`, { sentence2: 'the cat' }), 400, 'validation', /^body\/sentence1: is required/);
  expectError(
    await post(`${url}/v1/model_prediction/`, { sentence1: 'a', sentence3: 'b' }),
    400,
    'validation',
    /^body\/sentence3 is not a field of this request; known: sentence1, sentence2, sentence$/,
  );
  // More inputs than --max_client_batch_size (4 here).
  const five = ['a', 'b', 'c', 'd', 'e'];
  expectError(
    await post(`${url}/`, { inputs: five }),
    400,
    'validation',
    /^inputs: holds 5 inputs; this server takes at most 4 per request \(--max_client_batch_size\)/,
  );
  expectError(await post(`${url}/predict`, { inputs: five.map((t) => [t]) }), 400, 'validation', /^inputs: holds 5 inputs/);
  expect((await post(`${url}/`, { inputs: five.slice(0, 4) })).status).toBe(200);
  // A body that is not JSON at all.
  const form = await fetch(`${url}/`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'the cat' });
  expect(form.status).toBe(415);
  expect(await form.json()).toEqual({ error: expect.stringMatching(/Content-Type: application\/json/), error_type: 'validation' });
});

test('404 is JSON naming the routes there are', async () => {
  const missing = await get(`${server.url}/v2/predict`);
  expect(missing.status).toBe(404);
  expect(JSON.parse(missing.text)).toEqual({
    error: expect.stringMatching(/^no route GET \/v2\/predict; routes: POST \/, .*POST \/predict/),
    error_type: 'not_found',
  });
  expectError(await post(`${server.url}/classify`, { inputs: 'a' }), 404, 'not_found', /^no route POST \/classify/);
});

test('400 for a request that expands past --max_request_encodings (zero-shot labels x inputs), and nothing of it is queued', async () => {
  const nliDir = path.join(root, 'nli');
  await writeModelWithHead(nliDir, 'sequence-classification', ['contradiction', 'neutral', 'entailment']);
  const nli = await serve({ model: { modelDir: nliDir, task: 'zero-shot-classification' }, maxRequestEncodings: 8 });
  const labels = ['cat', 'dog', 'fish', 'bird'];
  expect((await post(`${nli.url}/`, { inputs: ['the cat', 'a dog'], parameters: { candidate_labels: labels } })).status).toBe(200);
  expectError(
    await post(`${nli.url}/`, { inputs: ['the cat', 'a dog', 'the fish'], parameters: { candidate_labels: labels } }),
    400,
    'validation',
    /^inputs\[2\]: expands the request to more than 8 model inputs .*Fix: /,
  );
  const metrics = (await get(`${nli.url}/metrics`)).text;
  expect(metricValue(metrics, 'bertrun_batch_size_sum')).toBe(8);
  expect(metricValue(metrics, 'bertrun_queue_depth')).toBe(0);
});

test('413 for a body over --max_body_bytes', async () => {
  const small = await serve({ pipeline: classifier, maxBodyBytes: 1024 });
  expectError(
    await post(`${small.url}/`, { inputs: 'the cat '.repeat(200) }),
    413,
    'payload_too_large',
    /^body: larger than the 1024 bytes .*--max_body_bytes/,
  );
  expect((await post(`${small.url}/`, { inputs: 'the cat' })).status).toBe(200);
});

test('422 for an input longer than the model takes with truncation off; truncated (200) by default or when a request asks', async () => {
  const strict = await serve({ pipeline: pipelineOn('text-classification', classifier.engine, { truncate: false }), truncate: false });
  const long = 'the cat runs '.repeat(30); // 90 words + [CLS] [SEP]: over the 64 positions
  expectError(await post(`${strict.url}/`, { inputs: ['the cat', long] }), 422, 'validation', /^inputs\[1\]: is 92 tokens long; the model takes at most 64/);
  expectError(await post(`${strict.url}/predict`, { inputs: [['the cat'], [long]] }), 422, 'validation', /^inputs\[1\]\[0\]: is 92 tokens long/);
  // A pair is one input: [CLS] the cat [SEP] ... [SEP].
  expectError(await post(`${strict.url}/predict`, { inputs: ['the cat', long] }), 422, 'validation', /^inputs: is 95 tokens long/);
  expectError(await post(`${strict.url}/v1/model_prediction/`, { sentence: long }), 422, 'validation', /^body\/sentence: is 92 tokens long/);
  // text-embeddings-inference's per-request truncate wins over the server's setting, both ways.
  expect((await post(`${strict.url}/predict`, { inputs: long, truncate: true })).status).toBe(200);
  expect((await post(`${server.url}/predict`, { inputs: long })).status).toBe(200);
  expectError(await post(`${server.url}/predict`, { inputs: long, truncate: false }), 422, 'validation', /^inputs: is 92 tokens long/);
  expect((await get(`${strict.url}/info`)).text).toContain('"auto_truncate":false');
});

test('401 without the bearer key or with a wrong one; /health stays open', async () => {
  const guarded = await serve({ pipeline: classifier, apiKey: 's3cret-key' });
  const none = await post(`${guarded.url}/`, { inputs: 'the cat' });
  expectError(none, 401, 'unauthorized', /Authorization: Bearer/);
  expect(none.headers.get('www-authenticate')).toBe('Bearer realm="bertrun"');
  const wrong = await post(`${guarded.url}/`, { inputs: 'the cat' }, { authorization: 'Bearer s3cret-kez' });
  expectError(wrong, 401, 'unauthorized', /^wrong API key$/);
  expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="bertrun", error="invalid_token"');
  expectError(await post(`${guarded.url}/`, { inputs: 'the cat' }, { authorization: 'Basic czNjcmV0' }), 401, 'unauthorized', /Bearer <key>/);
  expect((await get(`${guarded.url}/metrics`)).status).toBe(401);
  expect((await get(`${guarded.url}/openapi.json`)).status).toBe(401);
  expect((await get(`${guarded.url}/missing`)).status).toBe(401);
  expect((await get(`${guarded.url}/health`)).status).toBe(200);
  const right = await post(`${guarded.url}/`, { inputs: 'the cat' }, { authorization: 'Bearer s3cret-key' });
  expect(right.status).toBe(200);
  expect((await get(`${guarded.url}/metrics`, { authorization: 'bearer s3cret-key' })).status).toBe(200);
});

test('429 with Retry-After past --max_concurrent_requests; the slot frees when the request is answered', async () => {
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  let started: () => void = () => undefined;
  const running = new Promise<void>((resolve) => (started = resolve));
  // A pipeline whose answer waits until the test lets it go (a slow batch).
  const slow: ServedPipeline = {
    task: classifier.task,
    engine: classifier.engine,
    dispose: async () => undefined,
    call: async (inputs, parameters) => {
      started();
      await held;
      return classifier.call(inputs, parameters);
    },
  };
  const busy = await serve({ pipeline: slow, maxConcurrentRequests: 1 });
  const first = post(`${busy.url}/`, { inputs: 'the cat' });
  await running;
  const second = await post(`${busy.url}/`, { inputs: 'a dog' });
  expectError(second, 429, 'overloaded', /--max_concurrent_requests 1/);
  expect(second.headers.get('retry-after')).toBe('1');
  // Status routes are not inference requests: they answer while the slot is taken.
  expect((await get(`${busy.url}/health`)).status).toBe(200);
  expect(metricValue((await get(`${busy.url}/metrics`)).text, 'bertrun_requests_in_flight')).toBe(1);
  release();
  expect((await first).status).toBe(200);
  expect((await post(`${busy.url}/`, { inputs: 'a dog' })).status).toBe(200);
});

test("500 for a batch whose forward fails, for that batch's requests only; concurrent requests in other batches and later requests succeed", async () => {
  const reports = new BatchReports();
  // One input per batch, so the poisoned request shares its batch with nobody.
  const fragile = await pipeline('text-classification', modelDir, { maxBatchRequests: 1, onBatch: reports.onBatch });
  pipelines.push(fragile);
  const { model } = fragile.engine;
  const forward = model.forward.bind(model);
  const UNKNOWN_TOKEN = 1; // [UNK]: "zebra" is not in the vocabulary
  model.forward = async (batch: NativeBatch, options) => {
    if (Array.from(batch.inputIds, Number).includes(UNKNOWN_TOKEN)) throw new Error('CUDA error: an illegal memory access was encountered (simulated)');
    return forward(batch, options);
  };
  const flaky = await serve({ pipeline: fragile, batchReports: reports });
  const [poisoned, valid, validList] = await Promise.all([
    post(`${flaky.url}/`, { inputs: 'the zebra runs' }),
    post(`${flaky.url}/`, { inputs: 'the cat runs' }),
    post(`${flaky.url}/predict`, { inputs: [['the dog'], ['a big fish']] }),
  ]);
  expectError(poisoned, 500, 'backend', /^inference failed: CUDA error: an illegal memory access was encountered \(simulated\)$/);
  expect(valid.status).toBe(200);
  expect(valid.body).toEqual(await classifier.call('the cat runs'));
  expect(validList.status).toBe(200);
  // The server goes on serving, poisoned inputs included in what fails.
  expect((await post(`${flaky.url}/v1/model_prediction/`, { sentence: 'the cat' })).status).toBe(200);
  expect((await post(`${flaky.url}/`, { inputs: ['the cat', 'a zebra'] })).status).toBe(500);
  expect((await get(`${flaky.url}/health`)).status).toBe(200);
  const metrics = (await get(`${flaky.url}/metrics`)).text;
  expect(metricValue(metrics, 'bertrun_batch_failures_total')).toBe(2);
  expect(metricValue(metrics, 'bertrun_requests_total', { method: 'POST', route: '/', status: '500' })).toBe(2);
});
