#!/usr/bin/env node
// Demo: fine-tune a small BERT from scratch on a generated, learnable sequence task with the
// native training step (forward + backward, clipping, AdamW), evaluate it, save it in Hugging
// Face format, reload it and predict. (The sentence-pair fine-tuning demo on all-MiniLM-L6-v2
// arrives with the tokenizer, data and Trainer work.)
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { BertModel } = require('../dist/lib/index.js');

const VOCAB = 64;
const SEQ = 16;
const MARKER = 7; // label 1 when the marker token occurs in the sequence

function makeExamples(count, seed) {
  let x = seed;
  const rand = () => (x = (x * 1103515245 + 12345) % 2147483648) / 2147483648;
  const examples = [];
  for (let i = 0; i < count; i++) {
    const ids = [1]; // [CLS]
    const positive = rand() < 0.5;
    for (let j = 1; j < SEQ; j++) {
      let id = 10 + Math.floor(rand() * (VOCAB - 10));
      ids.push(id);
    }
    if (positive) ids[1 + Math.floor(rand() * (SEQ - 1))] = MARKER;
    examples.push({ ids, label: positive ? 1 : 0 });
  }
  return examples;
}

function toBatch(examples) {
  return {
    shape: [examples.length, SEQ],
    inputIds: Int32Array.from(examples.flatMap((e) => e.ids)),
    labels: Int32Array.from(examples.map((e) => e.label)),
  };
}

async function accuracy(model, examples) {
  const batch = toBatch(examples);
  const { outputs } = await model.forward({ shape: batch.shape, inputIds: batch.inputIds });
  let correct = 0;
  examples.forEach((e, i) => {
    const [a, b] = outputs.logits.data.subarray(i * 2, i * 2 + 2);
    if ((b > a ? 1 : 0) === e.label) correct++;
  });
  return correct / examples.length;
}

(async () => {
  const config = {
    vocab_size: VOCAB, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128,
    max_position_embeddings: 32, num_labels: 2, id2label: { 0: 'absent', 1: 'present' },
  };
  const model = BertModel.fromConfig(config, 'sequence-classification', { seed: 0 });
  const train = makeExamples(2048, 1);
  const dev = makeExamples(512, 2);
  await model.configureOptimizer({ weightDecay: 0.01 });
  console.log(`model: ${model.info().numParameters} parameters; dev accuracy before training ${(await accuracy(model, dev)).toFixed(3)}`);
  await model.train();
  const batchSize = 32;
  const epochs = 3;
  const totalSteps = (epochs * train.length) / batchSize;
  let step = 0;
  const t0 = Date.now();
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = 0; i < train.length; i += batchSize) {
      await model.forwardBackward(toBatch(train.slice(i, i + batchSize)));
      const lr = 1e-3 * (1 - step / totalSteps); // linear decay
      await model.step({ lr, maxGradNorm: 1.0, zeroGrad: true });
      step++;
      if (step % 50 === 0) {
        const { mean } = await model.takeLoss();
        console.log(`step ${step}/${totalSteps} loss ${mean.toFixed(4)} lr ${lr.toExponential(2)}`);
      }
    }
  }
  await model.eval();
  const acc = await accuracy(model, dev);
  console.log(`trained ${step} steps in ${((Date.now() - t0) / 1000).toFixed(1)} s; dev accuracy ${acc.toFixed(3)}`);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-demo-'));
  await model.savePretrained(dir);
  const { model: reloaded } = await BertModel.fromPretrained(dir, 'sequence-classification');
  const sample = dev[0];
  const { outputs } = await reloaded.forward({ shape: [1, SEQ], inputIds: Int32Array.from(sample.ids) });
  const logits = Array.from(outputs.logits.data);
  const max = Math.max(...logits);
  const probs = logits.map((l) => Math.exp(l - max));
  const sum = probs.reduce((a, b) => a + b, 0);
  const best = probs.indexOf(Math.max(...probs));
  console.log(`saved to ${dir} (config.json + model.safetensors); reloaded prediction for dev[0]: ` +
    `${reloaded.config.id2label[best]} (p=${(probs[best] / sum).toFixed(3)}), gold ${config.id2label[sample.label]}`);
  if (acc < 0.9) {
    console.error('demo: accuracy below 0.9, something is wrong');
    process.exit(1);
  }
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
