// dispose() frees a model's native memory at once: calls already made finish first, the
// parameters, gradients and AdamW state go (the process's RSS drops by about their size), and
// every later call fails with one message. Disposing twice is fine; Symbol.asyncDispose disposes too.
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ProcessGroup } from '../../lib/distributed/process_group';
import { BertModel } from '../../lib/models/bert_model';
import { DISPOSED_MODEL_MESSAGE, type NativeModel } from '../../lib/native';
import { freePort } from '../helpers/ddp_run';
import { TINY_BATCH } from '../helpers/tiny_batch';
import { tempDirPerTest } from '../helpers/temp_dir';

const SMALL = {
  vocab_size: 300,
  hidden_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 4,
  intermediate_size: 48,
  max_position_embeddings: 32,
  num_labels: 3,
};

// About 28.5M parameters: 109 MB of float32, 436 MB with gradients and AdamW's two moments.
const LARGE = { ...SMALL, vocab_size: 30522, hidden_size: 512, num_hidden_layers: 4, num_attention_heads: 8, intermediate_size: 2048 };

const temp = tempDirPerTest('bertrun-dispose-');

function nativeHandle(model: BertModel): NativeModel {
  return (model as unknown as { handle: NativeModel }).handle;
}

test('dispose frees parameters, gradients and AdamW state after the forward already running; RSS drops by their size', async () => {
  const model = BertModel.fromConfig(LARGE, 'sequence-classification', { seed: 1 });
  const parameterBytes = model.info().numParameters * 4;
  expect(parameterBytes).toBeGreaterThan(100 * 2 ** 20);
  await model.train();
  await model.forwardBackward(TINY_BATCH);
  await model.step({ lr: 1e-4 }); // creates AdamW's exp_avg and exp_avg_sq; the gradients stay
  const before = process.memoryUsage().rss;

  const running = model.forward(TINY_BATCH);
  const disposed = model.dispose();
  const { outputs } = await running;
  expect(outputs.logits.shape).toEqual([2, 3]);
  expect(outputs.logits.data.every(Number.isFinite)).toBe(true);
  await disposed;
  const after = process.memoryUsage().rss;

  // Parameters + AdamW state = 3x the parameter bytes (the gradients, another 1x, come on top);
  // at least half of that must go back to the system.
  expect(before - after).toBeGreaterThan(0.5 * 3 * parameterBytes);
});

test('every call after dispose() rejects with one message; info() throws; dispose again is fine', async () => {
  const model = BertModel.fromConfig(SMALL, 'sequence-classification');
  await model.forward(TINY_BATCH);
  const first = model.dispose();
  // Made after dispose() but before it finished: rejected all the same.
  await expect(model.forward(TINY_BATCH)).rejects.toThrow(DISPOSED_MODEL_MESSAGE);
  await first;
  expect(model.dispose()).toBe(first);
  await expect(model.dispose()).resolves.toBeUndefined();

  await expect(model.forward(TINY_BATCH)).rejects.toThrow(DISPOSED_MODEL_MESSAGE);
  await expect(model.forwardBackward(TINY_BATCH)).rejects.toThrow(DISPOSED_MODEL_MESSAGE);
  await expect(model.step({ lr: 1e-3 })).rejects.toThrow(DISPOSED_MODEL_MESSAGE);
  await expect(model.train()).rejects.toThrow(DISPOSED_MODEL_MESSAGE);
  await expect(model.configureOptimizer({})).rejects.toThrow(DISPOSED_MODEL_MESSAGE);
  await expect(model.stateDict()).rejects.toThrow(DISPOSED_MODEL_MESSAGE);
  await expect(model.optimizerState()).rejects.toThrow(DISPOSED_MODEL_MESSAGE);
  await expect(model.takeLoss()).rejects.toThrow(DISPOSED_MODEL_MESSAGE);
  await expect(model.gradientSyncStats()).rejects.toThrow(DISPOSED_MODEL_MESSAGE);
  await expect(model.loadWeights([])).rejects.toThrow(DISPOSED_MODEL_MESSAGE);
  const out = path.join(temp.dir(), 'saved');
  await expect(model.savePretrained(out)).rejects.toThrow(DISPOSED_MODEL_MESSAGE);
  expect(fs.existsSync(out)).toBe(false);
  expect(() => model.info()).toThrow(DISPOSED_MODEL_MESSAGE);
  expect(() => model.parameterShapes()).toThrow(DISPOSED_MODEL_MESSAGE);
});

test('the native model: jobs queued before dispose finish, later calls fail with the same message, dispose twice is fine', async () => {
  const handle = nativeHandle(BertModel.fromConfig(SMALL, 'sequence-classification'));
  const queued = handle.forward(TINY_BATCH);
  const disposed = handle.dispose();
  expect(() => handle.info()).toThrow(DISPOSED_MODEL_MESSAGE);
  expect(() => handle.forward(TINY_BATCH)).toThrow(DISPOSED_MODEL_MESSAGE);
  expect(() => handle.setTraining(true)).toThrow(DISPOSED_MODEL_MESSAGE);
  expect(() => handle.step({ lr: 1e-3 })).toThrow(DISPOSED_MODEL_MESSAGE);
  expect((await queued).outputs.map((t) => t.name)).toEqual(['logits']);
  await disposed;
  await expect(handle.dispose()).resolves.toBeUndefined();
  expect(() => handle.getStateDict()).toThrow(DISPOSED_MODEL_MESSAGE);
});

test('dispose releases the process group attachment; the group serves the next model', async () => {
  const group = await ProcessGroup.join(
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
      runId: 'dispose',
      useAgentStore: false,
    },
    { device: 'cpu', timeoutSeconds: 30 },
  );
  const first = BertModel.fromConfig(SMALL, 'sequence-classification');
  await first.attachProcessGroup(group);
  await first.forwardBackward(TINY_BATCH);
  await first.dispose();
  await expect(first.gradientSyncStats()).rejects.toThrow(DISPOSED_MODEL_MESSAGE);

  const next = BertModel.fromConfig(SMALL, 'sequence-classification');
  await next.attachProcessGroup(group);
  await next.forwardBackward(TINY_BATCH);
  expect((await next.gradientSyncStats())!.syncedSteps).toBe(1);
  await next.dispose();
});

test('Symbol.asyncDispose disposes (await using), in a plain Node process', () => {
  // Compile-time: `await using model = BertModel.fromConfig(...)` type-checks.
  const usable: BertModel extends AsyncDisposable ? true : false = true;
  expect(usable).toBe(true);
  // Node 20 defines Symbol.asyncDispose in its main realm only, not in jest's vm context: run the
  // compiled package in a child.
  const dist = path.join(__dirname, '..', '..', 'dist', 'lib');
  const script = `
    const { BertModel } = require(${JSON.stringify(path.join(dist, 'models', 'bert_model.js'))});
    (async () => {
      const model = BertModel.fromConfig(${JSON.stringify(SMALL)}, 'base');
      await model[Symbol.asyncDispose]();
      await model.forward({ shape: [1, 2], inputIds: new Int32Array([1, 2]) }).catch((e) => console.log(e.message));
    })();`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
  expect(run.stderr).toBe('');
  expect(run.stdout.trim()).toBe(DISPOSED_MODEL_MESSAGE);
});
