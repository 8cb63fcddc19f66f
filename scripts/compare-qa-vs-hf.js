#!/usr/bin/env node
// Question answering, bertrun against Hugging Face transformers on the same SQuAD-format data,
// several seeds on both sides, in this run: `bertrun train --task question-answering --do_eval`
// and run_qa.py's pipeline with the HF Trainer (scripts/bench/hf_run_qa.py), same model, seeds,
// max_seq_length, doc_stride, batch, learning rate and epochs. Prints per-seed EM/F1 (v2.0: and
// HasAns/NoAns EM), training wall / user / system seconds, then the means +- std and bertrun's
// difference. Exit status 0 when bertrun's mean EM and F1 are within 1 point of HF's or better.
//   node scripts/compare-qa-vs-hf.js --train train.json --dev dev.json [--version-2-with-negative]
//     [--seeds 1,2,3] [--max-seq-length 256] [--doc-stride 128] [--batch 32] [--lr 5e-5] [--epochs 1]
//     [--model DIR (default: all-MiniLM-L6-v2 from the PyPI package)] [--bf16] [--only bertrun,hf]
//     [--out DIR (default: a temporary directory, removed)] [--python PATH]
'use strict';
require('./script_usage').exitWithUsageIfAsked(__filename);
const fs = require('fs');
const os = require('os');
const path = require('path');
const { findMiniLM } = require('./find-minilm.js');
const { optionReader, runChecked } = require('./bench/child_process_run.js');

const ROOT = path.resolve(__dirname, '..');
const argv = process.argv.slice(2);
const option = optionReader(argv);
const train = option('train');
const dev = option('dev');
if (!train || !dev) {
  console.error('compare-qa-vs-hf: --train and --dev (SQuAD-format JSON) are required; --help shows the usage');
  process.exit(2);
}
const version2 = argv.includes('--version-2-with-negative');
const seeds = option('seeds', '1,2,3').split(',').map(Number);
const settings = {
  maxSeqLength: option('max-seq-length', '256'),
  docStride: option('doc-stride', '128'),
  batch: option('batch', '32'),
  lr: option('lr', '5e-5'),
  epochs: option('epochs', '1'),
};
const bf16 = argv.includes('--bf16');
const only = option('only', 'bertrun,hf').split(',');
const model = option('model') ?? findMiniLM();
const python = option('python', process.env.BERTRUN_PYTHON || path.join(ROOT, '.venv', 'bin', 'python'));
const keep = option('out') !== undefined;
const out = option('out') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-compare-qa-'));

const run = runChecked;

// User and system CPU seconds of this process's finished children (cutime and cstime of
// /proc/self/stat, in clock ticks of 1/100 s): differences around a run are that run's.
function childTimes() {
  const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  return { user: Number(fields[13]) / 100, sys: Number(fields[14]) / 100 };
}

function bertrunRun(seed) {
  const dir = path.join(out, `bertrun-seed${seed}`);
  const before = childTimes();
  const { wall } = run(process.execPath, [
    path.join(ROOT, 'dist', 'lib', 'cli', 'main.js'),
    'train',
    '--task',
    'question-answering',
    '--model_name_or_path',
    model,
    '--train_file',
    train,
    '--validation_file',
    dev,
    '--do_eval',
    '--output_dir',
    dir,
    '--overwrite_output_dir',
    '--max_seq_length',
    settings.maxSeqLength,
    '--doc_stride',
    settings.docStride,
    '--per_device_train_batch_size',
    settings.batch,
    '--learning_rate',
    settings.lr,
    '--num_train_epochs',
    settings.epochs,
    '--seed',
    String(seed),
    '--save_strategy',
    'no',
    '--report_to',
    'none',
    ...(version2 ? ['--version_2_with_negative'] : []),
    ...(bf16 ? ['--bf16'] : []),
  ]);
  const after = childTimes();
  const results = JSON.parse(fs.readFileSync(path.join(dir, 'all_results.json'), 'utf8'));
  const metric = (name) => results[`eval_${name}`];
  return {
    exact: version2 ? metric('exact') : metric('exact_match'),
    f1: metric('f1'),
    hasAnsExact: metric('HasAns_exact'),
    noAnsExact: metric('NoAns_exact'),
    trainLoss: results.train_loss,
    wall,
    user: after.user - before.user,
    sys: after.sys - before.sys,
  };
}

