// Precision and memory flags end to end through `bertrun train` on CPU: --bf16 learns as well as
// float32, --fp16's loss scaler skips overflowing steps (logged, and left out of the learning-rate
// schedule) and resumes exactly, a real out-of-memory (the process's address space capped with
// ulimit) gives an error naming what to change, and --auto_find_batch_size recovers from it.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { readSafetensors } from '../../lib/io/safetensors';
import { CLI, maxWeightDifference, requireCompiledCli, runCli, startProcess, writeSentenceTask, writeTinyModel } from '../helpers/ddp_run';
import * as os from 'os';

let root: string;
let modelDir: string;

beforeAll(async () => {
  requireCompiledCli();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-precision-'));
  modelDir = path.join(root, 'model');
  await writeTinyModel(modelDir);
  writeSentenceTask(path.join(root, 'train.tsv'), 400, 1);
  writeSentenceTask(path.join(root, 'dev.tsv'), 300, 2);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const readJson = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

function trainArgs(out: string, extra: readonly string[]): string[] {
  return [
    'train',
    '--model_name_or_path',
    modelDir,
    '--train_file',
    path.join(root, 'train.tsv'),
    '--validation_file',
    path.join(root, 'dev.tsv'),
    '--output_dir',
    out,
    '--text_column',
    'sentence',
    '--text_pair_column',
    'none',
    '--learning_rate',
    '2e-3',
    '--per_device_train_batch_size',
    '16',
    '--disable_tqdm',
    '--report_to',
    'none',
    ...extra,
  ];
}

test('--bf16 trains the classification task to the accuracy of float32 (within 1 point)', async () => {
  const accuracy: Record<string, number> = {};
  for (const [name, extra] of [
    ['fp32', []],
    ['bf16', ['--bf16']],
  ] as const) {
    const out = path.join(root, `accuracy-${name}`);
    const run = await runCli(trainArgs(out, ['--do_eval', '--num_train_epochs', '4', '--save_strategy', 'no', '--logging_steps', '25', ...extra]));
    expect({ code: run.code, output: run.output.slice(-2000) }).toEqual({ code: 0, output: expect.any(String) });
    expect(run.output).toContain(`precision = ${name === 'bf16' ? 'bfloat16' : 'float32'}`);
    accuracy[name] = readJson(path.join(out, 'eval_results.json')).eval_accuracy as number;
  }
  expect(accuracy.fp32).toBeGreaterThanOrEqual(0.9); // the task was learned, so the comparison means something
  expect(Math.abs(accuracy.bf16 - accuracy.fp32)).toBeLessThanOrEqual(0.01);
  // bf16 ran in bf16: the weights differ from the float32 run's.
  expect(maxWeightDifference(path.join(root, 'accuracy-fp32'), path.join(root, 'accuracy-bf16'))).toBeGreaterThan(1e-4);
});

test('--fp16: overflowing steps are skipped and logged, the schedule waits for them, and a resumed run equals an uninterrupted one', async () => {
  // 2^24 overflows fp16 gradients (max 65504) at first: the scale halves on each skipped step.
  const flags = [
    '--fp16',
    '--loss_scale_init',
    '16777216',
    '--loss_scale_growth_interval',
    '6',
    '--max_steps',
    '30',
    '--logging_steps',
    '5',
    '--save_steps',
    '15',
    '--warmup_steps',
    '10',
  ];
  const whole = path.join(root, 'fp16-whole');
  const first = await runCli(trainArgs(whole, flags));
  expect(first.code).toBe(0);
  const history = (readJson(path.join(whole, 'trainer_state.json')).log_history as Array<Record<string, number>>).filter((e) => 'loss' in e);
  const skipped = history[history.length - 1].skipped_steps;
  expect(skipped).toBeGreaterThanOrEqual(3);
  expect(skipped).toBeLessThan(30);
  const firstLog = history[0];
  // Each skip halved the scale; growth_interval 6 clean steps doubled it again.
  expect(Math.log2(firstLog.loss_scale)).toBe(Math.round(Math.log2(firstLog.loss_scale)));
  expect(firstLog.loss_scale).toBeLessThan(16777216);
  // Linear warm-up over 10 optimizer steps: after 5 steps of which `s` were skipped, lr = 2e-3 * (5 - s) / 10.
  expect(firstLog.learning_rate).toBeCloseTo((2e-3 * (5 - firstLog.skipped_steps)) / 10, 12);
  expect(Number.isFinite(firstLog.loss)).toBe(true);
  const scaler = readSafetensors(path.join(whole, 'checkpoint-15', 'scaler.safetensors')).tensors;
  expect(scaler.map((t) => t.name).sort()).toEqual(['growth_tracker', 'scale']);

  // Resume from a copy of the step-15 checkpoint in a fresh output directory.
  const resumed = path.join(root, 'fp16-resumed');
  fs.cpSync(path.join(whole, 'checkpoint-15'), path.join(resumed, 'checkpoint-15'), { recursive: true });
  const again = await runCli(trainArgs(resumed, [...flags, '--resume_from_checkpoint', path.join(resumed, 'checkpoint-15')]));
  expect({ code: again.code, tail: again.output.slice(-1500) }).toEqual({ code: 0, tail: expect.any(String) });
  expect(maxWeightDifference(whole, resumed)).toBe(0);
  // Everything logged but the timings is the same.
  const logged = (dir: string) =>
    (readJson(path.join(dir, 'trainer_state.json')).log_history as Array<Record<string, number>>).map(({ samples_per_second: _s, ...rest }) => rest);
  expect(logged(resumed)).toEqual(logged(whole));
  const scales = (dir: string) =>
    readSafetensors(path.join(dir, 'checkpoint-30', 'scaler.safetensors')).tensors.map((t) => Array.from(t.data as Float32Array | Int32Array));
  expect(fs.existsSync(path.join(resumed, 'checkpoint-30'))).toBe(true);
  expect(scales(resumed)).toEqual(scales(whole));
});

test('--gradient_checkpointing trains to the same weights (recomputation changes memory, not results)', async () => {
  const flags = ['--max_steps', '12', '--save_strategy', 'no', '--logging_steps', '6'];
  const stored = path.join(root, 'stored');
  const recomputed = path.join(root, 'recomputed');
  expect((await runCli(trainArgs(stored, flags))).code).toBe(0);
  const run = await runCli(trainArgs(recomputed, [...flags, '--gradient_checkpointing']));
  expect(run.code).toBe(0);
  expect(run.output).toContain('gradient_checkpointing = on');
  expect(maxWeightDifference(stored, recomputed)).toBeLessThanOrEqual(1e-5);
});

describe('out of memory (address space capped with ulimit -v, so allocations really fail)', () => {
  // The cap: what Node plus libtorch map before any training, plus 1 GB. The model has attention
  // dropout, so CPU attention materialises its scores: 128 sequences of 512 tokens need
  // 128 x 4 heads x 512^2 floats = 537 MB per score tensor per layer, 16 of them a eighth of that.
  let capKb: number;
  let longFile: string;
  let longModel: string;
  beforeAll(async () => {
    longModel = path.join(root, 'model-512');
    await writeTinyModel(longModel, {
      max_position_embeddings: 512,
      hidden_size: 128,
      num_attention_heads: 4,
      intermediate_size: 256,
      attention_probs_dropout_prob: 0.1,
    });
    const probe =
      `require(${JSON.stringify(path.join(__dirname, '..', '..', 'dist', 'lib', 'native.js'))}).native();` +
      "console.log(/VmSize:\\s+(\\d+)/.exec(require('fs').readFileSync('/proc/self/status', 'utf8'))[1])";
    capKb = Number(execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }).trim()) + 1024 * 1024;
    longFile = path.join(root, 'long.tsv');
    const words = ['cat', 'dog', 'red', 'blue', 'runs'];
    const rows = Array.from(
      { length: 128 },
      (_, i) => `${Array.from({ length: 500 }, (_, j) => words[(i * 7 + j * 3) % 5]).join(' ')}\t${i % 3 === 0 ? 'yes' : 'no'}`,
    );
    fs.writeFileSync(longFile, ['sentence\tlabel', ...rows].join('\n') + '\n');
  });

  const capped = (out: string, extra: readonly string[]) =>
    startProcess('bash', [
      '-c',
      `ulimit -v ${capKb} && exec "$0" "$@"`,
      process.execPath,
      CLI,
      'train',
      '--model_name_or_path',
      longModel,
      '--train_file',
      longFile,
      '--output_dir',
      out,
      '--text_column',
      'sentence',
      '--text_pair_column',
      'none',
      '--num_train_epochs',
      '1',
      '--disable_tqdm',
      '--report_to',
      'none',
      '--save_strategy',
      'no',
      ...extra,
    ]).done;

  test('the error names the batch size, sequence length, precision and the flags that help; the process exits cleanly', async () => {
    const run = await capped(path.join(root, 'oom'), ['--per_device_train_batch_size', '128', '--max_seq_length', '512', '--pad_to_max_length']);
    expect(run.signal).toBeNull();
    expect(run.code).toBe(1);
    expect(run.output).toMatch(
      /out of memory in training on cpu at per_device_train_batch_size 128, sequence length 512, precision float32, gradient_checkpointing off: .*can't allocate memory/,
    );
    expect(run.output).toContain('Fix: --auto_find_batch_size');
    expect(run.output).toContain('--per_device_train_batch_size 64 --gradient_accumulation_steps 2');
    expect(run.output).toContain('--gradient_checkpointing');
    expect(run.output).toContain('--bf16');
  });

  test('--auto_find_batch_size halves until it fits and then trains exactly as that batch size would', async () => {
    const found = path.join(root, 'auto');
    const run = await capped(found, ['--per_device_train_batch_size', '128', '--max_seq_length', '512', '--pad_to_max_length', '--auto_find_batch_size']);
    expect({ code: run.code, tail: run.output.slice(-1500) }).toEqual({ code: 0, tail: expect.any(String) });
    expect(run.output).toContain('out of memory at per_device_train_batch_size 128; starting again with 64 (auto_find_batch_size)');
    const size = readJson(path.join(found, 'trainer_state.json')).train_batch_size as number;
    expect(size).toBeLessThan(128);
    expect(size).toBeGreaterThanOrEqual(1);
    // The same run without the cap, started at the size that was found: identical weights.
    const direct = path.join(root, 'direct');
    const reference = await runCli([
      'train',
      '--model_name_or_path',
      longModel,
      '--train_file',
      longFile,
      '--output_dir',
      direct,
      '--text_column',
      'sentence',
      '--text_pair_column',
      'none',
      '--max_seq_length',
      '512',
      '--pad_to_max_length',
      '--num_train_epochs',
      '1',
      '--disable_tqdm',
      '--report_to',
      'none',
      '--save_strategy',
      'no',
      '--per_device_train_batch_size',
      String(size),
    ]);
    expect(reference.code).toBe(0);
    expect(maxWeightDifference(found, direct)).toBe(0);
  });
});
