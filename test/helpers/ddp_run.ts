// Running the compiled CLI as separate processes, as DDP workers and launchers are: a tiny
// model and a learnable sentence task, free ports, and weight comparison between run outputs.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BertModel } from '../../lib/models/bert_model';
import { readSafetensors } from '../../lib/io/safetensors';
import { SeededRandom } from '../../lib/data/loader/seeded_random';
export { freePort } from '../../lib/distributed/free_port';

export const CLI = path.join(__dirname, '..', '..', 'dist', 'lib', 'cli', 'main.js');
const WORDS = ['cat', 'dog', 'bird', 'fish', 'red', 'blue', 'green', 'big', 'small', 'runs', 'sleeps', 'eats', 'the', 'a', 'not', 'very'];

export function requireCompiledCli(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run setup\` (it compiles the TypeScript) before these tests`);
}

/** A 2-layer BERT without dropout (so runs with differently split batches can agree exactly). */
export async function writeTinyModel(dir: string, overrides: Record<string, number> = {}): Promise<void> {
  const model = BertModel.fromConfig(
    {
      vocab_size: 5 + WORDS.length,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 48,
      max_position_embeddings: 64,
      hidden_dropout_prob: 0,
      attention_probs_dropout_prob: 0,
      ...overrides,
    },
    'base',
    { seed: 1 },
  );
  await model.savePretrained(dir);
  fs.writeFileSync(path.join(dir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS].join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
}

/** Sentences of 2..9 words, labelled yes when they contain "cat". */
export function writeSentenceTask(file: string, rows: number, seed: number): void {
  const random = new SeededRandom(seed);
  const lines = ['sentence\tlabel'];
  for (let i = 0; i < rows; i++) {
    const words = Array.from({ length: 2 + random.below(8) }, () => WORDS[random.below(WORDS.length)]);
    lines.push(`${words.join(' ')}\t${words.includes('cat') ? 'yes' : 'no'}`);
  }
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

export interface Started {
  child: ChildProcess;
  /** Everything printed so far (stdout and stderr interleaved). */
  output: () => string;
  done: Promise<Finished>;
}

/** Starts `node <compiled cli> ...args` with extra environment variables. */
export function startCli(args: readonly string[], env: Record<string, string> = {}): Started {
  return startProcess(process.execPath, [CLI, ...args], env);
}

export function startProcess(program: string, args: readonly string[], env: Record<string, string> = {}): Started {
  // A clean distributed environment: only what the test passes.
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(RANK|LOCAL_RANK|WORLD_SIZE|LOCAL_WORLD_SIZE|GROUP_RANK|MASTER_ADDR|MASTER_PORT|TORCHELASTIC_.*)$/.test(k)),
  );
  const child = spawn(program, [...args], { env: { ...base, BERTRUN_NUM_THREADS: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  const done = new Promise<Finished>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, output: text })));
  return { child, output: () => text, done };
}

/** torchrun's variables for worker `rank` of 2 on one node, for workers started without a launcher. */
export function twoWorkerEnv(rank: number, port: string): Record<string, string> {
  return { RANK: String(rank), LOCAL_RANK: String(rank), WORLD_SIZE: '2', LOCAL_WORLD_SIZE: '2', MASTER_ADDR: '127.0.0.1', MASTER_PORT: port };
}

export async function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<Finished> {
  return startCli(args, env).done;
}

/** Largest absolute difference between the weights two output directories hold. */
export function maxWeightDifference(dirA: string, dirB: string): number {
  const a = readSafetensors(path.join(dirA, 'model.safetensors')).tensors;
  const b = new Map(readSafetensors(path.join(dirB, 'model.safetensors')).tensors.map((t) => [t.name, t]));
  expect(a.length).toBe(b.size);
  let max = 0;
  for (const t of a) {
    const other = b.get(t.name);
    if (!other) throw new Error(`${dirB} has no tensor ${t.name}`);
    for (let i = 0; i < t.data.length; i++) max = Math.max(max, Math.abs(Number(t.data[i]) - Number(other.data[i])));
  }
  return max;
}

/** Resolves when `predicate` holds (polled), or rejects after `seconds`. */
export async function waitFor(predicate: () => boolean, seconds: number, what: string): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
