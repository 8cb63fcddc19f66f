#!/usr/bin/env node
// Crash test for exact resume: trains a tiny BERT with `bertrun train --resume_from_checkpoint
// latest`, kills it with SIGKILL again and again (at random moments, and on purpose while a
// checkpoint is being written or deleted), restarts it with the same command line each time, and
// finally lets it finish. Then compares with one uninterrupted run: the final weights must be
// bit-identical (max abs diff 0), the logged losses the same, and no temporary file may be left.
//   node scripts/kill-loop.js [--kills 20] [--seed 1] [--json]
// Needs the built package (npm run setup).
'use strict';
require('./script_usage').exitWithUsageIfAsked(__filename);
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'lib', 'cli', 'main.js');
const { BertModel } = require(path.join(ROOT, 'dist', 'lib', 'models', 'bert_model'));
const { readSafetensors } = require(path.join(ROOT, 'dist', 'lib', 'io', 'safetensors'));

const WORDS = ['cat', 'dog', 'bird', 'fish', 'red', 'blue', 'green', 'big', 'small', 'runs', 'sleeps', 'eats', 'the', 'a', 'not', 'very'];
/** What an interrupted save, delete or atomic write leaves behind. */
const LEFTOVER = /\.(tmp|deleting|old)-\d+$|\.tmp$/;

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

function rng(seed) {
  let x = seed >>> 0;
  return (n) => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return (x / 4294967296) * n;
  };
}

async function makeFixture(root) {
  const modelDir = path.join(root, 'tiny-bert');
  const model = BertModel.fromConfig(
    { vocab_size: 5 + WORDS.length, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 64 },
    'base',
    { seed: 1 },
  );
  await model.savePretrained(modelDir);
  fs.writeFileSync(path.join(modelDir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS].join('\n') + '\n');
  fs.writeFileSync(path.join(modelDir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
  const pick = rng(5);
  const sentence = () => Array.from({ length: 3 + Math.floor(pick(5)) }, () => WORDS[Math.floor(pick(WORDS.length))]).join(' ');
  const rows = ['id\tsentence1\tsentence2\tlabel'];
  for (let i = 0; i < 600; i++) {
    const a = sentence();
    rows.push(`${i}\t${a}\t${sentence()}\t${a.includes('cat') ? 'positive' : a.includes('dog') ? 'negtive' : 'neutral'}`);
  }
  const trainFile = path.join(root, 'train.tsv');
  fs.writeFileSync(trainFile, rows.join('\n') + '\n');
  return { modelDir, trainFile };
}

function trainArgs(fixture, outputDir) {
  return [
    CLI,
    'train',
    '--model_name_or_path',
    fixture.modelDir,
    '--train_file',
    fixture.trainFile,
    '--output_dir',
    outputDir,
    '--resume_from_checkpoint',
    'latest',
    '--max_seq_length',
    '32',
    '--per_device_train_batch_size',
    '8',
    '--learning_rate',
    '1e-3',
    '--max_steps',
    '225',
    '--save_steps',
    '3',
    '--save_total_limit',
    '2',
    '--logging_steps',
    '5',
    '--seed',
    '7',
    '--disable_tqdm',
  ];
}

/**
 * Starts one attempt; resolves with how it ended. `killWhen(ms, transient)` decides when to
 * SIGKILL it: ms since its training loop started (-1 before), whether a save is in flight.
 */
function attempt(args, outputDir, killWhen) {
  return new Promise((resolve) => {
    const started = Date.now();
    let trainingStarted;
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, BERTRUN_NUM_THREADS: '1' } });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
      if (trainingStarted === undefined && stderr.includes('***** Running training *****')) trainingStarted = Date.now();
    });
    let killedDuringSave = false;
    let killed = false;
    const timer = setInterval(() => {
      if (killed) return;
      const transient = fs.existsSync(outputDir) && fs.readdirSync(outputDir).some((n) => LEFTOVER.test(n));
      if (killWhen(trainingStarted === undefined ? -1 : Date.now() - trainingStarted, transient)) {
        killed = true;
        killedDuringSave = transient;
        child.kill('SIGKILL');
      }
    }, 2);
    child.on('close', (code, signal) => {
      clearInterval(timer);
      const end = Date.now();
      resolve({
        code,
        signal,
        killedDuringSave,
        stderr,
        seconds: (end - started) / 1000,
        trainingSeconds: trainingStarted ? (end - trainingStarted) / 1000 : 0,
      });
    });
  });
}

