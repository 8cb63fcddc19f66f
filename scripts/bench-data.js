#!/usr/bin/env node
// Data pipeline throughput, each figure against a baseline measured in the same run:
//  1. tokenizing + featurizing 100k sentence pairs with bertrun (buildTextFeatures) vs the raw
//     HF `tokenizers` encodeBatch on the same pairs (ids and type ids read out, same truncation);
//  2. the trainer's overhead: wall time of Trainer.train minus the native step time (the same
//     forwardBackward + step calls on the same batches, timed alone), as a share of the step time,
//     for the small shape (L4 H256 A4 I1024, batch 32, seq 128);
//  3. SQuAD featurisation (buildQaFeatures: question + context windows of 384 tokens, doc_stride
//     128, max_query_length 64, offsets, targets, max-context flags) on generated long contexts
//     vs the raw `tokenizers` encodeBatch of the same questions and contexts.
//   node scripts/bench-data.js [--pairs 100000] [--steps 30] [--squad 3000] [--only trainer,pairs,squad]
'use strict';
require('./script_usage').exitWithUsageIfAsked(__filename);
const fs = require('fs');
const os = require('os');
const path = require('path');
const { Tokenizer } = require('tokenizers');
const { findMiniLM } = require('./find-minilm.js');

const ROOT = path.resolve(__dirname, '..');
const lib = require(path.join(ROOT, 'dist', 'lib', 'index.js'));
const { BertModel, BertTokenizer, Trainer, resolveTrainingArguments, buildTextFeatures, buildQaFeatures, collate } = lib;

const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(`--${name}`) ? Number(args[args.indexOf(`--${name}`) + 1]) : fallback);
const PAIRS = option('pairs', 100000);
const STEPS = option('steps', 30);
const SQUAD = option('squad', 3000);

const WORDS = (
  'the a man woman child dog cat plays runs sings reads writes quickly slowly music guitar book garden park ' +
  'happily never always before after beautiful old new small large river mountain city village morning evening'
).split(' ');
function makePairs(n) {
  let x = 7;
  const pick = (k) => (x = (x * 1103515245 + 12345) % 2147483648) % k;
  const sentence = () => Array.from({ length: 4 + pick(30) }, () => WORDS[pick(WORDS.length)]).join(' ') + '.';
  return Array.from({ length: n }, (_, i) => ({ text: sentence(), textPair: sentence(), label: String(pick(3)), source: { file: 'generated', line: i + 2 } }));
}

async function tokenizationBench(modelDir) {
  const examples = makePairs(PAIRS);
  // The npm binding's encodeBatch takes single texts only: the baseline encodes both sentences of
  // every pair and reads the ids out, the least any pair pipeline on it must do.
  const raw = Tokenizer.fromFile(path.join(modelDir, 'tokenizer.json'));
  const chunk = 4096;
  let t0 = process.hrtime.bigint();
  let tokens = 0;
  for (let i = 0; i < examples.length; i += chunk / 2) {
    const encodings = await raw.encodeBatch(examples.slice(i, i + chunk / 2).flatMap((e) => [e.text, e.textPair]));
    for (const enc of encodings) tokens += enc.getIds().length;
  }
  const rawSeconds = Number(process.hrtime.bigint() - t0) / 1e9;

  const tokenizer = await BertTokenizer.fromDirectory(modelDir);
  const labels = lib.resolveLabels({ train: examples.slice(0, 1000), fromFlag: ['0', '1', '2'] });
  t0 = process.hrtime.bigint();
  const features = await buildTextFeatures(examples, tokenizer, { maxSeqLength: 128, labels, chunkSize: chunk });
  const ourSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const ourTokens = features.reduce((n, f) => n + f.inputIds.length, 0);
  console.log(`\ntokenize + featurize ${PAIRS} pairs (raw: ${tokens} tokens; bertrun, truncated to 128 with [CLS]/[SEP]: ${ourTokens} tokens):`);
  console.log(`  raw tokenizers encodeBatch ${(PAIRS / rawSeconds).toFixed(0).padStart(8)} examples/s`);
  console.log(
    `  bertrun buildTextFeatures   ${(PAIRS / ourSeconds).toFixed(0).padStart(8)} examples/s   ratio ${(rawSeconds / ourSeconds).toFixed(3)} (target >= 0.8)`,
  );
}

// SQuAD-like examples: contexts of 150..600 words (many need two or more 384-token windows).
function makeSquad(n) {
  let x = 11;
  const pick = (k) => (x = (x * 1103515245 + 12345) % 2147483648) % k;
  return Array.from({ length: n }, (_, i) => {
    const words = Array.from({ length: 150 + pick(450) }, () => WORDS[pick(WORDS.length)]);
    const at = pick(words.length - 3);
    const text = words.slice(at, at + 3).join(' ');
    const start = words.slice(0, at).join(' ').length + (at > 0 ? 1 : 0);
    const question = `what ${Array.from({ length: 4 + pick(8) }, () => WORDS[pick(WORDS.length)]).join(' ')} ?`;
    return { id: `q${i}`, title: undefined, question, context: words.join(' '), answers: { text: [text], answerStart: [start] }, isImpossible: false, line: 1 };
  });
}

