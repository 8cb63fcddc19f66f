#!/usr/bin/env node
// End-to-end fine-tuning against Hugging Face transformers, measured in this run: all-MiniLM-L6-v2
// fine-tuned on the same variable-length sentence-pair data (scripts/bench/make-variable-length-data.js),
// with the same seed and hyperparameters, by
//   1. bertrun: `bertrun train` through main() of dist/lib/cli/main.js (its defaults: dynamic padding, padded positions skipped);
//   2. HF Trainer as run_glue.py runs by default: padding="max_length" to max_seq_length (pad_to_max_length=True);
//   3. HF Trainer with DataCollatorWithPadding (run_glue.py --pad_to_max_length False): dynamic padding too.
// The runs are sequential, each timing its own training and evaluation (bertrun: its Trainer's
// train_runtime / eval_runtime; HF: perf_counter around trainer.train() / trainer.evaluate()).
// Targets: dev accuracy within 1 point of HF's, and bertrun's training wall time <= 0.5x HF's
// (run_glue's default pad-to-max run). CPU used by other processes during each run is reported:
// on a 2-core machine anything else running distorts the timings.
//
//   node scripts/bench-vs-hf.js [--train 2000] [--dev 500] [--epochs 1] [--batch 16] [--eval-batch 64]
//     [--lr 5e-5] [--warmup-ratio 0.1] [--weight-decay 0.01] [--max-grad-norm 1.0] [--seed 42]
//     [--max-seq-length 128] [--min-words 5] [--max-words 60] [--length-dist loguniform|uniform]
//     [--only bertrun,hf-max,hf-dynamic] [--data-dir DIR] [--keep] [--python PATH]
// Exit status: 0 when both targets are met, 1 when one is missed, 2 on an error.
'use strict';
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { findMiniLM } = require('./find-minilm.js');

const ROOT = path.resolve(__dirname, '..');
const { writeVariableLengthData } = require('./bench/make-variable-length-data');

const argv = process.argv.slice(2);
require('./script_usage').exitWithUsageIfAsked(__filename, argv);
const KNOWN = new Set([
  'train',
  'dev',
  'epochs',
  'batch',
  'eval-batch',
  'lr',
  'warmup-ratio',
  'weight-decay',
  'max-grad-norm',
  'seed',
  'max-seq-length',
  'min-words',
  'max-words',
  'length-dist',
  'only',
  'data-dir',
  'keep',
  'python',
]);
for (const a of argv) {
  if (a.startsWith('--') && !KNOWN.has(a.slice(2))) {
    console.error(`bench-vs-hf: unknown flag ${a} (see --help)`);
    process.exit(2);
  }
}
const opt = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const num = (name, fallback) => {
  const v = Number(opt(name, fallback));
  if (!Number.isFinite(v)) throw new Error(`--${name} must be a number`);
  return v;
};

const cfg = {
  train: num('train', 2000),
  dev: num('dev', 500),
  epochs: num('epochs', 1),
  batch: num('batch', 16),
  evalBatch: num('eval-batch', 64),
  lr: num('lr', 5e-5),
  warmupRatio: num('warmup-ratio', 0.1),
  weightDecay: num('weight-decay', 0.01),
  maxGradNorm: num('max-grad-norm', 1.0),
  seed: num('seed', 42),
  maxSeqLength: num('max-seq-length', 128),
  minWords: num('min-words', 5),
  maxWords: num('max-words', 60),
  lengthDist: opt('length-dist', 'loguniform'),
};
const only = new Set(opt('only', 'bertrun,hf-max,hf-dynamic').split(','));
const python = opt('python', path.join(ROOT, '.venv', 'bin', 'python'));
const LABELS = ['positive', 'negtive', 'neutral'];
// Optimizer steps per epoch (no drop_last) and the warm-up both sides get, as a step count so
// that neither side's rounding of a ratio matters.
const stepsPerEpoch = Math.ceil(cfg.train / cfg.batch);
const totalSteps = Math.ceil(stepsPerEpoch * cfg.epochs);
const warmupSteps = Math.ceil(cfg.warmupRatio * totalSteps);

