// Dynamic batching through HTTP: concurrent requests share batches (the /metrics batch histogram
// shows fewer batches than requests), and every batched answer is the one a request gets alone.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { get, maxDifference, metricValue, post, sentence, startServer, writeClassifier, type RunningServer } from '../helpers/served_models';

let root: string;
let server: RunningServer;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-serve-batching-'));
  const modelDir = path.join(root, 'classifier');
  await writeClassifier(modelDir);
  // The server loads the model itself (as `bertrun serve` does) and observes its batches; an idle
  // model waits up to 25 ms for a fuller batch.
  server = await startServer({ model: { modelDir, maxWaitMs: 25, maxBatchRequests: 64 } });
});

afterAll(async () => {
  await server?.app.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const batchCount = async (): Promise<{ batches: number; items: number; single: number }> => {
  const text = (await get(`${server.url}/metrics`)).text;
  return {
    batches: metricValue(text, 'bertrun_batch_size_count'),
    items: metricValue(text, 'bertrun_batch_size_sum'),
    single: metricValue(text, 'bertrun_batch_size_bucket', { le: '1' }),
  };
};

test('32 concurrent requests run in fewer batches than requests, and each answer equals its one-at-a-time answer within 1e-5', async () => {
  // Sentences of 2..17 words: batched ones are padded to the longest of their batch.
  const texts = Array.from({ length: 32 }, (_, i) => sentence(2 + (i % 16), i));
  const routes = (text: string, i: number): [string, unknown] =>
    i % 3 === 0
      ? ['/predict', { inputs: text }]
      : i % 3 === 1
        ? ['/', { inputs: text, parameters: { top_k: null } }]
        : ['/v1/model_prediction/', { sentence1: text, sentence2: texts[(i + 5) % texts.length] }];

  const alone: unknown[] = [];
  for (const [i, text] of texts.entries()) {
    const [route, body] = routes(text, i);
    const response = await post(`${server.url}${route}`, body);
    expect(response.status).toBe(200);
    alone.push(response.body);
  }
  const afterAlone = await batchCount();
  // One at a time, every request was a batch of its own.
  expect(afterAlone).toEqual({ batches: 32, items: 32, single: 32 });

  const together = await Promise.all(texts.map((text, i) => post(`${server.url}${routes(text, i)[0]}`, routes(text, i)[1])));
  const afterTogether = await batchCount();
  const batches = afterTogether.batches - afterAlone.batches;
  expect(afterTogether.items - afterAlone.items).toBe(32);
  expect(batches).toBeLessThan(32);
  // Batches of more than one input ran.
  expect(batches - (afterTogether.single - afterAlone.single)).toBeGreaterThan(0);
  for (const [i, response] of together.entries()) {
    expect(response.status).toBe(200);
    expect(maxDifference(response.body, alone[i], `request ${i}`)).toBeLessThan(1e-5);
  }
  const metrics = (await get(`${server.url}/metrics`)).text;
  expect(metricValue(metrics, 'bertrun_batch_padded_tokens_sum')).toBeGreaterThan(metricValue(metrics, 'bertrun_batch_tokens_sum'));
});
