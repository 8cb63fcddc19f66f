// `bertrun train` as CI and log files see it (stdout and stderr piped, not a terminal): a progress
// line every BERTRUN_PROGRESS_INTERVAL seconds with step/total, samples/s and ETA, evaluation and
// prediction progress, Hugging Face's train metrics block at the end, and a run shorter than
// logging_steps still logs its training loss at its last step.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { requireCompiledCli, runCli, writeSentenceTask, writeTinyModel } from '../helpers/ddp_run';

let root: string;
let modelDir: string;

beforeAll(async () => {
  requireCompiledCli();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-progress-'));
  modelDir = path.join(root, 'model');
  await writeTinyModel(modelDir);
  writeSentenceTask(path.join(root, 'train.tsv'), 400, 1);
  writeSentenceTask(path.join(root, 'dev.tsv'), 300, 2);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function trainArgs(out: string, extra: readonly string[]): string[] {
  return [
    'train',
    '--model_name_or_path',
    modelDir,
    '--train_file',
    path.join(root, 'train.tsv'),
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
    '--save_strategy',
    'no',
    '--report_to',
    'none',
    ...extra,
  ];
}

const readJson = (file: string): Record<string, unknown> => JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;

test('not a terminal: timed progress lines with step/total, samples/s and ETA, evaluation and prediction progress, then the train metrics block', async () => {
  const out = path.join(root, 'long');
  const dev = path.join(root, 'dev.tsv');
  const run = await runCli(
    trainArgs(out, ['--max_steps', '1000', '--logging_steps', '200', '--do_eval', '--validation_file', dev, '--do_predict', '--test_file', dev]),
    { BERTRUN_PROGRESS_INTERVAL: '0.2' },
  );
  expect({ code: run.code, tail: run.output.slice(-2000) }).toEqual({ code: 0, tail: expect.any(String) });
  const lines = run.output.split('\n');
  const periodic = lines.filter((l) => /^train: step \d+\/1000 \(\d+%\)/.test(l) && !l.startsWith('train: step 1000/1000'));
  const runtime = readJson(path.join(out, 'train_results.json')).train_runtime as number;
  expect(periodic.length).toBeGreaterThanOrEqual(2);
  // At most one per interval (one more for the rounding of the first).
  expect(periodic.length).toBeLessThanOrEqual(Math.floor(runtime / 0.2) + 1);
  for (const line of periodic)
    expect(line).toMatch(/^train: step \d+\/1000 \(\d+%\) \| elapsed \d+:\d\d:\d\d \| eta \d+:\d\d:\d\d \| [\d.]+ samples\/s \| epoch [\d.]+/);
  // After the first logging step the line carries the last logged loss.
  expect(periodic.some((l) => /\| loss \d+\.\d{4} \(step (200|400|600|800)\)$/.test(l))).toBe(true);
  // A last line at the end of each phase.
  expect(lines).toContainEqual(
    expect.stringMatching(/^train: step 1000\/1000 \(100%\) \| elapsed [\d:]+ \| [\d.]+ samples\/s \| epoch 40\.00 \| loss [\d.]+ \(step 1000\)$/),
  );
  expect(lines).toContainEqual(expect.stringMatching(/^eval: batch 38\/38 \(100%\) \| elapsed [\d:]+ \| [\d.]+ samples\/s$/));
  expect(lines).toContainEqual(expect.stringMatching(/^predict: batch 38\/38 \(100%\) \| elapsed [\d:]+ \| [\d.]+ samples\/s$/));
  // Hugging Face's summary block, after training and before the evaluation.
  const summary = lines.indexOf('***** train metrics *****');
  expect(summary).toBeGreaterThan(lines.indexOf(lines.find((l) => l.startsWith('train: step 1000/1000')) as string));
  const block = lines.slice(summary + 1, summary + 7);
  expect(block.map((l) => l.split('=')[0].trim())).toEqual([
    'epoch',
    'train_loss',
    'train_runtime',
    'train_samples',
    'train_samples_per_second',
    'train_steps_per_second',
  ]);
  expect(block[1]).toMatch(/^ {2}train_loss {15}= +0\.\d+$/);
  expect(block[2]).toMatch(/= \d+:\d\d:\d\d\.\d\d$/);
  expect(block[3]).toMatch(/= +400$/);
  expect(lines.indexOf('***** eval results *****')).toBeGreaterThan(summary);
  expect(readJson(path.join(out, 'all_results.json')).train_steps_per_second).toBeGreaterThan(0);
}, 120_000);

test('a run shorter than logging_steps logs its loss at its last step; --disable_tqdm turns progress lines off, not the summary', async () => {
  const out = path.join(root, 'short');
  const run = await runCli(trainArgs(out, ['--max_steps', '3']), { BERTRUN_PROGRESS_INTERVAL: '0' });
  expect({ code: run.code, tail: run.output.slice(-2000) }).toEqual({ code: 0, tail: expect.any(String) });
  const history = readJson(path.join(out, 'trainer_state.json')).log_history as Array<Record<string, number>>;
  const losses = history.filter((e) => 'loss' in e);
  expect(losses).toHaveLength(1);
  expect(losses[0]).toMatchObject({ step: 3, learning_rate: 0 });
  expect(Number.isFinite(losses[0].loss)).toBe(true);
  expect(Number.isFinite(losses[0].grad_norm)).toBe(true);
  // Interval 0: a line at every step, never more.
  expect(run.output.split('\n').filter((l) => l.startsWith('train: step '))).toEqual([
    expect.stringMatching(/^train: step 1\/3 /),
    expect.stringMatching(/^train: step 2\/3 /),
    expect.stringMatching(/^train: step 3\/3 .*\| loss \d+\.\d{4} \(step 3\)$/),
  ]);
  const trainLoss = readJson(path.join(out, 'train_results.json')).train_loss as number;
  expect(trainLoss).toBeCloseTo(losses[0].loss, 10);

  const quiet = path.join(root, 'quiet');
  const silent = await runCli(trainArgs(quiet, ['--max_steps', '3', '--disable_tqdm']), { BERTRUN_PROGRESS_INTERVAL: '0' });
  expect(silent.code).toBe(0);
  expect(silent.output).not.toMatch(/^(train|eval|predict): /m);
  expect(silent.output).toContain('***** train metrics *****');
  expect(silent.output).toMatch(/^\{"loss":[\d.]+,.*"step":3\}$/m);
}, 120_000);

test('a bad BERTRUN_PROGRESS_INTERVAL is an error that says what to set', async () => {
  const run = await runCli(trainArgs(path.join(root, 'bad-interval'), ['--max_steps', '2']), { BERTRUN_PROGRESS_INTERVAL: 'often' });
  expect(run.code).toBe(1);
  expect(run.output).toMatch(/BERTRUN_PROGRESS_INTERVAL="often" is not a number of seconds >= 0\. Fix:/);
}, 60_000);
