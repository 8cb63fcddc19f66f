// `bertrun train | eval | predict` end to end on generated data: a GLUE-layout MNLI directory
// (matched and mismatched dev sets), STS-B-style regression, predictions with labels and
// scores, and data errors reported with file and line before any training.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli/main';
import { BertModel } from '../../lib/models/bert_model';

const WORDS = ['cat', 'dog', 'bird', 'fish', 'red', 'blue', 'green', 'big', 'small', 'runs', 'sleeps', 'eats', 'the', 'a', 'not', 'very'];

function rng(seed: number): (n: number) => number {
  let x = seed;
  return (n) => (x = (x * 1103515245 + 12345) % 2147483648) % n;
}

function sentence(pick: (n: number) => number): string {
  return Array.from({ length: 3 + pick(4) }, () => WORDS[pick(WORDS.length)]).join(' ');
}

let root: string;
let modelDir: string;
let logs: string[];
const realLog = console.log;
const realWarn = console.warn;
const realError = console.error;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-cli-'));
  modelDir = path.join(root, 'tiny-bert');
  const model = BertModel.fromConfig(
    { vocab_size: 5 + WORDS.length, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 48, max_position_embeddings: 64 },
    'base',
    { seed: 1 },
  );
  await model.savePretrained(modelDir);
  fs.writeFileSync(path.join(modelDir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS].join('\n') + '\n');
  fs.writeFileSync(path.join(modelDir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  logs = [];
  console.log = (...a: unknown[]) => void logs.push(a.join(' '));
  console.warn = (...a: unknown[]) => void logs.push(a.join(' '));
  console.error = (...a: unknown[]) => void logs.push(a.join(' '));
});
afterEach(() => {
  console.log = realLog;
  console.warn = realWarn;
  console.error = realError;
});

const COMMON = [
  '--max_seq_length',
  '32',
  '--per_device_train_batch_size',
  '8',
  '--learning_rate',
  '1e-3',
  '--num_train_epochs',
  '1',
  '--disable_tqdm',
  '--logging_steps',
  '5',
  '--save_steps',
  '1000',
];

test('GLUE MNLI layout: trains via --task_name mnli --data_dir and evaluates matched and mismatched', async () => {
  const dataDir = path.join(root, 'MNLI');
  fs.mkdirSync(dataDir);
  const pick = rng(3);
  const labels = ['contradiction', 'entailment', 'neutral'];
  const write = (file: string, n: number) => {
    const rows = ['index\tsentence1\tsentence2\tgold_label'];
    for (let i = 0; i < n; i++) rows.push(`${i}\t${sentence(pick)}\t${sentence(pick)}\t${labels[pick(3)]}`);
    fs.writeFileSync(path.join(dataDir, file), rows.join('\n') + '\n');
  };
  write('train.tsv', 40);
  write('dev_matched.tsv', 12);
  write('dev_mismatched.tsv', 10);
  const out = path.join(root, 'mnli-out');
  const code = await main([
    'train',
    '--model_name_or_path',
    modelDir,
    '--task_name',
    'mnli',
    '--data_dir',
    dataDir,
    '--do_eval',
    '--output_dir',
    out,
    ...COMMON,
  ]);
  expect(logs.join('\n')).not.toMatch(/bertrun train:/);
  expect(code).toBe(0);
  const results = JSON.parse(fs.readFileSync(path.join(out, 'eval_results.json'), 'utf8'));
  expect(Object.keys(results)).toEqual(expect.arrayContaining(['eval_accuracy', 'eval_accuracy_mm', 'eval_loss', 'eval_loss_mm']));
  expect(fs.readFileSync(path.join(out, 'eval_results.txt'), 'utf8')).toMatch(/^eval_loss = [\d.]+$/m);
  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  expect(config.id2label).toEqual({ 0: 'contradiction', 1: 'entailment', 2: 'neutral' });
  for (const f of ['model.safetensors', 'vocab.txt', 'tokenizer_config.json', 'trainer_state.json', 'training_args.json', 'all_results.json']) {
    expect(fs.existsSync(path.join(out, f))).toBe(true);
  }
  // A second run reuses the cached features.
  expect(fs.readdirSync(path.join(dataDir, '.bertrun-cache')).length).toBe(3);
});

