import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const REPO_ROOT = path.resolve(__dirname, '../..');

/** BERTRUN_PYTHON, else the repository's .venv (created by scripts/setup.sh), else python3. */
export function pythonPath(): string {
  const fromEnv = process.env.BERTRUN_PYTHON;
  if (fromEnv) return fromEnv;
  const candidates = [path.join(REPO_ROOT, '.venv', 'bin', 'python'), path.join(REPO_ROOT, '.venv', 'Scripts', 'python.exe')];
  return candidates.find((p) => fs.existsSync(p)) ?? 'python3';
}

/** Runs `python -c code args...` and returns its stdout; throws with stderr when it fails. */
export function runPython(code: string, args: readonly string[] = []): string {
  const python = pythonPath();
  try {
    return execFileSync(python, ['-c', code, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 512 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string; status?: number | null };
    if (e.code === 'ENOENT') {
      throw new Error(
        `Python not found at ${python}. These tests compare against PyTorch/safetensors in Python: ` +
          'run `npm run setup` (it creates .venv with torch and safetensors) or set BERTRUN_PYTHON.',
        { cause: err },
      );
    }
    const stderr = typeof e.stderr === 'string' ? e.stderr.trim() : '';
    const hint = /ModuleNotFoundError/.test(stderr)
      ? '\nA Python module is missing: run `npm run setup` (it installs torch and safetensors into .venv) or point BERTRUN_PYTHON at a Python that has them.'
      : '';
    throw new Error(`${python} exited with status ${e.status ?? 'unknown'}:\n${stderr}${hint}`, { cause: err });
  }
}
