// The results of a sweep: every run's numeric metrics from its all_results.json, gathered into
// sweep_results.csv (a row per run), sweep_results.md (mean ± std over seeds per combination) and
// sweep_plot.html (the metric per combination with error bars, and each run's evaluation curves).
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic_write';
import { renderChartPage, type ChartPage, type ChartSpec, type TableCell } from '../reporting/chart_page';
import { pointLabel, type GridAxis, type GridPoint, type SweepRun } from './grid';

export type RunStatus = 'finished' | 'failed' | 'interrupted' | 'not_run';

export interface RunOutcome {
  run: SweepRun;
  status: RunStatus;
  /** The numeric entries of all_results.json (empty when the run has none). */
  metrics: Record<string, number>;
}

export interface Stats {
  mean: number;
  /** Sample standard deviation (n - 1); NaN for fewer than two values. */
  std: number;
  n: number;
}

export interface CombinationSummary {
  point: GridPoint;
  /** Runs of this combination with results, and all of them. */
  finished: number;
  planned: number;
  metric: Stats;
  evalLoss: Stats;
  trainLoss: Stats;
}

export const CSV_FILE = 'sweep_results.csv';
export const MARKDOWN_FILE = 'sweep_results.md';
export const PLOT_FILE = 'sweep_plot.html';

/** Evaluation keys that measure speed or cost, not the model. */
const NOT_A_QUALITY_METRIC = /^eval_(loss|runtime|samples_per_second|steps_per_second)$|_(runtime|samples_per_second|steps_per_second)$/;

/** The numeric entries of `dir`/all_results.json, or undefined when it is missing or unreadable. */
export function readRunMetrics(dir: string): Record<string, number> | undefined {
  try {
    const parsed: unknown = JSON.parse(fs.readFileSync(path.join(dir, 'all_results.json'), 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    return numericEntries(parsed as Record<string, unknown>);
  } catch {
    return undefined;
  }
}

export function numericEntries(values: Record<string, unknown>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).filter((e): e is [string, number] => typeof e[1] === 'number'));
}

/**
 * The metric to compare: the requested one (`accuracy` also finds eval_accuracy), else the
 * first eval_ metric of the first run with results that is not the loss or a speed, else eval_loss.
 */
export function chooseMetric(outcomes: readonly RunOutcome[], requested?: string): string {
  const keys = outcomes.flatMap((o) => Object.keys(o.metrics));
  if (requested) return keys.includes(requested) || !keys.includes(`eval_${requested}`) ? requested : `eval_${requested}`;
  return keys.find((k) => k.startsWith('eval_') && !NOT_A_QUALITY_METRIC.test(k)) ?? 'eval_loss';
}

/** Mean and sample standard deviation of the finite values. */
export function meanStd(values: readonly number[]): Stats {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, n: 0 };
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const std = n < 2 ? Number.NaN : Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
  return { mean, std, n };
}

/** One summary per combination, in the order of `points`. */
export function summarize(points: readonly GridPoint[], outcomes: readonly RunOutcome[], metric: string): CombinationSummary[] {
  return points.map((point) => {
    const label = pointLabel(point);
    const mine = outcomes.filter((o) => pointLabel(o.run.point) === label);
    const done = mine.filter((o) => o.status === 'finished');
    const stats = (key: string): Stats => meanStd(done.map((o) => o.metrics[key]).filter((v): v is number => v !== undefined));
    return { point, finished: done.length, planned: mine.length, metric: stats(metric), evalLoss: stats('eval_loss'), trainLoss: stats('train_loss') };
  });
}

/** A number for a table: 4 decimals, or 3 significant digits when tiny or huge. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? x.toPrecision(3) : x.toFixed(4);
}

/** `0.8123 ± 0.0100`; one value alone; a dash for none. */
export function formatStats(s: Stats): string {
  if (s.n === 0) return '—';
  return s.n < 2 ? formatNumber(s.mean) : `${formatNumber(s.mean)} ± ${formatNumber(s.std)}`;
}

