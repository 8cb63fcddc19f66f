#!/usr/bin/env node
// Serving benchmark, measured in this run on this machine: `bertrun serve` against the seed's
// Flask app (transformers.pipeline in a threaded Flask server) and against transformers.js
// (@huggingface/transformers on onnxruntime-node in a Node http server), all serving the same
// model: all-MiniLM-L6-v2 with a 3-label classification head (random, seeded), saved once by
// bertrun and exported to ONNX for transformers.js. Same route and answer everywhere:
//   POST /v1/model_prediction/ {"sentence1", "sentence2"} -> ["label", score]
// Each server is started, warmed up, loaded and stopped in turn (loopback only). The load is
// autocannon, closed loop (each connection sends its next request when the answer came), at each
// concurrency, a fixed number of requests per level (cut at --max-seconds), every body drawn in
// order from one deterministic mix of sentence pairs of 8..128 tokens, skewed short.
// Then sentence-embeddings throughput without HTTP: bertrun's pipeline('sentence-embeddings'),
// transformers.js' feature-extraction pipeline {pooling: 'mean', normalize: true} and
// sentence-transformers' encode, on one fixed set of sentences.
// Targets (all at the same model and machine): bertrun/flask throughput >= 3x at concurrency 16
// with a lower p99; bertrun/transformers.js throughput >= 1.0x at 16 and 64; batch-1 (concurrency
// 1) p50 latency bertrun/transformers.js <= 1.2x. A sanity line checks the servers give the
// same labels on a sample of requests. On CPUs with bfloat16 instructions (AMX, AVX512-BF16)
// `bertrun serve --bf16` is measured too, as information beside the float32 targets.
// Bench-only dependencies live in scripts/bench/serve (its own package.json, installed on demand
// with `npm ci --prefix scripts/bench/serve`; python-requirements.txt installed into .venv on demand).
// CPU used by other processes during each level is reported: on a 2-core machine it distorts timings.
//
//   node scripts/bench-serve.js [--quick] [--requests 3000] [--concurrency 1,16,64] [--max-seconds 120]
//     [--warmup 200] [--sample 64] [--embed-texts 256] [--embed-repeats 3] [--seed 42]
//     [--only bertrun,flask,transformersjs,embeddings] [--bertrun-args "--max_wait_ms 2"]
//     [--work-dir DIR] [--json FILE] [--python PATH] [--quiet-wait 60]
//   --quick: 400 requests per level, 32 warm-up, 32 sampled, 2 embedding repeats (a smoke run of
//     ~1.5 minutes on 2 cores; the defaults take ~4 minutes, setup and installs not counted).
//   --requests: per concurrency level; concurrency 1 gets a quarter of it (its latency settles sooner).
//   --quiet-wait: before each measurement, wait up to this many seconds for other processes to
//     leave the CPUs idle (builds and tests of people sharing the machine), then measure anyway.
// Exit status: 0 when every target is met, 1 when one is missed or could not be measured, 2 on an error.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const http = require('http');
const net = require('net');
const os = require('os');
const path = require('path');
const { findMiniLM } = require('./find-minilm.js');
const { sentencePairs, sentences } = require('./bench/serve/request_mix.js');

const ROOT = path.resolve(__dirname, '..');
const BENCH_DIR = path.join(__dirname, 'bench', 'serve');
const ROUTE = '/v1/model_prediction/';
const LABELS = ['negative', 'positive', 'neutral'];

// ---------------------------------------------------------------------------------------------
// Flags