// The HF Trainer needs `accelerate` and `psutil`: setup installs them into .venv.
function pythonEnv() {
  const probe = spawnSync(python, ['-c', 'import accelerate, psutil'], { stdio: 'ignore' });
  if (probe.status !== 0) throw new Error(`${python} lacks accelerate/psutil (needed by transformers' Trainer): run \`npm run setup\``);
  return process.env;
}

// Busy CPU seconds of the whole machine (all processes), from /proc/stat; undefined off Linux.
function machineBusySeconds() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return { busy: (user + nice + system + irq + softirq) / 100, steal: (steal || 0) / 100 };
  } catch {
    return undefined;
  }
}

/** Runs fn, returning its result plus wall seconds and the CPU other processes used meanwhile (in cores). */
async function measured(fn, ownCpuSeconds) {
  const busy0 = machineBusySeconds();
  const t0 = process.hrtime.bigint();
  const result = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const busy1 = machineBusySeconds();
  const own = ownCpuSeconds(result);
  const others = busy0 && busy1 ? Math.max(0, (busy1.busy - busy0.busy - own) / wall) : Number.NaN;
  const steal = busy0 && busy1 ? (busy1.steal - busy0.steal) / wall : Number.NaN;
  return { result, wall, others, steal, ownCores: own / wall };
}

async function runBertrun(modelDir, data, outDir) {
  const { main } = require(path.join(ROOT, 'dist', 'lib', 'cli', 'main.js'));
  const cpu0 = process.cpuUsage();
  const code = await main([
    'train',
    '--model_name_or_path',
    modelDir,
    '--train_file',
    data.train,
    '--validation_file',
    data.dev,
    '--text_column',
    'sentence1',
    '--text_pair_column',
    'sentence2',
    '--label_column',
    'label',
    '--label_names',
    ...LABELS,
    '--do_eval',
    '--output_dir',
    outDir,
    '--overwrite_output_dir',
    '--max_seq_length',
    String(cfg.maxSeqLength),
    '--per_device_train_batch_size',
    String(cfg.batch),
    '--per_device_eval_batch_size',
    String(cfg.evalBatch),
    '--learning_rate',
    String(cfg.lr),
    '--num_train_epochs',
    String(cfg.epochs),
    '--lr_scheduler_type',
    'linear',
    '--warmup_steps',
    String(warmupSteps),
    '--weight_decay',
    String(cfg.weightDecay),
    '--max_grad_norm',
    String(cfg.maxGradNorm),
    '--seed',
    String(cfg.seed),
    '--eval_strategy',
    'no',
    '--save_strategy',
    'no',
    '--logging_steps',
    '1000000',
    '--report_to',
    'none',
    '--disable_tqdm',
    '--overwrite_cache',
    '--cache_dir',
    path.join(outDir, '..', 'bertrun-feature-cache'),
  ]);
  const cpu = process.cpuUsage(cpu0);
  if (code !== 0) throw new Error(`bertrun train exited with ${code}`);
  const r = JSON.parse(fs.readFileSync(path.join(outDir, 'all_results.json'), 'utf8'));
  return {
    accuracy: r.eval_accuracy,
    trainLoss: r.train_loss,
    steps: r.global_step,
    trainWall: r.train_runtime,
    evalWall: r.eval_runtime,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

function runHf(modelDir, data, outDir, padding, env) {
  const script = path.join(__dirname, 'bench', 'hf_finetune.py');
  const args = [
    script,
    '--model-dir',
    modelDir,
    '--train-file',
    data.train,
    '--validation-file',
    data.dev,
    '--labels',
    LABELS.join(','),
    '--padding',
    padding,
    '--output-dir',
    outDir,
    '--max-seq-length',
    String(cfg.maxSeqLength),
    '--learning-rate',
    String(cfg.lr),
    '--train-batch-size',
    String(cfg.batch),
    '--eval-batch-size',
    String(cfg.evalBatch),
    '--epochs',
    String(cfg.epochs),
    '--warmup-steps',
    String(warmupSteps),
    '--weight-decay',
    String(cfg.weightDecay),
    '--max-grad-norm',
    String(cfg.maxGradNorm),
    '--seed',
    String(cfg.seed),
    '--threads',
    String(os.availableParallelism()),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(python, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let result;
    let tail = '';
    const relay = (stream) => {
      let buf = '';
      stream.on('data', (chunk) => {
        buf += chunk;
        let nl;
        while ((nl = buf.search(/[\n\r]/)) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.startsWith('RESULT ')) result = JSON.parse(line.slice(7));
          else if (line.trim() && !/Loading weights/.test(line)) {
            console.log(`  [hf] ${line}`);
            tail = (tail + line + '\n').slice(-4000);
          }
        }
      });
    };
    relay(child.stdout);
    relay(child.stderr);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || !result) reject(new Error(`hf_finetune.py (${padding}) exited with ${code}\n${tail}`));
      else resolve(result);
    });
  });
}