/** Lower is better for losses (as HF's greater_is_better default), higher for the rest. */
export function lowerIsBetter(metric: string): boolean {
  return /loss$/.test(metric);
}

/** The index of the best combination by mean metric, or -1 when none has it. */
export function bestCombination(summaries: readonly CombinationSummary[], metric: string): number {
  let best = -1;
  summaries.forEach((s, i) => {
    if (s.metric.n === 0) return;
    const better = best < 0 || (lowerIsBetter(metric) ? s.metric.mean < summaries[best].metric.mean : s.metric.mean > summaries[best].metric.mean);
    if (better) best = i;
  });
  return best;
}

const escapeCell = (text: string): string => text.replace(/\|/g, '\\|');

/** The Markdown table: one row per combination, mean ± std over seeds of the metric, eval_loss and train_loss, and the runs counted. */
export function resultsMarkdown(axes: readonly GridAxis[], summaries: readonly CombinationSummary[], metric: string): string {
  const columns = [...axes.map((a) => a.name), metric, ...(metric === 'eval_loss' ? [] : ['eval_loss']), 'train_loss', 'n'];
  const rows = summaries.map((s) => [
    ...s.point.map((p) => p.value),
    formatStats(s.metric),
    ...(metric === 'eval_loss' ? [] : [formatStats(s.evalLoss)]),
    formatStats(s.trainLoss),
    s.finished === s.planned ? String(s.finished) : `${s.finished} of ${s.planned}`,
  ]);
  const line = (cells: readonly string[]): string => `| ${cells.map(escapeCell).join(' | ')} |`;
  const lines = [line(columns), `|${columns.map((_, i) => (i < axes.length ? ' --- ' : ' ---: ')).join('|')}|`, ...rows.map(line)];
  const best = bestCombination(summaries, metric);
  lines.push('', `mean ± sample standard deviation over seeds; n: runs with results.`);
  if (best >= 0)
    lines.push(
      `best ${metric} (${lowerIsBetter(metric) ? 'lowest' : 'highest'} mean): ${pointLabel(summaries[best].point)}, ${formatStats(summaries[best].metric)}`,
    );
  return lines.join('\n') + '\n';
}

/** RFC 4180: a field with a comma, quote or line break is quoted, quotes doubled. */
function csvField(text: string): string {
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One row per run: its name, grid values, seed, status and every numeric metric (columns in order of first appearance). */
export function resultsCsv(axes: readonly GridAxis[], outcomes: readonly RunOutcome[]): string {
  const metricNames = [...new Set(outcomes.flatMap((o) => Object.keys(o.metrics)))];
  const header = ['run', ...axes.map((a) => a.name), 'seed', 'status', ...metricNames];
  const rows = outcomes.map((o) => [
    o.run.name,
    ...axes.map((a) => o.run.point.find((p) => p.name === a.name)?.value ?? ''),
    String(o.run.seed),
    o.status,
    ...metricNames.map((m) => (m in o.metrics ? String(o.metrics[m]) : '')),
  ]);
  return [header, ...rows].map((row) => row.map(csvField).join(',')).join('\n') + '\n';
}

/** [step, value] of every log_history entry of the run (finished, else its newest checkpoint) that has `key`. */
function curve(dir: string, key: string): Array<[number, number]> {
  const stateFile = [path.join(dir, 'trainer_state.json'), ...newestFirstCheckpoints(dir).map((c) => path.join(c, 'trainer_state.json'))].find((f) =>
    fs.existsSync(f),
  );
  if (!stateFile) return [];
  try {
    const state = JSON.parse(fs.readFileSync(stateFile, 'utf8')) as { log_history?: Array<Record<string, unknown>> };
    return (state.log_history ?? [])
      .filter((e) => typeof e.step === 'number' && key in e)
      .map((e) => [e.step as number, typeof e[key] === 'number' ? (e[key] as number) : Number.NaN]);
  } catch {
    return [];
  }
}

function newestFirstCheckpoints(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => /^checkpoint-\d+$/.test(n))
    .sort((a, b) => Number(b.slice(11)) - Number(a.slice(11)))
    .map((n) => path.join(dir, n));
}

