// `bertrun sweep` end to end on a tiny random model and tiny data: a 3-value weight_decay grid
// (runs, CSV equal to each run's all_results.json, Markdown, plot page), a failing run reported
// without stopping the others, and a sweep stopped by SIGTERM mid-run then rerun: the finished run
// is skipped untouched, the interrupted one resumes from its checkpoint, the last starts fresh.
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runSweep } from '../../lib/cli/sweep_command';
import { BertModel } from '../../lib/models/bert_model';

const WORDS = ['cat', 'dog', 'bird', 'fish', 'red', 'blue', 'green', 'big', 'small', 'runs', 'sleeps', 'eats', 'the', 'a', 'not', 'very'];
const REPO = path.join(__dirname, '..', '..');
const COMPILED = path.join(REPO, 'dist', 'lib', 'cli', 'main.js');

let root: string;
let modelDir: string;
let trainFile: string;
let devFile: string;
let logs: string[];
const realLog = console.log;
const realError = console.error;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-sweep-'));
  modelDir = path.join(root, 'tiny-bert');
  const model = BertModel.fromConfig(
    { vocab_size: 5 + WORDS.length, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 48, max_position_embeddings: 64 },
    'base',
    { seed: 1 },
  );
  await model.savePretrained(modelDir);
  fs.writeFileSync(path.join(modelDir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS].join('\n') + '\n');
  fs.writeFileSync(path.join(modelDir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
  let x = 3;
  const pick = (n: number): number => {
    x = (x * 1103515245 + 12345) % 2147483648;
    return Math.floor(x / 65536) % n;
  };
  const rows = ['sentence,label'];
  for (let i = 0; i < 40; i++) {
    const sentence = Array.from({ length: 3 + pick(4) }, () => WORDS[pick(WORDS.length)]).join(' ');
    rows.push(`${sentence},${/cat|dog|bird/.test(sentence) ? 'pos' : 'neg'}`);
  }
  trainFile = path.join(root, 'train.csv');
  devFile = path.join(root, 'dev.csv');
  fs.writeFileSync(trainFile, rows.join('\n') + '\n');
  fs.writeFileSync(devFile, rows.slice(0, 13).join('\n') + '\n');
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  logs = [];
  console.log = (...a: unknown[]) => void logs.push(a.join(' '));
  console.error = (...a: unknown[]) => void logs.push(a.join(' '));
});
afterEach(() => {
  console.log = realLog;
  console.error = realError;
});

function trainFlags(outputDir: string, maxSteps: number, saveSteps: number): string[] {
  return [
    'train',
    '--model_name_or_path',
    modelDir,
    '--train_file',
    trainFile,
    '--validation_file',
    devFile,
    '--do_eval',
    '--max_seq_length',
    '16',
    '--per_device_train_batch_size',
    '4',
    '--learning_rate',
    '1e-3',
    '--max_steps',
    String(maxSteps),
    '--save_steps',
    String(saveSteps),
    '--logging_steps',
    '2',
    '--eval_strategy',
    'steps',
    '--eval_steps',
    '5',
    '--disable_tqdm',
    '--report_to',
    'none',
    '--output_dir',
    outputDir,
  ];
}

function readJson(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
}

/** The CSV as header name -> cell, per row (the sweep's cells here need no quoting). */
function readCsv(file: string): Array<Record<string, string>> {
  const [header, ...rows] = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
  const names = header.split(',');
  return rows.map((row) => Object.fromEntries(row.split(',').map((cell, i) => [names[i], cell])));
}

/** Every numeric entry of the run's all_results.json equals its CSV cell. */
function expectCsvRowMatches(row: Record<string, string>, runDir: string): void {
  const results = readJson(path.join(runDir, 'all_results.json'));
  const numeric = Object.entries(results).filter(([, v]) => typeof v === 'number');
  expect(numeric.length).toBeGreaterThanOrEqual(8);
  for (const [key, value] of numeric) expect([key, Number(row[key])]).toEqual([key, value]);
}

const RUN_NAMES = ['weight_decay=0_seed=42', 'weight_decay=0.1_seed=42', 'weight_decay=0.01_seed=42'];

