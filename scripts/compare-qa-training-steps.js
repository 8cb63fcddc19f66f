#!/usr/bin/env node
// Question answering training in lockstep, bertrun against Hugging Face transformers: both start
// from the same weights (scripts/bench/make_qa_model.py: the model's encoder plus a qa_outputs head
// initialised by transformers, dropout off, so no random masks), read the same windows of the same
// SQuAD-format file in bertrun's batch order, padded to max_seq_length as run_qa.py pads, and train
// N steps (AdamW, linear schedule, gradient clipping at 1.0); the script prints both losses per step
// and their largest difference. Equal losses step after step mean the whole training path agrees:
// windows, answer targets (impossible questions and answers outside a window -> [CLS]), the loss
// over every position, the optimizer and the schedule. Exit status 0 when every step agrees within
// --tolerance (relative).
//   node scripts/compare-qa-training-steps.js --train train.json [--version-2-with-negative]
//     [--steps 20] [--seed 1] [--max-seq-length 256] [--doc-stride 128] [--batch 32] [--lr 5e-5]
//     [--max-query-length 64 (bertrun's question cut; run_qa.py has none: keep questions shorter)]
//     [--model DIR (default: all-MiniLM-L6-v2 from the PyPI package)] [--tolerance 1e-3]
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
if (!train) {
  console.error('compare-qa-training-steps: --train (SQuAD-format JSON) is required; --help shows the usage');
  process.exit(2);
}
const version2 = argv.includes('--version-2-with-negative');
const steps = Number(option('steps', '20'));
const seed = Number(option('seed', '1'));
const maxSeqLength = option('max-seq-length', '256');
const docStride = option('doc-stride', '128');
const batch = Number(option('batch', '32'));
const lr = option('lr', '5e-5');
const maxQueryLength = option('max-query-length', '64');
const tolerance = Number(option('tolerance', '1e-3'));
const python = option('python', process.env.BERTRUN_PYTHON || path.join(ROOT, '.venv', 'bin', 'python'));
const keep = option('out') !== undefined;
const out = option('out') ?? fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-qa-steps-'));

const run = runChecked;

const pythonEnv = { HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TQDM_DISABLE: '1' };
const resultLine = (stdout) =>
  JSON.parse(
    stdout
      .split('\n')
      .find((l) => l.startsWith('RESULT '))
      .slice('RESULT '.length),
  );

function bertrunLosses(modelDir) {
  const dir = path.join(out, 'bertrun');
  run(process.execPath, [
    path.join(ROOT, 'dist', 'lib', 'cli', 'main.js'),
    'train',
    '--task',
    'question-answering',
    '--model_name_or_path',
    modelDir,
    '--train_file',
    train,
    '--output_dir',
    dir,
    '--overwrite_output_dir',
    '--max_seq_length',
    maxSeqLength,
    '--doc_stride',
    docStride,
    '--max_query_length',
    maxQueryLength,
    '--pad_to_max_length',
    '--per_device_train_batch_size',
    String(batch),
    '--learning_rate',
    lr,
    '--max_steps',
    String(steps),
    '--logging_steps',
    '1',
    '--seed',
    String(seed),
    '--save_strategy',
    'no',
    '--report_to',
    'none',
    ...(version2 ? ['--version_2_with_negative'] : []),
  ]);
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'trainer_state.json'), 'utf8'));
  return state.log_history.filter((e) => 'loss' in e).map((e) => e.loss);
}

/** The feature order bertrun's sampler draws for this seed (epoch 0; the order does not depend on lengths without group_by_length). */
function bertrunOrder(features) {
  const { batchOrder } = require(path.join(ROOT, 'dist', 'lib', 'data', 'loader', 'batch_order.js'));
  return batchOrder(new Array(features).fill(0), 0, { batchSize: batch, shuffle: true, seed }).flat();
}

function hfLosses(modelDir, features) {
  const orderFile = path.join(out, 'order.json');
  fs.writeFileSync(orderFile, JSON.stringify(bertrunOrder(features)));
  const { stdout } = run(
    python,
    [
      path.join(__dirname, 'bench', 'hf_run_qa.py'),
      '--model-dir',
      modelDir,
      '--train-file',
      train,
      '--validation-file',
      train,
      '--output-dir',
      path.join(out, 'hf'),
      '--max-seq-length',
      maxSeqLength,
      '--doc-stride',
      docStride,
      '--train-batch-size',
      String(batch),
      '--learning-rate',
      lr,
      '--seed',
      String(seed),
      '--order',
      orderFile,
      '--max-steps',
      String(steps),
      ...(version2 ? ['--version-2-with-negative'] : []),
    ],
    pythonEnv,
  );
  return resultLine(stdout).step_losses;
}

/**
 * The number of training windows as run_qa.py cuts them, and how many have the [CLS] target.
 * bertrun cuts the same windows (test/integration/qa_features_live.test.ts checks them against run_qa's).
 */
function featureCount(modelDir) {
  const { stdout } = run(
    python,
    [
      '-c',
      [
        'import json, sys',
        `sys.path.insert(0, ${JSON.stringify(path.join(__dirname, 'bench'))})`,
        'import hf_run_qa as h',
        'from transformers import AutoTokenizer',
        'class A: pass',
        'a = A(); a.max_seq_length = int(sys.argv[2]); a.doc_stride = int(sys.argv[3])',
        'enc = h.train_features(AutoTokenizer.from_pretrained(sys.argv[1]), h.read_squad(sys.argv[4]), a)',
        'print("RESULT " + json.dumps({"features": len(enc["input_ids"]), "cls_targets": sum(1 for s in enc["start_positions"] if s == 0)}))',
      ].join('\n'),
      modelDir,
      maxSeqLength,
      docStride,
      train,
    ],
    pythonEnv,
  );
  return resultLine(stdout);
}

try {
  const model = option('model') ?? findMiniLM();
  const modelDir = path.join(out, 'start');
  run(python, [path.join(__dirname, 'bench', 'make_qa_model.py'), model, modelDir, '--seed', String(seed), '--no-dropout'], pythonEnv);
  const { features, cls_targets: clsTargets } = featureCount(modelDir);
  console.log(
    `compare-qa-training-steps: ${version2 ? 'SQuAD v2.0' : 'SQuAD v1.1'}, ${path.relative(ROOT, model) || model}, seq ${maxSeqLength}, stride ${docStride}, ` +
      `batch ${batch}, lr ${lr}, ${steps} steps, seed ${seed}, dropout off; ${features} windows, ${clsTargets} with the [CLS] target`,
  );
  const ours = bertrunLosses(modelDir);
  const theirs = hfLosses(modelDir, features).slice(0, steps);
  if (ours.length !== theirs.length) throw new Error(`bertrun logged ${ours.length} step losses, transformers ${theirs.length}`);
  let worst = 0;
  ours.forEach((loss, i) => {
    const rel = Math.abs(loss - theirs[i]) / Math.max(Math.abs(theirs[i]), 1e-12);
    worst = Math.max(worst, rel);
    console.log(`  step ${String(i + 1).padStart(3)}: bertrun ${loss.toFixed(6)}  transformers ${theirs[i].toFixed(6)}  rel. diff ${rel.toExponential(2)}`);
  });
  const ok = worst <= tolerance;
  console.log(`largest relative difference ${worst.toExponential(2)} -> ${ok ? 'PASS' : 'MISS'} (tolerance ${tolerance})`);
  process.exitCode = ok ? 0 : 1;
} catch (err) {
  console.error(err.message);
  process.exitCode = 2;
} finally {
  if (!keep) fs.rmSync(out, { recursive: true, force: true });
}
