// `bertrun sweep --grid NAME=V1,V2 [--seeds N] [--parallel N] -- train <flags> --output_dir DIR`:
// every combination of the grid values and seeds as its own `bertrun train` child process writing
// into DIR/<run name>, N at a time with the cores split between them; finished runs are skipped,
// interrupted ones resumed from their newest checkpoint, so rerunning the same command after a
// crash or Ctrl-C finishes only what is missing. Then the results table, CSV and plot.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveTrainingArguments, TRAINING_ARGUMENTS, type TrainingArguments } from '../config/training_arguments';
import { packageRoot } from '../package_root';
import { combinations, parseGrid, parseSeeds, planRuns, canonicalFlag, type GridAxis, type SweepRun } from '../sweep/grid';
import { removeStaleResults, runState, SWEEP_LOG_FILE, writeSweepRun, type RunState } from '../sweep/run_state';
import { chooseMetric, formatNumber, numericEntries, readRunMetrics, writeSweepResults, type RunOutcome } from '../sweep/sweep_results';
import { formatHelp, parseFlags, readConfigFile, type FlagSchema, type FlagValues } from './flags';

const USAGE = `usage: bertrun sweep --grid NAME=V1,V2,... [--grid NAME2=...] [--seeds N | --seeds S1,S2,...] [--parallel N] [--metric M]
                    -- train <train flags> --output_dir SWEEP_DIR

Runs \`bertrun train <train flags> --NAME V ... --seed S --output_dir SWEEP_DIR/<run>\` for every
combination of the --grid values and every seed; <run> is e.g. weight_decay=0.1_seed=1, and each
run's output (stdout and stderr) goes to SWEEP_DIR/<run>/${SWEEP_LOG_FILE}. Rerunning the same command skips
finished runs and resumes interrupted ones from their newest checkpoint. Afterwards SWEEP_DIR holds
sweep_results.csv (a row per run), sweep_results.md (mean ± std over seeds per combination, also
printed) and sweep_plot.html. The exit status is non-zero when a run failed or the sweep was stopped.`;

export const SWEEP_FLAGS: FlagSchema = {
  grid: { type: 'string', help: 'NAME=V1,V2,...: a train flag and the values to try; repeat for more flags (every combination runs)' },
  seeds: { type: 'string', help: "N (seeds 1..N) or a list S1,S2,...: every combination runs once per seed (default: the train flags' --seed, else 42)" },
  parallel: { type: 'integer', help: 'runs at once; the cores (BERTRUN_NUM_THREADS if set, else all) are split between them', default: 1 },
  metric: { type: 'string', help: 'metric to compare (default: the first eval_ metric other than loss and speed, else eval_loss)' },
  rerun_changed: {
    type: 'boolean',
    help: 'start over the runs whose directory holds a run with other train flags (replacing its results); without it the sweep refuses',
    default: false,
  },
};

/** The train flags the sweep sets per run itself. */
const SWEEP_OWNED = ['resume_from_checkpoint', 'overwrite_output_dir'];
const TAIL_LINES = 20;

/** Stops the sweep with this exit status; main() returns it without printing again. */
class SweepStopped extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

/** What the command line asks for: the runs, where, how many at once. */
interface SweepPlan {
  axes: GridAxis[];
  runs: SweepRun[];
  sweepDir: string;
  parallel: number;
  metric: string | undefined;
  rerunChanged: boolean;
}

