// The command line as a new user meets it: single-text files train with no column flags (run_glue's
// column rule on the header), and a trained model directory remembers its data settings in
// config.json (task_specific_params.bertrun), so `bertrun eval | predict` need only
// --model_name_or_path and the file, for every task; flags and --config still win.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli/main';
import { BertModel } from '../../lib/models/bert_model';

const WORDS = ['cat', 'dog', 'bird', 'fish', 'red', 'blue', 'green', 'big', 'small', 'runs', 'sleeps', 'eats', 'the', 'a', 'not', 'very'];
const NER_WORDS = ['anna', 'boris', 'paris', 'tokyo', 'met', 'in', 'today'];
const QA_WORDS = ['which', 'color', 'is', 'mentioned', '?'];
const VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS, ...NER_WORDS, ...QA_WORDS];

function rng(seed: number): (n: number) => number {
  let x = seed;
  return (n) => (x = (x * 1103515245 + 12345) % 2147483648) % n;
}
const sentence = (pick: (n: number) => number): string => Array.from({ length: 3 + pick(4) }, () => WORDS[pick(WORDS.length)]).join(' ');

let root: string;
let modelDir: string;
let logs: string[];
const real = { log: console.log, warn: console.warn, error: console.error };
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8'));
const remembered = (dir: string) => readJson(path.join(dir, 'config.json')).task_specific_params?.bertrun;

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-cli-defaults-'));
  modelDir = path.join(root, 'tiny-bert');
  const model = BertModel.fromConfig(
    { vocab_size: VOCAB.length, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 48, max_position_embeddings: 64 },
    'base',
    { seed: 1 },
  );
  await model.savePretrained(modelDir);
  fs.writeFileSync(path.join(modelDir, 'vocab.txt'), VOCAB.join('\n') + '\n');
  fs.writeFileSync(path.join(modelDir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  logs = [];
  console.log = console.warn = console.error = (...a: unknown[]) => void logs.push(a.join(' '));
});
afterEach(() => Object.assign(console, real));

const COMMON = ['--per_device_train_batch_size', '8', '--learning_rate', '1e-3', '--num_train_epochs', '1', '--disable_tqdm', '--logging_steps', '5'];

/** A TSV file: header, then n rows of `cells(pick)`. */
function tsv(name: string, header: string[], n: number, cells: (pick: (n: number) => number) => string[], seed = 7): string {
  const pick = rng(seed);
  const file = path.join(root, name);
  fs.writeFileSync(file, [header.join('\t'), ...Array.from({ length: n }, () => cells(pick).join('\t'))].join('\n') + '\n');
  return file;
}

const spamRow = (labeled: boolean) => (pick: (n: number) => number) => [sentence(pick), ...(labeled ? [pick(100) < 50 ? 'spam' : 'ham'] : [])];

