// What an interrupted run leaves in its output directory, and how it is put right at the next
// start: half-written checkpoints (`checkpoint-N.tmp-PID`), checkpoints being deleted
// (`checkpoint-N.deleting-PID`), a checkpoint moved aside while being replaced
// (`checkpoint-N.old-PID`, restored when its replacement never arrived), and atomic-write temp
// files. Deleting a checkpoint first renames it aside, so a kill mid-delete never leaves a
// partial directory under a name that looks like a checkpoint.
import * as fs from 'fs';
import * as path from 'path';

const CHECKPOINT_NAME = /^checkpoint-\d+$/;
const PARTIAL_CHECKPOINT = /^(checkpoint-\d+)\.(tmp|deleting|old)-\d+$/;
/** lib/io/atomic_write's temp files: `.<name>.<pid>.<12 hex>.tmp`. */
const ATOMIC_TEMP = /^\..+\.(\d+)\.[0-9a-f]{12}\.tmp$/;

export interface LeftoverReport {
  removed: string[];
  restored: string[];
  bytes: number;
}

/** Cleans `outputDir` of an interrupted run's leftovers (the caller is the only writer there). */
export function removeLeftovers(outputDir: string): LeftoverReport {
  const report: LeftoverReport = { removed: [], restored: [], bytes: 0 };
  if (!fs.existsSync(outputDir)) return report;
  for (const name of fs.readdirSync(outputDir).sort()) {
    const full = path.join(outputDir, name);
    const partial = PARTIAL_CHECKPOINT.exec(name);
    if (partial) {
      const final = path.join(outputDir, partial[1]);
      if (partial[2] === 'old' && !fs.existsSync(final)) {
        // Killed between moving the complete old checkpoint aside and renaming its replacement in.
        fs.renameSync(full, final);
        report.restored.push(partial[1]);
        continue;
      }
      report.bytes += sizeOf(full);
      fs.rmSync(full, { recursive: true, force: true });
      report.removed.push(name);
      continue;
    }
    const temp = ATOMIC_TEMP.exec(name);
    if (temp && !isRunning(Number(temp[1]))) {
      report.bytes += sizeOf(full);
      fs.rmSync(full, { force: true });
      report.removed.push(name);
    }
  }
  return report;
}

/** Deletes a checkpoint directory: renamed aside first (atomic), then removed. */
export function deleteCheckpoint(dir: string): void {
  const aside = `${dir}.deleting-${process.pid}`;
  fs.renameSync(dir, aside);
  fs.rmSync(aside, { recursive: true, force: true });
}

/**
 * `--overwrite_output_dir`: the previous run's checkpoints go, so a later
 * `--resume_from_checkpoint latest` can only find this run's. Returns their names.
 */
export function removePreviousCheckpoints(outputDir: string): string[] {
  if (!fs.existsSync(outputDir)) return [];
  const names = fs.readdirSync(outputDir).filter((n) => CHECKPOINT_NAME.test(n) && fs.statSync(path.join(outputDir, n)).isDirectory());
  // Every one is moved aside before any is deleted: a kill part-way leaves only `.deleting` names.
  const aside = names.map((n) => {
    const from = path.join(outputDir, n);
    const to = `${from}.deleting-${process.pid}`;
    fs.renameSync(from, to);
    return to;
  });
  for (const dir of aside) fs.rmSync(dir, { recursive: true, force: true });
  return names.sort();
}

export function describeLeftovers(report: LeftoverReport): string | undefined {
  const parts: string[] = [];
  if (report.removed.length > 0) {
    parts.push(
      `removed ${report.removed.length} temporary file(s)/directories left by an interrupted run (${(report.bytes / 1e6).toFixed(1)} MB): ${report.removed.join(', ')}`,
    );
  }
  if (report.restored.length > 0) parts.push(`restored ${report.restored.join(', ')} (its replacement was never completed)`);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function isRunning(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sizeOf(p: string): number {
  const stat = fs.lstatSync(p);
  if (!stat.isDirectory()) return stat.size;
  return fs.readdirSync(p).reduce((sum, name) => sum + sizeOf(path.join(p, name)), 0);
}
