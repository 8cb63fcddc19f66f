// `bertrun train | eval | predict --task question-answering` end to end on generated SQuAD files
// whose contexts span several windows: a tiny BERT trained from scratch must find the answers
// (v1.1: dev F1 >= 80), v2.0 reports HasAns/NoAns figures, and `bertrun eval` on the saved model
// reproduces the end-of-training scores.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli/main';
import { BertModel } from '../../lib/models/bert_model';
import { SeededRandom } from '../../lib/data/loader/seeded_random';
import { readSquad } from '../../lib/data/question_answering/squad_reader';
import { buildQaFeatures } from '../../lib/data/question_answering/qa_features';
import { BertTokenizer } from '../../lib/tokenization/bert_tokenizer';

const FILLER = [
  'the',
  'a',
  'on',
  'and',
  'then',
  'later',
  'people',
  'walked',
  'over',
  'hill',
  'road',
  'sun',
  'rain',
  'day',
  'night',
  'town',
  'market',
  'saw',
  'was',
  'there',
  'near',
  'old',
  'new',
  'house',
  'river',
  'bridge',
  'window',
  'door',
];
const COLORS = ['red', 'blue', 'green', 'yellow', 'purple', 'orange', 'black', 'white'];
const ANIMALS = ['cat', 'dog', 'horse', 'goat', 'duck', 'mouse', 'lion', 'bear'];
const QUESTION = ['which', 'what', 'color', 'animal', 'is', 'mentioned', '?', '.'];
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...FILLER, ...COLORS, ...ANIMALS, ...QUESTION];

interface Qa {
  id: string;
  question: string;
  answers: Array<{ text: string; answer_start: number }>;
  is_impossible?: boolean;
}

// Each context of ~120 filler words hides one color or one animal (v2: sometimes neither), which
// its question asks for; the answer is often far from the first window. Two phrasings per kind.
function squadFile(count: number, seed: number, version2: boolean): unknown {
  const random = new SeededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[random.below(xs.length)];
  const paragraphs = Array.from({ length: count }, (_, i) => {
    const words = Array.from({ length: 100 + random.below(40) }, () => pick(FILLER));
    const kind = i % 2 === 0 ? 'color' : 'animal';
    const impossible = version2 && i % 6 < 2;
    const qa: Qa = { id: `q${i}`, question: `${pick(['which', 'what'])} ${kind} is mentioned ?`, answers: [] };
    if (impossible) {
      qa.is_impossible = true;
    } else {
      const answer = pick(kind === 'color' ? COLORS : ANIMALS);
      const at = random.below(words.length + 1);
      words.splice(at, 0, answer);
      qa.answers.push({ text: answer, answer_start: words.slice(0, at).join(' ').length + (at > 0 ? 1 : 0) });
      if (version2) qa.is_impossible = false;
    }
    return { context: words.join(' '), qas: [qa] };
  });
  return { version: version2 ? 'v2.0' : '1.1', data: [{ title: 'generated', paragraphs }] };
}

let root: string;
let modelDir: string;
let logs: string[];
const real = { log: console.log, warn: console.warn, error: console.error };

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-qa-cli-'));
  modelDir = path.join(root, 'tiny-bert');
  const model = BertModel.fromConfig(
    {
      vocab_size: VOCAB.length,
      hidden_size: 64,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      intermediate_size: 128,
      max_position_embeddings: 64,
      hidden_dropout_prob: 0,
      attention_probs_dropout_prob: 0,
    },
    'base',
    { seed: 1 },
  );
  await model.savePretrained(modelDir);
  fs.writeFileSync(path.join(modelDir, 'vocab.txt'), VOCAB.join('\n') + '\n');
  fs.writeFileSync(path.join(modelDir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
  for (const [name, n, seed, v2] of [
    ['train-v1.json', 600, 1, false],
    ['dev-v1.json', 60, 2, false],
    ['train-v2.json', 600, 3, true],
    ['dev-v2.json', 60, 4, true],
  ] as const) {
    fs.writeFileSync(path.join(root, name), JSON.stringify(squadFile(n, seed, v2)));
  }
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  logs = [];
  console.log = console.warn = console.error = (...a: unknown[]) => void logs.push(a.join(' '));
});
afterEach(() => Object.assign(console, real));

const COMMON = [
  '--task',
  'question-answering',
  '--max_seq_length',
  '64',
  '--doc_stride',
  '16',
  '--max_query_length',
  '8',
  '--per_device_train_batch_size',
  '32',
  '--per_device_eval_batch_size',
  '64',
  '--learning_rate',
  '2e-3',
  '--warmup_ratio',
  '0.1',
  '--num_train_epochs',
  '4',
  '--disable_tqdm',
  '--logging_steps',
  '50',
  '--save_strategy',
  'no',
  '--seed',
  '7',
];

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

