// `bertrun train | eval | predict --task token-classification` end to end on a generated NER
// corpus (CoNLL and JSON lines): a tiny BERT trained from scratch reaches entity F1 >= 90, names
// split into several word pieces are labelled on their first piece, and bad tags stop the run
// before training with file and line.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli/main';
import { BertModel } from '../../lib/models/bert_model';
import { SeededRandom } from '../../lib/data/loader/seeded_random';

const FILLER = [
  'the',
  'a',
  'met',
  'visited',
  'said',
  'that',
  'in',
  'with',
  'from',
  'today',
  'yesterday',
  'and',
  'went',
  'to',
  'of',
  'new',
  'old',
  'office',
  'team',
  'report',
  '.',
  ',',
];
const FIRST = ['anna', 'boris', 'clara', 'dmitri', 'elena'];
const LAST = ['johnson', 'petrov', 'garcia', 'nakamura'];
const CITIES = ['paris', 'tokyo', 'lagos', 'lima', 'oslo'];
const ORGS = ['acme', 'globex', 'initech'];
// Surnames are split into word pieces ("john ##son"), so alignment to first sub-tokens matters.
const PIECES = ['john', '##son', 'pet', '##rov', 'gar', '##cia', 'naka', '##mura'];
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...FILLER, ...FIRST, ...CITIES, ...ORGS, 'corp', ...PIECES];

function sentence(random: SeededRandom): { tokens: string[]; tags: string[] } {
  const tokens: string[] = [];
  const tags: string[] = [];
  const pick = <T>(xs: readonly T[]) => xs[random.below(xs.length)];
  const filler = () => {
    for (let i = random.below(3); i >= 0; i--) {
      tokens.push(pick(FILLER));
      tags.push('O');
    }
  };
  for (let e = 1 + random.below(3); e > 0; e--) {
    filler();
    const kind = random.below(3);
    if (kind === 0) {
      tokens.push(pick(FIRST));
      tags.push('B-PER');
      if (random.below(2) === 0) {
        tokens.push(pick(LAST));
        tags.push('I-PER');
      }
    } else if (kind === 1) {
      tokens.push(pick(CITIES));
      tags.push('B-LOC');
    } else {
      tokens.push(pick(ORGS), 'corp');
      tags.push('B-ORG', 'I-ORG');
    }
  }
  filler();
  return { tokens, tags };
}

const corpus = (n: number, seed: number) => {
  const random = new SeededRandom(seed);
  return Array.from({ length: n }, () => sentence(random));
};
const conll = (sentences: Array<{ tokens: string[]; tags: string[] }>) =>
  '-DOCSTART- -X- O O\n\n' + sentences.map((s) => s.tokens.map((t, i) => `${t} NN O ${s.tags[i]}`).join('\n')).join('\n\n') + '\n';

let root: string;
let modelDir: string;
let logs: string[];
const real = { log: console.log, warn: console.warn, error: console.error };
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-ner-cli-'));
  modelDir = path.join(root, 'tiny-bert');
  const model = BertModel.fromConfig(
    { vocab_size: VOCAB.length, hidden_size: 48, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 96, max_position_embeddings: 64 },
    'base',
    { seed: 1 },
  );
  await model.savePretrained(modelDir);
  fs.writeFileSync(path.join(modelDir, 'vocab.txt'), VOCAB.join('\n') + '\n');
  fs.writeFileSync(path.join(modelDir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
  fs.writeFileSync(path.join(root, 'train.conll'), conll(corpus(500, 1)));
  fs.writeFileSync(path.join(root, 'dev.conll'), conll(corpus(80, 2)));
  fs.writeFileSync(
    path.join(root, 'dev.jsonl'),
    corpus(80, 2)
      .map((s) => JSON.stringify({ id: 1, tokens: s.tokens, ner_tags: s.tags }))
      .join('\n') + '\n',
  );
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  logs = [];
  console.log = console.warn = console.error = (...a: unknown[]) => void logs.push(a.join(' '));
});
afterEach(() => Object.assign(console, real));

const COMMON = [
  '--task',
  'token-classification',
  '--max_seq_length',
  '48',
  '--per_device_train_batch_size',
  '16',
  '--learning_rate',
  '3e-3',
  '--num_train_epochs',
  '3',
  '--disable_tqdm',
  '--logging_steps',
  '50',
  '--save_strategy',
  'no',
  '--seed',
  '5',
];