test('a 3-value weight_decay grid, 2 at a time: 3 runs, the CSV equal to their all_results.json, the Markdown table and the plot', async () => {
  const sweepDir = path.join(root, 'grid');
  await runSweep(['--grid', 'weight_decay=0,1e-1,0.01', '--parallel', '2', '--', ...trainFlags(sweepDir, 10, 5)]);

  expect(fs.readdirSync(sweepDir).sort()).toEqual([...RUN_NAMES, 'sweep_plot.html', 'sweep_results.csv', 'sweep_results.md'].sort());
  for (const [i, name] of RUN_NAMES.entries()) {
    const dir = path.join(sweepDir, name);
    expect(readJson(path.join(dir, 'trainer_state.json')).global_step).toBe(10);
    const args = readJson(path.join(dir, 'training_args.json'));
    expect([args.weight_decay, args.seed, args.output_dir]).toEqual([[0, 0.1, 0.01][i], 42, dir]);
    expect(readJson(path.join(dir, 'sweep_run.json')).argv).toEqual([
      ...trainFlags(sweepDir, 10, 5).slice(0, -2),
      '--weight_decay',
      ['0', '0.1', '0.01'][i],
      '--seed',
      '42',
      '--output_dir',
      dir,
      '--overwrite_output_dir',
    ]);
    expect(fs.readFileSync(path.join(dir, 'sweep.log'), 'utf8')).toContain('***** eval results *****');
  }
  // One thread each: 2 cores (or BERTRUN_NUM_THREADS) split between 2 runs at once.
  const threads = Math.max(1, Math.floor((Number(process.env.BERTRUN_NUM_THREADS) || os.availableParallelism()) / 2));
  expect(fs.readFileSync(path.join(sweepDir, RUN_NAMES[0], 'sweep.log'), 'utf8').split('\n')[0]).toContain(`, ${threads} thread(s): `);

  const rows = readCsv(path.join(sweepDir, 'sweep_results.csv'));
  expect(rows.map((r) => [r.run, r.weight_decay, r.seed, r.status])).toEqual([
    [RUN_NAMES[0], '0', '42', 'finished'],
    [RUN_NAMES[1], '0.1', '42', 'finished'],
    [RUN_NAMES[2], '0.01', '42', 'finished'],
  ]);
  rows.forEach((row, i) => expectCsvRowMatches(row, path.join(sweepDir, RUN_NAMES[i])));

  const markdown = fs.readFileSync(path.join(sweepDir, 'sweep_results.md'), 'utf8');
  const accuracy = (i: number): number => readJson(path.join(sweepDir, RUN_NAMES[i], 'all_results.json')).eval_accuracy as number;
  const evalLoss = (i: number): number => readJson(path.join(sweepDir, RUN_NAMES[i], 'all_results.json')).eval_loss as number;
  const trainLoss = (i: number): number => readJson(path.join(sweepDir, RUN_NAMES[i], 'all_results.json')).train_loss as number;
  expect(markdown.split('\n').slice(0, 5)).toEqual([
    '| weight_decay | eval_accuracy | eval_loss | train_loss | n |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...['0', '0.1', '0.01'].map((v, i) => `| ${v} | ${accuracy(i).toFixed(4)} | ${evalLoss(i).toFixed(4)} | ${trainLoss(i).toFixed(4)} | 1 |`),
  ]);
  expect(logs.join('\n')).toContain(markdown.trimEnd());
  for (const [i, name] of RUN_NAMES.entries()) {
    expect(logs).toContain(`[${i + 1}/3] start ${name}`);
    expect(logs.find((l) => l.startsWith(`[${i + 1}/3] done ${name}: eval_accuracy ${accuracy(i).toFixed(4)} (`))).toMatch(/ s\)$/);
  }

  const html = fs.readFileSync(path.join(sweepDir, 'sweep_plot.html'), 'utf8');
  const data = /<script type="application\/json" id="chart-data">([\s\S]*?)<\/script>/.exec(html);
  expect(data).not.toBeNull();
  const charts = (JSON.parse((data as RegExpExecArray)[1]) as { charts: Array<Record<string, unknown>> }).charts;
  const bar = charts.find((c) => c.id === 'metric') as { labels: string[]; series: Array<{ name: string; values: number[] }> };
  expect(bar.labels).toEqual(['weight_decay=0', 'weight_decay=0.1', 'weight_decay=0.01']);
  expect(bar.series).toHaveLength(1);
  expect(bar.series[0].name).toBe('eval_accuracy');
  expect(bar.series[0].values).toEqual([0, 1, 2].map(accuracy));
  const curve = charts.find((c) => c.id === 'curve-eval_loss') as { series: Array<{ name: string; points: Array<[number, number]> }> };
  expect(curve.series.map((s) => [s.name, s.points.map((p) => p[0])])).toEqual(RUN_NAMES.map((n) => [n, [5, 10]]));

  // The same command again starts nothing; other train flags are refused before anything starts.
  logs = [];
  const mtimes = RUN_NAMES.map((n) => fs.statSync(path.join(sweepDir, n, 'all_results.json')).mtimeMs);
  await runSweep(['--grid', 'weight_decay=0,0.1,0.01', '--', ...trainFlags(sweepDir, 10, 5)]);
  expect(logs.filter((l) => / (skip|start) /.test(l))).toEqual(RUN_NAMES.map((n, i) => `[${i + 1}/3] skip ${n}: finished earlier`));
  expect(RUN_NAMES.map((n) => fs.statSync(path.join(sweepDir, n, 'all_results.json')).mtimeMs)).toEqual(mtimes);
  await expect(runSweep(['--grid', 'weight_decay=0,0.1,0.01', '--', ...trainFlags(sweepDir, 10, 5), '--warmup_steps', '2'])).rejects.toThrow(
    `3 run director(ies) hold a run with other arguments:\n  ${path.join(sweepDir, RUN_NAMES[0])}:\n    now: --warmup_steps 2\n`,
  );
}, 60_000);

