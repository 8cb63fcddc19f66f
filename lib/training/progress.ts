// Progress of training, evaluation and prediction. On a terminal: a bar (cli-progress) redrawn in
// place, with log lines printed above it. Elsewhere (CI, pipes, files): a plain line every
// BERTRUN_PROGRESS_INTERVAL seconds (default 30; checked at each update, so never more than one
// line per step or batch) and one when a phase ends.
import { MultiBar, type SingleBar } from 'cli-progress';

export const PROGRESS_INTERVAL_ENV = 'BERTRUN_PROGRESS_INTERVAL';
export const DEFAULT_PROGRESS_INTERVAL_SECONDS = 30;

/** One thing that runs and is counted: training steps, evaluation or prediction batches. */
export interface ProgressPhase {
  /** "train", "eval", "predict". */
  name: string;
  /** What is counted: "step", "batch". */
  unit: string;
  total: number;
  /** Units already done when the phase begins (a resumed run); rates and the ETA count from here. */
  startAt?: number;
}

export interface ProgressFields {
  epoch?: number;
  /** The last logged training loss and the step it was logged at (read from the device only at logging steps). */
  loss?: { value: number; step: number };
  /** Samples processed since the phase began, for samples/s. */
  samples?: number;
}

export interface ProgressReporter {
  /** Starts a phase; phases nest (an evaluation during training). */
  begin(phase: ProgressPhase): void;
  /** `done` units of the innermost phase are finished. */
  update(done: number, fields?: ProgressFields): void;
  /** A log line (above the bar on a terminal). */
  log(line: string): void;
  /** Ends the innermost phase: the bar keeps its last state, or a last plain line is written. */
  done(): void;
  /** Ends every open phase (after an error too), so no redraw timer keeps the process alive. */
  close(): void;
}

/** Where progress goes: a writable stream, a terminal when isTTY is true. */
export type ProgressStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface ProgressOptions {
  /** false = no bar and no progress lines, log lines only (disable_tqdm, ranks other than 0). */
  enabled: boolean;
  /** Default process.stderr. */
  stream?: ProgressStream;
  /** Seconds between plain progress lines when the stream is not a terminal; default $BERTRUN_PROGRESS_INTERVAL or 30. */
  intervalSeconds?: number;
  /** Clock in ms; default Date.now. */
  now?: () => number;
}

/** $BERTRUN_PROGRESS_INTERVAL in seconds (>= 0; 0 = a line at every step), or the default. */
export function progressIntervalSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[PROGRESS_INTERVAL_ENV];
  if (raw === undefined || raw.trim() === '') return DEFAULT_PROGRESS_INTERVAL_SECONDS;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new Error(`${PROGRESS_INTERVAL_ENV}="${raw}" is not a number of seconds >= 0. Fix: set it to e.g. 30, or unset it (default 30).`);
  }
  return seconds;
}

interface OpenPhase {
  phase: ProgressPhase;
  began: number;
  lastLine: number;
  /** What the last plain line showed (no second line for the same count at the end). */
  lastLineDone?: number;
  done: number;
  fields: ProgressFields;
  bar?: SingleBar;
}

export function createProgress(options: ProgressOptions): ProgressReporter {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? Date.now;
  const tty = options.enabled && stream.isTTY === true;
  const intervalMs = (options.intervalSeconds ?? (options.enabled && !tty ? progressIntervalSeconds() : DEFAULT_PROGRESS_INTERVAL_SECONDS)) * 1000;
  const open: OpenPhase[] = [];
  let bars: MultiBar | undefined;

  const describe = (p: OpenPhase): string => describeProgress(p.phase, p.done, p.fields, (now() - p.began) / 1000);
  const writeLine = (p: OpenPhase): void => {
    stream.write(`${p.phase.name}: ${describe(p)}\n`);
    p.lastLine = now();
    p.lastLineDone = p.done;
  };

  return {
    begin(phase) {
      if (!options.enabled) return;
      const t = now();
      const entry: OpenPhase = { phase, began: t, lastLine: t, done: phase.startAt ?? 0, fields: {} };
      if (tty) {
        bars ??= new MultiBar({
          stream,
          format: '{name} [{bar}] {stats}',
          barsize: 20,
          linewrap: true, // cut at the terminal's width instead of switching wrapping off (and perhaps never back on)
          forceRedraw: true, // redraw below a log line even when nothing changed
          hideCursor: false,
          gracefulExit: false,
        });
        entry.bar = bars.create(phase.total, entry.done, { name: phase.name, stats: describe(entry) });
      }
      open.push(entry);
    },
    update(done, fields = {}) {
      const p = open[open.length - 1];
      if (!p) return;
      p.done = done;
      p.fields = fields;
      if (p.bar) p.bar.update(done, { stats: describe(p) });
      else if (now() - p.lastLine >= intervalMs) writeLine(p);
    },
    log(line) {
      if (bars) {
        bars.log(line + '\n');
        bars.update(); // print it now, not at the next redraw
      } else {
        stream.write(line + '\n');
      }
    },
    done() {
      const p = open.pop();
      if (!p) return;
      if (!p.bar) {
        if (p.lastLineDone !== p.done) writeLine(p);
        return;
      }
      p.bar.update(p.done, { stats: describe(p) });
      if (open.length > 0) {
        bars?.remove(p.bar); // a nested phase's bar goes; the outer one stays
      } else {
        bars?.stop();
        bars = undefined;
      }
    },
    close() {
      open.length = 0;
      bars?.stop();
      bars = undefined;
    },
  };
}

/**
 * "step 120/1000 (12%) | elapsed 0:01:10 | eta 0:08:35 | 85.3 samples/s | epoch 0.36 | loss 0.6932 (step 100)": what a
 * narrow terminal must show first. The loss is the last logged one, with its step.
 */
export function describeProgress(phase: ProgressPhase, done: number, fields: ProgressFields, elapsedSeconds: number): string {
  const percent = phase.total > 0 ? Math.floor((100 * Math.min(done, phase.total)) / phase.total) : 100;
  const parts = [`${phase.unit} ${done}/${phase.total} (${percent}%)`, `elapsed ${formatDuration(elapsedSeconds)}`];
  const progressed = done - (phase.startAt ?? 0);
  if (done < phase.total) parts.push(`eta ${progressed > 0 ? formatDuration((elapsedSeconds / progressed) * (phase.total - done)) : '?'}`);
  if (fields.samples !== undefined && elapsedSeconds > 0) parts.push(`${(fields.samples / elapsedSeconds).toFixed(1)} samples/s`);
  if (fields.epoch !== undefined) parts.push(`epoch ${fields.epoch.toFixed(2)}`);
  if (fields.loss) parts.push(`loss ${fields.loss.value.toFixed(4)} (step ${fields.loss.step})`);
  return parts.join(' | ');
}

/** h:mm:ss, as Python's timedelta prints whole seconds. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${h}:${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}