test('STS-B-style data trains as regression with Pearson/Spearman; predict writes values', async () => {
  const dir = path.join(root, 'stsb');
  fs.mkdirSync(dir);
  const pick = rng(5);
  const rows = (n: number, labeled: boolean) =>
    [
      labeled ? 'sentence1\tsentence2\tscore' : 'sentence1\tsentence2',
      ...Array.from({ length: n }, () => `${sentence(pick)}\t${sentence(pick)}${labeled ? `\t${(pick(50) / 10).toFixed(1)}` : ''}`),
    ].join('\n') + '\n';
  fs.writeFileSync(path.join(dir, 'train.tsv'), rows(30, true));
  fs.writeFileSync(path.join(dir, 'dev.tsv'), rows(10, true));
  fs.writeFileSync(path.join(dir, 'test.tsv'), rows(5, false));
  const out = path.join(root, 'stsb-out');
  const code = await main([
    'train',
    '--model_name_or_path',
    modelDir,
    '--train_file',
    path.join(dir, 'train.tsv'),
    '--validation_file',
    path.join(dir, 'dev.tsv'),
    '--label_column',
    'score',
    '--problem_type',
    'regression',
    '--do_eval',
    '--do_predict',
    '--test_file',
    path.join(dir, 'test.tsv'),
    '--output_dir',
    out,
    ...COMMON,
  ]);
  expect(code).toBe(0);
  const results = JSON.parse(fs.readFileSync(path.join(out, 'eval_results.json'), 'utf8'));
  expect(Object.keys(results)).toEqual(expect.arrayContaining(['eval_mse', 'eval_pearson', 'eval_spearmanr']));
  expect(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'))).toMatchObject({ num_labels: 1, problem_type: 'regression' });
  const predictions = fs
    .readFileSync(path.join(out, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(predictions).toHaveLength(5);
  expect(typeof predictions[0].prediction).toBe('number');
});

test('classification predict: labels with softmax scores; unknown labels and empty files fail before training with file:line', async () => {
  const dir = path.join(root, 'pairs');
  fs.mkdirSync(dir);
  const pick = rng(9);
  const names = ['positive', 'negtive', 'neutral'];
  const rows = (n: number) => [
    'id\tsentence1\tsentence2\tlabel',
    ...Array.from({ length: n }, (_, i) => `${i}\t${sentence(pick)}\t${sentence(pick)}\t${names[pick(3)]}`),
  ];
  fs.writeFileSync(path.join(dir, 'train.tsv'), rows(24).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'test.tsv'), rows(4).join('\n') + '\n');
  const out = path.join(root, 'pairs-out');
  expect(await main(['train', '--model_name_or_path', modelDir, '--train_file', path.join(dir, 'train.tsv'), '--output_dir', out, ...COMMON])).toBe(0);
  expect(await main(['predict', '--model_name_or_path', out, '--test_file', path.join(dir, 'test.tsv'), '--output_dir', path.join(root, 'pred')])).toBe(0);
  const predictions = fs
    .readFileSync(path.join(root, 'pred', 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(predictions).toHaveLength(4);
  for (const p of predictions) {
    expect(names).toContain(p.label);
    expect(p.score).toBeGreaterThan(1 / 3 - 1e-9);
    expect(p.score).toBeLessThanOrEqual(1);
  }
  expect(
    await main([
      'predict',
      '--model_name_or_path',
      out,
      '--test_file',
      path.join(dir, 'test.tsv'),
      '--output_dir',
      path.join(root, 'pred2'),
      '--max_predict_samples',
      '2',
    ]),
  ).toBe(0);
  const limited = fs
    .readFileSync(path.join(root, 'pred2', 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  // The first two rows only; the scores equal up to float rounding (a smaller last batch).
  expect(limited.map(({ index, line, label }) => ({ index, line, label }))).toEqual(
    predictions.slice(0, 2).map(({ index, line, label }) => ({ index, line, label })),
  );
  limited.forEach((p, i) => expect(Math.abs(p.score - predictions[i].score)).toBeLessThan(1e-6));

  const bad = rows(6);
  bad[4] = bad[4].replace(/\t[a-z]+$/, '\tpostive');
  fs.writeFileSync(path.join(dir, 'dev_bad.tsv'), bad.join('\n') + '\n');
  logs = [];
  expect(
    await main([
      'train',
      '--model_name_or_path',
      modelDir,
      '--train_file',
      path.join(dir, 'train.tsv'),
      '--validation_file',
      path.join(dir, 'dev_bad.tsv'),
      '--do_eval',
      '--output_dir',
      path.join(root, 'bad-out'),
      ...COMMON,
    ]),
  ).toBe(1);
  expect(logs.join('\n')).toMatch(/dev_bad\.tsv:5.*postive/);
  expect(fs.existsSync(path.join(root, 'bad-out', 'model.safetensors'))).toBe(false);

  fs.writeFileSync(path.join(dir, 'empty.tsv'), 'id\tsentence1\tsentence2\tlabel\n');
  logs = [];
  expect(
    await main([
      'train',
      '--model_name_or_path',
      modelDir,
      '--train_file',
      path.join(dir, 'empty.tsv'),
      '--output_dir',
      path.join(root, 'empty-out'),
      ...COMMON,
    ]),
  ).toBe(1);
  expect(logs.join('\n')).toMatch(/empty\.tsv.*(no examples|empty)/i);
});

test('eval without --output_dir writes a new eval-<time>/ directory and keeps the training results; with it, all_results.json is merged', async () => {
  const dir = path.join(root, 'keep-results');
  fs.mkdirSync(dir);
  const pick = rng(13);
  const names = ['positive', 'negtive', 'neutral'];
  const rows = (n: number) =>
    ['id\tsentence1\tsentence2\tlabel', ...Array.from({ length: n }, (_, i) => `${i}\t${sentence(pick)}\t${sentence(pick)}\t${names[pick(3)]}`)].join('\n') +
    '\n';
  fs.writeFileSync(path.join(dir, 'train.tsv'), rows(16));
  fs.writeFileSync(path.join(dir, 'dev.tsv'), rows(8));
  fs.writeFileSync(path.join(dir, 'other_dev.tsv'), rows(5));
  const out = path.join(root, 'keep-results-out');
  expect(
    await main([
      'train',
      '--model_name_or_path',
      modelDir,
      '--train_file',
      path.join(dir, 'train.tsv'),
      '--validation_file',
      path.join(dir, 'dev.tsv'),
      '--do_eval',
      '--output_dir',
      out,
      ...COMMON,
    ]),
  ).toBe(0);
  const before = Object.fromEntries(['eval_results.json', 'eval_results.txt', 'all_results.json'].map((f) => [f, fs.readFileSync(path.join(out, f), 'utf8')]));
  expect(JSON.parse(before['all_results.json'])).toHaveProperty('train_loss');

  logs = [];
  expect(await main(['eval', '--model_name_or_path', out, '--validation_file', path.join(dir, 'other_dev.tsv'), '--max_seq_length', '32'])).toBe(0);
  for (const [f, content] of Object.entries(before)) expect(fs.readFileSync(path.join(out, f), 'utf8')).toBe(content);
  const evalDirs = fs.readdirSync(out).filter((n) => /^eval-\d{8}-\d{6}(-\d+)?$/.test(n));
  expect(evalDirs).toHaveLength(1);
  expect(logs.join('\n')).toContain(`no --output_dir: eval results go to ${path.join(out, evalDirs[0])}`);
  const evalResults = JSON.parse(fs.readFileSync(path.join(out, evalDirs[0], 'eval_results.json'), 'utf8'));
  expect(evalResults.eval_samples_per_second).toBeGreaterThan(0);
  expect(evalResults.eval_accuracy * 5).toBeCloseTo(Math.round(evalResults.eval_accuracy * 5), 6); // 5 rows

  // Evaluating into the training directory on purpose: eval figures replace, training figures stay (HF's combined all_results).
  expect(
    await main(['eval', '--model_name_or_path', out, '--validation_file', path.join(dir, 'other_dev.tsv'), '--max_seq_length', '32', '--output_dir', out]),
  ).toBe(0);
  const merged = JSON.parse(fs.readFileSync(path.join(out, 'all_results.json'), 'utf8'));
  expect(merged.train_loss).toBe(JSON.parse(before['all_results.json']).train_loss);
  expect(merged.eval_accuracy).toBe(evalResults.eval_accuracy);
});

test('--max_line_length caps TSV and CoNLL lines, and an unbalanced CSV quote is an error with file:line, before the model loads', async () => {
  const dir = path.join(root, 'strict-inputs');
  fs.mkdirSync(dir);
  const long = `1\t${'cat '.repeat(60)}\tdog\tpositive`;
  fs.writeFileSync(path.join(dir, 'train.tsv'), ['id\tsentence1\tsentence2\tlabel', '0\tcat\tdog\tneutral', long, '2\tred\tblue\tneutral'].join('\n') + '\n');
  logs = [];
  expect(
    await main([
      'train',
      '--model_name_or_path',
      modelDir,
      '--train_file',
      path.join(dir, 'train.tsv'),
      '--max_line_length',
      '200',
      '--output_dir',
      path.join(dir, 'out1'),
      ...COMMON,
    ]),
  ).toBe(1);
  expect(logs.join('\n')).toMatch(/train\.tsv:3: line is longer than 200 characters[\s\S]*--max_line_length/);
  expect(fs.existsSync(path.join(dir, 'out1'))).toBe(false);

  fs.writeFileSync(path.join(dir, 'train.conll'), `cat B-X\n${'dog '.repeat(80)}O\n\nred O\n`);
  logs = [];
  expect(
    await main([
      'train',
      '--task',
      'token-classification',
      '--model_name_or_path',
      modelDir,
      '--train_file',
      path.join(dir, 'train.conll'),
      '--max_line_length',
      '100',
      '--output_dir',
      path.join(dir, 'out2'),
      ...COMMON,
    ]),
  ).toBe(1);
  expect(logs.join('\n')).toMatch(/train\.conll:2: line is longer than 100 characters/);

  // The quote opened on line 3 is never closed where it should be: Python's strict csv raises, so do we.
  fs.writeFileSync(
    path.join(dir, 'train.csv'),
    'id,sentence1,sentence2,label\n0,cat,dog,neutral\n1,"the cat,dog,positive\n2,red,blue",neutral\n3,big,small,negtive\n',
  );
  logs = [];
  expect(
    await main(['train', '--model_name_or_path', modelDir, '--train_file', path.join(dir, 'train.csv'), '--output_dir', path.join(dir, 'out3'), ...COMMON]),
  ).toBe(1);
  expect(logs.join('\n')).toMatch(/train\.csv:\d+: [\s\S]*(line 3)/);
});

test('a regression model predicts numbers with no flags but the model and the file (problem_type is remembered)', async () => {
  const dir = path.join(root, 'stsb'); // written and trained by the STS-B test above
  const out = path.join(root, 'stsb-out');
  const predictOut = path.join(root, 'stsb-predict');
  expect(await main(['predict', '--model_name_or_path', out, '--test_file', path.join(dir, 'test.tsv'), '--output_dir', predictOut])).toBe(0);
  const read = (d: string) =>
    fs
      .readFileSync(path.join(d, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { prediction?: number; label?: string });
  const again = read(predictOut);
  const during = read(out);
  expect(again.map((p) => typeof p.prediction)).toEqual(during.map(() => 'number'));
  again.forEach((p, i) => expect(Math.abs((p.prediction as number) - (during[i].prediction as number))).toBeLessThan(1e-5));
});
