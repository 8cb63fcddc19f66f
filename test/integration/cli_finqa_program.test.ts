// `bertrun train | eval | predict --task finqa-program` on the FinQA sample of examples/finqa:
// all-MiniLM-L6-v2 with two heads (concat program, op keys) learns the program classes (held-out
// accuracy far above the majority class), reports op-key F1 and execution accuracy, saves a model
// whose config names its heads; invalid programs are reported with their entries; an empty or
// all-invalid file stops before training, naming the file.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli/main';
import { readSafetensors } from '../../lib/io/safetensors';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findMiniLM } = require('../../scripts/find-minilm.js') as { findMiniLM: () => string };

const SAMPLE = path.resolve(__dirname, '../../examples/finqa');
const TRAIN = path.join(SAMPLE, 'train.json');
const DEV = path.join(SAMPLE, 'dev.json');
const TEST = path.join(SAMPLE, 'test.json');

let root: string;
let logs: string[];
const real = { log: console.log, warn: console.warn, error: console.error };
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-finqa-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  logs = [];
  console.log = console.warn = console.error = (...a: unknown[]) => void logs.push(a.join(' '));
});
afterEach(() => Object.assign(console, real));

const COMMON = ['--task', 'finqa-program', '--max_seq_length', '128', '--disable_tqdm', '--save_strategy', 'no', '--seed', '3'];
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