export async function runSweep(argv: string[]): Promise<void> {
  const plan = await planSweep(argv);
  if (!plan) return;
  const { axes, runs, sweepDir, parallel } = plan;
  const states = runs.map((run) => runState(run.dir, run.argv));
  const changed = runs.filter((_, i) => states[i].kind === 'changed');
  if (changed.length > 0 && !plan.rerunChanged) {
    const listed = changed.map((run) => `  ${run.dir}:\n${describeChange(states[runs.indexOf(run)]).join('\n')}`).join('\n');
    throw new Error(
      `${changed.length} run director(ies) hold a run with other arguments:\n${listed}\n` +
        'Fix: another --output_dir for this sweep, the same train flags as before, or --rerun_changed to start those runs over.',
    );
  }
  fs.mkdirSync(sweepDir, { recursive: true });
  const todo = runs.filter((_, i) => states[i].kind !== 'finished');
  const threads = threadsPerRun(Math.min(parallel, Math.max(1, todo.length)));
  const count = (kind: RunState['kind']): number => states.filter((s) => s.kind === kind).length;
  console.log(
    `bertrun sweep: ${runs.length} run(s) in ${sweepDir}: ${count('finished')} finished earlier, ${count('interrupted')} to resume, ` +
      `${todo.length - count('interrupted')} to start; ${Math.min(parallel, Math.max(1, todo.length))} at a time, ${threads} thread(s) each`,
  );

  const outcomes = new Map<SweepRun, RunOutcome>();
  runs.forEach((run, i) => {
    const state = states[i];
    if (state.kind === 'finished') console.log(`[${run.index}/${runs.length}] skip ${run.name}: finished earlier`);
    outcomes.set(run, {
      run,
      status: state.kind === 'finished' ? 'finished' : 'not_run',
      metrics: state.kind === 'finished' ? numericEntries(state.results) : {},
    });
  });
  const failures: Array<{ run: SweepRun; reason: string; tail: string }> = [];
  const requestedMetric = plan.metric;
  const pool = new ChildPool();
  const stop = pool.stopOnSignals();
  try {
    await pool.forEach(todo, parallel, async (run) => {
      const state = states[runs.indexOf(run)];
      const resume = state.kind === 'interrupted';
      console.log(`[${run.index}/${runs.length}] start ${run.name}${resume ? ` (resuming from ${path.basename(state.checkpoint)})` : ''}`);
      const started = Date.now();
      const result = await pool.run(run, resume, threads);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const metrics = readRunMetrics(run.dir);
      if (result.ok && metrics) {
        outcomes.set(run, { run, status: 'finished', metrics });
        const metric = chooseMetric([{ run, status: 'finished', metrics }], requestedMetric);
        const value = metric in metrics ? `${metric} ${formatNumber(metrics[metric])}` : `no ${metric}`;
        console.log(`[${run.index}/${runs.length}] done ${run.name}: ${value} (${seconds} s)`);
      } else if (pool.signal) {
        outcomes.set(run, { run, status: 'interrupted', metrics: {} });
        console.log(`[${run.index}/${runs.length}] stopped ${run.name} after ${seconds} s`);
      } else {
        const reason = result.ok ? 'exited without writing all_results.json' : result.reason;
        outcomes.set(run, { run, status: 'failed', metrics: metrics ?? {} });
        failures.push({ run, reason, tail: result.tail });
        console.log(`[${run.index}/${runs.length}] FAILED ${run.name}: ${reason} (${seconds} s; log: ${path.join(run.dir, SWEEP_LOG_FILE)})`);
      }
    });
  } finally {
    stop();
  }

  const ordered = runs.map((run) => outcomes.get(run) as RunOutcome);
  const metric = chooseMetric(ordered, requestedMetric);
  const { markdown, files } = writeSweepResults(sweepDir, axes, combinations(axes), ordered, metric);
  console.log(`\n${markdown}\nwrote ${files.join(', ')}`);
  if (!ordered.some((o) => metric in o.metrics)) console.error(`bertrun sweep: no run reported ${metric}${requestedMetric ? ' (--metric)' : ''}`);
  if (pool.signal) {
    const unfinished = ordered.filter((o) => o.status !== 'finished').length;
    const message = `bertrun sweep: stopped by ${pool.signal}; ${unfinished} run(s) unfinished. Rerun the same command to finish them (interrupted runs resume from their newest checkpoint).`;
    console.error(message);
    throw new SweepStopped(message, pool.signal === 'SIGINT' ? 130 : 143);
  }
  if (failures.length > 0) {
    const details = failures.map((f) => `${f.run.name} failed: ${f.reason}\n  run dir: ${f.run.dir}\n  last lines of ${SWEEP_LOG_FILE}:\n${indent(f.tail)}`);
    const message = `bertrun sweep: ${failures.length} of ${runs.length} run(s) failed:\n${details.join('\n')}`;
    console.error(message);
    throw new SweepStopped(message, 1);
  }
}

