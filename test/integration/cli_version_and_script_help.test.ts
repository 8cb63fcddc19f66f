// `bertrun --version`, and `--help` on the benchmark and crash-test scripts prints their usage
// instead of running them.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { main } from '../../lib/cli/main';

const ROOT = path.join(__dirname, '..', '..');

test('bertrun --version prints the package version', async () => {
  const printed: string[] = [];
  const log = console.log;
  console.log = (...a: unknown[]) => void printed.push(a.join(' '));
  try {
    expect(await main(['--version'])).toBe(0);
  } finally {
    console.log = log;
  }
  expect(printed).toEqual([JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version]);
});

test.each(['bench-train.js', 'bench-data.js', 'bench-ddp.js', 'bench-vs-hf.js', 'kill-loop.js'])('scripts/%s --help prints its usage and exits', (script) => {
  const started = Date.now();
  const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts', script), '--help'], { encoding: 'utf8', timeout: 20_000 });
  expect(out).toContain(`node scripts/${script}`);
  expect(out).not.toMatch(/^\/\//m);
  expect(Date.now() - started).toBeLessThan(15_000);
});

test('scripts/find-minilm.js prints the directory of the demo model (a Hugging Face model directory)', () => {
  const dir = execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'find-minilm.js')], { encoding: 'utf8' }).trim();
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'))).toMatchObject({ num_hidden_layers: 6, hidden_size: 384 });
  expect(fs.existsSync(path.join(dir, 'vocab.txt')) || fs.existsSync(path.join(dir, 'tokenizer.json'))).toBe(true);
});