async function squadBench(modelDir) {
  const examples = makeSquad(SQUAD);
  const raw = Tokenizer.fromFile(path.join(modelDir, 'tokenizer.json'));
  const tokenizer = await BertTokenizer.fromDirectory(modelDir);
  const texts = examples.flatMap((e) => [e.question, e.context]);
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < texts.length; i += 512) {
    const encodings = await raw.encodeBatch(texts.slice(i, i + 512), { addSpecialTokens: false });
    for (const e of encodings) e.getIds();
  }
  const rawSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  t0 = process.hrtime.bigint();
  const features = await buildQaFeatures(examples, tokenizer, { maxSeqLength: 384, docStride: 128, maxQueryLength: 64 }, true);
  const ourSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(`\nSQuAD featurisation, ${SQUAD} examples of 150..600 words -> ${features.length} windows (384 tokens, doc_stride 128):`);
  console.log(`  raw tokenizers encodeBatch (question and context) ${(SQUAD / rawSeconds).toFixed(0).padStart(8)} examples/s`);
  console.log(
    `  bertrun buildQaFeatures (windows, offsets, targets) ${(SQUAD / ourSeconds).toFixed(0).padStart(7)} examples/s` +
      ` (${(features.length / ourSeconds).toFixed(0)} windows/s)   ratio ${(rawSeconds / ourSeconds).toFixed(3)}`,
  );
}

async function trainerOverheadBench() {
  const config = { vocab_size: 30522, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, num_labels: 3 };
  const batch = 32;
  let x = 3;
  const pick = (k) => (x = (x * 1103515245 + 12345) % 2147483648) % k;
  const features = Array.from({ length: batch * STEPS }, () => ({
    inputIds: Array.from({ length: 128 }, () => 1000 + pick(20000)),
    tokenTypeIds: new Array(128).fill(0),
    label: pick(3),
  }));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-bench-data-'));
  const warmModel = async () => {
    const model = BertModel.fromConfig(config, 'sequence-classification', { seed: 1 });
    await model.configureOptimizer({ weightDecay: 0.01 });
    await model.train();
    await model.forwardBackward(collate(features.slice(0, batch), { padTokenId: 0 }));
    await model.step({ lr: 1e-5, maxGradNorm: 1, zeroGrad: true });
    return model;
  };
  // Native only: the same calls the trainer makes, on batches built beforehand.
  const nativeRun = async () => {
    const model = await warmModel();
    const batches = [];
    for (let i = 0; i < features.length; i += batch) batches.push(collate(features.slice(i, i + batch), { padTokenId: 0 }));
    const t0 = process.hrtime.bigint();
    for (const b of batches) {
      await model.forwardBackward(b, { lossScale: 1 });
      await model.step({ lr: 1e-5, maxGradNorm: 1, zeroGrad: true });
    }
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  let runs = 0;
  const trainerRun = async () => {
    const model = await warmModel();
    const trainer = new Trainer({
      model,
      args: resolveTrainingArguments({
        output_dir: path.join(dir, `out-${runs++}`),
        per_device_train_batch_size: batch,
        max_steps: STEPS,
        logging_steps: 10,
        save_strategy: 'no',
        report_to: [],
        disable_tqdm: true,
      }),
      train: features,
      padTokenId: 0,
      log: () => undefined,
    });
    let t0 = process.hrtime.bigint();
    await trainer.train();
    const total = Number(process.hrtime.bigint() - t0) / 1e9;
    // The final save_pretrained is not part of a training step: measure it and leave it out.
    t0 = process.hrtime.bigint();
    await model.savePretrained(path.join(dir, 'save-timing'));
    return { total, save: Number(process.hrtime.bigint() - t0) / 1e9 };
  };
  try {
    // ABBA, best of two each: neither side always runs first.
    const native1 = await nativeRun();
    const trainer1 = await trainerRun();
    const trainer2 = await trainerRun();
    const native2 = await nativeRun();
    const nativeSeconds = Math.min(native1, native2);
    const best = trainer1.total - trainer1.save < trainer2.total - trainer2.save ? trainer1 : trainer2;
    const loopSeconds = best.total - best.save;
    const overhead = (loopSeconds - nativeSeconds) / nativeSeconds;
    console.log(`trainer overhead, small shape (L4 H256, batch ${batch}, seq 128), ${STEPS} steps, best of two each (ABBA):`);
    console.log(
      `  native steps alone ${nativeSeconds.toFixed(2)} s (runs ${native1.toFixed(2)}, ${native2.toFixed(2)}); ` +
        `Trainer.train ${best.total.toFixed(2)} s, of which the final save ${best.save.toFixed(2)} s (runs ${trainer1.total.toFixed(2)}, ${trainer2.total.toFixed(2)})`,
    );
    console.log(`  overhead ${(overhead * 100).toFixed(2)}% of step time (target <= 5%; negative = within noise)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

(async () => {
  // Trainer first: the tokenizer's worker threads must not share the cores with the timed steps.
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1].split(',') : ['trainer', 'pairs', 'squad'];
  if (only.includes('trainer')) await trainerOverheadBench();
  if (only.includes('pairs')) await tokenizationBench(findMiniLM());
  if (only.includes('squad')) await squadBench(findMiniLM());
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