/** Reads and checks the sweep's and the train command's flags, before anything starts; undefined after --help. */
async function planSweep(argv: readonly string[]): Promise<SweepPlan | undefined> {
  const split = argv.indexOf('--');
  const own = split >= 0 ? argv.slice(0, split) : argv;
  if (own.includes('--help') || own.includes('-h')) {
    console.log(formatHelp(USAGE, SWEEP_FLAGS));
    return undefined;
  }
  if (split < 0 || argv[split + 1] !== 'train')
    throw new Error(`the command to sweep goes after "--": bertrun sweep --grid ... -- train <train flags>\n\n${USAGE}`);
  const { grid, rest } = takeGridFlags(own);
  const flags = parseFlags(rest, SWEEP_FLAGS);
  const parallel = flags.parallel as number;
  if (parallel < 1) throw new Error(`--parallel must be >= 1, got ${parallel}`);

  const trainArgv = argv.slice(split + 2);
  const schema = await trainSchema(trainArgv);
  const axes = parseGrid(grid, schema);
  const train = withContext('the train flags', () => parseFlags(trainArgv, schema));
  const given = flagsOnCommandLine(trainArgv, schema);
  for (const name of SWEEP_OWNED) {
    if (train[name] !== undefined && train[name] !== false)
      throw new Error(`--${name} is set in the train flags: the sweep decides it for each run (skip, resume or start over); drop it`);
  }
  for (const axis of axes) {
    if (given.has(axis.name)) throw new Error(`--${axis.name} is both in the train flags and in --grid: drop it from the train flags`);
  }
  if (given.has('seed') && flags.seeds !== undefined) throw new Error('--seed in the train flags and --seeds: give the seeds with --seeds only');
  const sweepDir = typeof train.output_dir === 'string' && train.output_dir !== '' ? train.output_dir : undefined;
  if (!sweepDir) throw new Error('the train flags need --output_dir SWEEP_DIR: the runs go into SWEEP_DIR/<run name>');
  const seeds = parseSeeds(flags.seeds as string | undefined, train.seed as number);
  const runs = planRuns(axes, seeds, withoutFlags(trainArgv, schema, ['output_dir', 'seed']), sweepDir);
  for (const run of runs) checkTrainingArguments(run, train, schema);
  return {
    axes,
    runs,
    sweepDir,
    parallel,
    metric: typeof flags.metric === 'string' ? flags.metric : undefined,
    rerunChanged: flags.rerun_changed === true,
  };
}

/** The --grid values (`--grid X` or `--grid=X`, any number of times) and the other sweep flags. */
function takeGridFlags(argv: readonly string[]): { grid: string[]; rest: string[] } {
  const grid: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    if (token === '--grid') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) throw new Error('--grid needs NAME=V1,V2,...');
      grid.push(value);
      i++;
    } else if (token.startsWith('--grid=')) grid.push(token.slice('--grid='.length));
    else rest.push(token);
  }
  return { grid, rest };
}

/** The flag schema of `bertrun train` for the task given by --task (on the command line or in --config). */
async function trainSchema(trainArgv: readonly string[]): Promise<FlagSchema> {
  let task: unknown;
  let config: string | undefined;
  for (let i = 0; i < trainArgv.length; i++) {
    const [flag, inline] = trainArgv[i].split(/=(.*)/s, 2);
    const value = inline ?? trainArgv[i + 1];
    if (flag === '--task') task = value;
    if (flag === '--config') config = value;
  }
  if (task === undefined && config) task = readConfigFile(config).task;
  return (await import('./tasks/task_registry')).taskFlags(typeof task === 'string' ? task : 'text-classification');
}

/** Splits a train command line into flags: each a [start, end) range of tokens and its schema name (as parseFlags reads them). */
function flagRanges(argv: readonly string[], schema: FlagSchema): Array<{ name: string | undefined; start: number; end: number }> {
  const ranges: Array<{ name: string | undefined; start: number; end: number }> = [];
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    const start = i;
    const raw = token.replace(/^--/, '').split('=')[0];
    const name = canonicalFlag(schema, raw);
    if (!token.includes('=')) {
      const list = name !== undefined && schema[name].type === 'list';
      while (i + 1 < argv.length && !argv[i + 1].startsWith('--')) {
        i++;
        if (!list) break;
      }
    }
    ranges.push({ name, start, end: i + 1 });
  }
  return ranges;
}

function flagsOnCommandLine(argv: readonly string[], schema: FlagSchema): Set<string> {
  return new Set(flagRanges(argv, schema).flatMap((r) => (r.name ? [r.name] : [])));
}

function withoutFlags(argv: readonly string[], schema: FlagSchema, names: readonly string[]): string[] {
  return flagRanges(argv, schema)
    .filter((r) => r.name === undefined || !names.includes(r.name))
    .flatMap((r) => argv.slice(r.start, r.end));
}

/** The run's training arguments pass the checks `bertrun train` makes (those between arguments too) before anything starts. */
function checkTrainingArguments(run: SweepRun, train: FlagValues, schema: FlagSchema): void {
  const values: Record<string, unknown> = {
    ...train,
    ...Object.fromEntries(run.point.map(({ name, value }) => [name, parseFlags([`--${name}`, value], schema)[name]])),
  };
  const given = Object.fromEntries(Object.keys(TRAINING_ARGUMENTS).map((name) => [name, values[name]]));
  withContext(`run ${run.name}`, () => resolveTrainingArguments({ ...(given as Partial<TrainingArguments>), seed: run.seed, output_dir: run.dir }));
}

