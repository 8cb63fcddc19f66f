import { execFileSync } from 'child_process';
import * as path from 'path';
import { pythonPath } from './python';

/** Runs test/helpers/<script> with the venv's Python, offline (no hub access), and returns stdout. */
export function runPythonScript(script: string, args: readonly string[]): string {
  return execFileSync(pythonPath(), [path.join(__dirname, script), ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TQDM_DISABLE: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
}
