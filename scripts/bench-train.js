#!/usr/bin/env node
// Training-step and inference throughput of bertrun (through Node and the addon) against
// (a) the same step in a standalone C++ libtorch program (CPU fp32 only) and (b) Hugging Face
// transformers in Python (same torch, SDPA, same precision and batch), all measured in this run.
// bertrun and (a) run twice each in ABBA order and the better run counts. On CUDA it also prints
// achieved TFLOP/s and model FLOPs utilisation (MFU) against --peak-tflops.
//   node scripts/bench-train.js [--device cpu|cuda] [--precision fp32,bf16,fp16] [--shapes base,small,base384,small512]
//     [--steps N] [--warmup N] [--no-hf] [--verbose] [--epoch-examples N (0 = skip)] [--peak-tflops T]
//   node scripts/bench-train.js --memory [--device cpu|cuda]
//     peak memory and speed of a training step with and without --gradient_checkpointing (small shape, seq 512)
'use strict';
require('./script_usage').exitWithUsageIfAsked(__filename);
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
  base384: { layers: 12, hidden: 768, heads: 12, intermediate: 3072, vocab: 30522, batch: 8, seq: 384 },
  small512: { layers: 4, hidden: 256, heads: 4, intermediate: 1024, vocab: 30522, batch: 32, seq: 512 },
};
const device = option('device', 'cpu');
const precisions = option('precision', 'fp32').split(',');
const PRECISION = { fp32: null, bf16: 'bfloat16', fp16: 'float16' };
for (const p of precisions) if (!(p in PRECISION)) throw new Error(`unknown precision ${p}; use fp32, bf16 or fp16`);
// GPU batches: BERT-base fine-tuning sizes (HF's examples use 32 at seq 128, 12-16 at seq 384).
if (device.startsWith('cuda')) {
  Object.assign(SHAPES.base, { batch: 32 });
  Object.assign(SHAPES.base384, { batch: 16 });
}
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

async function benchBertrun(s, precision) {
  const model = BertModel.fromConfig(
    {
      vocab_size: s.vocab,
      hidden_size: s.hidden,
      num_hidden_layers: s.layers,
      num_attention_heads: s.heads,
      intermediate_size: s.intermediate,
      max_position_embeddings: Math.max(512, s.seq),
      num_labels: 2,
    },
    'sequence-classification',
    { seed: 0, device },
  );
  await model.configureOptimizer({ weightDecay: 0.01 });
  await model.setMixedPrecision(PRECISION[precision]);
  if (precision === 'fp16') await model.configureGradScaler({});
  const next = lcg(1);
  const n = s.batch * s.seq;
  const batch = {
    shape: [s.batch, s.seq],
    inputIds: Int32Array.from({ length: n }, () => 1 + (next() % (s.vocab - 1))),
    tokenTypeIds: new Int32Array(n),
    labels: Int32Array.from({ length: s.batch }, () => next() % 2),
  };
  await model.train();
  // As the Trainer runs it: the gradient norm stays on the device except at logging steps.
  const trainStep = async () => {
    await model.forwardBackward(batch);
    await model.step({ lr: 1e-5, maxGradNorm: 1.0, zeroGrad: true, readGradNorm: false });
  };
  for (let i = 0; i < warmup; i++) await trainStep();
  await model.takeLoss(); // a device sync: the clock starts with an idle device
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) await trainStep();
  await model.takeLoss();
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