/** The page of sweep_plot.html. */
export function sweepPlotPage(
  axes: readonly GridAxis[],
  summaries: readonly CombinationSummary[],
  outcomes: readonly RunOutcome[],
  metric: string,
  sweepDir: string,
): ChartPage {
  const labels = summaries.map((s) => pointLabel(s.point));
  const bars: ChartSpec[] = [
    {
      id: 'metric',
      title: `${metric}: mean ± std over seeds`,
      kind: 'bar',
      xLabel: axes.map((a) => a.name).join(', '),
      yLabel: metric,
      labels,
      series: [{ name: metric, values: summaries.map((s) => s.metric.mean), errors: summaries.map((s) => (s.metric.n >= 2 ? s.metric.std : Number.NaN)) }],
    },
  ];
  const curveKeys = [...new Set([metric, 'eval_loss', 'loss'])];
  const curves: ChartSpec[] = curveKeys
    .map((key): ChartSpec => ({
      id: `curve-${key}`,
      title: key === 'loss' ? 'Training loss' : `${key} during training`,
      kind: 'line',
      xLabel: 'step',
      yLabel: key,
      series: outcomes.map((o) => ({ name: o.run.name, points: curve(o.run.dir, key) })).filter((s) => s.points.length > 0),
    }))
    .filter((c) => c.series.length > 0);
  const best = bestCombination(summaries, metric);
  const summaryRows: TableCell[][] = summaries.map((s) => [
    pointLabel(s.point),
    finiteOrNull(s.metric.mean),
    finiteOrNull(s.metric.std),
    finiteOrNull(s.evalLoss.mean),
    finiteOrNull(s.trainLoss.mean),
    `${s.finished} of ${s.planned}`,
  ]);
  const metricNames = [...new Set(outcomes.flatMap((o) => Object.keys(o.metrics)))];
  return {
    title: `bertrun sweep: ${metric}`,
    subtitle: `${outcomes.length} run(s) in ${sweepDir}; ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`,
    sections: [
      {
        heading: 'Per combination',
        notes: ['Bars: the mean over seeds; error bars: the sample standard deviation (combinations with two or more runs).'],
        charts: bars,
        tables: [
          {
            columns: ['combination', `${metric} mean`, `${metric} std`, 'eval_loss mean', 'train_loss mean', 'runs with results'],
            rows: summaryRows,
            ...(best >= 0 ? { highlightRows: [best] } : {}),
          },
        ],
      },
      ...(curves.length > 0 ? [{ heading: 'Curves per run', charts: curves }] : []),
      {
        heading: 'Runs',
        tables: [
          {
            caption: 'every run',
            columns: ['run', 'status', ...metricNames],
            rows: outcomes.map((o) => [o.run.name, o.status, ...metricNames.map((m) => (m in o.metrics ? finiteOrNull(o.metrics[m]) : null))]),
            collapsed: true,
          },
        ],
      },
    ],
  };
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export interface WrittenResults {
  markdown: string;
  files: string[];
}

/** Writes sweep_results.csv, sweep_results.md and sweep_plot.html into `sweepDir`; returns the Markdown. */
export function writeSweepResults(
  sweepDir: string,
  axes: readonly GridAxis[],
  points: readonly GridPoint[],
  outcomes: readonly RunOutcome[],
  metric: string,
): WrittenResults {
  const summaries = summarize(points, outcomes, metric);
  const markdown = resultsMarkdown(axes, summaries, metric);
  const files = [path.join(sweepDir, CSV_FILE), path.join(sweepDir, MARKDOWN_FILE), path.join(sweepDir, PLOT_FILE)];
  writeFileAtomic(files[0], Buffer.from(resultsCsv(axes, outcomes)));
  writeFileAtomic(files[1], Buffer.from(markdown));
  writeFileAtomic(files[2], Buffer.from(renderChartPage(sweepPlotPage(axes, summaries, outcomes, metric, sweepDir))));
  return { markdown, files };
}