test('a failed run does not stop the others: the sweep ends non-zero naming its directory and the end of its log', async () => {
  const sweepDir = path.join(root, 'failing');
  // 40 examples give no full batch of 64 with dataloader_drop_last: only known once training starts.
  const argv = ['--grid', 'per_device_train_batch_size=64,4', '--', ...trainFlags(sweepDir, 4, 50), '--dataloader_drop_last'].filter(
    (a, i, all) => !(a === '--per_device_train_batch_size' || all[i - 1] === '--per_device_train_batch_size'),
  );
  const error = await runSweep(argv).then(
    () => undefined,
    (e: Error & { exitCode?: number }) => e,
  );
  expect(error?.exitCode).toBe(1);
  const failedDir = path.join(sweepDir, 'per_device_train_batch_size=64_seed=42');
  expect(error?.message).toContain(
    `bertrun sweep: 1 of 2 run(s) failed:\nper_device_train_batch_size=64_seed=42 failed: exit status 1\n  run dir: ${failedDir}`,
  );
  expect(error?.message).toMatch(/last lines of sweep\.log:\n[\s\S]*gives no full batch of 64 with dataloader_drop_last/);
  expect(fs.readFileSync(path.join(failedDir, 'sweep.log'), 'utf8')).toContain('gives no full batch of 64');
  const rows = readCsv(path.join(sweepDir, 'sweep_results.csv'));
  expect(rows.map((r) => [r.per_device_train_batch_size, r.status])).toEqual([
    ['64', 'failed'],
    ['4', 'finished'],
  ]);
  expectCsvRowMatches(rows[1], path.join(sweepDir, 'per_device_train_batch_size=4_seed=42'));
  expect(fs.readFileSync(path.join(sweepDir, 'sweep_results.md'), 'utf8')).toMatch(/^\| 64 \| — \| — \| — \| 0 of 1 \|$/m);
}, 60_000);

interface Finished {
  code: number | null;
  stdout: string;
}

function startSweep(args: string[]): { pid: number; done: Promise<Finished> } {
  const child = spawn(process.execPath, [COMPILED, 'sweep', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    pid: child.pid as number,
    done: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout: stdout + stderr }))),
  };
}