const fmt = (v, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const pct = (v) => (Number.isFinite(v) ? (100 * v).toFixed(2) : 'n/a');

async function run() {
  const cores = os.availableParallelism();
  const modelDir = findMiniLM();
  if (!fs.existsSync(path.join(ROOT, 'dist', 'lib', 'cli', 'main.js'))) throw new Error('dist/ is missing: run `npx tsc -p tsconfig.build.json`');
  const wantHf = only.has('hf-max') || only.has('hf-dynamic');
  const env = wantHf ? pythonEnv() : process.env;

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-bench-vs-hf-'));
  const dataDir = opt('data-dir', path.join(tmp, 'data'));
  const data = writeVariableLengthData(dataDir, {
    train: cfg.train,
    dev: cfg.dev,
    minWords: cfg.minWords,
    maxWords: cfg.maxWords,
    lengthDist: cfg.lengthDist,
    seed: 1,
  });

  console.log('bertrun vs Hugging Face transformers: fine-tuning all-MiniLM-L6-v2, fp32 on CPU');
  console.log(`  model     ${modelDir}`);
  console.log(
    `  data      ${data.train} (${cfg.train} pairs), ${data.dev} (${cfg.dev} pairs); ${cfg.minWords}-${cfg.maxWords} words per sentence, ${cfg.lengthDist}; labels ${LABELS.join(' / ')}`,
  );
  console.log(
    `  training  epochs ${cfg.epochs}, batch ${cfg.batch} (${totalSteps} steps), lr ${cfg.lr} linear, warmup ${warmupSteps} steps (ratio ${cfg.warmupRatio}), ` +
      `weight decay ${cfg.weightDecay}, max_grad_norm ${cfg.maxGradNorm}, seed ${cfg.seed}, max_seq_length ${cfg.maxSeqLength}, eval batch ${cfg.evalBatch}`,
  );
  console.log(
    `  machine   ${cores} cores (${os.cpus()[0]?.model ?? 'cpu'}), load average ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}; runs are sequential, ${cores} threads each\n`,
  );

  const rows = [];
  if (only.has('bertrun')) {
    console.log('--- 1/3 bertrun train (dynamic padding, padding skipped) ---');
    const m = await measured(
      () => runBertrun(modelDir, data, path.join(tmp, 'bertrun-out')),
      (r) => r.cpuSeconds,
    );
    rows.push({
      name: 'bertrun (dynamic, padding skipped)',
      key: 'bertrun',
      ...m.result,
      total: m.wall,
      others: m.others,
      steal: m.steal,
      ownCores: m.ownCores,
    });
  }
  for (const [key, padding, name] of [
    ['hf-max', 'max_length', `HF Trainer, pad to ${cfg.maxSeqLength} (run_glue default)`],
    ['hf-dynamic', 'longest', 'HF Trainer, DataCollatorWithPadding'],
  ]) {
    if (!only.has(key)) continue;
    console.log(`\n--- ${key === 'hf-max' ? 2 : 3}/3 ${name} ---`);
    const m = await measured(
      () => runHf(modelDir, data, path.join(tmp, `${key}-out`), padding, env),
      (r) => r.process_cpu_s,
    );
    const r = m.result;
    rows.push({
      name,
      key,
      accuracy: r.accuracy,
      trainLoss: r.train_loss,
      steps: r.global_step,
      trainWall: r.train_wall_s,
      evalWall: r.eval_wall_s,
      total: m.wall,
      others: m.others,
      steal: m.steal,
      ownCores: m.ownCores,
      lengths: r.train_lengths,
      hfRuntime: r.train_runtime,
      optim: r.optim,
    });
  }

  const lengths = rows.find((r) => r.lengths)?.lengths;
  console.log('\n=== results ===');
  if (lengths) {
    console.log(
      `train tokens per pair (HF tokenizer, after truncation): mean ${lengths.mean.toFixed(1)}, median ${lengths.p50}, p90 ${lengths.p90}, max ${lengths.max}; ` +
        `${lengths.truncated} of ${cfg.train} pairs truncated to ${cfg.maxSeqLength}`,
    );
  }
  const header = ['run', 'dev acc %', 'train loss', 'steps', 'train s', 'eval s', 'total s', 'other procs (cores)'];
  const table = rows.map((r) => [
    r.name,
    pct(r.accuracy),
    fmt(r.trainLoss, 4),
    String(r.steps),
    fmt(r.trainWall),
    fmt(r.evalWall),
    fmt(r.total),
    fmt(r.others, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const t of table) console.log(line(t));
  console.log(
    "(train s / eval s: each side's own timer around training / evaluation; total s: the whole run, process start, model load and tokenization included)",
  );

  const b = rows.find((r) => r.key === 'bertrun');
  const verdicts = [];
  if (b) {
    console.log('');
    for (const h of rows.filter((r) => r.key !== 'bertrun')) {
      const ratio = b.trainWall / h.trainWall;
      const evalRatio = b.evalWall / h.evalWall;
      const diff = 100 * (b.accuracy - h.accuracy);
      console.log(
        `bertrun vs ${h.name}: train wall ratio ${ratio.toFixed(3)}x (${(1 / ratio).toFixed(2)}x faster), eval wall ratio ${evalRatio.toFixed(3)}x, ` +
          `total ratio ${(b.total / h.total).toFixed(3)}x, accuracy ${diff >= 0 ? '+' : ''}${diff.toFixed(2)} points`,
      );
      if (h.key === 'hf-max') {
        verdicts.push([`dev accuracy within 1 point of HF's (run_glue default): ${diff >= 0 ? '+' : ''}${diff.toFixed(2)} points`, Math.abs(diff) <= 1]);
        verdicts.push([`bertrun training wall time <= 0.5x HF's (run_glue default, pad to ${cfg.maxSeqLength}): ${ratio.toFixed(3)}x`, ratio <= 0.5]);
      }
    }
  }
  if (verdicts.length) {
    console.log('\ntargets:');
    for (const [text, ok] of verdicts) console.log(`  [${ok ? 'PASS' : 'FAIL'}] ${text}`);
  }
  const disturbed = rows.filter((r) => r.others > 0.25 || r.steal > 0.1);
  console.log('');
  if (disturbed.length) {
    console.log(
      `WARNING: timings disturbed: other processes used CPU during ${disturbed
        .map((r) => `${r.key} (${fmt(r.others, 2)} cores avg` + `${r.steal > 0.1 ? `, steal ${fmt(r.steal, 2)}` : ''})`)
        .join(', ')} on a ${cores}-core machine; rerun on a quiet machine for reliable ratios.`,
    );
  } else {
    console.log(`timings look undisturbed: other processes used <= 0.25 cores on average during each run (machine has ${cores} cores).`);
  }
  if (argv.includes('--keep')) console.log(`kept ${tmp}`);
  else {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return verdicts.every(([, ok]) => ok) ? 0 : 1;
}

run().then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    console.error(`bench-vs-hf: ${e.stack || e.message}`);
    process.exitCode = 2;
  },
);
