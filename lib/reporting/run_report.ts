// The run report: training curves (loss, learning rate, gradient norm, evaluation metrics) from
// each run's trainer_state.json overlaid on shared charts, the final metrics, and the training
// arguments (those that differ between runs first). Reads bertrun and transformers Trainer
// output directories and checkpoint-N directories alike: they share the file names.
import * as fs from 'fs';
import * as path from 'path';
import { packageVersion } from '../package_root';
import { renderChartPage, type ChartPage, type ChartSpec, type PageSection, type TableCell, type TableSpec } from './chart_page';

/** A log_history entry: numbers (JSON null where the trainer had NaN), plus whatever else a trainer adds. */
export type LogRecord = Record<string, unknown>;

export interface RunData {
  name: string;
  /** The directory whose trainer_state.json was read (a checkpoint-N one for an unfinished run). */
  dir: string;
  logHistory: LogRecord[];
  globalStep?: number;
  epoch?: number;
  bestMetric?: number;
  bestCheckpoint?: string;
  /** train_results.json, eval_results.json and all_results.json merged (absent ones skipped). */
  results: Record<string, TableCell>;
  /** training_args.json, when the directory has one (transformers writes training_args.bin only). */
  args?: Record<string, unknown>;
  notes: string[];
}

export interface RunReportOptions {
  title?: string;
  /** Names for the runs, in order (default: the directories' names). */
  names?: readonly string[];
}

const STATE_FILE = 'trainer_state.json';
const RESULT_FILES = ['train_results.json', 'eval_results.json', 'all_results.json'];
/** Per-run paths: they differ for every run, so they would only crowd the "differ" table. */
const PER_RUN_ARGS = new Set(['output_dir', 'logging_dir', 'run_name']);
const TRAINING_CURVES: ReadonlyArray<{ key: string; title: string; logY?: boolean }> = [
  { key: 'loss', title: 'Training loss' },
  { key: 'learning_rate', title: 'Learning rate' },
  { key: 'grad_norm', title: 'Gradient norm' },
  { key: 'loss_scale', title: 'fp16 loss scale', logY: true },
];
/** Evaluation log keys that measure speed, not the model. */
const EVAL_SPEED = /_(runtime|samples_per_second|steps_per_second)$/;

/** The report for these run directories, as one self-contained HTML page. */
export function renderRunReport(dirs: readonly string[], options: RunReportOptions = {}): string {
  return renderChartPage(buildRunReport(readRuns(dirs, options.names), options.title));
}

/** Reads each directory (see {@link readRun}) and names the runs. */
export function readRuns(dirs: readonly string[], names?: readonly string[]): RunData[] {
  if (dirs.length === 0) throw new Error('no run directory given');
  if (names && names.length !== dirs.length) throw new Error(`${names.length} name(s) for ${dirs.length} run director(ies): give one name per directory`);
  const runs = dirs.map((dir) => readRun(dir));
  const labels = names ? [...names] : runLabels(runs.map((r) => r.dir));
  return runs.map((run, i) => ({ ...run, name: labels[i] }));
}

/**
 * One run: `dir` is an output_dir or a checkpoint-N directory. An output_dir without
 * trainer_state.json (a run stopped before its end) is read from its newest checkpoint.
 */
