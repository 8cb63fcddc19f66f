// torchrun's error file: the launcher names a file per worker (TORCHELASTIC_ERROR_FILE); a
// worker that fails leaves its message there, and the launcher prints it in its failure summary.
// The format is torch.distributed.elastic's (errors/error_handler.py).
import * as fs from 'fs';

/** Leaves `message` where the launcher looks for this worker's error; nothing when none asked. */
export function writeTorchrunErrorFile(message: string, env: Record<string, string | undefined> = process.env): void {
  const file = env.TORCHELASTIC_ERROR_FILE;
  if (!file) return;
  try {
    const error = { message: { message, extraInfo: { py_callstack: message, timestamp: String(Math.floor(Date.now() / 1000)) } } };
    fs.writeFileSync(file, JSON.stringify(error));
  } catch {
    // the summary then lacks the message; the worker's stderr still has it
  }
}

/** The message a worker left in `file` (either of torchrun's two layouts), or undefined. */
export function readTorchrunErrorFile(file: string): string | undefined {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined; // none written (killed, or it failed before it could), or unreadable
  }
  const message = (data as { message?: unknown } | null)?.message;
  if (typeof message === 'string') return message;
  const nested = (message as { message?: unknown } | null | undefined)?.message;
  return typeof nested === 'string' ? nested : undefined;
}