function maxAbsDiff(fileA, fileB) {
  const a = readSafetensors(fileA).tensors;
  const b = new Map(readSafetensors(fileB).tensors.map((t) => [t.name, t]));
  let worst = 0;
  for (const t of a) {
    const other = b.get(t.name);
    if (!other || other.data.length !== t.data.length) return Number.POSITIVE_INFINITY;
    for (let i = 0; i < t.data.length; i++) worst = Math.max(worst, Math.abs(Number(t.data[i]) - Number(other.data[i])));
  }
  return worst;
}

function lossHistory(dir) {
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'trainer_state.json'), 'utf8'));
  return state.log_history.map(({ samples_per_second: _s, ...rest }) => rest);
}

function leftoversUnder(dir) {
  const found = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (LEFTOVER.test(entry.name)) found.push(full);
    else if (entry.isDirectory()) found.push(...leftoversUnder(full));
  }
  return found;
}

async function main() {
  const kills = option('kills', 20);
  const random = rng(option('seed', 1));
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-kill-loop-'));
  try {
    const fixture = await makeFixture(root);
    const referenceDir = path.join(root, 'uninterrupted');
    const reference = await attempt(trainArgs(fixture, referenceDir), referenceDir, () => false);
    if (reference.code !== 0) throw new Error(`the uninterrupted run failed:\n${reference.stderr}`);

    const killedDir = path.join(root, 'killed');
    const args = trainArgs(fixture, killedDir);
    const counts = {
      kills: 0,
      killsDuringSave: 0,
      killsAtRandomMoments: 0,
      attempts: 0,
      resumed: 0,
      startedFromScratch: 0,
      skippedCheckpoints: 0,
      leftoverCleanups: 0,
    };
    // Half the attempts are killed at a random moment of their training loop, within a window short
    // enough that the run needs every restart to finish; the others wait for a checkpoint being
    // written or deleted and are killed right there.
    const window = reference.trainingSeconds / kills;
    for (;;) {
      const duringSave = random(1) < 0.5;
      const deadline = random(window) * 1000;
      const result = await attempt(args, killedDir, (ms, transient) => {
        if (counts.kills >= kills || ms < 0) return false;
        return duringSave ? transient || ms > window * 1000 : ms > deadline;
      });
      counts.attempts++;
      if (/resuming from \S*checkpoint-\d+ at step/.test(result.stderr)) counts.resumed++;
      if (/starting from scratch/.test(result.stderr)) counts.startedFromScratch++;
      counts.skippedCheckpoints += (result.stderr.match(/warning: skipping /g) ?? []).length;
      if (/removed \d+ temporary/.test(result.stderr)) counts.leftoverCleanups++;
      if (result.signal === 'SIGKILL') {
        counts.kills++;
        if (result.killedDuringSave) counts.killsDuringSave++;
        else counts.killsAtRandomMoments++;
        continue;
      }
      if (result.code !== 0) throw new Error(`attempt ${counts.attempts} failed with exit code ${result.code}:\n${result.stderr}`);
      break;
    }

    const diff = maxAbsDiff(path.join(referenceDir, 'model.safetensors'), path.join(killedDir, 'model.safetensors'));
    const sameLosses = JSON.stringify(lossHistory(referenceDir)) === JSON.stringify(lossHistory(killedDir));
    const leftovers = [
      ...leftoversUnder(killedDir),
      ...leftoversUnder(path.dirname(fixture.trainFile)).filter((f) => !f.startsWith(root + path.sep + 'uninterrupted')),
    ];
    const summary = {
      ...counts,
      maxAbsDiff: diff,
      sameLosses,
      leftovers: leftovers.map((f) => path.relative(root, f)),
      uninterruptedSeconds: reference.seconds,
      uninterruptedTrainingSeconds: reference.trainingSeconds,
    };
    if (process.argv.includes('--json')) {
      console.log(JSON.stringify(summary));
    } else {
      console.log(
        `kills: ${counts.kills} (${counts.killsDuringSave} while a checkpoint was being written or deleted, ${counts.killsAtRandomMoments} at random moments) over ${counts.attempts} attempts`,
      );
      console.log(
        `restarts that resumed: ${counts.resumed}, started from scratch (no checkpoint yet): ${counts.startedFromScratch}, checkpoints skipped as damaged: ${counts.skippedCheckpoints}, leftover cleanups: ${counts.leftoverCleanups}`,
      );
      console.log(
        `final weights vs uninterrupted run: max abs diff ${diff}; logged losses identical: ${sameLosses}; leftover temporary files: ${leftovers.length}`,
      );
    }
    process.exitCode = diff === 0 && sameLosses && leftovers.length === 0 ? 0 : 1;
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
