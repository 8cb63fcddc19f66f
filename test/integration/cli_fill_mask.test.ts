// `bertrun train | eval | predict --task fill-mask` (run_mlm.py's job) on generated text with a
// tiny BERT: pretraining lowers held-out perplexity by a wide margin; a run resumed from a
// mid-training checkpoint ends with exactly the weights of the uninterrupted run (masks are drawn
// from (seed, epoch, example), not from a stream the resume would shift); predict fills [MASK]
// with the top-k tokens; bad corpora stop before training, naming the file.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli/main';
import { BertModel } from '../../lib/models/bert_model';
import { SeededRandom } from '../../lib/data/loader/seeded_random';
import { readSafetensors } from '../../lib/io/safetensors';
import { maxAbsDiff } from '../helpers/tensors';

const ANIMALS = ['cat', 'dog', 'bird', 'fish', 'horse', 'sheep'];
const PLACES = ['house', 'garden', 'river', 'field', 'barn', 'lake'];
const VERBS = ['sleeps', 'runs', 'eats', 'sits', 'plays', 'waits'];
// Each animal has its place and verb: a model that learns the text can fill a masked one in.
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'the', 'in', 'near', '.', ...ANIMALS, ...PLACES, ...VERBS];

function corpus(lines: number, seed: number): string {
  const random = new SeededRandom(seed);
  return (
    Array.from({ length: lines }, () => {
      const a = random.below(ANIMALS.length);
      return `the ${ANIMALS[a]} ${VERBS[a]} ${random.below(2) === 0 ? 'in' : 'near'} the ${PLACES[a]} .`;
    }).join('\n') + '\n'
  );
}

let root: string;
let modelDir: string;
const real = { log: console.log, warn: console.warn, error: console.error };
let logs: string[];
beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-mlm-'));
  modelDir = path.join(root, 'tiny');
  const config = {
    vocab_size: VOCAB.length,
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    intermediate_size: 64,
    max_position_embeddings: 64,
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
  };
  await BertModel.fromConfig(config, 'masked-lm', { seed: 1 }).savePretrained(modelDir);
  fs.writeFileSync(path.join(modelDir, 'vocab.txt'), VOCAB.join('\n') + '\n');
  fs.writeFileSync(path.join(modelDir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
  fs.writeFileSync(path.join(root, 'train.txt'), corpus(1500, 1));
  fs.writeFileSync(path.join(root, 'dev.txt'), corpus(200, 2));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  logs = [];
  console.log = console.warn = console.error = (...a: unknown[]) => void logs.push(a.join(' '));
});
afterEach(() => Object.assign(console, real));

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const TRAIN_FLAGS = [
  '--task',
  'fill-mask',
  '--max_seq_length',
  '32',
  // One example per line: a 2-layer model learns the word associations within a sentence in a few
  // epochs (blocks of several sentences, run_mlm's default, take it much longer to learn).
  '--line_by_line',
  '--per_device_train_batch_size',
  '16',
  '--learning_rate',
  '2e-3',
  '--warmup_ratio',
  '0.1',
  '--logging_steps',
  '20',
  '--disable_tqdm',
  '--seed',
  '5',
];