/** The share of the most frequent concat program among the dev programs, counted from the raw file (op names by regex). */
function majorityShare(file: string): number {
  const counts = new Map<string, number>();
  let n = 0;
  for (const entry of readJson(file) as Array<{ qa: { program: string } }>) {
    const ops = [...entry.qa.program.matchAll(/([a-z_]+)\(/g)].map((m, i) => `${m[1]}${i}`);
    const key = ops.join('_');
    counts.set(key, (counts.get(key) ?? 0) + 1);
    n++;
  }
  return Math.max(...counts.values()) / n;
}

test('trains on the sample: program accuracy far above the majority class; eval of the saved model agrees; predict writes programs', async () => {
  const out = path.join(root, 'trained');
  const code = await main([
    'train',
    ...COMMON,
    '--model_name_or_path',
    findMiniLM(),
    '--train_file',
    TRAIN,
    '--validation_file',
    DEV,
    '--do_eval',
    '--output_dir',
    out,
    '--per_device_train_batch_size',
    '16',
    '--learning_rate',
    '2e-4',
    '--num_train_epochs',
    '5',
    '--logging_steps',
    '25',
  ]);
  expect(code).toBe(0);
  // The sample's invalid train programs are reported with their entries and left out.
  const warning = logs.find((l) => l.includes(`${TRAIN}: 3 entries with an invalid program left out`));
  expect(warning).toMatch(/entry 17 .*unknown-op; entry 88 .*bad-step-ref; entry 203 .*unbalanced/);

  const results = readJson(path.join(out, 'all_results.json'));
  const majority = majorityShare(DEV);
  expect(majority).toBeGreaterThan(0.1);
  expect(results.eval_program_accuracy).toBeGreaterThanOrEqual(Math.min(0.95, majority + 0.5));
  expect(results.eval_ops_f1).toBeGreaterThan(0.5);
  expect(results.eval_execution_accuracy).toBeGreaterThan(majority + 0.3);
  // The dev file's broken program counts as a wrong answer (FinQA divides by every entry).
  expect(results.eval_invalid_programs).toBe(1);
  expect(results.eval_program_accuracy).toBeLessThanOrEqual(59 / 60);
  expect(results.eval_execution_accuracy).toBeLessThanOrEqual(59 / 60);

  const config = readJson(path.join(out, 'config.json'));
  expect(config.bertrun_heads.map((h: { name: string; type: string }) => `${h.name}:${h.type}`)).toEqual(['program:classification', 'ops:multi-label']);
  expect(config.bertrun_heads[0].labels).toContain('subtract0_divide1');
  const names = readSafetensors(path.join(out, 'model.safetensors')).tensors.map((t) => t.name);
  expect(names).toEqual(expect.arrayContaining(['heads.program.weight', 'heads.program.bias', 'heads.ops.weight', 'heads.ops.bias']));

  logs = [];
  const evalDir = path.join(root, 'eval');
  expect(await main(['eval', '--model_name_or_path', out, '--validation_file', DEV, '--output_dir', evalDir, '--disable_tqdm'])).toBe(0);
  const again = readJson(path.join(evalDir, 'all_results.json'));
  expect(again.eval_program_accuracy).toBeCloseTo(results.eval_program_accuracy, 10);
  expect(again.eval_ops_f1).toBeCloseTo(results.eval_ops_f1, 10);

  const predictDir = path.join(root, 'predict');
  expect(await main(['predict', '--model_name_or_path', out, '--test_file', TEST, '--output_dir', predictDir, '--disable_tqdm'])).toBe(0);
  const lines = fs
    .readFileSync(path.join(predictDir, 'predict_programs.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines).toHaveLength(60); // every entry, its own program (one is broken) not read
  expect(lines.map((l) => l.id)).toEqual((readJson(TEST) as Array<{ id: string }>).map((e) => e.id));
  expect(new Set(config.bertrun_heads[0].labels).size).toBe(config.bertrun_heads[0].labels.length);
  for (const line of lines) expect(config.bertrun_heads[0].labels).toContain(line.program);

  // Questions only (FinQA's private_test.json): no program, gold_inds or exe_ans.
  const questions = (readJson(TEST) as Array<{ id: string; qa: Record<string, unknown> }>).slice(0, 4).map((e) => ({ ...e, qa: { question: e.qa.question } }));
  const unlabelled = path.join(root, 'questions.json');
  fs.writeFileSync(unlabelled, JSON.stringify(questions));
  const questionsDir = path.join(root, 'predict-questions');
  expect(await main(['predict', '--model_name_or_path', out, '--test_file', unlabelled, '--output_dir', questionsDir, '--disable_tqdm'])).toBe(0);
  const answered = fs
    .readFileSync(path.join(questionsDir, 'predict_programs.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(answered.map((l) => l.id)).toEqual(questions.map((q) => q.id));
  for (const line of answered) expect(config.bertrun_heads[0].labels).toContain(line.program);
}, 180_000);

test('an empty file and a file of invalid programs stop before training, naming the file', async () => {
  const empty = path.join(root, 'empty.json');
  fs.writeFileSync(empty, '[]');
  const args = (train: string) => ['train', ...COMMON, '--model_name_or_path', findMiniLM(), '--train_file', train, '--output_dir', path.join(root, 'never')];
  expect(await main(args(empty))).toBe(1);
  expect(logs.join('\n')).toContain(`${empty}: no FinQA entries found`);

  const entries = (readJson(TRAIN) as Array<{ qa: { program: string } }>).slice(0, 3).map((e) => ({ ...e, qa: { ...e.qa, program: 'percent(1, 2)' } }));
  const invalid = path.join(root, 'invalid.json');
  fs.writeFileSync(invalid, JSON.stringify(entries));
  logs = [];
  expect(await main(args(invalid))).toBe(1);
  expect(logs.join('\n')).toMatch(
    new RegExp(`${invalid.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: no usable FinQA entry: 3 entries, 3 with an invalid program`),
  );
  expect(fs.existsSync(path.join(root, 'never'))).toBe(false);
});

test('--invalid_programs refuse stops at the first invalid program, naming entry, id and line', async () => {
  const code = await main([
    'train',
    ...COMMON,
    '--model_name_or_path',
    findMiniLM(),
    '--train_file',
    TRAIN,
    '--invalid_programs',
    'refuse',
    '--output_dir',
    path.join(root, 'refused'),
  ]);
  expect(code).toBe(1);
  expect(logs.join('\n')).toMatch(/train\.json:1096: entry 17 \(id "HUM\/2020\/page_46\.pdf-2"\): qa\.program: .*unknown op "percent_change"/);
});