function benchHf(s, precision) {
  const python = process.env.BERTRUN_PYTHON || path.join(ROOT, '.venv', 'bin', 'python');
  const out = execFileSync(python, [path.join(__dirname, 'bench', 'hf_train_step.py'), ...shapeArgs(s), device.replace(/:\d+$/, ''), precision], {
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
      {
        vocab_size: s.vocab,
        hidden_size: s.hidden,
        num_hidden_layers: s.layers,
        num_attention_heads: s.heads,
        intermediate_size: s.intermediate,
        num_labels: 2,
      },
      'sequence-classification',
      { seed: 0 },
    );
    const trainer = new Trainer({
      model,
      args: resolveTrainingArguments({
        output_dir: fs.mkdtempSync(path.join(dir, 'run-')),
        per_device_train_batch_size: s.batch,
        num_train_epochs: 1,
        save_strategy: 'no',
        report_to: [],
        disable_tqdm: true,
        logging_steps: 1000,
        group_by_length: groupByLength,
      }),
      train: features,
      padTokenId: 0,
      log: () => undefined,
      skipPadding,
      ...(padToLength ? { padToLength } : {}),
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

// Model FLOPs of one training sample (forward + backward = 3 x forward): the dense layers
// (2 FLOPs per weight per token) and the attention matmuls (QK^T and PV).
function trainFlopsPerSample(s) {
  const dense = 2 * s.seq * (4 * s.hidden * s.hidden + 2 * s.hidden * s.intermediate);
  const attention = 2 * 2 * s.seq * s.seq * s.hidden;
  return 3 * s.layers * (dense + attention);
}

async function benchMemory() {
  const s = SHAPES.small512;
  const worker = path.join(__dirname, 'bench', 'memory_worker.js');
  const run = (checkpointing) =>
    JSON.parse(
      execFileSync(process.execPath, [worker, JSON.stringify({ shape: s, checkpointing, precision: null, steps, device })], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .pop(),
    );
  // ABBA: neither configuration always runs on a cooler machine.
  const plain = [run(false)];
  const recomputed = [run(true), run(true)];
  plain.push(run(false));
  const peak = (runs) => Math.min(...runs.map((r) => r.peakRssMb));
  const speed = (runs) => Math.max(...runs.map((r) => r.samplesPerSecond));
  console.log(`\nmemory: small shape (L${s.layers} H${s.hidden}, dropout 0.1), batch ${s.batch}, seq ${s.seq}, fp32, ${device}, ${steps} steps per process`);
  console.log(
    `  stored activations      peak RSS ${peak(plain).toFixed(0).padStart(6)} MB (before training ${plain[0].beforeMb.toFixed(0)} MB), ${speed(plain).toFixed(2)} samples/s`,
  );
  console.log(
    `  gradient_checkpointing  peak RSS ${peak(recomputed).toFixed(0).padStart(6)} MB (before training ${recomputed[0].beforeMb.toFixed(0)} MB), ${speed(recomputed).toFixed(2)} samples/s`,
  );
  console.log(`  peak ratio ${(peak(recomputed) / peak(plain)).toFixed(3)}, speed ratio ${(speed(recomputed) / speed(plain)).toFixed(3)}`);
}

(async () => {
  if (args.includes('--memory')) return benchMemory();
  console.log(`bertrun bench-train: ${device}, ${precisions.join('/')}, ${threads} CPU threads, ${steps} timed steps after ${warmup} warm-up steps`);
  const peakTflops = Number(option('peak-tflops', 989)); // H100 SXM dense bf16/fp16
  for (const name of wanted) {
    const s = SHAPES[name];
    if (!s) throw new Error(`unknown shape ${name}; use ${Object.keys(SHAPES).join(',')}`);
    for (const precision of precisions) {
      const label = `${name} (L${s.layers} H${s.hidden} A${s.heads} I${s.intermediate} V${s.vocab}, batch ${s.batch}, seq ${s.seq}), ${precision}`;
      // The standalone C++ program measures the binding's cost: CPU fp32 only.
      const withStandalone = device === 'cpu' && precision === 'fp32';
      // ABBA order, best of two runs each: neither implementation always runs first, on a
      // cooler or warmer machine, and one noisy run does not decide the ratio.
      const standaloneRuns = withStandalone ? [benchStandalone(s)] : [];
      const oursRuns = [await benchBertrun(s, precision), await benchBertrun(s, precision)];
      if (withStandalone) standaloneRuns.push(benchStandalone(s));
      const best = (runs) => ({
        train_samples_per_s: Math.max(...runs.map((r) => r.train_samples_per_s)),
        infer_samples_per_s: Math.max(...runs.map((r) => r.infer_samples_per_s)),
      });
      if (args.includes('--verbose')) console.log(JSON.stringify({ name, precision, oursRuns, standaloneRuns }));
      const ours = best(oursRuns);
      const standalone = withStandalone ? best(standaloneRuns) : undefined;
      const hf = withHf ? benchHf(s, precision) : undefined;
      console.log(`\n${label}`);
      for (const kind of ['train', 'infer']) {
        const key = `${kind}_samples_per_s`;
        console.log(
          `  ${kind.padEnd(5)} bertrun ${ours[key].toFixed(2).padStart(8)} samples/s` +
            (standalone ? ` | standalone C++ ${standalone[key].toFixed(2).padStart(8)} (ratio ${(ours[key] / standalone[key]).toFixed(3)})` : '') +
            (hf ? ` | HF transformers ${hf[key].toFixed(2).padStart(8)} (ratio ${(ours[key] / hf[key]).toFixed(3)})` : ''),
        );
      }
      if (device.startsWith('cuda')) {
        const tflops = (ours.train_samples_per_s * trainFlopsPerSample(s)) / 1e12;
        const mfu = precision === 'fp32' ? '' : `, MFU ${((100 * tflops) / peakTflops).toFixed(1)}% of ${peakTflops} TFLOP/s`;
        console.log(`  train model FLOPs: ${tflops.toFixed(1)} TFLOP/s${mfu}`);
      }
    }
  }
  const epochExamples = Number(option('epoch-examples', device === 'cpu' ? 512 : 0));
  if (epochExamples > 0) await benchEpoch(epochExamples);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
