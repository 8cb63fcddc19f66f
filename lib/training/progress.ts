// Progress on a TTY (one redrawn line), plain log lines otherwise (CI, files, pipes).
export interface ProgressReporter {
  update(step: number, total: number, info: string): void;
  log(line: string): void;
  done(): void;
}

export interface ProgressOptions {
  /** false = never draw a bar (disable_tqdm). */
  enabled: boolean;
  /** Where output goes; default stderr. */
  write?: (s: string) => void;
  /** Whether that destination is a terminal; default process.stderr.isTTY. */
  isTTY?: boolean;
  /** Clock in ms, for the ETA; default Date.now. */
  now?: () => number;
}

export function createProgress(options: ProgressOptions): ProgressReporter {
  const write = options.write ?? ((s: string) => process.stderr.write(s));
  const now = options.now ?? Date.now;
  const tty = options.enabled && (options.isTTY ?? Boolean(process.stderr.isTTY));
  let drawn = false;
  const started = now();
  return {
    update(step, total, info) {
      if (!tty) return;
      const width = 30;
      const filled = Math.round((Math.min(step, total) / Math.max(1, total)) * width);
      const elapsed = (now() - started) / 1000;
      const eta = step > 0 ? (elapsed / step) * Math.max(0, total - step) : 0;
      // \r redraws the same line; trailing spaces wipe what a longer previous line left.
      write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${step}/${total} ${info} eta ${eta.toFixed(0)}s   `);
      drawn = true;
    },
    log(line) {
      if (drawn) write('\n'); // keep the bar's last state on its own line
      drawn = false;
      write(line + '\n');
    },
    done() {
      if (drawn) write('\n');
      drawn = false;
    },
  };
}
