#!/usr/bin/env node
// Training-step and inference throughput of bertrun (through Node and the addon) against
// (a) the same step in a standalone C++ libtorch program and (b) Hugging Face transformers in
// Python, all measured in this run, fp32 on CPU with all cores. bertrun and (a) run twice each
// in ABBA order and the better run counts.
//   node scripts/bench-train.js [--steps N] [--warmup N] [--shapes base,small] [--no-hf] [--verbose] [--epoch-examples N (0 = skip)]
'use strict';
const { execFileSync } = require('child_process');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const fs = require('fs');
const { BertModel, Trainer, resolveTrainingArguments } = require(path.join(ROOT, 'dist', 'lib', 'index.js'));

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const steps = Number(option('steps', 6));
const warmup = Number(option('warmup', 2));
const threads = os.availableParallelism();

const SHAPES = {
  base: { layers: 12, hidden: 768, heads: 12, intermediate: 3072, vocab: 30522, batch: 8, seq: 128 },
  small: { layers: 4, hidden: 256, heads: 4, intermediate: 1024, vocab: 30522, batch: 32, seq: 128 },
};
const wanted = option('shapes', 'base,small').split(',');
// --no-hf skips the Python baseline (quicker when only the binding's cost is in question).
const withHf = !args.includes('--no-hf');

function shapeArgs(s) {
  return [s.layers, s.hidden, s.heads, s.intermediate, s.vocab, s.batch, s.seq, steps, warmup, threads].map(String);
}

function lcg(seed) {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2147483648);
}

async function benchBertrun(s) {
  const model = BertModel.fromConfig(
    { vocab_size: s.vocab, hidden_size: s.hidden, num_hidden_layers: s.layers, num_attention_heads: s.heads, intermediate_size: s.intermediate, num_labels: 2 },
    'sequence-classification',
    { seed: 0 },
  );
  await model.configureOptimizer({ weightDecay: 0.01 });
  const next = lcg(1);
  const n = s.batch * s.seq;
  const batch = {
    shape: [s.batch, s.seq],
    inputIds: Int32Array.from({ length: n }, () => 1 + (next() % (s.vocab - 1))),
    tokenTypeIds: new Int32Array(n),
    labels: Int32Array.from({ length: s.batch }, () => next() % 2),
  };
  await model.train();
  const trainStep = async () => {
    await model.forwardBackward(batch);
    await model.step({ lr: 1e-5, maxGradNorm: 1.0, zeroGrad: true });
  };
  for (let i = 0; i < warmup; i++) await trainStep();
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) await trainStep();
  const trainS = Number(process.hrtime.bigint() - t0) / 1e9;
  await model.eval();
  const inferBatch = { shape: batch.shape, inputIds: batch.inputIds, tokenTypeIds: batch.tokenTypeIds };
  for (let i = 0; i < warmup; i++) await model.forward(inferBatch);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) await model.forward(inferBatch);
  const inferS = Number(process.hrtime.bigint() - t0) / 1e9;
  return { train_samples_per_s: (s.batch * steps) / trainS, infer_samples_per_s: (s.batch * steps) / inferS };
}