test('pretraining lowers held-out perplexity by far; predict fills [MASK]; a resumed run ends with identical weights', async () => {
  const dev = path.join(root, 'dev.txt');
  expect(
    await main([
      'eval',
      '--task',
      'fill-mask',
      '--model_name_or_path',
      modelDir,
      '--validation_file',
      dev,
      '--output_dir',
      path.join(root, 'before'),
      '--max_seq_length',
      '32',
      '--disable_tqdm',
    ]),
  ).toBe(0);
  const before = readJson(path.join(root, 'before', 'all_results.json'));
  expect(before.eval_perplexity).toBeCloseTo(Math.exp(before.eval_loss), 6);

  const full = path.join(root, 'full');
  const args = ['train', ...TRAIN_FLAGS, '--model_name_or_path', modelDir, '--train_file', path.join(root, 'train.txt'), '--validation_file', dev, '--do_eval'];
  expect(await main([...args, '--output_dir', full, '--num_train_epochs', '6', '--save_steps', '300'])).toBe(0);
  const after = readJson(path.join(full, 'all_results.json'));
  // A random tiny model is about uniform over the 27 tokens; the text is nearly determined.
  expect(before.eval_perplexity).toBeGreaterThan(15);
  expect(after.eval_perplexity).toBeLessThan(1.5);

  // Resumed from checkpoint-300 (in epoch 4 of 6), in a fresh directory: the same final weights.
  const steps = readJson(path.join(full, 'trainer_state.json')).global_step as number;
  expect(steps).toBeGreaterThan(500);
  const resumed = path.join(root, 'resumed');
  fs.mkdirSync(resumed);
  fs.cpSync(path.join(full, 'checkpoint-300'), path.join(resumed, 'checkpoint-300'), { recursive: true });
  expect(await main([...args, '--output_dir', resumed, '--num_train_epochs', '6', '--save_steps', '300', '--resume_from_checkpoint', 'latest'])).toBe(0);
  const a = readSafetensors(path.join(full, 'model.safetensors')).tensors;
  const b = new Map(readSafetensors(path.join(resumed, 'model.safetensors')).tensors.map((t) => [t.name, t]));
  expect(a.length).toBeGreaterThan(10);
  for (const t of a) expect({ name: t.name, diff: maxAbsDiff(t.data, b.get(t.name)!.data) }).toEqual({ name: t.name, diff: 0 });
  expect(readJson(path.join(resumed, 'all_results.json')).eval_loss).toBe(after.eval_loss);

  const questions = path.join(root, 'masked.txt');
  fs.writeFileSync(questions, 'the cat [MASK] in the house .\nthe [MASK] runs near the garden .\n');
  const preds = path.join(root, 'preds');
  expect(await main(['predict', '--task', 'fill-mask', '--model_name_or_path', full, '--test_file', questions, '--output_dir', preds, '--top_k', '3'])).toBe(0);
  const lines = fs
    .readFileSync(path.join(preds, 'predict_fill_mask.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(lines.map((l) => l.predictions.length)).toEqual([3, 3]);
  // The text ties each animal to its verb and place: both masks are filled with the right word first.
  expect(lines[0].predictions[0].token_str).toBe('sleeps');
  expect(lines[1].predictions[0].token_str).toBe('dog');
  expect(lines[0].predictions[0].score).toBeGreaterThan(lines[0].predictions[1].score);
}, 240_000);

test('from scratch: a vocabulary trained by `bertrun tokenizer train`, --config_name for the architecture, no weights', async () => {
  const vocab = path.join(root, 'vocab');
  expect(await main(['tokenizer', 'train', '--files', path.join(root, 'train.txt'), '--vocab_size', '80', '--output_dir', vocab])).toBe(0);
  const config = path.join(root, 'scratch-config');
  fs.mkdirSync(config);
  const arch = {
    model_type: 'bert',
    vocab_size: 80,
    hidden_size: 32,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 64,
    max_position_embeddings: 64,
  };
  fs.writeFileSync(path.join(config, 'config.json'), JSON.stringify(arch));
  const out = path.join(root, 'scratch');
  const code = await main([
    'train',
    ...TRAIN_FLAGS,
    '--model_name_or_path',
    vocab,
    '--config_name',
    config,
    '--train_file',
    path.join(root, 'train.txt'),
    '--validation_file',
    path.join(root, 'dev.txt'),
    '--do_eval',
    '--max_steps',
    '60',
    '--output_dir',
    out,
  ]);
  expect({ code, logs: code === 0 ? [] : logs }).toEqual({ code: 0, logs: [] });
  expect(logs.join('\n')).toContain(`${vocab} holds no weights: training a new model from ${path.join(config, 'config.json')} (from scratch)`);
  const saved = readSafetensors(path.join(out, 'model.safetensors')).tensors.find((t) => t.name === 'bert.embeddings.word_embeddings.weight')!;
  expect(saved.shape).toEqual([80, 32]);
  // 60 steps on this text: well below the uniform perplexity over 80 tokens.
  expect(readJson(path.join(out, 'all_results.json')).eval_perplexity).toBeLessThan(40);
}, 120_000);

test('an empty corpus, and one shorter than a block, stop before training naming the file', async () => {
  const empty = path.join(root, 'empty.txt');
  fs.writeFileSync(empty, '\n\n');
  const blocks = TRAIN_FLAGS.filter((f) => f !== '--line_by_line');
  const train = (file: string) => ['train', ...blocks, '--model_name_or_path', modelDir, '--train_file', file, '--output_dir', path.join(root, 'never')];
  expect(await main(train(empty))).toBe(1);
  expect(logs.join('\n')).toContain(empty);
  const short = path.join(root, 'short.txt');
  fs.writeFileSync(short, 'the cat sleeps .\n');
  logs = [];
  expect(await main(train(short))).toBe(1);
  expect(logs.join('\n')).toMatch(/short\.txt: no example of 32 tokens: the text is shorter than one block/);
  expect(fs.existsSync(path.join(root, 'never'))).toBe(false);
});
