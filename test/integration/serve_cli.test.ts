// `bertrun serve` as a process (the compiled CLI): flags and their errors, the task a model
// directory implies, the listening URL, JSON request logs, the API key from the environment, and a
// graceful SIGTERM / SIGINT: requests in flight are all answered, then the process exits 0.
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { detectTask } from '../../lib/serving/detect_task';
import { requireCompiledCli, runCli, startCli, waitFor, type Started } from '../helpers/ddp_run';
import { get, metricValue, post, sentence, writeClassifier, writeSentenceEncoder } from '../helpers/served_models';

let root: string;
let classifierDir: string;
let encoderDir: string;
const running: Started[] = [];

beforeAll(async () => {
  requireCompiledCli();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-serve-cli-'));
  classifierDir = path.join(root, 'classifier');
  encoderDir = path.join(root, 'encoder');
  await writeClassifier(classifierDir);
  await writeSentenceEncoder(encoderDir);
});

afterAll(() => {
  for (const started of running) if (started.child.exitCode === null) started.child.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

/** Starts `bertrun serve ...args --port 0` and resolves with its URL once it listens. */
async function serve(args: string[], env: Record<string, string> = {}): Promise<{ started: Started; url: string }> {
  const started = startCli(['serve', ...args, '--port', '0'], env);
  running.push(started);
  let url = '';
  await waitFor(
    () => {
      const match = /listening on (http:\/\/\S+)/.exec(started.output());
      if (match) url = match[1];
      return url !== '' || started.child.exitCode !== null;
    },
    60,
    `bertrun serve to listen:\n${started.output()}`,
  );
  if (!url) throw new Error(`bertrun serve exited:\n${started.output()}`);
  return { started, url };
}

test('--help lists the flags; wrong flags fail with exit 1 and a message naming the flag', async () => {
  const help = await runCli(['serve', '--help']);
  expect(help.code).toBe(0);
  for (const flag of [
    '--model_name_or_path',
    '--task',
    '--host',
    '--port',
    '--device',
    '--bf16',
    '--max_batch_tokens',
    '--max_batch_requests',
    '--max_wait_ms',
  ]) {
    expect(help.output).toContain(flag);
  }
  for (const flag of ['--max_concurrent_requests', '--max_client_batch_size', '--max_body_bytes', '--no_truncate', '--api_key', '--log_level']) {
    expect(help.output).toContain(flag);
  }
  expect((await runCli(['--help'])).output).toMatch(/^ {2}serve /m);

  const cases: Array<[string[], RegExp]> = [
    [[], /--model_name_or_path is required/],
    [['--model_name_or_path', classifierDir, '--port', 'http'], /--port expects a number, got "http"/],
    [['--model_name_or_path', classifierDir, '--port', '70000'], /--port must be in \[0, 65535\], got 70000/],
    [['--model_name_or_path', classifierDir, '--max_concurrent_requests', '0'], /--max_concurrent_requests must be an integer >= 1, got 0/],
    [['--model_name_or_path', classifierDir, '--task', 'translation'], /--task must be one of .*text-classification.*, got "translation"/],
    [['--model_name_or_path', classifierDir, '--log_level', 'loud'], /--log_level must be one of fatal, error, warn, info, debug, trace, silent/],
    [['--model_name_or_path', classifierDir, '--prot', '1'], /unknown flag --prot; did you mean --port\?/],
    [
      ['--model_name_or_path', path.join(root, 'missing')],
      /model directory \S+missing does not exist; the nearest existing directory is \S+ \(it holds: classifier, encoder\)/,
    ],
  ];
  for (const [args, message] of cases) {
    const result = await runCli(['serve', ...args]);
    expect({ args, code: result.code }).toEqual({ args, code: 1 });
    expect(result.output).toMatch(message);
  }
});

test('a port already in use fails naming --port', async () => {
  const holder = net.createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const { port } = holder.address() as net.AddressInfo;
  try {
    const result = await runCli(['serve', '--model_name_or_path', classifierDir, '--port', String(port), '--log_level', 'silent']);
    expect(result.code).toBe(1);
    expect(result.output).toContain(`--port ${port}: another process listens there`);
  } finally {
    holder.close();
  }
});

test('the task comes from config.json architectures, and from modules.json for a bare encoder', () => {
  const dir = (name: string, architectures: string[] | undefined, modules = false): string => {
    const d = path.join(root, 'detect', name);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'config.json'), JSON.stringify(architectures ? { model_type: 'bert', architectures } : { model_type: 'bert' }));
    if (modules) fs.writeFileSync(path.join(d, 'modules.json'), '[]');
    return d;
  };
  expect(detectTask(classifierDir).task).toBe('text-classification');
  expect(detectTask(dir('ner', ['BertForTokenClassification'])).task).toBe('token-classification');
  expect(detectTask(dir('qa', ['BertForQuestionAnswering'])).task).toBe('question-answering');
  expect(detectTask(dir('mlm', ['BertForMaskedLM'])).task).toBe('fill-mask');
  expect(detectTask(dir('pretraining', ['BertForPreTraining'])).task).toBe('fill-mask');
  expect(detectTask(dir('bare', ['BertModel'])).task).toBe('feature-extraction');
  expect(detectTask(dir('none', undefined)).task).toBe('feature-extraction');
  expect(detectTask(dir('st', ['BertModel'], true))).toEqual({
    task: 'sentence-embeddings',
    reason: 'config.json architectures[0] is BertModel and modules.json (sentence-transformers) is present',
  });
  expect(detectTask(encoderDir).task).toBe('sentence-embeddings');
  expect(() => detectTask(dir('mc', ['BertForMultipleChoice']))).toThrow(
    /architectures\[0\] is BertForMultipleChoice, which no pipeline task serves. Fix: name the task with --task/,
  );
});

