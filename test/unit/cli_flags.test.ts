import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatHelp, parseFlags, type FlagSchema } from '../../lib/cli/flags';

const SCHEMA: FlagSchema = {
  output_dir: { type: 'string', help: 'where to write' },
  do_train: { type: 'boolean', help: 'train', default: false },
  learning_rate: { type: 'number', help: 'lr', default: 5e-5 },
  num_train_epochs: { type: 'number', help: 'epochs', default: 3 },
  logging_steps: { type: 'integer', help: 'log every', default: 500 },
  eval_strategy: { type: 'string', help: 'when to evaluate', default: 'no', choices: ['no', 'steps', 'epoch'], aliases: ['evaluation_strategy'] },
  label_names: { type: 'list', help: 'labels' },
};

test('run_glue-style flags: snake and kebab case, inline values, booleans, lists, aliases, defaults', () => {
  const v = parseFlags(
    [
      '--do_train',
      '--learning-rate',
      '2e-5',
      '--output_dir=out',
      '--evaluation_strategy',
      'epoch',
      '--label_names',
      'positive',
      'negtive',
      'neutral',
      '--logging_steps',
      '100',
    ],
    SCHEMA,
  );
  expect(v).toEqual({
    do_train: true,
    learning_rate: 2e-5,
    output_dir: 'out',
    eval_strategy: 'epoch',
    label_names: ['positive', 'negtive', 'neutral'],
    logging_steps: 100,
    num_train_epochs: 3,
  });
  expect(parseFlags(['--do_train', 'false'], SCHEMA).do_train).toBe(false);
  expect(parseFlags(['--label_names', 'a,b'], SCHEMA).label_names).toEqual(['a', 'b']);
});

test('errors say which flag and what is expected, and suggest near misses', () => {
  expect(() => parseFlags(['--learning_rat', '1'], SCHEMA)).toThrow(/unknown flag --learning_rat; did you mean --learning_rate\?/);
  expect(() => parseFlags(['--logging_steps', '2.5'], SCHEMA)).toThrow(/--logging_steps expects an integer, got "2.5"/);
  expect(() => parseFlags(['--learning_rate', 'fast'], SCHEMA)).toThrow(/--learning_rate expects a number, got "fast"/);
  expect(() => parseFlags(['--eval_strategy', 'sometimes'], SCHEMA)).toThrow(/must be one of no, steps, epoch/);
  expect(() => parseFlags(['--output_dir'], SCHEMA)).toThrow(/--output_dir needs a value/);
  expect(() => parseFlags(['train.tsv'], SCHEMA)).toThrow(/unexpected argument "train.tsv"/);
});

test('--config json and yaml supply values; command-line flags win; bad files are named', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-flags-'));
  try {
    fs.writeFileSync(path.join(dir, 'a.yaml'), 'learning_rate: 3.0e-5\nnum-train-epochs: 2\nlabel_names: [x, y]\n');
    fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ learning_rate: 1e-4, output_dir: 'o' }));
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"learnig_rate": 1}');
    expect(parseFlags(['--config', path.join(dir, 'a.yaml')], SCHEMA)).toMatchObject({ learning_rate: 3e-5, num_train_epochs: 2, label_names: ['x', 'y'] });
    expect(parseFlags(['--config', path.join(dir, 'a.json'), '--learning_rate', '7e-6'], SCHEMA)).toMatchObject({ learning_rate: 7e-6, output_dir: 'o' });
    expect(() => parseFlags(['--config', path.join(dir, 'bad.json')], SCHEMA)).toThrow(
      /bad\.json: unknown argument "learnig_rate"; did you mean "learning_rate"\?/,
    );
    expect(() => parseFlags(['--config', path.join(dir, 'none.yaml')], SCHEMA)).toThrow(/none\.yaml: cannot read it \(ENOENT\)/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('help lists every flag with its default', () => {
  const help = formatHelp('usage: bertrun train [flags]', SCHEMA);
  for (const name of Object.keys(SCHEMA)) expect(help).toContain(`--${name}`);
  expect(help).toContain('(default: 0.00005)');
});
