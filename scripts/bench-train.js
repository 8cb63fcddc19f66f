#!/usr/bin/env node
// Training-step and inference throughput of bertrun (through Node and the addon) against
// (a) the same step in a standalone C++ libtorch program (CPU fp32 only) and (b) Hugging Face
// transformers in Python (same torch, SDPA, same precision and batch), all measured in this run.
// bertrun and (a) run twice each in ABBA order and the better run counts. On CUDA it also prints
// achieved TFLOP/s and model FLOPs utilisation (MFU) against --peak-tflops. Every training row
// also prints user and system CPU seconds of the timed steps (system time is page faults and
// memory-mapping churn: it should stay small). --allocator-baseline adds bertrun with libtorch's
// own CPU allocator (BERTRUN_CPU_ALLOCATOR=system) as a column: the caching allocator's effect.
//   node scripts/bench-train.js [--device cpu|cuda] [--precision fp32,bf16,fp16]
//     [--shapes base,small,base384,small512,qa_minilm256,qa_minilm384,qa_base256,qa_base384,mlm_minilm128,mlm_base128 | qa | mlm]
//     [--steps N] [--warmup N] [--no-hf] [--allocator-baseline] [--verbose] [--epoch-examples N (0 = skip)] [--peak-tflops T]
//   QA shapes (question answering, run_qa's seq 256/384): MiniLM (L6 H384) batch 32, BERT-base batch 12.
//   MLM shapes (masked-LM pretraining, run_mlm's 15% of positions labelled, vocab 30522, seq 128):
//   MiniLM batch 32, BERT-base batch 16; bertrun computes decoder logits at the labelled positions only.
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
const { shapeConfig } = require('./bench/shape_config');

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
  qa_minilm256: { layers: 6, hidden: 384, heads: 12, intermediate: 1536, vocab: 30522, batch: 32, seq: 256, task: 'question-answering' },
  qa_minilm384: { layers: 6, hidden: 384, heads: 12, intermediate: 1536, vocab: 30522, batch: 32, seq: 384, task: 'question-answering' },
  qa_base256: { layers: 12, hidden: 768, heads: 12, intermediate: 3072, vocab: 30522, batch: 12, seq: 256, task: 'question-answering' },
  qa_base384: { layers: 12, hidden: 768, heads: 12, intermediate: 3072, vocab: 30522, batch: 12, seq: 384, task: 'question-answering' },
  mlm_minilm128: { layers: 6, hidden: 384, heads: 12, intermediate: 1536, vocab: 30522, batch: 32, seq: 128, task: 'masked-lm' },
  mlm_base128: { layers: 12, hidden: 768, heads: 12, intermediate: 3072, vocab: 30522, batch: 16, seq: 128, task: 'masked-lm' },
};
const SHAPE_GROUPS = { qa: ['qa_minilm256', 'qa_minilm384', 'qa_base256', 'qa_base384'], mlm: ['mlm_minilm128', 'mlm_base128'] };
const device = option('device', 'cpu');
const precisions = option('precision', 'fp32').split(',');
const PRECISION = { fp32: null, bf16: 'bfloat16', fp16: 'float16' };
for (const p of precisions) if (!(p in PRECISION)) throw new Error(`unknown precision ${p}; use fp32, bf16 or fp16`);
// GPU batches: BERT-base fine-tuning sizes (HF's examples use 32 at seq 128, 12-16 at seq 384).
if (device.startsWith('cuda')) {
  Object.assign(SHAPES.base, { batch: 32 });
  Object.assign(SHAPES.base384, { batch: 16 });
}
const wanted = option('shapes', 'base,small')
  .split(',')
  .flatMap((name) => SHAPE_GROUPS[name] ?? [name]);
// --no-hf skips the Python baseline (quicker when only the binding's cost is in question).
const withHf = !args.includes('--no-hf');
const withAllocatorBaseline = args.includes('--allocator-baseline');
const taskOf = (s) => s.task ?? 'sequence-classification';

function shapeArgs(s) {
  return [s.layers, s.hidden, s.heads, s.intermediate, s.vocab, s.batch, s.seq, steps, warmup, threads].map(String);
}