test('serves on the printed URL with JSON request logs; SIGTERM lets every request in flight finish, then exits 0', async () => {
  // An idle model waits up to 1.5 s for a fuller batch: the requests below are in flight that long.
  const { started, url } = await serve([
    '--model_name_or_path',
    classifierDir,
    '--max_wait_ms',
    '1500',
    '--max_batch_requests',
    '1024',
    '--max_batch_tokens',
    '65536',
  ]);
  expect(started.output()).toContain('task text-classification (config.json architectures[0] is BertForSequenceClassification');
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect((await get(`${url}/health`)).status).toBe(200);

  const batches = Array.from({ length: 8 }, (_, r) => Array.from({ length: 32 }, (_, i) => sentence(3 + ((r + i) % 12), r * 32 + i)));
  const inFlight = batches.map((inputs) => post(`${url}/`, { inputs, parameters: { top_k: null } }));
  let lastMetrics = '';
  const until = Date.now() + 20_000;
  // In flight: admitted, and their 256 inputs tokenized and waiting in the batch queue.
  while ((metricValue(lastMetrics, 'bertrun_requests_in_flight') < 8 || metricValue(lastMetrics, 'bertrun_queue_depth') < 256) && Date.now() < until) {
    lastMetrics = (await get(`${url}/metrics`)).text;
  }
  expect(metricValue(lastMetrics, 'bertrun_requests_in_flight')).toBe(8);
  expect(metricValue(lastMetrics, 'bertrun_queue_depth')).toBe(256);
  started.child.kill('SIGTERM');
  const signalled = Date.now();

  const answers = await Promise.all(inFlight);
  for (const answer of answers) {
    expect(answer.status).toBe(200);
    expect(answer.body).toHaveLength(32);
    expect((answer.body as Array<Array<{ label: string }>>)[0]).toHaveLength(3);
  }
  // New connections are refused once it stops.
  await expect(fetch(`${url}/health`)).rejects.toThrow();
  const finished = await started.done;
  expect({ code: finished.code, signal: finished.signal }).toEqual({ code: 0, signal: null });
  expect(finished.output).toContain('bertrun serve: stopped');
  // Kept-alive connections do not hold the exit (fastify's keepAliveTimeout is 72 s).
  expect(Date.now() - signalled).toBeLessThan(15_000);

  // pino's JSON lines on stdout: one per request received and answered, and the shutdown.
  const logs = finished.output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map(
      (line) => JSON.parse(line) as { msg?: string; level?: number; reqId?: string; res?: { statusCode?: number }; req?: { url?: string }; signal?: string },
    );
  const completed = logs.filter((l) => l.msg === 'request completed');
  expect(completed.filter((l) => l.res?.statusCode === 200).length).toBeGreaterThanOrEqual(9);
  expect(logs.some((l) => l.msg === 'incoming request' && l.req?.url === '/' && typeof l.reqId === 'string')).toBe(true);
  expect(logs.some((l) => l.signal === 'SIGTERM')).toBe(true);
});

test('BERTRUN_API_KEY guards every route but /health; a sentence-transformers directory serves /embed; SIGINT exits 0', async () => {
  const { started, url } = await serve(['--model_name_or_path', encoderDir, '--log_level', 'warn'], { BERTRUN_API_KEY: 'k-123' });
  expect(started.output()).toContain('task sentence-embeddings');
  expect(started.output()).toContain('API key required');
  expect((await get(`${url}/health`)).status).toBe(200);
  expect((await post(`${url}/embed`, { inputs: 'the cat' })).status).toBe(401);
  const embedded = await post(`${url}/embed`, { inputs: ['the cat', 'a big dog'] }, { authorization: 'Bearer k-123' });
  expect(embedded.status).toBe(200);
  expect((embedded.body as number[][]).map((v) => v.length)).toEqual([32, 32]);
  expect(Math.hypot(...(embedded.body as number[][])[1])).toBeCloseTo(1, 5);
  const info = JSON.parse((await get(`${url}/info`, { authorization: 'Bearer k-123' })).text) as Record<string, unknown>;
  expect(info).toMatchObject({ task: 'sentence-embeddings', model_dir: encoderDir, device: 'cpu' });
  started.child.kill('SIGINT');
  const finished = await started.done;
  expect({ code: finished.code, signal: finished.signal }).toEqual({ code: 0, signal: null });
  // warn level: no request logs.
  expect(finished.output).not.toContain('request completed');
});
