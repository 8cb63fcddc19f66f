// One rank of the loss-scaler DDP test: trains a tiny model with a loss scaler for four steps,
// rank 1 alone making its gradients infinite on step 2, and prints each step's skip flag, the
// final scale and a checksum of its weights as JSON.
const { BertModel } = require('../../dist/lib/models/bert_model');
const { ProcessGroup } = require('../../dist/lib/distributed/process_group');
const { readDistributedEnvironment } = require('../../dist/lib/distributed/environment');

const CONFIG = {
  vocab_size: 300,
  hidden_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 48,
  max_position_embeddings: 16,
  num_labels: 2,
};

(async () => {
  const environment = readDistributedEnvironment();
  const group = await ProcessGroup.join(environment, { device: 'cpu', timeoutSeconds: 60 });
  const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 1 });
  await model.attachProcessGroup(group, {});
  await model.configureGradScaler({});
  await model.train();
  const skipped = [];
  let scale = 0;
  for (let step = 1; step <= 4; step++) {
    const ids = Int32Array.from({ length: 16 }, (_, i) => 5 + ((i * 7 + step * 3 + environment.rank * 11) % 290));
    const inject = environment.rank === 1 && step === 2;
    await model.forwardBackward(
      { shape: [2, 8], inputIds: ids, labels: new Int32Array([step % 2, environment.rank]) },
      { lossScale: inject ? Number.POSITIVE_INFINITY : 1 },
    );
    const result = await model.step({ lr: 1e-3, maxGradNorm: 1, zeroGrad: true });
    skipped.push(result.skipped);
    scale = result.lossScale;
  }
  let checksum = 0;
  for (const t of await model.stateDict()) for (let i = 0; i < t.data.length; i++) checksum += Number(t.data[i]) * ((i % 7) + 1);
  console.log(JSON.stringify({ rank: environment.rank, skipped, scale, checksum }));
  process.exit(0);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
