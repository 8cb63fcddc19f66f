// The DDP gradient synchronisation inside one process (a world of one rank over Gloo): buckets
// are cut by size, every bucket is reduced during backward, gradients come back unchanged (the
// average over one rank), and accumulation micro-steps skip the collective.
import { BertModel } from '../../lib/models/bert_model';
import { native } from '../../lib/native';
import { ProcessGroup } from '../../lib/distributed/process_group';
import { freePort } from '../helpers/ddp_run';
import { byName, maxAbsDiff } from '../helpers/tensors';
import { TINY_BATCH } from '../helpers/tiny_batch';

const CONFIG = {
  vocab_size: 300,
  hidden_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  intermediate_size: 96,
  max_position_embeddings: 32,
  num_labels: 3,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
};
const BATCH = TINY_BATCH;

let group: ProcessGroup;
beforeAll(async () => {
  group = await ProcessGroup.join(
    {
      rank: 0,
      localRank: 0,
      worldSize: 1,
      localWorldSize: 1,
      groupRank: 0,
      masterAddr: '127.0.0.1',
      masterPort: await freePort(),
      restartCount: 0,
      maxRestarts: 0,
      runId: 't',
      useAgentStore: false,
    },
    { device: 'cpu', timeoutSeconds: 30 },
  );
});

test('small buckets: every bucket is all-reduced during backward and the gradients are unchanged', async () => {
  const plain = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 3 });
  const synced = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 3 });
  const bytes = synced.info().numParameters * 4;
  await synced.attachProcessGroup(group, { bucketCapMb: 0.02 });
  const before = await synced.gradientSyncStats();
  // Buckets of at most 20 KiB, except a single tensor larger than that (the word embeddings).
  expect(before!.bucketBytes).toBe(bytes);
  expect(before!.buckets).toBeGreaterThan(bytes / (0.02 * 1024 * 1024) / 2);
  expect(before!.syncedSteps).toBe(0);

  await plain.forwardBackward(BATCH);
  await synced.forwardBackward(BATCH);
  const stats = (await synced.gradientSyncStats())!;
  expect(stats.syncedSteps).toBe(1);
  const [a, b] = [byName(await plain.gradients()), byName(await synced.gradients())];
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [name, g] of a) expect(maxAbsDiff(g.data, b.get(name)!.data)).toBe(0);
});

test('accumulation micro-steps stay local; the last one synchronises the accumulated gradient', async () => {
  const plain = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 4 });
  const synced = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 4 });
  await synced.attachProcessGroup(group, { bucketCapMb: 0.05 });
  for (const model of [plain, synced]) {
    await model.forwardBackward(BATCH, { lossScale: 0.5, syncGradients: false });
    await model.forwardBackward(BATCH, { lossScale: 0.5 });
  }
  expect((await synced.gradientSyncStats())!.syncedSteps).toBe(1);
  const [a, b] = [byName(await plain.gradients()), byName(await synced.gradients())];
  for (const [name, g] of a) expect(maxAbsDiff(g.data, b.get(name)!.data)).toBe(0);
});

test('a model without a group reports no sync; bad options are refused before any work', async () => {
  const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 5 });
  expect(await model.gradientSyncStats()).toBeNull();
  await expect(model.attachProcessGroup(group, { bucketCapMb: 0 })).rejects.toThrow(/ddp_bucket_cap_mb must be > 0/);
  await expect(ProcessGroup.join({ ...group.environment }, { device: 'cuda', backend: 'gloo', timeoutSeconds: 5 })).rejects.toThrow(/gloo needs --device cpu/);
  await expect(ProcessGroup.join({ ...group.environment }, { device: 'cpu', timeoutSeconds: 0 })).rejects.toThrow(/ddp_timeout must be > 0/);
  await expect(ProcessGroup.join({ ...group.environment }, { device: 'cpu', timeoutSeconds: 5, heartbeatTimeoutSeconds: 5 })).rejects.toThrow(
    /ddp_heartbeat_timeout must be 0 \(no watchdog\) or a number of seconds >= 10/,
  );
});

test('the hung-peer check answers at once: nothing to report in a world of one, a bad limit is an error', async () => {
  await group.barrier();
  expect(group.handle.unresponsivePeers(10000)).toBeNull();
  expect(() => group.handle.unresponsivePeers(0)).toThrow(/unresponsivePeers needs a limit in milliseconds > 0/);
});

test('the nccl backend without a GPU (or without NCCL in the build) is an error, never an abort', async () => {
  const info = native().buildInfo();
  const pg = new (native().NativeProcessGroup)({
    rank: 0,
    worldSize: 1,
    masterAddr: '127.0.0.1',
    masterPort: await freePort(),
    hostStore: true,
    storePrefix: '/t',
    timeoutMs: 5000,
    backend: 'nccl',
    device: 'cpu',
  });
  if (info.builtWithNccl && info.cudaAvailable) {
    // On a GPU machine a one-rank NCCL group must work.
    await expect(pg.connect()).resolves.toBeUndefined();
  } else if (info.builtWithNccl) {
    await expect(pg.connect()).rejects.toThrow(/nccl process group failed on rank 0 of 1: .*GPU.*Fix: NCCL needs a CUDA GPU/s);
  } else {
    await expect(pg.connect()).rejects.toThrow(/nccl backend is not in this build/);
  }
});
