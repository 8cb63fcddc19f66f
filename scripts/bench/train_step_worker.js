#!/usr/bin/env node
// One bertrun configuration of `bench-train`, in its own process so that the environment it
// starts with (BERTRUN_CPU_ALLOCATOR) is its own: trains, then runs inference, on one fixed batch,
// and prints training and inference samples/s with the process's user and system CPU seconds
// during the timed training steps.
//   node train_step_worker.js '{"shape":{...},"task":"question-answering","precision":"fp32","steps":6,"warmup":2,"device":"cpu"}'
'use strict';
const path = require('path');
const { BertModel } = require(path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js'));
const { shapeConfig } = require('./shape_config');

const PRECISION = { fp32: null, bf16: 'bfloat16', fp16: 'float16' };

function lcg(seed) {
  let x = seed;
  return () => (x = (x * 1103515245 + 12345) % 2147483648);
}

(async () => {
  const { shape: s, task, precision, steps, warmup, device } = JSON.parse(process.argv[2]);
  const model = BertModel.fromConfig(shapeConfig(s), task, { seed: 0, device });
  await model.configureOptimizer({ weightDecay: 0.01 });
  await model.setMixedPrecision(PRECISION[precision]);
  if (precision === 'fp16') await model.configureGradScaler({});
  const next = lcg(1);
  const n = s.batch * s.seq;
  const inputs = {
    shape: [s.batch, s.seq],
    inputIds: Int32Array.from({ length: n }, () => 1 + (next() % (s.vocab - 1))),
    tokenTypeIds: new Int32Array(n),
  };
  let labels;
  if (task === 'question-answering') {
    labels = {
      startPositions: Int32Array.from({ length: s.batch }, () => next() % s.seq),
      endPositions: Int32Array.from({ length: s.batch }, () => next() % s.seq),
    };
  } else if (task === 'masked-lm') {
    // run_mlm's share: 15% of the positions carry a label (the original id), the rest -100.
    labels = { labels: Int32Array.from({ length: n }, (_, i) => (next() % 100 < 15 ? inputs.inputIds[i] : -100)), labelShape: [s.batch, s.seq] };
  } else {
    labels = { labels: Int32Array.from({ length: s.batch }, () => next() % 2) };
  }
  const batch = { ...inputs, ...labels };
  await model.train();
  // As the Trainer runs it: the gradient norm stays on the device except at logging steps.
  const trainStep = async () => {
    await model.forwardBackward(batch);
    await model.step({ lr: 1e-5, maxGradNorm: 1.0, zeroGrad: true, readGradNorm: false });
  };
  for (let i = 0; i < warmup; i++) await trainStep();
  await model.takeLoss(); // a device sync: the clock starts with an idle device
  const cpu0 = process.cpuUsage();
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) await trainStep();
  await model.takeLoss();
  const trainS = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  await model.eval();
  for (let i = 0; i < warmup; i++) await model.forward(inputs);
  t0 = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) await model.forward(inputs);
  const inferS = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(
    JSON.stringify({
      train_samples_per_s: (s.batch * steps) / trainS,
      infer_samples_per_s: (s.batch * steps) / inferS,
      train_wall_s: trainS,
      train_user_s: cpu.user / 1e6,
      train_sys_s: cpu.system / 1e6,
    }),
  );
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
