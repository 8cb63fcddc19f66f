// kill -9 at random moments and during checkpoint saves, restarting with the same command line
// (--resume_from_checkpoint latest) each time: the final weights and logged losses equal those of
// an uninterrupted run, and nothing temporary is left behind (scripts/kill-loop.js; the closing
// figures for 20+ kills come from `node scripts/kill-loop.js --kills 25`).
import { execFileSync } from 'child_process';
import * as path from 'path';

test('8 SIGKILLs, half of them while a checkpoint is written or deleted, end bit-identical to an uninterrupted run', () => {
  const script = path.join(__dirname, '..', '..', 'scripts', 'kill-loop.js');
  const out = execFileSync(process.execPath, [script, '--kills', '8', '--seed', '3', '--json'], { encoding: 'utf8', timeout: 240_000 });
  const summary = JSON.parse(out.trim().split('\n').pop() as string) as Record<string, unknown>;
  expect(summary.kills).toBe(8);
  expect(summary.killsDuringSave).toBeGreaterThanOrEqual(1);
  expect(summary.resumed).toBeGreaterThanOrEqual(1);
  expect(summary.maxAbsDiff).toBe(0);
  expect(summary.sameLosses).toBe(true);
  expect(summary.leftovers).toEqual([]);
}, 300_000);
