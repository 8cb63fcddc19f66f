// One rank of scripts/bench-ddp.js: trains the small shape on random tokens for a fixed number of
// steps (its share of the global batch) and reports throughput and gradient-sync timings as JSON.
const { BertModel } = require('../../dist/lib/models/bert_model');
const { ProcessGroup } = require('../../dist/lib/distributed/process_group');
const { readDistributedEnvironment } = require('../../dist/lib/distributed/environment');

const [steps, warmup, globalBatch, seq] = process.argv.slice(2).map(Number);
const CONFIG = {
  vocab_size: 30522,
  hidden_size: 256,
  num_hidden_layers: 4,
  num_attention_heads: 4,
  intermediate_size: 1024,
  max_position_embeddings: 512,
  num_labels: 2,
};

function batchOf(size, seed) {
  let x = seed >>> 0;
  const next = () => (x = (Math.imul(x, 1664525) + 1013904223) >>> 0);
  const inputIds = new Int32Array(size * seq).map(() => 1000 + (next() % 20000));
  return { shape: [size, seq], inputIds, attentionMask: new Int32Array(size * seq).fill(1), labels: new Int32Array(size).map(() => next() % 2) };
}

(async () => {
  const environment = readDistributedEnvironment();
  const world = environment ? environment.worldSize : 1;
  const rank = environment ? environment.rank : 0;
  const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 1 });
  const group = environment ? await ProcessGroup.join(environment, { device: 'cpu', timeoutSeconds: 300 }) : undefined;
  if (group) await model.attachProcessGroup(group, { bucketCapMb: 25 });
  await model.train();
  const perRank = globalBatch / world;
  const step = async (i) => {
    await model.forwardBackward(batchOf(perRank, 17 + i * world + rank));
    await model.step({ lr: 1e-4, maxGradNorm: 1, zeroGrad: true });
  };
  for (let i = 0; i < warmup; i++) await step(i);
  const syncBefore = group ? await model.gradientSyncStats() : null;
  await group?.barrier();
  const started = process.hrtime.bigint();
  for (let i = 0; i < steps; i++) await step(warmup + i);
  await group?.barrier();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const report = { world, rank, threads: require('../../dist/lib/native').native().buildInfo().numThreads, samplesPerSecond: (steps * globalBatch) / seconds };
  if (group) {
    const sync = await model.gradientSyncStats();
    const synced = sync.syncedSteps - syncBefore.syncedSteps;
    report.buckets = sync.buckets;
    report.exposedWaitMsPerStep = (sync.exposedWaitMs - syncBefore.exposedWaitMs) / synced;
    report.bucketsDoneBeforeWait = sync.bucketsDoneBeforeWait - syncBefore.bucketsDoneBeforeWait;
    // The same bytes all-reduced alone, not overlapped with anything: the communication cost.
    const values = new Float64Array(sync.bucketBytes / 8);
    const reps = 5;
    const t0 = process.hrtime.bigint();
    for (let r = 0; r < reps; r++) await group.sum(values, 'bench all-reduce');
    report.allreduceMsPerStep = Number(process.hrtime.bigint() - t0) / 1e6 / reps;
  }
  console.log('BENCH ' + JSON.stringify(report));
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