describe('text classification', () => {
  let spamOut: string;
  let spamDev: string;

  test('a single-text file (text, label) trains with no column flags; the model and its checkpoints remember the settings', async () => {
    const train = tsv('spam-train.tsv', ['text', 'label'], 24, spamRow(true), 1);
    spamDev = tsv('spam-dev.tsv', ['text', 'label'], 8, spamRow(true), 2);
    spamOut = path.join(root, 'spam-out');
    const code = await main([
      'train',
      '--model_name_or_path',
      modelDir,
      '--train_file',
      train,
      '--validation_file',
      spamDev,
      '--do_eval',
      '--output_dir',
      spamOut,
      '--max_seq_length',
      '24',
      '--save_steps',
      '2',
      ...COMMON,
    ]);
    expect(logs.join('\n')).not.toMatch(/bertrun train:/);
    expect(code).toBe(0);
    expect(logs.join('\n')).toContain(`columns of ${train}`);
    expect(logs.join('\n')).toMatch(/--text_column text \(single texts\), --label_column label/);
    const settings = {
      task: 'text-classification',
      text_column: 'text',
      text_pair_column: 'none',
      label_column: 'label',
      max_seq_length: 24,
      problem_type: 'single_label_classification',
    };
    expect(remembered(spamOut)).toEqual(settings);
    const checkpoints = fs.readdirSync(spamOut).filter((n) => /^checkpoint-\d+$/.test(n));
    expect(checkpoints.length).toBeGreaterThan(0);
    for (const c of checkpoints) expect(remembered(path.join(spamOut, c))).toEqual(settings);
    // HF keeps other keys; the label names stay in id2label.
    expect(readJson(path.join(spamOut, 'config.json')).id2label).toEqual({ 0: 'ham', 1: 'spam' });
  });

  test('eval and predict on the trained directory need no column, task or length flags', async () => {
    logs = [];
    const evalOut = path.join(root, 'spam-eval');
    expect(await main(['eval', '--model_name_or_path', spamOut, '--validation_file', spamDev, '--output_dir', evalOut])).toBe(0);
    const log = logs.join('\n');
    expect(log).toContain(`settings remembered in ${path.join(spamOut, 'config.json')} (task_specific_params.bertrun): `);
    expect(log).toMatch(
      /--task text-classification --max_seq_length 24 --problem_type single_label_classification --text_column text --text_pair_column none --label_column label \(/,
    );
    expect(readJson(path.join(evalOut, 'eval_results.json'))).toHaveProperty('eval_accuracy');

    const test = tsv('spam-test.tsv', ['text'], 5, spamRow(false), 3);
    const predictOut = path.join(root, 'spam-predict');
    expect(await main(['predict', '--model_name_or_path', spamOut, '--test_file', test, '--output_dir', predictOut])).toBe(0);
    const predictions = fs
      .readFileSync(path.join(predictOut, 'predictions.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(predictions).toHaveLength(5);
    for (const p of predictions) expect(['ham', 'spam']).toContain(p.label);
  });

  test('an explicit flag (command line, then --config) wins over the remembered value; a missing column names --text_column', async () => {
    const body = tsv('spam-body.tsv', ['body', 'label'], 6, spamRow(true), 4);
    logs = [];
    expect(await main(['eval', '--model_name_or_path', spamOut, '--validation_file', body, '--output_dir', path.join(root, 'body-eval-0')])).toBe(1);
    const error = logs.join('\n');
    expect(error).toMatch(
      /spam-body\.tsv:2: column "text" not found; the columns \(from the header\) are: 0: "body", 1: "label"\. Pass one of them as --text_column/,
    );
    expect(error).not.toMatch(/textColumn|textPairColumn/);

    logs = [];
    const out1 = path.join(root, 'body-eval-1');
    expect(await main(['eval', '--model_name_or_path', spamOut, '--validation_file', body, '--text_column', 'body', '--output_dir', out1])).toBe(0);
    expect(logs.join('\n')).not.toMatch(/--text_column text/);
    expect(logs.join('\n')).toMatch(/settings remembered in .*--text_pair_column none/);

    const config = path.join(root, 'body.json');
    fs.writeFileSync(config, JSON.stringify({ text_column: 'body', max_seq_length: 16 }));
    logs = [];
    expect(
      await main(['eval', '--model_name_or_path', spamOut, '--validation_file', body, '--config', config, '--output_dir', path.join(root, 'body-eval-2')]),
    ).toBe(0);
    expect(logs.join('\n')).not.toMatch(/--max_seq_length 24/);
  });

  test('a file without a header: columns by index with --text_column alone (single texts); without it, an error saying so', async () => {
    const pick = rng(17);
    const file = path.join(root, 'headerless.tsv');
    fs.writeFileSync(file, Array.from({ length: 12 }, () => `${pick(100) < 50 ? 'spam' : 'ham'}\t${sentence(pick)}`).join('\n') + '\n');
    const out = path.join(root, 'headerless-out');
    const args = ['--model_name_or_path', modelDir, '--train_file', file, '--has_header', 'false', '--output_dir', out, '--save_steps', '1000', ...COMMON];
    logs = [];
    expect(await main(['train', ...args])).toBe(1);
    expect(logs.join('\n')).toContain(`${file} is read without a header row (--has_header false), so its columns have no names: pass --text_column N`);
    expect(await main(['train', ...args, '--text_column', '1', '--label_column', '0'])).toBe(0);
    expect(remembered(out)).toMatchObject({ text_column: '1', text_pair_column: 'none', label_column: '0', has_header: false });
  });

  test('columns sentence1, sentence2, label train as pairs with no flags', async () => {
    const train = tsv('pairs.tsv', ['sentence1', 'sentence2', 'label'], 16, (pick) => [sentence(pick), sentence(pick), pick(2) ? 'same' : 'other']);
    const out = path.join(root, 'pairs-out');
    logs = [];
    expect(await main(['train', '--model_name_or_path', modelDir, '--train_file', train, '--output_dir', out, '--save_steps', '1000', ...COMMON])).toBe(0);
    expect(logs.join('\n')).toMatch(/--text_column sentence1, --text_pair_column sentence2, --label_column label/);
    // max_seq_length: not given, so the default (128, or the model's 64 positions) is what is remembered.
    expect(remembered(out)).toEqual({
      task: 'text-classification',
      text_column: 'sentence1',
      text_pair_column: 'sentence2',
      label_column: 'label',
      max_seq_length: 64,
      problem_type: 'single_label_classification',
    });
  });

  test("custom columns question, answer, label train on the first two as a pair (run_glue's rule); an id column is not a text", async () => {
    const train = tsv('qa-pairs.tsv', ['id', 'question', 'answer', 'label'], 16, (pick) => [
      String(pick(100)),
      sentence(pick),
      sentence(pick),
      String(pick(2)),
    ]);
    const out = path.join(root, 'qa-pairs-out');
    logs = [];
    expect(await main(['train', '--model_name_or_path', modelDir, '--train_file', train, '--output_dir', out, '--save_steps', '1000', ...COMMON])).toBe(0);
    expect(remembered(out)).toMatchObject({ text_column: 'question', text_pair_column: 'answer', label_column: 'label' });

    // --text_pair_column none: single texts from the first column.
    const single = path.join(root, 'qa-single-out');
    expect(
      await main([
        'train',
        '--model_name_or_path',
        modelDir,
        '--train_file',
        train,
        '--text_pair_column',
        'none',
        '--output_dir',
        single,
        '--save_steps',
        '1000',
        ...COMMON,
      ]),
    ).toBe(0);
    expect(remembered(single)).toMatchObject({ text_column: 'question', text_pair_column: 'none' });
  });
});

test('token classification: eval with --model-name-or-path=DIR and the file only (no --task)', async () => {
  const pick = rng(11);
  const sentences = (n: number) =>
    Array.from({ length: n }, () => {
      const rows = [`${['anna', 'boris'][pick(2)]} B-PER`, `met O`, `${['paris', 'tokyo'][pick(2)]} B-LOC`];
      if (pick(2)) rows.push('today O');
      return rows.join('\n');
    }).join('\n\n') + '\n';
  fs.writeFileSync(path.join(root, 'train.conll'), sentences(40));
  fs.writeFileSync(path.join(root, 'dev.conll'), sentences(8));
  const out = path.join(root, 'ner-out');
  expect(
    await main([
      'train',
      '--task',
      'token-classification',
      '--model_name_or_path',
      modelDir,
      '--train_file',
      path.join(root, 'train.conll'),
      '--output_dir',
      out,
      '--max_seq_length',
      '16',
      '--label_all_tokens',
      '--save_steps',
      '1000',
      ...COMMON,
    ]),
  ).toBe(0);
  expect(remembered(out)).toEqual({ task: 'token-classification', max_seq_length: 16, conll_label_column: -1, label_all_tokens: true });

  logs = [];
  const evalOut = path.join(root, 'ner-eval');
  expect(await main(['eval', `--model-name-or-path=${out}`, '--validation_file', path.join(root, 'dev.conll'), '--output_dir', evalOut])).toBe(0);
  expect(logs.join('\n')).toMatch(/settings remembered in .*: --task token-classification --max_seq_length 16 --conll_label_column -1 --label_all_tokens true/);
  expect(Object.keys(readJson(path.join(evalOut, 'eval_results.json')))).toEqual(expect.arrayContaining(['eval_f1', 'eval_precision']));

  // Explicit --task for another task: the remembered settings are not applied.
  logs = [];
  expect(await main(['eval', '--task', 'text-classification', '--model_name_or_path', out, '--validation_file', path.join(root, 'dev.conll')])).toBe(1);
  expect(logs.join('\n')).not.toMatch(/settings remembered/);
});

test('question answering: eval needs only the model directory and the file (window settings remembered)', async () => {
  const pick = rng(5);
  const colors = ['red', 'blue', 'green'];
  const squad = (n: number) => ({
    version: '1.1',
    data: [
      {
        title: 't',
        paragraphs: Array.from({ length: n }, (_, i) => {
          const words = Array.from({ length: 20 }, () => WORDS[12 + pick(4)]);
          const answer = colors[pick(3)];
          const at = pick(words.length);
          words.splice(at, 0, answer);
          return {
            context: words.join(' '),
            qas: [
              {
                id: `q${i}`,
                question: 'which color is mentioned ?',
                answers: [{ text: answer, answer_start: words.slice(0, at).join(' ').length + (at > 0 ? 1 : 0) }],
              },
            ],
          };
        }),
      },
    ],
  });
  fs.writeFileSync(path.join(root, 'squad-train.json'), JSON.stringify(squad(24)));
  fs.writeFileSync(path.join(root, 'squad-dev.json'), JSON.stringify(squad(6)));
  const out = path.join(root, 'qa-out');
  const windows = ['--max_seq_length', '32', '--doc_stride', '8', '--max_query_length', '8', '--max_answer_length', '4'];
  expect(
    await main([
      'train',
      '--task',
      'question-answering',
      '--model_name_or_path',
      modelDir,
      '--train_file',
      path.join(root, 'squad-train.json'),
      '--output_dir',
      out,
      ...windows,
      '--save_steps',
      '1000',
      ...COMMON,
    ]),
  ).toBe(0);
  expect(remembered(out)).toEqual({
    task: 'question-answering',
    max_seq_length: 32,
    doc_stride: 8,
    max_query_length: 8,
    version_2_with_negative: false,
    max_answer_length: 4,
  });

  // Without the remembered max_seq_length, run_qa's default 384 would exceed the model's 64 positions.
  logs = [];
  const evalOut = path.join(root, 'qa-eval');
  expect(await main(['eval', '--model_name_or_path', out, '--validation_file', path.join(root, 'squad-dev.json'), '--output_dir', evalOut])).toBe(0);
  expect(logs.join('\n')).toMatch(
    /--task question-answering --max_seq_length 32 --doc_stride 8 --max_query_length 8 --version_2_with_negative false --max_answer_length 4/,
  );
  expect(Object.keys(readJson(path.join(evalOut, 'eval_results.json')))).toEqual(expect.arrayContaining(['eval_exact_match', 'eval_f1']));
});
