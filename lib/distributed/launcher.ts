// `bertrun launch`: torchrun's job for one node. Starts nproc_per_node workers with torchrun's
// environment contract, prefixes their output with their rank, and when one fails stops the
// others; with max_restarts it starts them all again (they resume from the latest checkpoint).
// As torchrun, each worker gets an error file (TORCHELASTIC_ERROR_FILE) to leave its error in:
// the failure line quotes it, so a survivor's "rank 1 stopped responding" names the hung rank.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as readline from 'readline';
import { readTorchrunErrorFile } from './torchrun_error_file';

export interface LaunchOptions {
  nprocPerNode: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
  maxRestarts: number;
  runId: string;
  /** The worker's program and its arguments. */
  command: string[];
  /** Base environment of the workers (default: this process's). */
  env?: Record<string, string | undefined>;
  /** Seconds a worker may take to exit after SIGTERM before SIGKILL. */
  stopGraceSeconds?: number;
  /** Where prefixed worker output and launcher messages go (default: this process's streams). */
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export interface WorkerFailure {
  rank: number;
  localRank: number;
  pid: number;
  /** "exit code 3" or "signal SIGKILL" */
  reason: string;
  /** What the worker left in its error file, if anything. */
  message?: string;
}

/**
 * torchrun's variables for one worker. OMP_NUM_THREADS splits the cores when the caller did not
 * set it; errorFile becomes TORCHELASTIC_ERROR_FILE.
 */
export function workerEnvironment(o: LaunchOptions, localRank: number, restartCount: number, errorFile?: string): Record<string, string> {
  const base = o.env ?? process.env;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined) env[k] = v;
  const worldSize = o.nnodes * o.nprocPerNode;
  Object.assign(env, {
    RANK: String(o.nodeRank * o.nprocPerNode + localRank),
    LOCAL_RANK: String(localRank),
    WORLD_SIZE: String(worldSize),
    LOCAL_WORLD_SIZE: String(o.nprocPerNode),
    GROUP_RANK: String(o.nodeRank),
    GROUP_WORLD_SIZE: String(o.nnodes),
    ROLE_RANK: String(o.nodeRank * o.nprocPerNode + localRank),
    ROLE_WORLD_SIZE: String(worldSize),
    ROLE_NAME: 'default',
    MASTER_ADDR: o.masterAddr,
    MASTER_PORT: String(o.masterPort),
    TORCHELASTIC_RESTART_COUNT: String(restartCount),
    TORCHELASTIC_MAX_RESTARTS: String(o.maxRestarts),
    TORCHELASTIC_RUN_ID: o.runId,
    // Workers host the rendezvous store themselves (rank 0), unlike torchrun's agent.
    TORCHELASTIC_USE_AGENT_STORE: 'False',
  });
  if (errorFile !== undefined) env.TORCHELASTIC_ERROR_FILE = errorFile;
  if (base.OMP_NUM_THREADS === undefined || base.OMP_NUM_THREADS === '') {
    env.OMP_NUM_THREADS = String(Math.max(1, Math.floor(os.availableParallelism() / o.nprocPerNode)));
  }
  return env;
}

/** Runs the workers to completion; resolves with the launcher's exit code (0 when all succeeded). */
export async function launch(o: LaunchOptions): Promise<number> {
  const out = o.out ?? ((line: string) => process.stdout.write(line + '\n'));
  const err = o.err ?? ((line: string) => process.stderr.write(line + '\n'));
  let interrupted: NodeJS.Signals | undefined;
  let current: ChildProcess[] = [];
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted = signal;
    for (const child of current) if (child.exitCode === null && child.signalCode === null) terminate(child);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const errorFiles = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-launch-'));
  try {
    for (let attempt = 0; ; attempt++) {
      const failure = await runAttempt(o, attempt, errorFiles, out, err, (children) => (current = children));
      if (interrupted) {
        err(`bertrun launch: interrupted by ${interrupted}; workers stopped`);
        return 130;
      }
      if (!failure) return 0;
      err(
        `bertrun launch: worker rank ${failure.rank} (local rank ${failure.localRank}, pid ${failure.pid}) failed with ${failure.reason} (the other workers were stopped)${failure.message ? `: ${failure.message}` : ''}`,
      );
      if (attempt >= o.maxRestarts) {
        if (o.maxRestarts > 0) err(`bertrun launch: giving up after ${o.maxRestarts} restart(s)`);
        return 1;
      }
      err(`bertrun launch: restarting all ${o.nprocPerNode} worker(s) (restart ${attempt + 1} of ${o.maxRestarts}); they resume from the latest checkpoint`);
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    fs.rmSync(errorFiles, { recursive: true, force: true });
  }
}

/**
 * SIGTERM, then SIGCONT: a stopped worker (SIGSTOP, Ctrl-Z; the usual reason a survivor reports a
 * hung rank) only acts on SIGTERM once it runs again, and would otherwise wait for the SIGKILL.
 */
function terminate(child: ChildProcess): void {
  child.kill('SIGTERM');
  child.kill('SIGCONT');
}

// One attempt: start every local worker, wait for all; the first failure stops the rest.
function runAttempt(
  o: LaunchOptions,
  attempt: number,
  errorFiles: string,
  out: (l: string) => void,
  err: (l: string) => void,
  track: (c: ChildProcess[]) => void,
): Promise<WorkerFailure | undefined> {
  return new Promise((resolve) => {
    let failure: WorkerFailure | undefined;
    let running = o.nprocPerNode;
    const killTimers: NodeJS.Timeout[] = [];
    const children: ChildProcess[] = [];
    const stopOthers = () => {
      for (const child of children) {
        if (child.exitCode !== null || child.signalCode !== null) continue;
        terminate(child);
        const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'), (o.stopGraceSeconds ?? 10) * 1000);
        killTimers.push(timer);
      }
    };
    for (let localRank = 0; localRank < o.nprocPerNode; localRank++) {
      const rank = o.nodeRank * o.nprocPerNode + localRank;
      // torchrun's layout: <dir>/attempt_<n>/<local rank>/error.json, fresh for every attempt.
      const errorFile = path.join(errorFiles, `attempt_${attempt}`, String(localRank), 'error.json');
      fs.mkdirSync(path.dirname(errorFile), { recursive: true });
      const child = spawn(o.command[0], o.command.slice(1), { env: workerEnvironment(o, localRank, attempt, errorFile), stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      const prefix = `[rank${rank}]: `;
      readline.createInterface({ input: child.stdout! }).on('line', (line) => out(prefix + line));
      readline.createInterface({ input: child.stderr! }).on('line', (line) => err(prefix + line));
      err(`bertrun launch: started worker rank ${rank} (local rank ${localRank}, pid ${child.pid ?? '?'})`);
      child.on('error', (e) => {
        // spawn itself failed (command not found): counts as this worker's failure.
        if (!failure) failure = { rank, localRank, pid: -1, reason: `a start error: ${e.message}` };
      });
      child.on('close', (code, signal) => {
        if ((code !== 0 || signal) && !failure) {
          failure = { rank, localRank, pid: child.pid ?? -1, reason: signal ? `signal ${signal}` : `exit code ${code}` };
          const message = readTorchrunErrorFile(errorFile);
          if (message !== undefined) failure.message = message;
          stopOthers();
        }
        if (--running === 0) {
          killTimers.forEach(clearTimeout);
          resolve(failure);
        }
      });
    }
    track(children);
  });
}
