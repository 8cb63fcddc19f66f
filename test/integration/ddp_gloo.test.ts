// DistributedDataParallel on CPU over Gloo, with real processes: bertrun's launcher, two
// "nodes" on loopback, the real torchrun, a killed worker, and a restart. The reference for every
// run is one process with the same global batch and seed: DDP must give the same weights.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pythonPath } from '../helpers/python';
import {
  freePort,
  isAlive,
  maxWeightDifference,
  requireCompiledCli,
  runCli,
  startCli,
  startProcess,
  twoWorkerEnv,
  waitFor,
  writeSentenceTask,
  writeTinyModel,
  type Started,
} from '../helpers/ddp_run';

let root: string;
let modelDir: string;
let trainFile: string;
let devFile: string;
const out = (name: string) => path.join(root, name);

beforeAll(async () => {
  requireCompiledCli();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-ddp-'));
  modelDir = out('tiny');
  await writeTinyModel(modelDir);
  trainFile = out('train.tsv');
  devFile = out('dev.tsv');
  writeSentenceTask(trainFile, 96, 11);
  // 31 rows: divides by neither 2 nor 3 ranks.
  writeSentenceTask(devFile, 31, 12);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const TASK = [
  '--model_name_or_path',
  () => modelDir,
  '--train_file',
  () => trainFile,
  '--validation_file',
  () => devFile,
  '--text_column',
  'sentence',
  '--label_column',
  'label',
  '--text_pair_column',
  'none',
  '--max_seq_length',
  '32',
  '--learning_rate',
  '1e-3',
  '--disable_tqdm',
  '--report_to',
  'none',
  '--ddp_timeout',
  '60',
];
const task = (): string[] => TASK.map((a) => (typeof a === 'function' ? a() : a));
const train = (outputDir: string, perDevice: number, extra: string[] = []): string[] => [
  'train',
  ...task(),
  '--num_train_epochs',
  '2',
  '--logging_steps',
  '4',
  '--save_steps',
  '1000',
  '--do_eval',
  '--per_device_train_batch_size',
  String(perDevice),
  '--output_dir',
  outputDir,
  ...extra,
];
const results = (dir: string): Record<string, number> => JSON.parse(fs.readFileSync(path.join(dir, 'eval_results.json'), 'utf8'));

function expectSuccess(run: { code: number | null; output: string }): void {
  if (run.code !== 0) throw new Error(`exit ${run.code}:\n${run.output}`);
}

let single: string;
beforeAll(async () => {
  single = out('single');
  expectSuccess(await runCli(train(single, 8)));
}, 120000);

test('2 Gloo processes with 4 examples each train to the weights of 1 process with 8 (and evaluate 31 rows alike)', async () => {
  const dir = out('launch-2x4');
  const run = await runCli(['launch', '--nproc_per_node', '2', '--master_port', String(await freePort()), ...train(dir, 4)]);
  expectSuccess(run);
  expect(maxWeightDifference(single, dir)).toBeLessThanOrEqual(1e-5);
  // Only rank 0 logs, and it states the effective batch.
  expect(run.output).toMatch(
    /\[rank0\]: +effective batch size = 8 \(1 node\(s\) x 2 process\(es\) per node x 4 per device x 1 accumulation\), learning rate = 0.001/,
  );
  expect(run.output).toMatch(/\[rank0\]: \{"loss"/);
  expect(run.output).not.toMatch(/\[rank1\]: \{"loss"|\[rank1\]: .*eval results/);
  // Evaluation of 31 rows shared by 2 ranks: the same metrics as one process.
  const [a, b] = [results(single), results(dir)];
  expect(b.eval_accuracy).toBe(a.eval_accuracy);
  expect(b.eval_macro_f1).toBe(a.eval_macro_f1);
  expect(Math.abs(b.eval_loss - a.eval_loss)).toBeLessThanOrEqual(1e-6);
}, 120000);

test('with gradient accumulation and 10 KiB buckets: 2 processes x 2 examples x 2 micro-steps equal 1 process with 8', async () => {
  const dir = out('launch-2x2x2');
  // The tiny model's ~80 KiB of gradients then travel in several buckets.
  const run = await runCli([
    'launch',
    '--nproc_per_node',
    '2',
    '--master_port',
    String(await freePort()),
    ...train(dir, 2, ['--gradient_accumulation_steps', '2', '--ddp_bucket_cap_mb', '0.01']),
  ]);
  expectSuccess(run);
  expect(run.output).toMatch(/effective batch size = 8 \(1 node\(s\) x 2 process\(es\) per node x 2 per device x 2 accumulation\)/);
  expect(maxWeightDifference(single, dir)).toBeLessThanOrEqual(1e-5);
}, 120000);

test('2 nodes x 2 processes on loopback (--nnodes 2 --node_rank 0|1) agree with 1 process', async () => {
  const dir = out('nodes-2x2');
  const port = String(await freePort());
  const node = (rank: number) =>
    startCli([
      'launch',
      '--nnodes',
      '2',
      '--node_rank',
      String(rank),
      '--nproc_per_node',
      '2',
      '--master_addr',
      '127.0.0.1',
      '--master_port',
      port,
      ...train(dir, 2),
    ]);
  const [n0, n1] = [node(0), node(1)];
  const [r0, r1] = await Promise.all([n0.done, n1.done]);
  expectSuccess(r0);
  expectSuccess(r1);
  expect(r0.output).toMatch(/effective batch size = 8 \(2 node\(s\) x 2 process\(es\) per node x 2 per device/);
  expect(r1.output).toMatch(/started worker rank 3 \(local rank 1/);
  expect(maxWeightDifference(single, dir)).toBeLessThanOrEqual(1e-5);
}, 120000);

test('`npm link` puts bertrun on PATH, and workers started by the real `torchrun --no-python bertrun train` train the same', async () => {
  const torchrun = path.join(path.dirname(pythonPath()), 'torchrun');
  expect(fs.existsSync(torchrun)).toBe(true);
  // The README's way from a clone: npm link (here into a private prefix instead of the global one).
  const prefix = out('npm-prefix');
  execFileSync('npm', ['link', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: path.join(__dirname, '..', '..'),
    env: { ...process.env, npm_config_prefix: prefix },
  });
  const dir = out('torchrun');
  const pathWithBertrun = `${path.join(prefix, 'bin')}${path.delimiter}${process.env.PATH ?? ''}`;
  const run = await startProcess(torchrun, ['--no-python', '--nproc_per_node', '2', '--master_port', String(await freePort()), 'bertrun', ...train(dir, 4)], {
    PATH: pathWithBertrun,
  }).done;
  expectSuccess(run);
  expect(maxWeightDifference(single, dir)).toBeLessThanOrEqual(1e-5);
}, 120000);

test('evaluation and prediction over 3 processes equal one process exactly, in the original order', async () => {
  const evalArgs = (dir: string) => ['predict', ...task(), '--do_eval', '--test_file', devFile, '--output_dir', dir];
  const oneDir = out('eval-1');
  const threeDir = out('eval-3');
  fs.cpSync(single, oneDir, { recursive: true });
  fs.cpSync(single, threeDir, { recursive: true });
  const withModel = (args: string[], dir: string) => args.map((a) => (a === modelDir ? dir : a));
  expectSuccess(await runCli(withModel(evalArgs(oneDir), oneDir)));
  expectSuccess(await runCli(['launch', '--nproc_per_node', '3', '--master_port', String(await freePort()), ...withModel(evalArgs(threeDir), threeDir)]));
  const [a, b] = [results(oneDir), results(threeDir)];
  expect(b.eval_accuracy).toBe(a.eval_accuracy);
  expect(Math.abs(b.eval_loss - a.eval_loss)).toBeLessThanOrEqual(1e-6);
  const predictions = (dir: string) =>
    fs
      .readFileSync(path.join(dir, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  const [p1, p3] = [predictions(oneDir), predictions(threeDir)];
  expect(p3.length).toBe(31);
  expect(p3.map((p) => p.index)).toEqual(p1.map((p) => p.index));
  expect(p3.map((p) => p.label)).toEqual(p1.map((p) => p.label));
  p3.forEach((p, i) => expect(Math.abs(p.score - p1[i].score)).toBeLessThanOrEqual(1e-5));
}, 120000);

// Long enough to kill a worker mid-way: 240 steps, a checkpoint every 40.
const longRun = (dir: string): string[] => [
  'train',
  ...task(),
  '--num_train_epochs',
  '20',
  '--logging_steps',
  '40',
  '--save_steps',
  '40',
  '--per_device_train_batch_size',
  '4',
  '--output_dir',
  dir,
];
const workerPid = (output: string, rank: number): number => {
  const m = new RegExp(`started worker rank ${rank} \\(local rank \\d+, pid (\\d+)\\)`).exec(output);
  if (!m) throw new Error(`no pid for rank ${rank} in:\n${output}`);
  return Number(m[1]);
};

test('killing a worker stops the launcher and every worker with a message naming the failed rank', async () => {
  const dir = out('killed');
  const launcher = startCli(['launch', '--nproc_per_node', '2', '--master_port', String(await freePort()), ...longRun(dir)]);
  await waitFor(() => fs.existsSync(path.join(dir, 'checkpoint-40')), 60, 'checkpoint-40');
  const pids = [workerPid(launcher.output(), 0), workerPid(launcher.output(), 1)];
  process.kill(pids[1], 'SIGKILL');
  const started = Date.now();
  const run = await launcher.done;
  expect(Date.now() - started).toBeLessThan(30000);
  expect(run.code).not.toBe(0);
  expect(run.output).toMatch(new RegExp(`worker rank 1 \\(local rank 1, pid ${pids[1]}\\) failed with signal SIGKILL`));
  await waitFor(() => !isAlive(pids[0]), 15, 'rank 0 to exit');
  expect(fs.existsSync(path.join(dir, 'model.safetensors'))).toBe(false);
}, 120000);

test('without a launcher, the surviving rank exits non-zero and names the rank that died', async () => {
  const dir = out('killed-bare');
  const port = String(await freePort());
  const [w0, w1] = [startCli(longRun(dir), twoWorkerEnv(0, port)), startCli(longRun(dir), twoWorkerEnv(1, port))];
  await waitFor(() => fs.existsSync(path.join(dir, 'checkpoint-40')), 60, 'checkpoint-40');
  w1.child.kill('SIGKILL');
  const started = Date.now();
  const survivor = await w0.done;
  expect(Date.now() - started).toBeLessThan(30000);
  expect(survivor.code).toBe(1);
  expect(survivor.output).toMatch(/failed on rank 0 of 2: .*Rank 1 stopped responding/s);
  expect((await w1.done).signal).toBe('SIGKILL');
}, 120000);

test('a hung worker (stopped, not dead) fails the others after --ddp_timeout, naming it', async () => {
  const dir = out('hung');
  const port = String(await freePort());
  const args = longRun(dir).map((a) => (a === '60' ? '5' : a)); // --ddp_timeout 5
  const [w0, w1] = [startCli(args, twoWorkerEnv(0, port)), startCli(args, twoWorkerEnv(1, port))];
  try {
    await waitFor(() => fs.existsSync(path.join(dir, 'checkpoint-40')), 60, 'checkpoint-40');
    w1.child.kill('SIGSTOP');
    const started = Date.now();
    const survivor = await w0.done;
    expect(Date.now() - started).toBeLessThan(30000);
    expect(survivor.code).toBe(1);
    expect(survivor.output).toMatch(/Rank 1 stopped responding/);
  } finally {
    w1.child.kill('SIGKILL');
  }
}, 120000);

describe('a stopped worker under `bertrun launch` with the default --ddp_timeout (30 minutes)', () => {
  // What a failing test could leave behind: the launcher and every worker it started (one stopped).
  let launchers: Started[] = [];
  afterEach(() => {
    for (const launcher of launchers) {
      const workers = [...launcher.output().matchAll(/started worker rank \d+ \(local rank \d+, pid (\d+)\)/g)].map((m) => Number(m[1]));
      for (const pid of [launcher.child.pid!, ...workers]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    launchers = [];
  });
  const withDefaultTimeout = (args: string[]): string[] => args.filter((a, i) => a !== '--ddp_timeout' && args[i - 1] !== '--ddp_timeout');

  // SIGSTOPs `rank` once training is under way; resolves with the launcher's run and how long it took to end.
  async function stopRankDuringTraining(name: string, rank: number, launchFlags: string[] = []) {
    const dir = out(name);
    const launcher = startCli([
      'launch',
      '--nproc_per_node',
      '2',
      '--master_port',
      String(await freePort()),
      ...launchFlags,
      ...withDefaultTimeout(longRun(dir)),
    ]);
    launchers.push(launcher);
    await waitFor(() => fs.existsSync(path.join(dir, 'checkpoint-40')), 90, 'checkpoint-40');
    const pids = [workerPid(launcher.output(), 0), workerPid(launcher.output(), 1)];
    process.kill(pids[rank], 'SIGSTOP');
    const stoppedAt = Date.now();
    const run = await launcher.done;
    return { dir, run, pids, seconds: (Date.now() - stoppedAt) / 1000 };
  }

  test('the surviving rank names it, the launcher stops the job within 60 s and no worker is left', async () => {
    const { run, pids, seconds } = await stopRankDuringTraining('stopped-1', 1);
    expect(seconds).toBeLessThan(60);
    // Not before the timeout: rank 0 saw rank 1's counter move until it was stopped.
    expect(seconds).toBeGreaterThan(25);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(
      new RegExp(
        `bertrun launch: worker rank 0 \\(local rank 0, pid ${pids[0]}\\) failed with exit code 1 \\(the other workers were stopped\\): ` +
          'rank 1 stopped responding \\(no heartbeat for \\d+ s\\) while rank 0 of 2 waited in ',
      ),
    );
    expect(run.output).toMatch(/\[rank0\]: bertrun: rank 1 stopped responding/);
    await waitFor(() => !isAlive(pids[0]) && !isAlive(pids[1]), 5, 'both workers to be gone');
  }, 180000);

  test('rank 0, the rendezvous store host: rank 1 names it and the job stops within 60 s', async () => {
    const { run, pids, seconds } = await stopRankDuringTraining('stopped-0', 0);
    expect(seconds).toBeLessThan(60);
    expect(run.code).toBe(1);
    expect(run.output).toMatch(
      new RegExp(
        `bertrun launch: worker rank 1 \\(local rank 1, pid ${pids[1]}\\) failed with exit code 1 \\(the other workers were stopped\\): ` +
          'rank 0 \\(the rendezvous store host, 127\\.0\\.0\\.1:\\d+\\) stopped responding',
      ),
    );
    await waitFor(() => !isAlive(pids[0]) && !isAlive(pids[1]), 5, 'both workers to be gone');
  }, 180000);

  test('no false alarm: every worker stopped together (Ctrl-Z) for longer than the heartbeat timeout, then continued, finishes', async () => {
    const dir = out('stopped-all');
    const launcher = startCli(['launch', '--nproc_per_node', '2', '--master_port', String(await freePort()), ...withDefaultTimeout(longRun(dir))]);
    launchers.push(launcher);
    await waitFor(() => fs.existsSync(path.join(dir, 'checkpoint-40')), 90, 'checkpoint-40');
    const pids = [workerPid(launcher.output(), 0), workerPid(launcher.output(), 1)];
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 35000));
    for (const pid of pids) process.kill(pid, 'SIGCONT');
    const run = await launcher.done;
    expectSuccess(run);
    expect(run.output).not.toMatch(/stopped responding/);
  }, 180000);

  test('with --max_restarts 1 the job restarts from its latest checkpoint and finishes', async () => {
    const { dir, run } = await stopRankDuringTraining('stopped-restarted', 1, ['--max_restarts', '1']);
    expectSuccess(run);
    expect(run.output).toMatch(/failed with exit code 1 \(the other workers were stopped\): rank 1 stopped responding/);
    expect(run.output).toMatch(/restarting all 2 worker\(s\) \(restart 1 of 1\)/);
    expect(run.output).toMatch(/\[rank0\]: .*resuming from .*checkpoint-\d+ at step \d+/);
    expect(fs.existsSync(path.join(dir, 'model.safetensors'))).toBe(true);
  }, 240000);
});

test('with --max_restarts 1 a killed run restarts, resumes from its latest checkpoint and ends as an uninterrupted one', async () => {
  const reference = out('uninterrupted');
  expectSuccess(await runCli(['launch', '--nproc_per_node', '2', '--master_port', String(await freePort()), ...longRun(reference)]));
  const dir = out('restarted');
  const launcher = startCli(['launch', '--nproc_per_node', '2', '--max_restarts', '1', '--master_port', String(await freePort()), ...longRun(dir)]);
  await waitFor(() => fs.existsSync(path.join(dir, 'checkpoint-80')), 60, 'checkpoint-80');
  process.kill(workerPid(launcher.output(), 1), 'SIGKILL');
  const run = await launcher.done;
  expectSuccess(run);
  expect(run.output).toMatch(/restarting all 2 worker\(s\) \(restart 1 of 1\)/);
  expect(run.output).toMatch(/\[rank0\]: .*resuming from .*checkpoint-\d+ at step \d+/);
  expect(maxWeightDifference(reference, dir)).toBeLessThanOrEqual(1e-6);
  // Same losses, learning rates and grad norms at the same steps (throughput differs, of course).
  const history = (d: string) =>
    (JSON.parse(fs.readFileSync(path.join(d, 'trainer_state.json'), 'utf8')).log_history as Array<Record<string, number>>).map(
      ({ samples_per_second: _, ...rest }) => rest,
    );
  expect(history(dir)).toEqual(history(reference));
}, 180000);

test('loss scaler under DDP: an inf gradient on one rank makes every rank skip that step, and the ranks stay identical', async () => {
  const port = String(await freePort());
  const worker = path.join(__dirname, '..', 'helpers', 'loss_scaler_worker.js');
  const runs = await Promise.all([0, 1].map((rank) => startProcess(process.execPath, [worker], twoWorkerEnv(rank, port)).done));
  const reports = runs.map((r) => {
    expect({ code: r.code, output: r.output.slice(-1000) }).toEqual({ code: 0, output: expect.any(String) });
    return JSON.parse(r.output.trim().split('\n').pop()!) as { rank: number; skipped: boolean[]; scale: number; checksum: number };
  });
  // Only rank 1 injected the inf (step 2); the all-reduce carried it to rank 0.
  for (const r of reports) expect(r.skipped).toEqual([false, true, false, false]);
  expect(reports[0].scale).toBe(32768);
  expect(reports[1].scale).toBe(32768);
  expect(reports[0].checksum).toBe(reports[1].checksum);
});
