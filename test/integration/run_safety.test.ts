// Runs that cannot go wrong silently: a resume continues only the run that wrote the checkpoint,
// damaged or unfinished checkpoints are skipped for the previous intact one, what an interrupted
// save leaves behind is cleaned up, and --overwrite_output_dir leaves no old checkpoint to resume.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BertModel } from '../../lib/models/bert_model';
import { Trainer } from '../../lib/training/trainer';
import { resolveTrainingArguments, type TrainingArguments } from '../../lib/config/training_arguments';
import { listCheckpoints, rotateCheckpoints } from '../../lib/training/checkpoint';
import { verifyManifest, writeManifest } from '../../lib/training/checkpoint_manifest';
import { makeMarkerPairs } from '../helpers/marker_pairs';
import { byName, maxAbsDiff } from '../helpers/tensors';
import type { NamedTensor } from '../../lib/io/named_tensor';

const CONFIG = {
  vocab_size: 64,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 32,
  num_labels: 3,
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
};
const train = makeMarkerPairs(96, 1);
const LEFTOVER = /\.(tmp|deleting|old)-\d+$|\.tmp$/;

function argsFor(dir: string, overrides: Partial<TrainingArguments> = {}): TrainingArguments {
  return resolveTrainingArguments({
    output_dir: dir,
    per_device_train_batch_size: 8,
    learning_rate: 1e-3,
    max_steps: 24,
    save_steps: 8,
    logging_steps: 4,
    seed: 3,
    disable_tqdm: true,
    report_to: [],
    ...overrides,
  });
}

interface Run {
  weights: NamedTensor[];
  lines: string[];
}

/** Trains a fresh tiny model (always the same initial weights); `failAtLog` throws from the n-th log line, as a crash would. */
async function run(dir: string, overrides: Partial<TrainingArguments> = {}, resume?: boolean | string, data = train, failAtLog?: number): Promise<Run> {
  const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 2 });
  const lines: string[] = [];
  const log = (line: string) => {
    lines.push(line);
    if (failAtLog !== undefined && lines.filter((l) => l.startsWith('{')).length >= failAtLog) throw new Error('simulated crash');
  };
  await new Trainer({ model, args: argsFor(dir, overrides), train: data, padTokenId: 0, log }).train(resume);
  return { weights: await model.stateDict(), lines };
}

function worstDiff(a: NamedTensor[], b: NamedTensor[]): number {
  const other = byName(b);
  return Math.max(...a.map((t) => maxAbsDiff(t.data, other.get(t.name)!.data)));
}

function leftovers(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => LEFTOVER.test(n));
}

let root: string;
let reference: Run;
let referenceDir: string;
beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-run-safety-'));
  referenceDir = path.join(root, 'reference');
  reference = await run(referenceDir);
  expect(listCheckpoints(referenceDir).map((c) => c.step)).toEqual([8, 16, 24]);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function copyCheckpoint(step: number, toDir: string, asName = `checkpoint-${step}`): string {
  const to = path.join(toDir, asName);
  fs.cpSync(path.join(referenceDir, `checkpoint-${step}`), to, { recursive: true });
  return to;
}

test('a resume with another learning rate or other data is refused, naming the fields; ignore_resume_mismatch continues with a warning', async () => {
  const dir = path.join(root, 'mismatch');
  copyCheckpoint(8, dir);
  await expect(run(dir, { learning_rate: 2e-3 }, true)).rejects.toThrow(
    /was written by a different run:\n\s+learning_rate: 0\.001 in the checkpoint, 0\.002 now\n[\s\S]*--ignore_resume_mismatch/,
  );
  await expect(run(dir, { seed: 4 }, true)).rejects.toThrow(/seed: 3 in the checkpoint, 4 now/);
  const otherData = makeMarkerPairs(96, 9);
  await expect(run(dir, {}, true, otherData)).rejects.toThrow(/train_features_sha256: "[0-9a-f]{64}" in the checkpoint, "[0-9a-f]{64}" now/);
  await expect(run(dir, { per_device_train_batch_size: 4 }, path.join(dir, 'checkpoint-8'))).rejects.toThrow(
    /per_device_train_batch_size: 8 in the checkpoint, 4 now/,
  );
  // Nothing was written by the refused attempts.
  expect(fs.readdirSync(dir)).toEqual(['checkpoint-8']);

  const forced = await run(dir, { learning_rate: 2e-3, ignore_resume_mismatch: true }, true);
  expect(forced.lines.join('\n')).toMatch(
    /warning: resuming from .*checkpoint-8, written by a run that differs[\s\S]*learning_rate: 0\.001 in the checkpoint, 0\.002 now/,
  );
  expect(forced.lines.join('\n')).toMatch(/resuming from .*checkpoint-8 at step 8/);
});