test('CoNLL: trains from scratch to entity F1 >= 90; eval on the JSON lines copy of the dev set gives the same scores; predict labels words', async () => {
  const out = path.join(root, 'out');
  const code = await main([
    'train',
    '--model_name_or_path',
    modelDir,
    '--train_file',
    path.join(root, 'train.conll'),
    '--validation_file',
    path.join(root, 'dev.conll'),
    '--do_eval',
    '--return_entity_level_metrics',
    '--output_dir',
    out,
    ...COMMON,
  ]);
  expect(logs.filter((l) => /bertrun train:/.test(l))).toEqual([]);
  expect(code).toBe(0);
  const results = readJson(path.join(out, 'eval_results.json'));
  expect(results.eval_f1).toBeGreaterThanOrEqual(0.9);
  expect(results.eval_accuracy).toBeGreaterThanOrEqual(0.9);
  for (const type of ['LOC', 'ORG', 'PER']) expect(results[`eval_${type}_f1`]).toBeGreaterThan(0.5);
  expect(readJson(path.join(out, 'config.json')).id2label).toEqual({ 0: 'B-LOC', 1: 'B-ORG', 2: 'B-PER', 3: 'I-ORG', 4: 'I-PER', 5: 'O' });

  const evalOut = path.join(root, 'eval-jsonl');
  expect(
    await main([
      'eval',
      '--task',
      'token-classification',
      '--model_name_or_path',
      out,
      '--validation_file',
      path.join(root, 'dev.jsonl'),
      '--output_dir',
      evalOut,
      '--max_seq_length',
      '48',
    ]),
  ).toBe(0);
  const again = readJson(path.join(evalOut, 'eval_results.json'));
  expect(again.eval_f1).toBe(results.eval_f1);
  expect(again.eval_precision).toBe(results.eval_precision);

  const predictOut = path.join(root, 'predict');
  expect(
    await main([
      'predict',
      '--task',
      'token-classification',
      '--model_name_or_path',
      out,
      '--test_file',
      path.join(root, 'dev.conll'),
      '--output_dir',
      predictOut,
      '--max_seq_length',
      '48',
    ]),
  ).toBe(0);
  const lines = fs
    .readFileSync(path.join(predictOut, 'predictions.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines).toHaveLength(80);
  const gold = corpus(80, 2);
  let correct = 0;
  let total = 0;
  lines.forEach((l, i) => {
    expect(l.tokens).toEqual(gold[i].tokens);
    l.labels.forEach((label: string, w: number) => {
      total++;
      if (label === gold[i].tags[w]) correct++;
    });
  });
  expect(correct / total).toBeGreaterThanOrEqual(0.9);
  expect(fs.readFileSync(path.join(predictOut, 'predictions.txt'), 'utf8').split('\n')[0].split(' ')).toHaveLength(gold[0].tokens.length);
}, 600_000);

test('an unknown tag in the dev set stops the run before training, naming file and line', async () => {
  const bad = path.join(root, 'bad-dev.conll');
  fs.writeFileSync(bad, 'anna NN O B-PER\nvisited NN O O\nparis NN O B-CITY\n');
  const out = path.join(root, 'bad-out');
  const code = await main([
    'train',
    '--model_name_or_path',
    modelDir,
    '--train_file',
    path.join(root, 'train.conll'),
    '--validation_file',
    bad,
    '--output_dir',
    out,
    ...COMMON,
  ]);
  expect(code).toBe(1);
  expect(logs.join('\n')).toMatch(/bad-dev\.conll:3: unknown label "B-CITY"/);
  expect(fs.existsSync(out)).toBe(false);
});

test('predict: words past --max_seq_length are left out of predictions.txt (as run_ner), counted in the log, null in predictions.jsonl', async () => {
  const out = path.join(root, 'out'); // trained by the first test
  const predictOut = path.join(root, 'predict-truncated');
  const file = path.join(root, 'long.conll');
  const words = ['anna', 'visited', 'the', 'office', 'in', 'paris', 'with', 'bob', 'and', 'carl', 'today', 'from', 'the', 'old', 'office'];
  fs.writeFileSync(file, words.map((w) => `${w} O`).join('\n') + '\n');
  logs = [];
  const args = ['predict', '--task', 'token-classification', '--model_name_or_path', out, '--test_file', file, '--output_dir', predictOut];
  expect(await main([...args, '--max_seq_length', '8'])).toBe(0);
  const [line] = fs.readFileSync(path.join(predictOut, 'predictions.txt'), 'utf8').trim().split('\n');
  const labelled = line.split(' ');
  const json = JSON.parse(fs.readFileSync(path.join(predictOut, 'predictions.jsonl'), 'utf8').trim()) as { labels: Array<string | null> };
  const kept = json.labels.filter((l) => l !== null);
  expect(labelled).toEqual(kept);
  expect(kept.length).toBeLessThan(words.length);
  expect(json.labels.slice(kept.length).every((l) => l === null)).toBe(true);
  const known = Object.values(JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8')).id2label as Record<string, string>);
  for (const label of labelled) expect(known).toContain(label);
  expect(logs.join('\n')).toContain(`${words.length - kept.length} words of 1 sentences are past --max_seq_length and have no label`);
});