// In a process of its own: the CPU allocator is chosen when the addon loads (BERTRUN_CPU_ALLOCATOR).
function benchBertrun(s, precision, allocator = 'caching') {
  const worker = path.join(__dirname, 'bench', 'train_step_worker.js');
  const env = { ...process.env, ...(allocator === 'system' ? { BERTRUN_CPU_ALLOCATOR: 'system' } : {}) };
  if (allocator !== 'system') delete env.BERTRUN_CPU_ALLOCATOR;
  const out = execFileSync(process.execPath, [worker, JSON.stringify({ shape: s, task: taskOf(s), precision, steps, warmup, device })], {
    encoding: 'utf8',
    env,
  });
  return JSON.parse(out.trim().split('\n').pop());
}

function benchStandalone(s) {
  execFileSync('cmake', ['--build', path.join(ROOT, 'build'), '--target', 'bench_train_standalone'], { stdio: 'ignore' });
  const out = execFileSync(path.join(ROOT, 'build', 'bench_train_standalone'), shapeArgs(s), { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop());
}

function benchHf(s, precision) {
  const python = process.env.BERTRUN_PYTHON || path.join(ROOT, '.venv', 'bin', 'python');
  const out = execFileSync(python, [path.join(__dirname, 'bench', 'hf_train_step.py'), ...shapeArgs(s), device.replace(/:\d+$/, ''), precision, taskOf(s)], {
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
    const model = BertModel.fromConfig(shapeConfig(s), 'sequence-classification', { seed: 0 });
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
      const label = `${name}: ${taskOf(s)} (L${s.layers} H${s.hidden} A${s.heads} I${s.intermediate} V${s.vocab}, batch ${s.batch}, seq ${s.seq}), ${precision}`;
      // The standalone C++ program measures the binding's cost: CPU fp32, sequence classification.
      const withStandalone = device === 'cpu' && precision === 'fp32' && taskOf(s) === 'sequence-classification';
      // ABBA order, best of two runs each: neither implementation always runs first, on a
      // cooler or warmer machine, and one noisy run does not decide the ratio.
      const standaloneRuns = withStandalone ? [benchStandalone(s)] : [];
      const systemRuns = withAllocatorBaseline ? [benchBertrun(s, precision, 'system')] : [];
      const oursRuns = [benchBertrun(s, precision), benchBertrun(s, precision)];
      if (withStandalone) standaloneRuns.push(benchStandalone(s));
      if (withAllocatorBaseline) systemRuns.push(benchBertrun(s, precision, 'system'));
      const best = (runs) => {
        const fastest = runs.reduce((a, b) => (b.train_samples_per_s > a.train_samples_per_s ? b : a));
        return { ...fastest, infer_samples_per_s: Math.max(...runs.map((r) => r.infer_samples_per_s)) };
      };
      if (args.includes('--verbose')) console.log(JSON.stringify({ name, precision, oursRuns, systemRuns, standaloneRuns }));
      const ours = best(oursRuns);
      const standalone = withStandalone ? best(standaloneRuns) : undefined;
      const system = withAllocatorBaseline ? best(systemRuns) : undefined;
      const hf = withHf ? benchHf(s, precision) : undefined;
      const cpuTimes = (r) =>
        r.train_user_s === undefined
          ? ''
          : ` (user ${r.train_user_s.toFixed(1)} s, sys ${r.train_sys_s.toFixed(1)} s = ${((100 * r.train_sys_s) / r.train_wall_s).toFixed(0)}% of wall)`;
      console.log(`\n${label}`);
      for (const kind of ['train', 'infer']) {
        const key = `${kind}_samples_per_s`;
        const column = (name, r) =>
          r ? ` | ${name} ${r[key].toFixed(2).padStart(8)} (ratio ${(ours[key] / r[key]).toFixed(3)})${kind === 'train' ? cpuTimes(r) : ''}` : '';
        console.log(
          `  ${kind.padEnd(5)} bertrun ${ours[key].toFixed(2).padStart(8)} samples/s${kind === 'train' ? cpuTimes(ours) : ''}` +
            column('libtorch CPU allocator', system) +
            column('standalone C++', standalone) +
            column('HF transformers', hf),
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