test('--overwrite_output_dir removes the previous run\'s checkpoints, so a crash then "latest" cannot resume a stale one', async () => {
  const dir = path.join(root, 'overwritten');
  fs.cpSync(referenceDir, dir, { recursive: true });
  // A new run over the old directory crashes before its first checkpoint (at its first log line, step 4).
  await expect(run(dir, { overwrite_output_dir: true, learning_rate: 5e-4 }, undefined, train, 1)).rejects.toThrow('simulated crash');
  expect(listCheckpoints(dir)).toEqual([]);
  expect(fs.readdirSync(dir).filter((n) => n.startsWith('checkpoint-'))).toEqual([]);
  // The same command with --resume_from_checkpoint latest starts from scratch, not from the old checkpoint-24.
  const restarted = await run(dir, { overwrite_output_dir: true, learning_rate: 5e-4 }, 'latest');
  expect(restarted.lines.join('\n')).toMatch(/no intact checkpoint in .* yet; starting from scratch/);
  const fresh = await run(path.join(root, 'fresh-lr'), { learning_rate: 5e-4 });
  expect(worstDiff(restarted.weights, fresh.weights)).toBe(0);
  expect(worstDiff(restarted.weights, reference.weights)).toBeGreaterThan(0);
});

test('"latest" with no checkpoint yet starts from scratch, but never over a finished run', async () => {
  const dir = path.join(root, 'first-start');
  fs.mkdirSync(path.join(dir, 'runs'), { recursive: true }); // what a run killed before its first checkpoint leaves
  const first = await run(dir, {}, 'latest');
  expect(first.lines.join('\n')).toMatch(/resume_from_checkpoint latest: no intact checkpoint in .*first-start yet; starting from scratch/);
  expect(worstDiff(first.weights, reference.weights)).toBe(0);

  const finished = path.join(root, 'finished-no-checkpoints');
  fs.mkdirSync(finished);
  fs.copyFileSync(path.join(referenceDir, 'model.safetensors'), path.join(finished, 'model.safetensors'));
  await expect(run(finished, {}, 'latest')).rejects.toThrow(
    /holds a finished run: model\.safetensors, and no checkpoint to resume[\s\S]*--overwrite_output_dir/,
  );
});

test('damaged and unfinished newest checkpoints are skipped for the previous intact one; leftovers are removed; weights equal the uninterrupted run', async () => {
  const dir = path.join(root, 'damaged');
  copyCheckpoint(8, dir);
  const truncated = copyCheckpoint(16, dir);
  const optimizer = path.join(truncated, 'optimizer.safetensors');
  fs.truncateSync(optimizer, Math.floor(fs.statSync(optimizer).size / 2));
  // A newer checkpoint whose save never wrote its manifest.
  const unsealed = copyCheckpoint(16, dir, 'checkpoint-20');
  fs.rmSync(path.join(unsealed, 'checkpoint_manifest.json'));
  // What kills during saves and deletions leave: a half-written checkpoint, one being deleted, an atomic-write temp file.
  copyCheckpoint(16, dir, 'checkpoint-24.tmp-999999');
  copyCheckpoint(8, dir, 'checkpoint-4.deleting-999999');
  fs.writeFileSync(path.join(dir, '.trainer_state.json.999999.0123456789ab.tmp'), '{"partial');

  const resumed = await run(dir, {}, true);
  const log = resumed.lines.join('\n');
  expect(log).toMatch(/removed 3 temporary file\(s\)\/directories left by an interrupted run \([\d.]+ MB\)/);
  expect(log).toMatch(/skipping .*checkpoint-20: no checkpoint_manifest\.json/);
  expect(log).toMatch(/skipping .*checkpoint-16: optimizer\.safetensors has \d+ bytes, the manifest says \d+ \(truncated or replaced\)/);
  expect(log).toMatch(/resuming from .*checkpoint-8 at step 8/);
  expect(worstDiff(resumed.weights, reference.weights)).toBe(0);
  expect(leftovers(dir)).toEqual([]);
  // The re-saved checkpoint-16 replaced the damaged one.
  expect(verifyManifest(path.join(dir, 'checkpoint-16'))).toBeUndefined();
});