function hfRun(seed) {
  const dir = path.join(out, `hf-seed${seed}`);
  const before = childTimes();
  const { stdout, wall } = run(
    python,
    [
      path.join(__dirname, 'bench', 'hf_run_qa.py'),
      '--model-dir',
      model,
      '--train-file',
      train,
      '--validation-file',
      dev,
      '--output-dir',
      dir,
      '--max-seq-length',
      settings.maxSeqLength,
      '--doc-stride',
      settings.docStride,
      '--train-batch-size',
      settings.batch,
      '--learning-rate',
      settings.lr,
      '--epochs',
      settings.epochs,
      '--seed',
      String(seed),
      ...(version2 ? ['--version-2-with-negative'] : []),
      ...(bf16 ? ['--bf16'] : []),
    ],
    { HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TQDM_DISABLE: '1' },
  );
  const after = childTimes();
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  const r = JSON.parse(line.slice('RESULT '.length));
  return {
    exact: version2 ? r.exact : r.exact_match,
    f1: r.f1,
    hasAnsExact: r.HasAns_exact,
    noAnsExact: r.NoAns_exact,
    trainLoss: r.train_loss,
    wall,
    user: after.user - before.user,
    sys: after.sys - before.sys,
  };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, b) => a + (b - mean(xs)) ** 2, 0) / (xs.length - 1)));
const fmt = (x) => (x === undefined ? '-' : x.toFixed(2));

try {
  console.log(
    `compare-qa-vs-hf: ${version2 ? 'SQuAD v2.0' : 'SQuAD v1.1'}, ${path.relative(ROOT, model) || model}, seq ${settings.maxSeqLength}, stride ${settings.docStride}, ` +
      `batch ${settings.batch}, lr ${settings.lr}, ${settings.epochs} epoch(s)${bf16 ? ', bf16' : ''}, seeds ${seeds.join(',')}`,
  );
  const runs = { bertrun: [], hf: [] };
  for (const seed of seeds) {
    // Alternate which side runs first, so neither always gets the cooler machine.
    const order = seed % 2 === 0 ? ['hf', 'bertrun'] : ['bertrun', 'hf'];
    for (const side of order) {
      if (!only.includes(side)) continue;
      const r = side === 'bertrun' ? bertrunRun(seed) : hfRun(seed);
      runs[side].push(r);
      console.log(
        `  ${side.padEnd(8)} seed ${seed}: EM ${fmt(r.exact)} F1 ${fmt(r.f1)}` +
          (version2 ? ` HasAns EM ${fmt(r.hasAnsExact)} NoAns EM ${fmt(r.noAnsExact)}` : '') +
          ` | train loss ${fmt(r.trainLoss)} | wall ${r.wall.toFixed(0)} s, user ${r.user.toFixed(0)} s, sys ${r.sys.toFixed(0)} s`,
      );
    }
  }
  const summary = {};
  for (const side of ['bertrun', 'hf']) {
    if (runs[side].length === 0) continue;
    const col = (k) => runs[side].map((r) => r[k]);
    summary[side] = { exact: mean(col('exact')), f1: mean(col('f1')), wall: mean(col('wall')) };
    console.log(
      `${side.padEnd(8)} mean over ${runs[side].length} seed(s): EM ${fmt(mean(col('exact')))} +- ${fmt(std(col('exact')))}, ` +
        `F1 ${fmt(mean(col('f1')))} +- ${fmt(std(col('f1')))}` +
        (version2 ? `, HasAns EM ${fmt(mean(col('hasAnsExact')))}, NoAns EM ${fmt(mean(col('noAnsExact')))}` : '') +
        `, wall ${mean(col('wall')).toFixed(0)} s (user ${mean(col('user')).toFixed(0)} s, sys ${mean(col('sys')).toFixed(0)} s)`,
    );
  }
  if (summary.bertrun && summary.hf) {
    const dEm = summary.bertrun.exact - summary.hf.exact;
    const dF1 = summary.bertrun.f1 - summary.hf.f1;
    const ok = dEm >= -1 && dF1 >= -1;
    console.log(
      `bertrun - HF: EM ${dEm >= 0 ? '+' : ''}${fmt(dEm)}, F1 ${dF1 >= 0 ? '+' : ''}${fmt(dF1)}; wall time ratio ${(summary.bertrun.wall / summary.hf.wall).toFixed(3)} ` +
        `-> ${ok ? 'PASS' : 'MISS'} (target: within 1 point or better)`,
    );
    process.exitCode = ok ? 0 : 1;
  }
} catch (err) {
  console.error(err.message);
  process.exitCode = 2;
} finally {
  if (!keep) fs.rmSync(out, { recursive: true, force: true });
}