const argv = process.argv.slice(2);
require('./script_usage').exitWithUsageIfAsked(__filename, argv);
const VALUE_FLAGS = new Set([
  'requests',
  'concurrency',
  'max-seconds',
  'warmup',
  'sample',
  'embed-texts',
  'embed-repeats',
  'seed',
  'only',
  'bertrun-args',
  'work-dir',
  'json',
  'python',
  'quiet-wait',
]);
const BOOLEAN_FLAGS = new Set(['quick']);
for (let i = 0; i < argv.length; i++) {
  const name = argv[i].startsWith('--') ? argv[i].slice(2) : undefined;
  if (name !== undefined && VALUE_FLAGS.has(name)) i++;
  else if (name === undefined || !BOOLEAN_FLAGS.has(name)) {
    console.error(`bench-serve: unknown argument ${argv[i]} (see --help)`);
    process.exit(2);
  }
}
const quick = argv.includes('--quick');
const opt = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const num = (name, fallback) => {
  const v = Number(opt(name, fallback));
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number`);
  return v;
};
const cfg = {
  quick,
  requests: num('requests', quick ? 400 : 3000),
  concurrency: opt('concurrency', '1,16,64').split(',').map(Number),
  maxSeconds: num('max-seconds', quick ? 30 : 120),
  warmup: num('warmup', quick ? 32 : 200),
  sample: num('sample', quick ? 32 : 64),
  embedTexts: num('embed-texts', 256),
  embedRepeats: num('embed-repeats', quick ? 2 : 3),
  seed: num('seed', 42),
  only: new Set(opt('only', 'bertrun,flask,transformersjs,embeddings').split(',')),
  bertrunArgs: opt('bertrun-args', '').split(/\s+/).filter(Boolean),
  workDir: path.resolve(opt('work-dir', path.join(os.tmpdir(), 'bertrun-bench-serve'))),
  json: opt('json', undefined),
  python: opt('python', path.join(ROOT, '.venv', 'bin', 'python')),
  quietWait: num('quiet-wait', quick ? 20 : 60),
};
const requestsAt = (concurrency) => Math.max(concurrency, concurrency === 1 ? Math.round(cfg.requests / 4) : cfg.requests);

// ---------------------------------------------------------------------------------------------
// Small helpers

const log = (m) => console.log(`[bench-serve] ${m}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
const median = (values) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

function pythonCan(code) {
  return spawnSync(cfg.python, ['-c', code], { stdio: 'ignore' }).status === 0;
}

// Busy CPU seconds of the whole machine (all processes), from /proc/stat; undefined off Linux.
function machineBusySeconds() {
  try {
    const [user, nice, system, , , irq, softirq] = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    return (user + nice + system + irq + softirq) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return undefined;
  }
}

// CPU seconds a process (user + system, its threads included) has used; undefined off Linux.
function processCpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100 Hz)
  } catch {
    return undefined;
  }
}

/**
 * Waits (at most --quiet-wait seconds) until the machine's CPUs are idle, apart from an idle
 * server: on 2 cores, someone else's build or test run would be measured as server slowness.
 * Returns the cores other processes used in the last second before measuring.
 */
