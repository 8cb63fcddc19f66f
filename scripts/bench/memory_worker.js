#!/usr/bin/env node
// One process of `bench-train --memory`: trains a few steps of one configuration and prints its
// peak resident memory, so each configuration's peak is its own (maxRSS only ever grows).
//   node memory_worker.js '{"shape":{...},"checkpointing":true,"precision":null,"steps":3,"device":"cpu"}'
'use strict';
const path = require('path');
const { BertModel } = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js'));
const { shapeConfig } = require('./shape_config');

(async () => {
  const { shape: s, checkpointing, precision, steps, device } = JSON.parse(process.argv[2]);
  const model = BertModel.fromConfig(shapeConfig(s), 'sequence-classification', { seed: 0, device });
  await model.setGradientCheckpointing(checkpointing);
  await model.setMixedPrecision(precision);
  await model.train();
  const n = s.batch * s.seq;
  let x = 1;
  const batch = {
    shape: [s.batch, s.seq],
    inputIds: Int32Array.from({ length: n }, () => 1 + ((x = (x * 1103515245 + 12345) % 2147483648) % (s.vocab - 1))),
    labels: Int32Array.from({ length: s.batch }, (_, i) => i % 2),
  };
  const beforeMb = process.memoryUsage().rss / 2 ** 20;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) {
    await model.forwardBackward(batch);
    await model.step({ lr: 1e-5, maxGradNorm: 1, zeroGrad: true, readGradNorm: false });
  }
  await model.takeLoss(); // waits for the device
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ peakRssMb: process.resourceUsage().maxRSS / 1024, beforeMb, samplesPerSecond: (s.batch * steps) / seconds }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