test('a checkpoint moved aside while being replaced comes back when the replacement never arrived; a flipped byte is caught by the hash', async () => {
  const dir = path.join(root, 'moved-aside');
  copyCheckpoint(8, dir);
  copyCheckpoint(16, dir, 'checkpoint-16.old-999999');
  const resumed = await run(dir, {}, true);
  expect(resumed.lines.join('\n')).toMatch(/restored checkpoint-16 \(its replacement was never completed\)/);
  expect(resumed.lines.join('\n')).toMatch(/resuming from .*checkpoint-16 at step 16/);
  expect(worstDiff(resumed.weights, reference.weights)).toBe(0);
  expect(leftovers(dir)).toEqual([]);

  const flipped = copyCheckpoint(16, path.join(root, 'flipped'));
  const weights = path.join(flipped, 'model.safetensors');
  const bytes = fs.readFileSync(weights);
  bytes[bytes.length - 1] ^= 0x01;
  fs.writeFileSync(weights, bytes);
  expect(verifyManifest(flipped)).toBe('model.safetensors does not match its sha256 in the manifest (corrupt)');
  // A checkpoint named explicitly is never replaced by another: the resume is refused.
  await expect(run(path.join(root, 'flipped'), {}, flipped)).rejects.toThrow(
    /checkpoint-16 is not an intact checkpoint: model\.safetensors does not match its sha256[\s\S]*Fix: resume from another/,
  );
});

test('save_total_limit deletes old checkpoints without leaving partial directories', async () => {
  const dir = path.join(root, 'rotated');
  const rotated = await run(dir, { save_total_limit: 1 });
  expect(listCheckpoints(dir).map((c) => c.step)).toEqual([24]);
  expect(leftovers(dir)).toEqual([]);
  expect(worstDiff(rotated.weights, reference.weights)).toBe(0);
});

test('resuming from an epoch checkpoint neither evaluates nor saves that epoch twice: the history equals the uninterrupted run', async () => {
  const dev = makeMarkerPairs(16, 2);
  const epochRun = async (dir: string, resume?: boolean) => {
    const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 2 });
    const args = argsFor(dir, { max_steps: -1, num_train_epochs: 3, eval_strategy: 'epoch', save_strategy: 'epoch', logging_steps: 5 });
    const trainer = new Trainer({ model, args, train, evalSets: [{ features: dev }], padTokenId: 0, log: () => undefined });
    await trainer.train(resume);
    return { history: trainer.state.log_history, weights: await model.stateDict() };
  };
  const whole = await epochRun(path.join(root, 'epochs-whole'));
  expect(whole.history.filter((e) => 'eval_loss' in e)).toHaveLength(3);
  const resumedDir = path.join(root, 'epochs-resumed');
  fs.mkdirSync(resumedDir);
  fs.cpSync(path.join(root, 'epochs-whole', 'checkpoint-12'), path.join(resumedDir, 'checkpoint-12'), { recursive: true });
  const resumed = await epochRun(resumedDir, true);
  const timings = (h: typeof whole.history) => h.map(({ eval_runtime: _r, eval_samples_per_second: _e, samples_per_second: _s, ...rest }) => rest);
  expect(timings(resumed.history)).toEqual(timings(whole.history));
  expect(worstDiff(resumed.weights, whole.weights)).toBe(0);
});

test('save_total_limit 1 with an older best checkpoint keeps the newest too (as HF), so a resume does not go back', () => {
  const dir = path.join(root, 'rotate-best');
  const sealed = (step: number) => {
    const d = path.join(dir, `checkpoint-${step}`);
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(path.join(d, 'trainer_state.json'), JSON.stringify({ global_step: step }));
    writeManifest(d);
    return d;
  };
  const [eight] = [8, 16, 24].map(sealed);
  rotateCheckpoints(dir, 1, eight);
  expect(listCheckpoints(dir).map((c) => c.step)).toEqual([8, 24]);
  sealed(32);
  rotateCheckpoints(dir, 1, path.join(dir, 'checkpoint-32'));
  expect(listCheckpoints(dir).map((c) => c.step)).toEqual([32]);
  expect(leftovers(dir)).toEqual([]);
});