async function waitForQuietMachine(label) {
  const deadline = performance.now() + cfg.quietWait * 1000;
  for (;;) {
    const busy0 = machineBusySeconds();
    await sleep(1000);
    const busy1 = machineBusySeconds();
    if (busy0 === undefined || busy1 === undefined) return Number.NaN;
    const cores = busy1 - busy0;
    if (cores < 0.25) return cores;
    if (performance.now() > deadline) {
      log(`${label}: other processes still use ${cores.toFixed(2)} cores after ${cfg.quietWait} s; measuring anyway`);
      return cores;
    }
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** One HTTP request on loopback; resolves {status, body} (never rejects on a status). */
function request(url, method, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: body ? { 'content-type': 'application/json' } : {}, timeout: 60_000 }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// Setup: bench-only dependencies, the model, its ONNX exports, the request mix

/**
 * The bench's own npm packages (transformers.js, autocannon) under scripts/bench/serve, never in
 * bertrun's package.json. onnxruntime-node's postinstall would download CUDA provider binaries
 * from outside the npm registry on linux/x64: ONNXRUNTIME_NODE_INSTALL=skip keeps it off the
 * network (the CPU provider ships inside the npm package).
 */
function ensureNodeDependencies() {
  const marker = path.join(BENCH_DIR, 'node_modules', '.package-lock.json');
  const lock = path.join(BENCH_DIR, 'package-lock.json');
  if (fs.existsSync(marker) && fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  log('installing the bench-only npm packages into scripts/bench/serve/node_modules');
  run('npm', ['ci', '--prefix', BENCH_DIR, '--no-audit', '--no-fund', '--loglevel=error'], {
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'skip' },
  });
}

/** Flask and onnx (bench-only) and sentence-transformers (a project test tool) in .venv. */
function ensurePythonDependencies() {
  if (!fs.existsSync(cfg.python)) throw new Error(`${cfg.python} not found: run \`npm run setup\` (it creates .venv with torch and transformers)`);
  if (!pythonCan('import flask, onnx')) {
    log('installing scripts/bench/serve/python-requirements.txt into .venv');
    run(cfg.python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', path.join(BENCH_DIR, 'python-requirements.txt')]);
  }
  if (cfg.only.has('embeddings') && !pythonCan('import sentence_transformers')) {
    // Pinned in bertrun's own test tools; installed here too in case setup predates that line.
    const pin = fs
      .readFileSync(path.join(ROOT, 'scripts', 'python-requirements.txt'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('sentence-transformers=='));
    const spec = (pin || 'sentence-transformers==6.2.0').split('#')[0].trim();
    log(`installing ${spec} into .venv`);
    run(cfg.python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', spec]);
  }
}

/**
 * The served model: all-MiniLM-L6-v2 plus a 3-label classification head initialised by bertrun
 * (seeded), saved by bertrun's savePretrained with its tokenizer, once per seed; every server
 * loads this directory (or its ONNX export), so they all serve the same weights.
 */
async function ensureClassifier(minilmDir) {
  const dir = path.join(cfg.workDir, `classifier-seed${cfg.seed}`);
  if (fs.existsSync(path.join(dir, 'model.safetensors')) && fs.existsSync(path.join(dir, 'tokenizer.json'))) return dir;
  log(`saving all-MiniLM-L6-v2 with a 3-label head (seed ${cfg.seed}) to ${dir}`);
  const { BertModel, setSeed } = require(path.join(ROOT, 'dist', 'lib', 'index.js'));
  await setSeed(cfg.seed);
  const id2label = Object.fromEntries(LABELS.map((l, i) => [String(i), l]));
  const label2id = Object.fromEntries(LABELS.map((l, i) => [l, i]));
  const { model, tokenizer } = await BertModel.fromPretrained(minilmDir, 'sequence-classification', {
    seed: cfg.seed,
    config: { num_labels: LABELS.length, id2label, label2id },
    warn: () => {}, // "newly initialized: classifier.*" is the point here
  });
  const tmp = `${dir}.tmp-${process.pid}`;
  await model.savePretrained(tmp, { tokenizer });
  await model.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return dir;
}

/** The ONNX layout transformers.js loads from a local path (scripts/bench/serve/export_onnx.py). */
function ensureOnnx(modelDir, name, task) {
  const dir = path.join(cfg.workDir, name);
  const onnx = path.join(dir, 'onnx', 'model.onnx');
  if (fs.existsSync(onnx) && fs.statSync(onnx).mtimeMs >= fs.statSync(path.join(modelDir, 'config.json')).mtimeMs) return dir;
  log(`exporting ${task} ONNX model to ${dir}`);
  run(cfg.python, [path.join(BENCH_DIR, 'export_onnx.py'), '--model-dir', modelDir, '--out-dir', dir, '--task', task], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return dir;
}

/** The request mix, its token lengths measured with bertrun's tokenizer (they are what the servers see). */
async function makeMix(minilmDir) {
  const vocab = path.join(minilmDir, 'vocab.txt');
  const largest = Math.max(...cfg.concurrency.map(requestsAt));
  // Enough distinct bodies for the largest level plus the in-flight extras; warm-up uses others.
  const pairs = sentencePairs(vocab, largest + Math.max(...cfg.concurrency) + cfg.warmup + cfg.sample, cfg.seed);
  const { BertTokenizer } = require(path.join(ROOT, 'dist', 'lib', 'index.js'));
  const tokenizer = await BertTokenizer.fromDirectory(minilmDir);
  const lengths = (await tokenizer.encodeBatch(pairs.map((p) => [p.sentence1, p.sentence2]))).map((e) => e.inputIds.length).sort((a, b) => a - b);
  const stats = {
    count: pairs.length,
    min: lengths[0],
    p50: percentile(lengths, 50),
    p90: percentile(lengths, 90),
    p99: percentile(lengths, 99),
    max: lengths[lengths.length - 1],
    mean: lengths.reduce((a, b) => a + b, 0) / lengths.length,
  };
  const bodies = pairs.map((p) => JSON.stringify({ sentence1: p.sentence1, sentence2: p.sentence2 }));
  const measured = bodies.slice(0, largest + Math.max(...cfg.concurrency));
  const warmup = bodies.slice(measured.length, measured.length + cfg.warmup);
  const sample = bodies.slice(measured.length + cfg.warmup);
  return { measured, warmup, sample, stats };
}

// ---------------------------------------------------------------------------------------------
// Servers: one function per kind, each returning the child process; startServer() waits for it.

/** (a) `bertrun serve`, its default batching flags, plus --bertrun-args. */
function spawnBertrun(modelDir, port, extra = []) {
  const args = [
    path.join(ROOT, 'dist', 'lib', 'cli', 'main.js'),
    'serve',
    '--model_name_or_path',
    modelDir,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    ...cfg.bertrunArgs,
    ...extra,
  ];
  return spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** (b) The seed's baseline: Flask + transformers.pipeline, threaded, torch threads = cores. */
function spawnFlask(modelDir, port) {
  const args = [path.join(BENCH_DIR, 'flask_server.py'), '--model-dir', modelDir, '--port', String(port), '--threads', String(os.availableParallelism())];
  return spawn(cfg.python, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** (c) transformers.js on onnxruntime-node in a Node http server. */
function spawnTransformersJs(onnxDir, port) {
  const args = [path.join(BENCH_DIR, 'transformersjs_server.js'), '--model-dir', onnxDir, '--port', String(port)];
  return spawn(process.execPath, args, { cwd: BENCH_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
}

// Servers still running when this process ends (an error, Ctrl-C) are killed with it.
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));

/** Starts a server and waits until it answers GET /health (or, lacking that route, a request). */
async function startServer(name, spawnIt, probeBody) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnIt(port);
  children.add(child);
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited;
  child.on('exit', (code, signal) => {
    exited = code ?? signal;
    children.delete(child);
  });
  const t0 = performance.now();
  while (performance.now() - t0 < 180_000) {
    if (exited !== undefined) {
      const lastLines = output.trim().split('\n').slice(-3).join(' | ');
      throw new Error(`${name} server exited (${exited}) before answering: ${lastLines}`);
    }
    try {
      const health = await request(`${url}/health`, 'GET');
      const probe = health.status === 200 ? health : await request(`${url}${ROUTE}`, 'POST', probeBody);
      if (probe.status === 200) return { child, url, startSeconds: (performance.now() - t0) / 1000, output: () => output };
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  child.kill('SIGKILL');
  throw new Error(`${name} server did not answer within 180 s:\n${output}`);
}

async function stopServer(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  const exited = new Promise((r) => server.child.once('exit', r));
  server.child.kill('SIGTERM');
  if ((await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)])) === false) {
    server.child.kill('SIGKILL');
    await exited;
  }
}

// ---------------------------------------------------------------------------------------------
// Load and checks

let autocannon;

/**
 * Closed-loop load: `connections` connections, each sending its next request when the previous
 * answer arrives, `amount` requests in all (stopped early at --max-seconds), bodies taken in order
 * from `bodies`. Latencies are collected here per 2xx response (autocannon's own histogram has
 * 1 ms resolution, too coarse for single-digit-millisecond p50s).
 */
function load(url, bodies, connections, amount, maxSeconds) {
  autocannon ??= require(path.join(BENCH_DIR, 'node_modules', 'autocannon'));
  let next = 0;
  const latencies = [];
  let cut = false;
  // Throughput counts from the start to the last answer: autocannon reports completion on its
  // next 1-second tick, which would otherwise count up to a second of idling.
  let lastAnswer;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const instance = autocannon(
      {
        url: `${url}${ROUTE}`,
        connections,
        pipelining: 1,
        amount,
        timeout: 60,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [{ setupRequest: (req) => ({ ...req, body: bodies[next++ % bodies.length] }) }],
      },
      (err, result) => {
        clearTimeout(timer);
        if (err) return reject(err);
        const seconds = ((lastAnswer ?? performance.now()) - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        latencies.sort((a, b) => a - b);
        resolve({
          requests: result.requests.total,
          seconds,
          wallSeconds: (performance.now() - t0) / 1000, // what the CPU columns divide by
          rps: latencies.length / seconds,
          p50: percentile(latencies, 50),
          p99: percentile(latencies, 99),
          mean: latencies.reduce((a, b) => a + b, 0) / Math.max(1, latencies.length),
          errors: result.errors + result.timeouts,
          non2xx: result.non2xx,
          cut,
          loadGeneratorCpuSeconds: (cpu.user + cpu.system) / 1e6,
        });
      },
    );
    instance.on('response', (client, statusCode, bytes, responseTime) => {
      lastAnswer = performance.now();
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
    const timer = setTimeout(() => {
      cut = true;
      instance.stop();
    }, maxSeconds * 1000);
  });
}

/** Runs `load` and measures the CPU the server, this process and everything else used meanwhile. */
async function measuredLoad(server, bodies, connections, amount) {
  const busy0 = machineBusySeconds();
  const server0 = processCpuSeconds(server.child.pid);
  const result = await load(server.url, bodies, connections, amount, cfg.maxSeconds);
  const busy1 = machineBusySeconds();
  const server1 = processCpuSeconds(server.child.pid);
  const wall = result.wallSeconds;
  const serverCores = server0 !== undefined && server1 !== undefined ? (server1 - server0) / wall : Number.NaN;
  const otherCores =
    busy0 !== undefined && busy1 !== undefined ? Math.max(0, (busy1 - busy0 - (server1 - server0) - result.loadGeneratorCpuSeconds) / wall) : Number.NaN;
  return { ...result, serverCores, loadGeneratorCores: result.loadGeneratorCpuSeconds / wall, otherCores };
}

/** The answers to the sample requests, one at a time: [label, score] (other shapes read too). */
async function sampleAnswers(server, bodies) {
  const answers = [];
  for (const body of bodies) {
    const { status, body: text } = await request(`${server.url}${ROUTE}`, 'POST', body);
    if (status !== 200) throw new Error(`${server.url}${ROUTE} answered ${status}: ${text.slice(0, 300)}`);
    let v = JSON.parse(text);
    if (Array.isArray(v) && typeof v[0] === 'object' && v[0] !== null) v = v[0];
    answers.push(Array.isArray(v) ? { label: v[0], score: v[1] } : { label: v.label, score: v.score });
  }
  return answers;
}

/** Starts one server kind, warms it up, samples its answers, loads it at every concurrency, stops it. */
async function benchServer(name, spawnIt, mix) {
  log(`${name}: starting`);
  const server = await startServer(name, spawnIt, mix.warmup[0]);
  try {
    log(`${name}: up in ${server.startSeconds.toFixed(1)} s; warming up with ${mix.warmup.length} requests`);
    if (mix.warmup.length > 0) await load(server.url, mix.warmup, Math.min(16, mix.warmup.length), mix.warmup.length, cfg.maxSeconds);
    const answers = await sampleAnswers(server, mix.sample);
    const levels = [];
    for (const concurrency of cfg.concurrency) {
      await waitForQuietMachine(`${name} c=${concurrency}`);
      const r = await measuredLoad(server, mix.measured, concurrency, requestsAt(concurrency));
      log(
        `${name} c=${concurrency}: ${r.requests} requests in ${r.seconds.toFixed(1)} s${r.cut ? ' (cut at --max-seconds)' : ''}, ` +
          `${r.rps.toFixed(1)} req/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`,
      );
      levels.push({ concurrency, ...r });
    }
    return { name, available: true, startSeconds: server.startSeconds, levels, answers };
  } finally {
    await stopServer(server);
  }
}

/** Label agreement and largest score difference of `answers` against `reference`, request by request. */
function agreement(answers, reference) {
  let same = 0;
  let maxDiff = 0;
  answers.forEach((a, i) => {
    if (a.label === reference[i].label) same++;
    maxDiff = Math.max(maxDiff, Math.abs(a.score - reference[i].score));
  });
  return { requests: answers.length, agreePercent: (100 * same) / answers.length, maxScoreDiff: maxDiff };
}

// ---------------------------------------------------------------------------------------------
// Sentence embeddings without HTTP: each library in its own child process, one after another.

function runEmbedder(command, args, cwd) {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 << 20 });
  const last = (r.stdout || '').trim().split('\n').pop();
  try {
    return JSON.parse(last);
  } catch {
    return { ok: false, reason: `exited ${r.status ?? r.signal}: ${(r.stderr || '').trim().split('\n').slice(-5).join(' | ')}` };
  }
}

async function benchEmbeddings(minilmDir, minilmOnnxDir) {
  const texts = sentences(path.join(minilmDir, 'vocab.txt'), cfg.embedTexts, cfg.seed);
  const input = path.join(cfg.workDir, 'embedding-input.json');
  fs.writeFileSync(input, JSON.stringify({ texts, repeats: cfg.embedRepeats, keep: 32 }));
  const runs = [
    ['bertrun', () => runEmbedder(process.execPath, [path.join(BENCH_DIR, 'embed_bertrun.js'), minilmDir, input], ROOT)],
    ['transformers.js', () => runEmbedder(process.execPath, [path.join(BENCH_DIR, 'embed_transformersjs.js'), minilmOnnxDir, input], BENCH_DIR)],
    // The same library batched as sentence-transformers batches: less padding than one call.
    [
      'transformers.js, batches of 32',
      () => runEmbedder(process.execPath, [path.join(BENCH_DIR, 'embed_transformersjs.js'), minilmOnnxDir, input, '32'], BENCH_DIR),
    ],
    ['sentence-transformers', () => runEmbedder(cfg.python, [path.join(BENCH_DIR, 'embed_sentence_transformers.py'), minilmDir, input], ROOT)],
  ];
  const results = {};
  for (const [name, fn] of runs) {
    await waitForQuietMachine(`embeddings ${name}`);
    log(`embeddings: ${name}`);
    const r = fn();
    results[name] = r.ok ? { ok: true, seconds: r.seconds, sentencesPerSec: texts.length / median(r.seconds), vectors: r.vectors } : r;
  }
  // Same vectors? Largest element difference against sentence-transformers (the reference).
  const reference = results['sentence-transformers'];
  for (const r of Object.values(results)) {
    if (!r.ok || !reference.ok) continue;
    r.maxDiffVsSentenceTransformers = Math.max(...r.vectors.flatMap((v, i) => v.map((x, j) => Math.abs(x - reference.vectors[i][j]))));
    delete r.vectors;
  }
  if (reference.ok) delete reference.vectors;
  return { texts: texts.length, repeats: cfg.embedRepeats, results };
}

// ---------------------------------------------------------------------------------------------
// Report

const fmt = (v, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const ratio = (a, b) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN);

function table(rows) {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? String(cell).padEnd(widths[c]) : String(cell).padStart(widths[c]))).join('  ')).join('\n');
}

function levelOf(servers, name, concurrency) {
  const s = servers.find((x) => x.name === name);
  return s && s.available ? s.levels.find((l) => l.concurrency === concurrency) : undefined;
}

function targets(servers) {
  const at = (name, c) => levelOf(servers, name, c) || { rps: Number.NaN, p50: Number.NaN, p99: Number.NaN };
  const rows = [];
  const add = (what, value, goal, pass) => rows.push({ what, value, goal, result: Number.isFinite(value) ? (pass(value) ? 'PASS' : 'MISS') : 'n/a' });
  add('bertrun/flask throughput at c=16', ratio(at('bertrun', 16).rps, at('flask', 16).rps), '>= 3x', (v) => v >= 3);
  add('bertrun/flask p99 latency at c=16', ratio(at('bertrun', 16).p99, at('flask', 16).p99), '< 1x', (v) => v < 1);
  add('bertrun/transformers.js throughput at c=16', ratio(at('bertrun', 16).rps, at('transformers.js', 16).rps), '>= 1.0x', (v) => v >= 1);
  add('bertrun/transformers.js throughput at c=64', ratio(at('bertrun', 64).rps, at('transformers.js', 64).rps), '>= 1.0x', (v) => v >= 1);
  add('bertrun/transformers.js p50 latency at c=1', ratio(at('bertrun', 1).p50, at('transformers.js', 1).p50), '<= 1.2x', (v) => v <= 1.2);
  return rows;
}

/** The bfloat16 server against the float32 ones: information, not targets (different precision). */
function bf16Rows(servers) {
  const at = (name, c) => levelOf(servers, name, c) || { rps: Number.NaN, p50: Number.NaN };
  return cfg.concurrency.map((c) => ({
    concurrency: c,
    vsFloat32: ratio(at('bertrun --bf16', c).rps, at('bertrun', c).rps),
    vsTransformersJs: ratio(at('bertrun --bf16', c).rps, at('transformers.js', c).rps),
    p50VsTransformersJs: ratio(at('bertrun --bf16', c).p50, at('transformers.js', c).p50),
  }));
}

/** Whether the CPU has bfloat16 matrix instructions (Linux /proc/cpuinfo). */
function cpuHasBf16() {
  try {
    return /\b(amx_bf16|avx512_bf16)\b/.test(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    return false;
  }
}

function report(summary) {
  const { mix, servers, sanity, embeddings, targetRows } = summary;
  console.log('');
  console.log(
    `Request mix: ${mix.count} sentence pairs (seed ${cfg.seed}), tokens per request min ${mix.min} / p50 ${mix.p50} / ` +
      `p90 ${mix.p90} / p99 ${mix.p99} / max ${mix.max} (mean ${fmt(mix.mean)}); ${os.availableParallelism()} cores, ${os.cpus()[0].model}`,
  );
  console.log(
    `Load: autocannon, closed loop; requests per level: ${cfg.concurrency.map((c) => `c=${c}: ${requestsAt(c)}`).join(', ')} (cut at ${cfg.maxSeconds} s)`,
  );
  console.log('');
  const rows = [['server', 'conc', 'requests', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'non-2xx', 'server CPU', 'loadgen CPU', 'other CPU']];
  for (const s of servers) {
    if (!s.available) {
      rows.push([s.name, '-', '-', 'not available', '', '', '', '', '', '', '']);
      continue;
    }
    for (const l of s.levels) {
      rows.push([
        s.name,
        l.concurrency,
        `${l.requests}${l.cut ? '*' : ''}`,
        fmt(l.rps),
        fmt(l.p50),
        fmt(l.p99),
        l.errors,
        l.non2xx,
        fmt(l.serverCores, 2),
        fmt(l.loadGeneratorCores, 2),
        fmt(l.otherCores, 2),
      ]);
    }
  }
  console.log(table(rows));
  console.log('(CPU columns in cores: the server process, autocannon in this process, and every other process on the machine; * = cut at --max-seconds)');
  for (const s of servers.filter((x) => !x.available)) console.log(`${s.name}: not available: ${s.reason}`);
  console.log('');
  console.log(
    table([
      ['target', 'ratio', 'goal', 'result'],
      ...targetRows.map((t) => [t.what, Number.isFinite(t.value) ? `${fmt(t.value, 2)}x` : 'n/a', t.goal, t.result]),
    ]),
  );
  if (levelOf(servers, 'bertrun --bf16', cfg.concurrency[0])) {
    console.log('\nbfloat16 (information, not a target: float32 is compared above)');
    console.log(
      table([
        ['conc', 'bf16/fp32 bertrun req/s', 'bf16 bertrun/transformers.js req/s', 'p50 bf16 bertrun/transformers.js'],
        ...bf16Rows(servers).map((r) => [
          r.concurrency,
          ...[r.vsFloat32, r.vsTransformersJs, r.p50VsTransformersJs].map((v) => (Number.isFinite(v) ? `${fmt(v, 2)}x` : 'n/a')),
        ]),
      ]),
    );
  }
  console.log('');
  if (sanity.length === 0) console.log('Same-model check: fewer than two servers answered; nothing to compare.');
  for (const s of sanity) {
    console.log(
      `Same-model check (${s.requests} requests): ${s.server} vs ${s.reference}: labels agree ${fmt(s.agreePercent)}%, max |score difference| ${s.maxScoreDiff.toExponential(1)}`,
    );
  }
  if (embeddings) {
    console.log('');
    const st = embeddings.results['sentence-transformers'];
    // Against the faster of transformers.js' two ways of calling it.
    const tjs = ['transformers.js', 'transformers.js, batches of 32']
      .map((n) => embeddings.results[n])
      .filter((r) => r.ok)
      .sort((a, b) => b.sentencesPerSec - a.sentencesPerSec)[0];
    const erows = [['sentence embeddings', 'sentences/s', 'vs sentence-transformers', 'vs transformers.js (faster)', 'max |diff| vs ST']];
    for (const [name, r] of Object.entries(embeddings.results)) {
      if (!r.ok) {
        erows.push([name, 'not available', '', '', '']);
        continue;
      }
      erows.push([
        name,
        fmt(r.sentencesPerSec),
        st.ok ? `${fmt(ratio(r.sentencesPerSec, st.sentencesPerSec), 2)}x` : 'n/a',
        tjs ? `${fmt(ratio(r.sentencesPerSec, tjs.sentencesPerSec), 2)}x` : 'n/a',
        r.maxDiffVsSentenceTransformers !== undefined ? r.maxDiffVsSentenceTransformers.toExponential(1) : 'n/a',
      ]);
    }
    console.log(table(erows));
    console.log(
      `(${embeddings.texts} sentences of 8-128 tokens, one call per library with all of them (transformers.js also in length-sorted ` +
        `batches of 32, as sentence-transformers' encode batches); median of ${embeddings.repeats} repeats after one untimed pass)`,
    );
    for (const [name, r] of Object.entries(embeddings.results)) if (!r.ok) console.log(`${name} embeddings: not available: ${r.reason}`);
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const t0 = performance.now();
  fs.mkdirSync(cfg.workDir, { recursive: true });
  if (!fs.existsSync(path.join(ROOT, 'dist', 'lib', 'index.js')))
    throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json` (or `npm run setup`)');
  ensureNodeDependencies();
  ensurePythonDependencies();

  const minilmDir = findMiniLM(ROOT);
  const classifierDir = await ensureClassifier(minilmDir);
  const classifierOnnx = ensureOnnx(classifierDir, `classifier-seed${cfg.seed}-onnx`, 'sequence-classification');
  const minilmOnnx = cfg.only.has('embeddings') ? ensureOnnx(minilmDir, 'minilm-onnx', 'feature-extraction') : undefined;
  const mix = await makeMix(minilmDir);
  log(`work dir ${cfg.workDir}; setup took ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const kinds = [
    {
      name: 'bertrun',
      flag: 'bertrun',
      spawn: (port) => spawnBertrun(classifierDir, port),
      // `bertrun serve` is being written alongside this bench: report it missing rather than fail.
      missing: () =>
        fs.existsSync(path.join(ROOT, 'dist', 'lib', 'cli', 'serve_command.js'))
          ? undefined
          : 'dist/lib/cli/serve_command.js not built (no `bertrun serve` yet)',
    },
    // Not part of the targets (they compare float32 with float32): bfloat16 autocast, which CPUs
    // with AMX / AVX512-BF16 run much faster in batches, shown so a user can weigh it.
    {
      name: 'bertrun --bf16',
      flag: 'bertrun',
      spawn: (port) => spawnBertrun(classifierDir, port, ['--bf16']),
      missing: () => (cpuHasBf16() ? undefined : 'this CPU has no AVX512-BF16 / AMX instructions'),
    },
    { name: 'flask', flag: 'flask', spawn: (port) => spawnFlask(classifierDir, port), missing: () => undefined },
    { name: 'transformers.js', flag: 'transformersjs', spawn: (port) => spawnTransformersJs(classifierOnnx, port), missing: () => undefined },
  ];
  const servers = [];
  for (const kind of kinds.filter((k) => cfg.only.has(k.flag))) {
    const reason = kind.missing();
    if (reason) {
      log(`${kind.name}: not available: ${reason}`);
      servers.push({ name: kind.name, available: false, reason });
      continue;
    }
    try {
      servers.push(await benchServer(kind.name, kind.spawn, mix));
    } catch (err) {
      log(`${kind.name}: failed: ${err.message}`);
      servers.push({ name: kind.name, available: false, reason: err.message.split('\n')[0] });
    }
  }

  // Same model everywhere? Flask (transformers, PyTorch) is the reference when it ran.
  const answered = servers.filter((s) => s.available);
  const reference = answered.find((s) => s.name === 'flask') || answered[0];
  const sanity = answered
    .filter((s) => s !== reference)
    .map((s) => ({ server: s.name, reference: reference.name, ...agreement(s.answers, reference.answers) }));

  const embeddings = cfg.only.has('embeddings') ? await benchEmbeddings(minilmDir, minilmOnnx) : undefined;
  const targetRows = targets(servers);
  const summary = { mix: mix.stats, servers, sanity, embeddings, targetRows };
  report(summary);
  const wallSeconds = (performance.now() - t0) / 1000;
  console.log(`\nWall time ${fmt(wallSeconds)} s`);

  if (cfg.json) {
    const { only, ...config } = cfg;
    const out = {
      config: { ...config, only: [...only] },
      machine: { cores: os.availableParallelism(), cpu: os.cpus()[0].model, node: process.version },
      wallSeconds,
      mix: mix.stats,
      servers: servers.map(({ answers, ...s }) => ({ ...s, sampleAnswers: answers })),
      sanity,
      embeddings,
      targets: targetRows,
      bf16: bf16Rows(servers),
    };
    fs.writeFileSync(cfg.json, JSON.stringify(out, null, 2) + '\n');
    log(`wrote ${cfg.json}`);
  }
  return targetRows.every((t) => t.result === 'PASS') ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench-serve: ${err.stack || err.message}`);
    process.exit(2);
  },
);
