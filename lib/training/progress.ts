// Progress on a TTY (one redrawn line), plain log lines otherwise (CI, files, pipes).
export interface ProgressReporter {
  update(step: number, total: number, info: string): void;
  log(line: string): void;
  done(): void;
}

export function createProgress(enabled: boolean, write: (s: string) => void = (s) => process.stderr.write(s)): ProgressReporter {
  const tty = enabled && Boolean(process.stderr.isTTY);
  let drawn = false;
  const started = Date.now();
  return {
    update(step, total, info) {
      if (!tty) return;
      const width = 30;
      const filled = Math.round((step / Math.max(1, total)) * width);
      const elapsed = (Date.now() - started) / 1000;
      const eta = step > 0 ? (elapsed / step) * (total - step) : 0;
      write(`\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${step}/${total} ${info} eta ${eta.toFixed(0)}s   `);
      drawn = true;
    },
    log(line) {
      if (drawn) write('\n');
      drawn = false;
      write(line + '\n');
    },
    done() {
      if (drawn) write('\n');
      drawn = false;
    },
  };
}