test('SQuAD v1.1: trains from scratch to dev F1 >= 80 on multi-window contexts; eval of the saved model gives the same scores', async () => {
  const out = path.join(root, 'v1-out');
  const code = await main([
    'train',
    '--model_name_or_path',
    modelDir,
    '--train_file',
    path.join(root, 'train-v1.json'),
    '--validation_file',
    path.join(root, 'dev-v1.json'),
    '--do_eval',
    '--output_dir',
    out,
    ...COMMON,
  ]);
  expect(logs.filter((l) => /bertrun train:/.test(l))).toEqual([]);
  expect(code).toBe(0);
  // The dev contexts need several windows each at these settings.
  const dev = await readSquad(path.join(root, 'dev-v1.json'));
  const windows = await buildQaFeatures(
    dev.examples,
    await BertTokenizer.fromDirectory(modelDir),
    { maxSeqLength: 64, docStride: 16, maxQueryLength: 8 },
    false,
  );
  expect(windows.length).toBeGreaterThanOrEqual(3 * dev.examples.length);
  const results = readJson(path.join(out, 'eval_results.json'));
  expect(results.eval_f1).toBeGreaterThanOrEqual(80);
  expect(results.eval_exact_match).toBeGreaterThanOrEqual(70);
  const predictions = readJson(path.join(out, 'eval_predictions.json'));
  expect(Object.keys(predictions)).toHaveLength(60);
  const nbest = readJson(path.join(out, 'eval_nbest_predictions.json'));
  expect(nbest.q0.length).toBeGreaterThan(0);
  expect(Object.keys(nbest.q0[0]).sort()).toEqual(['end_logit', 'probability', 'start_logit', 'text']);
  for (const f of ['model.safetensors', 'config.json', 'vocab.txt', 'trainer_state.json', 'all_results.json'])
    expect(fs.existsSync(path.join(out, f))).toBe(true);

  const evalOut = path.join(root, 'v1-eval');
  expect(
    await main([
      'eval',
      '--task',
      'question-answering',
      '--model_name_or_path',
      out,
      '--validation_file',
      path.join(root, 'dev-v1.json'),
      '--output_dir',
      evalOut,
      '--max_seq_length',
      '64',
      '--doc_stride',
      '16',
      '--max_query_length',
      '8',
    ]),
  ).toBe(0);
  const again = readJson(path.join(evalOut, 'eval_results.json'));
  expect(again.eval_exact_match).toBe(results.eval_exact_match);
  expect(again.eval_f1).toBe(results.eval_f1);
  expect(readJson(path.join(evalOut, 'eval_predictions.json'))).toEqual(predictions);
}, 600_000);

test('SQuAD v2.0: impossible questions; HasAns / NoAns figures and null odds are reported', async () => {
  const out = path.join(root, 'v2-out');
  const code = await main([
    'train',
    '--model_name_or_path',
    modelDir,
    '--train_file',
    path.join(root, 'train-v2.json'),
    '--validation_file',
    path.join(root, 'dev-v2.json'),
    '--do_eval',
    '--version_2_with_negative',
    '--output_dir',
    out,
    ...COMMON,
  ]);
  expect(logs.filter((l) => /bertrun train:/.test(l))).toEqual([]);
  expect(code).toBe(0);
  const results = readJson(path.join(out, 'eval_results.json'));
  expect(results).toMatchObject({ eval_total: 60, eval_HasAns_total: 40, eval_NoAns_total: 20 });
  for (const k of ['eval_exact', 'eval_f1', 'eval_HasAns_exact', 'eval_HasAns_f1', 'eval_NoAns_exact', 'eval_NoAns_f1', 'eval_best_f1', 'eval_best_f1_thresh'])
    expect(typeof results[k]).toBe('number');
  expect(results.eval_HasAns_f1).toBeGreaterThanOrEqual(60);
  const nullOdds = readJson(path.join(out, 'eval_null_odds.json'));
  expect(Object.keys(nullOdds)).toHaveLength(60);
}, 600_000);

test('predict writes answers for questions without gold answers', async () => {
  const test = squadFile(5, 9, false) as { data: Array<{ paragraphs: Array<{ qas: Qa[] }> }> };
  for (const p of test.data[0].paragraphs) for (const qa of p.qas) qa.answers = [];
  const file = path.join(root, 'test.json');
  fs.writeFileSync(file, JSON.stringify(test));
  const out = path.join(root, 'predict-out');
  expect(
    await main([
      'predict',
      '--task',
      'question-answering',
      '--model_name_or_path',
      modelDir,
      '--test_file',
      file,
      '--output_dir',
      out,
      '--max_seq_length',
      '64',
      '--doc_stride',
      '16',
      '--max_query_length',
      '8',
    ]),
  ).toBe(0);
  expect(Object.keys(readJson(path.join(out, 'predict_predictions.json'))).sort()).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
});

test('a malformed SQuAD file stops the run before training, naming file and line', async () => {
  const bad = path.join(root, 'bad.json');
  fs.writeFileSync(bad, '{"data": [{"paragraphs": [\n{"context": "x", "qas": [{"id": "q", "question": "?", "answers": [{"text": "x"}]}]}]}]}');
  const code = await main(['train', '--model_name_or_path', modelDir, '--train_file', bad, '--output_dir', path.join(root, 'bad-out'), ...COMMON]);
  expect(code).toBe(1);
  expect(logs.join('\n')).toMatch(/bad\.json:2: data\[0\]\.paragraphs\[0\]\.qas\[0\]\.answers\[0\]\.answer_start: must be a non-negative integer/);
  expect(fs.existsSync(path.join(root, 'bad-out'))).toBe(false);
});