function withContext<T>(what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`, { cause: e });
  }
}

function describeChange(state: RunState): string[] {
  return state.kind === 'changed' ? state.differences.map((d) => `    ${d}`) : [];
}

/** Intra-op threads for each of `concurrent` runs: the cores (BERTRUN_NUM_THREADS if set) divided between them, at least 1. */
export function threadsPerRun(concurrent: number, env: NodeJS.ProcessEnv = process.env, cores: number = os.availableParallelism()): number {
  const budget = Number(env.BERTRUN_NUM_THREADS);
  const total = Number.isInteger(budget) && budget >= 1 ? budget : cores;
  return Math.max(1, Math.floor(total / concurrent));
}

/** dist/lib/cli/main.js beside this file, or in the package when this runs from the TypeScript sources (tests). */
function mainScript(): string {
  const candidates = [path.join(__dirname, 'main.js'), path.join(packageRoot(), 'dist', 'lib', 'cli', 'main.js')];
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) throw new Error(`cannot find bertrun's main.js (looked for ${candidates.join(', ')}). Fix: npx tsc -p tsconfig.build.json`);
  return found;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

type RunResult = { ok: true; tail: string } | { ok: false; reason: string; tail: string };

/** The child processes: started, waited for, and stopped together on SIGINT / SIGTERM. */
class ChildPool {
  /** The signal that stopped the sweep, if one did. */
  signal: NodeJS.Signals | undefined;
  private readonly children = new Set<ChildProcess>();
  private readonly main = mainScript();

  /** On the first SIGINT / SIGTERM: start nothing more and pass SIGTERM to the children; on a second: SIGKILL them. Returns the undo. */
  stopOnSignals(): () => void {
    const onSignal = (signal: NodeJS.Signals): void => {
      const again = this.signal !== undefined;
      this.signal ??= signal;
      if (!again) console.error(`bertrun sweep: ${signal}: stopping ${this.children.size} run(s); a second signal kills them at once`);
      for (const child of this.children) child.kill(again ? 'SIGKILL' : 'SIGTERM');
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    return () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    };
  }

  /** Calls `work` for each item, `parallel` at a time, in order; nothing new starts once a signal came. */
  async forEach<T>(items: readonly T[], parallel: number, work: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length && !this.signal) await work(items[next++]);
    };
    await Promise.all(Array.from({ length: Math.min(parallel, items.length) }, worker));
  }

  /**
   * Runs `bertrun train` for the run: fresh (--overwrite_output_dir: the directory already holds
   * sweep_run.json and sweep.log, and maybe an earlier start's leftovers) or resuming from the
   * newest checkpoint; stdout and stderr go to the run's sweep.log (appended to when resuming).
   */
  run(run: SweepRun, resume: boolean, threads: number): Promise<RunResult> {
    fs.mkdirSync(run.dir, { recursive: true });
    if (!resume) removeStaleResults(run.dir);
    const argv = [...run.argv, ...(resume ? ['--resume_from_checkpoint', 'latest'] : ['--overwrite_output_dir'])];
    writeSweepRun(run.dir, {
      argv,
      grid: Object.fromEntries(run.point.map(({ name, value }) => [name, value])),
      seed: run.seed,
      start: resume ? 'resume' : 'fresh',
      started_at: new Date().toISOString(),
    });
    const logFile = path.join(run.dir, SWEEP_LOG_FILE);
    const fd = fs.openSync(logFile, resume ? 'a' : 'w');
    const offset = fs.fstatSync(fd).size;
    fs.writeSync(fd, `# bertrun sweep, ${new Date().toISOString()}, ${threads} thread(s): ${process.execPath} ${this.main} ${argv.join(' ')}\n`);
    const env = { ...process.env, BERTRUN_NUM_THREADS: String(threads), OMP_NUM_THREADS: String(threads) };
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, [this.main, ...argv], { stdio: ['ignore', fd, fd], env });
    } finally {
      fs.closeSync(fd); // the child has its own copy
    }
    this.children.add(child);
    return new Promise((resolve) => {
      let spawnError: Error | undefined;
      child.on('error', (e) => (spawnError = e));
      child.on('close', (code, signal) => {
        this.children.delete(child);
        const tail = logTail(logFile, offset);
        if (spawnError) resolve({ ok: false, reason: `could not start: ${spawnError.message}`, tail });
        else if (code === 0) resolve({ ok: true, tail });
        else resolve({ ok: false, reason: signal ? `killed by ${signal}` : `exit status ${code}`, tail });
      });
    });
  }
}

/** The last lines written to `file` from `offset` on. */
function logTail(file: string, offset: number): string {
  try {
    const text = fs.readFileSync(file).subarray(offset).toString('utf8');
    return text.trimEnd().split('\n').slice(-TAIL_LINES).join('\n');
  } catch {
    return '(no log)';
  }
}