function checkpointsOf(dir: string): number[] {
  return fs.existsSync(dir)
    ? fs
        .readdirSync(dir)
        .filter((n) => /^checkpoint-\d+$/.test(n))
        .map((n) => Number(n.slice('checkpoint-'.length)))
        .sort((a, b) => a - b)
    : [];
}

test('SIGTERM stops the sweep and its run; the rerun skips the finished run, resumes the interrupted one from its checkpoint, starts the last', async () => {
  expect(fs.existsSync(COMPILED)).toBe(true); // built by npx tsc -p tsconfig.build.json
  const sweepDir = path.join(root, 'resume');
  const args = ['--grid', 'weight_decay=0,0.1,0.01', '--', ...trainFlags(sweepDir, 30, 5)];
  const [first, second, third] = RUN_NAMES.map((n) => path.join(sweepDir, n));

  const sweep = startSweep(args);
  let exited = false;
  void sweep.done.then(() => (exited = true));
  while (!exited && !(fs.existsSync(path.join(first, 'all_results.json')) && checkpointsOf(second).length > 0)) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (exited) throw new Error(`the sweep ended before it could be stopped:\n${(await sweep.done).stdout}`);
  process.kill(sweep.pid, 'SIGTERM');
  const stopped = await sweep.done;
  expect(stopped.code).toBe(143);
  expect(stopped.stdout).toContain('bertrun sweep: stopped by SIGTERM; 2 run(s) unfinished.');
  expect(fs.existsSync(path.join(second, 'all_results.json'))).toBe(false); // stopped mid-run, else the test proves nothing
  expect(fs.existsSync(third)).toBe(false);
  const firstMtime = fs.statSync(path.join(first, 'all_results.json')).mtimeMs;
  const checkpoint = checkpointsOf(second).pop() as number;
  expect(checkpoint).toBeGreaterThanOrEqual(5);
  expect(checkpoint).toBeLessThan(30);
  expect(readCsv(path.join(sweepDir, 'sweep_results.csv')).map((r) => r.status)).toEqual(['finished', 'interrupted', 'not_run']);

  const rerun = await startSweep(args).done;
  expect(rerun.code).toBe(0);
  expect(rerun.stdout).toContain(`bertrun sweep: 3 run(s) in ${sweepDir}: 1 finished earlier, 1 to resume, 1 to start;`);
  expect(rerun.stdout).toContain(`[1/3] skip ${RUN_NAMES[0]}: finished earlier`);
  expect(rerun.stdout).toContain(`[2/3] start ${RUN_NAMES[1]} (resuming from checkpoint-${checkpoint})`);
  expect(rerun.stdout).toContain(`[3/3] start ${RUN_NAMES[2]}\n`);
  expect(rerun.stdout).not.toContain(`start ${RUN_NAMES[0]}`);

  expect(fs.statSync(path.join(first, 'all_results.json')).mtimeMs).toBe(firstMtime);
  const secondLog = fs.readFileSync(path.join(second, 'sweep.log'), 'utf8');
  expect(secondLog).toContain(`resuming from ${path.join(second, `checkpoint-${checkpoint}`)} at step ${checkpoint}`);
  expect(secondLog.match(/^# bertrun sweep/gm)).toHaveLength(2); // both starts, the log appended to
  expect(readJson(path.join(second, 'sweep_run.json')).start).toBe('resume');
  expect(readJson(path.join(second, 'trainer_state.json')).global_step).toBe(30);
  const thirdLog = fs.readFileSync(path.join(third, 'sweep.log'), 'utf8');
  expect(thirdLog).not.toContain('resuming from');
  expect(readJson(path.join(third, 'sweep_run.json')).start).toBe('fresh');
  expect(readJson(path.join(third, 'trainer_state.json')).global_step).toBe(30);

  const rows = readCsv(path.join(sweepDir, 'sweep_results.csv'));
  expect(rows.map((r) => [r.run, r.status])).toEqual(RUN_NAMES.map((n) => [n, 'finished']));
  rows.forEach((row, i) => expectCsvRowMatches(row, path.join(sweepDir, RUN_NAMES[i])));
}, 90_000);
