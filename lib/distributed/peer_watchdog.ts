// The watchdog of a rank that waits in a collective. A peer that stopped (SIGSTOP, Ctrl-Z, a
// debugger, a frozen node) neither fails nor finishes the collective: the survivors would sit in
// it for --ddp_timeout (default 30 minutes) and the launcher would hear nothing. Every second
// this asks the native group whether this rank waits while a peer has not beaten (or the store
// host has not answered) for the limit; then the worker says so on stderr and in torchrun's
// error file and exits, and the launcher stops the job or restarts it.
import * as fs from 'fs';
import { performance } from 'perf_hooks';
import type { NativeProcessGroup } from '../native';
import { writeTorchrunErrorFile } from './torchrun_error_file';

/** --ddp_heartbeat_timeout's default: a stopped worker stops the job within about half a minute. */
export const DEFAULT_HEARTBEAT_TIMEOUT_SECONDS = 30;
/** A shorter limit could mistake a scheduling hiccup of the heartbeat thread for a hung worker. */
const MIN_HEARTBEAT_TIMEOUT_SECONDS = 10;
const CHECK_INTERVAL_MS = 1000;
/** A check this late means this process itself was paused or its event loop blocked: skip one. */
const LATE_CHECK_MS = 3000;

/** What is wrong with a heartbeat timeout (seconds; 0 turns the watchdog off), or undefined. */
export function heartbeatTimeoutProblem(seconds: number): string | undefined {
  if (typeof seconds === 'number' && (seconds === 0 || (Number.isFinite(seconds) && seconds >= MIN_HEARTBEAT_TIMEOUT_SECONDS))) return undefined;
  return `must be 0 (no watchdog) or a number of seconds >= ${MIN_HEARTBEAT_TIMEOUT_SECONDS}, got ${String(seconds)}`;
}

export interface PeerWatchdog {
  stop(): void;
}

/**
 * Starts checking `group` every second (the timer does not keep the process alive); calls
 * `onUnresponsive` once with the native message naming the silent rank. Undefined when
 * `timeoutSeconds` is 0.
 */
export function watchPeers(
  group: Pick<NativeProcessGroup, 'unresponsivePeers'>,
  timeoutSeconds: number,
  onUnresponsive: (message: string) => void = exitReportingUnresponsivePeer,
): PeerWatchdog | undefined {
  const problem = heartbeatTimeoutProblem(timeoutSeconds);
  if (problem) throw new Error(`ddp_heartbeat_timeout ${problem}`);
  if (timeoutSeconds === 0) return undefined;
  let previous = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - previous > CHECK_INTERVAL_MS + LATE_CHECK_MS;
    previous = now;
    // After a pause of this process the heartbeat thread needs a round to see the peers again.
    if (late) return;
    let message: string | null;
    try {
      message = group.unresponsivePeers(timeoutSeconds * 1000);
    } catch (e) {
      clearInterval(timer);
      process.stderr.write(`bertrun: the DDP heartbeat watchdog stopped: ${(e as Error).message}\n`);
      return;
    }
    if (message === null) return;
    clearInterval(timer);
    onUnresponsive(message);
  }, CHECK_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}

/**
 * The default reaction: the message on stderr and in torchrun's error file (which the launcher
 * prints), then exit 1 at once. This rank's compute thread stays blocked in the collective;
 * process.exit does not wait for it.
 */
export function exitReportingUnresponsivePeer(message: string): void {
  try {
    fs.writeSync(process.stderr.fd, `bertrun: ${message}\n`);
  } catch {
    // stderr closed: the error file still carries the message
  }
  writeTorchrunErrorFile(message);
  process.exit(1);
}