function benchStandalone(s) {
  execFileSync('cmake', ['--build', path.join(ROOT, 'build'), '--target', 'bench_train_standalone'], { stdio: 'ignore' });
  const out = execFileSync(path.join(ROOT, 'build', 'bench_train_standalone'), shapeArgs(s), { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

function benchHf(s) {
  const python = process.env.BERTRUN_PYTHON || path.join(ROOT, '.venv', 'bin', 'python');
  const out = execFileSync(python, [path.join(__dirname, 'bench', 'hf_train_step.py'), ...shapeArgs(s)], {
    encoding: 'utf8',
    env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
  });
  return JSON.parse(out.trim().split('\n').pop());
}

// One epoch of the small shape on variable-length examples (8..128 tokens, skewed short like real
// sentence pairs: 8 + an exponential with mean 30, capped at 128), through the Trainer,
// padded to 128 and with dynamic padding (to the batch's longest, multiple of 8), computing padded
// positions as HF does; then bertrun's default (dynamic padding, padded positions skipped), and that
// plus group_by_length.
async function benchEpoch(examples) {
  let x = 11;
  const pick = (k) => (x = (x * 1103515245 + 12345) % 2147483648) % k;
  const features = Array.from({ length: examples }, () => {
    const n = Math.min(128, 8 + Math.floor(-30 * Math.log(1 - pick(1e6) / 1e6)));
    return { inputIds: Array.from({ length: n }, () => 1000 + pick(20000)), tokenTypeIds: new Array(n).fill(0), label: pick(2) };
  });
  const s = SHAPES.small;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-bench-epoch-'));
  const run = async ({ padToLength, groupByLength = false, skipPadding = true }) => {
    const model = BertModel.fromConfig(
      { vocab_size: s.vocab, hidden_size: s.hidden, num_hidden_layers: s.layers, num_attention_heads: s.heads, intermediate_size: s.intermediate, num_labels: 2 },
      'sequence-classification', { seed: 0 });
    const trainer = new Trainer({
      model,
      args: resolveTrainingArguments({ output_dir: fs.mkdtempSync(path.join(dir, 'run-')), per_device_train_batch_size: s.batch, num_train_epochs: 1, save_strategy: 'no', report_to: [], disable_tqdm: true, logging_steps: 1000, group_by_length: groupByLength }),
      train: features, padTokenId: 0, log: () => undefined, skipPadding, ...(padToLength ? { padToLength } : {}),
    });
    const t0 = process.hrtime.bigint();
    await trainer.train();
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  try {
    const fixed = await run({ padToLength: 128, skipPadding: false });
    const dynamic = await run({ skipPadding: false });
    const skipped = await run({});
    const grouped = await run({ groupByLength: true });
    const mean = features.reduce((n, f) => n + f.inputIds.length, 0) / features.length;
    const row = (label, seconds) => `  ${label.padEnd(52)} ${seconds.toFixed(1).padStart(6)} s  speed-up ${(fixed / seconds).toFixed(2)}x`;
    console.log(`\nepoch, small shape, ${examples} examples of 8..128 tokens (mean ${mean.toFixed(0)}), batch ${s.batch}:`);
    console.log(row('padded to max_seq_length 128, padding computed', fixed));
    console.log(row('dynamic padding, padding computed', dynamic));
    console.log(row('dynamic padding, padding skipped (default)', skipped));
    console.log(row('dynamic padding, padding skipped, group_by_length', grouped));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  console.log(`bertrun bench-train: fp32 CPU, ${threads} threads, ${steps} timed steps after ${warmup} warm-up steps`);
  for (const name of wanted) {
    const s = SHAPES[name];
    if (!s) throw new Error(`unknown shape ${name}; use ${Object.keys(SHAPES).join(',')}`);
    const label = `${name} (L${s.layers} H${s.hidden} A${s.heads} I${s.intermediate} V${s.vocab}, batch ${s.batch}, seq ${s.seq})`;
    // ABBA order, best of two runs each: neither implementation always runs first, on a
    // cooler or warmer machine, and one noisy run does not decide the ratio.
    const standaloneRuns = [benchStandalone(s)];
    const oursRuns = [await benchBertrun(s), await benchBertrun(s)];
    standaloneRuns.push(benchStandalone(s));
    const best = (runs) => ({
      train_samples_per_s: Math.max(...runs.map((r) => r.train_samples_per_s)),
      infer_samples_per_s: Math.max(...runs.map((r) => r.infer_samples_per_s)),
    });
    if (args.includes('--verbose')) console.log(JSON.stringify({ name, oursRuns, standaloneRuns }));
    const ours = best(oursRuns);
    const standalone = best(standaloneRuns);
    const hf = withHf ? benchHf(s) : undefined;
    console.log(`\n${label}`);
    for (const kind of ['train', 'infer']) {
      const key = `${kind}_samples_per_s`;
      console.log(
        `  ${kind.padEnd(5)} bertrun ${ours[key].toFixed(2).padStart(8)} samples/s | ` +
          `standalone C++ ${standalone[key].toFixed(2).padStart(8)} (ratio ${(ours[key] / standalone[key]).toFixed(3)})` +
          (hf ? ` | HF transformers ${hf[key].toFixed(2).padStart(8)} (ratio ${(ours[key] / hf[key]).toFixed(3)})` : ''),
      );
    }
  }
  const epochExamples = Number(option('epoch-examples', 512));
  if (epochExamples > 0) await benchEpoch(epochExamples);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