export function readRun(dir: string): RunData {
  if (!fs.existsSync(dir)) throw new Error(`${dir} does not exist. Fix: pass the --output_dir of a bertrun or transformers training run`);
  if (!fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a directory. Fix: pass the --output_dir of a training run, not a file in it`);
  const notes: string[] = [];
  let stateDir = dir;
  if (!fs.existsSync(path.join(dir, STATE_FILE))) {
    const checkpoint = newestCheckpointWithState(dir);
    if (!checkpoint) {
      throw new Error(
        `no ${STATE_FILE} in ${dir}: is it a bertrun/transformers output_dir? Fix: pass the --output_dir of a finished or checkpointed run (or a checkpoint-N directory)`,
      );
    }
    stateDir = checkpoint;
    notes.push(`${dir} has no ${STATE_FILE} (the run did not finish): its newest checkpoint, ${path.basename(checkpoint)}, was read.`);
  }
  const state = readJsonObject(path.join(stateDir, STATE_FILE), 'Fix: pass the --output_dir of a finished or checkpointed run (or a checkpoint-N directory)');
  if (!Array.isArray(state.log_history) || !state.log_history.every((e) => typeof e === 'object' && e !== null && !Array.isArray(e))) {
    throw new Error(`${path.join(stateDir, STATE_FILE)} has no log_history list of entries: is it a trainer_state.json written by bertrun or transformers?`);
  }
  const results: Record<string, TableCell> = {};
  for (const name of RESULT_FILES) {
    const file = path.join(stateDir, name);
    if (!fs.existsSync(file)) continue;
    for (const [k, v] of Object.entries(readJsonObject(file, 'Fix: remove or repair the file'))) results[k] = cellOf(v);
  }
  const argsFile = path.join(stateDir, 'training_args.json');
  const args = fs.existsSync(argsFile) ? readJsonObject(argsFile, 'Fix: remove or repair the file') : undefined;
  if (!args)
    notes.push(`${dir}: no training_args.json${fs.existsSync(path.join(stateDir, 'training_args.bin')) ? ' (training_args.bin, a pickle, is not read)' : ''}.`);
  return {
    name: path.basename(path.resolve(dir)),
    dir: stateDir,
    logHistory: state.log_history as LogRecord[],
    globalStep: numberOrUndefined(state.global_step),
    epoch: numberOrUndefined(state.epoch),
    bestMetric: numberOrUndefined(state.best_metric),
    bestCheckpoint: typeof state.best_model_checkpoint === 'string' ? state.best_model_checkpoint : undefined,
    results,
    args,
    notes,
  };
}

/** The page: one section of training curves, one of evaluation curves, final metrics, arguments. */
export function buildRunReport(runs: readonly RunData[], title?: string): ChartPage {
  const several = runs.length > 1;
  const sections: PageSection[] = [];
  const training = TRAINING_CURVES.map(({ key, title: chartTitle, logY }) => curve(runs, key, chartTitle, logY)).filter((c): c is ChartSpec => c !== undefined);
  sections.push({
    heading: 'Training',
    notes: training.length === 0 ? ['No training loss was logged (an evaluation-only directory, or a run that stopped before its first logging step).'] : [],
    charts: training,
  });
  const evalKeys = uniqueInOrder(runs.flatMap((r) => r.logHistory.flatMap((e) => Object.keys(e)))).filter((k) => k.startsWith('eval_') && !EVAL_SPEED.test(k));
  evalKeys.sort((a, b) => Number(b === 'eval_loss') - Number(a === 'eval_loss'));
  const evaluation = evalKeys.map((key) => curve(runs, key, `Evaluation: ${key.slice('eval_'.length)}`)).filter((c): c is ChartSpec => c !== undefined);
  if (evaluation.length > 0) sections.push({ heading: 'Evaluation during training', charts: evaluation });
  sections.push(resultsSection(runs));
  sections.push(argumentsSection(runs));
  return {
    title: title ?? (several ? `Run report: ${runs.length} runs` : `Run report: ${runs[0].name}`),
    subtitle: `${runs.map((r) => r.dir).join(', ')}. Made by bertrun ${packageVersion()} on ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; x axes are optimizer steps.`,
    sections,
  };
}

/** A chart of one log_history key against the step, one series per run that logged it; undefined if none did. */
function curve(runs: readonly RunData[], key: string, title: string, logY?: boolean): ChartSpec | undefined {
  const series = runs
    .map((run) => ({
      name: run.name,
      points: run.logHistory
        .filter((e) => key in e && typeof e.step === 'number')
        .map((e): [number, number] => [e.step as number, typeof e[key] === 'number' ? e[key] : Number.NaN]),
    }))
    .filter((s) => s.points.length > 0);
  if (series.length === 0) return undefined;
  return { id: key, title, kind: 'line', xLabel: 'step', yLabel: key, series, ...(logY ? { logY } : {}) };
}

function resultsSection(runs: readonly RunData[]): PageSection {
  const summary: TableSpec = {
    caption: 'Runs',
    columns: ['run', 'directory', 'global step', 'epoch', 'best metric', 'best checkpoint'],
    rows: runs.map((r) => [r.name, r.dir, r.globalStep ?? null, r.epoch ?? null, r.bestMetric ?? null, r.bestCheckpoint ?? null]),
  };
  const keys = uniqueInOrder(runs.flatMap((r) => Object.keys(r.results)));
  const notes = runs.flatMap((r) => r.notes);
  if (keys.length === 0) {
    notes.push(
      'No train_results.json, eval_results.json or all_results.json in these directories (checkpoints, or runs still in progress): the last logged values are in the charts.',
    );
    return { heading: 'Final metrics', notes, tables: [summary] };
  }
  const metrics: TableSpec = {
    caption: 'Final metrics (train_results.json, eval_results.json, all_results.json)',
    columns: ['metric', ...runs.map((r) => r.name)],
    rows: keys.map((k) => [k, ...runs.map((r) => r.results[k] ?? null)]),
  };
  return { heading: 'Final metrics', notes, tables: [summary, metrics] };
}

function argumentsSection(runs: readonly RunData[]): PageSection {
  const withArgs = runs.filter((r) => r.args !== undefined);
  if (withArgs.length === 0) return { heading: 'Arguments', notes: ['No training_args.json in these directories.'] };
  const columns = ['argument', ...runs.map((r) => r.name)];
  const keys = uniqueInOrder(withArgs.flatMap((r) => Object.keys(r.args ?? {})));
  const shown = (run: RunData, key: string): string | null => (run.args && key in run.args ? argText(run.args[key]) : null);
  const differs = (key: string): boolean => new Set(withArgs.map((r) => shown(r, key))).size > 1;
  const differing = runs.length > 1 ? keys.filter((k) => !PER_RUN_ARGS.has(k) && differs(k)) : [];
  const all: TableSpec = {
    caption: runs.length > 1 ? 'All arguments (those that differ highlighted)' : 'All arguments',
    columns,
    rows: keys.map((k) => [k, ...runs.map((r) => shown(r, k))]),
    highlightRows: keys.flatMap((k, i) => (differing.includes(k) ? [i] : [])),
    collapsed: runs.length > 1,
  };
  if (runs.length === 1) return { heading: 'Arguments', tables: [all] };
  const perRun = [...PER_RUN_ARGS].filter((k) => keys.includes(k)).join(', ');
  if (differing.length === 0)
    return { heading: 'Arguments', notes: [`The runs have the same arguments${perRun ? ` (apart from ${perRun})` : ''}.`], tables: [all] };
  return {
    heading: 'Arguments',
    tables: [
      {
        caption: `Arguments that differ between runs${perRun ? ` (${perRun} left out)` : ''}`,
        columns,
        rows: differing.map((k) => [k, ...runs.map((r) => shown(r, k))]),
      },
      all,
    ],
  };
}

/** Short distinct names: the directory name, with as many parent directories as it takes to tell the runs apart. */
export function runLabels(dirs: readonly string[]): string[] {
  const parts = dirs.map((d) =>
    path
      .resolve(d)
      .split(path.sep)
      .filter((p) => p !== ''),
  );
  const maxDepth = Math.max(...parts.map((p) => p.length));
  let labels = parts.map((p) => p.slice(-1).join('/'));
  for (let depth = 2; depth <= maxDepth && new Set(labels).size < labels.length; depth++) labels = parts.map((p) => p.slice(-depth).join('/'));
  // The same directory twice.
  const seen = new Map<string, number>();
  return labels.map((label) => {
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    return n > 1 ? `${label} #${n}` : label;
  });
}

function newestCheckpointWithState(dir: string): string | undefined {
  return fs
    .readdirSync(dir)
    .map((name) => /^checkpoint-(\d+)$/.exec(name))
    .filter((m): m is RegExpExecArray => m !== null && fs.existsSync(path.join(dir, m[0], STATE_FILE)))
    .sort((a, b) => Number(b[1]) - Number(a[1]))
    .map((m) => path.join(dir, m[0]))[0];
}

function readJsonObject(file: string, fix: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file} is not valid JSON (${(e as Error).message}). ${fix}`, { cause: e });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error(`${file} does not hold a JSON object. ${fix}`);
  return parsed as Record<string, unknown>;
}

function cellOf(value: unknown): TableCell {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value) ?? null;
}

function argText(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? 'undefined');
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function uniqueInOrder(items: readonly string[]): string[] {
  return [...new Set(items)];
}
