import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DataError } from '../../lib/data/readers/data_error';
import { encodeLabel, resolveLabels } from '../../lib/data/examples/labels';
import { GLUE_TASK_NAMES, glueTask } from '../../lib/data/tasks/glue';
import { loadGlueSplit, locateGlueFiles } from '../../lib/data/tasks/glue_files';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-glue-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const tsvText = (rows: string[][]): string => rows.map((r) => `${r.join('\t')}\n`).join('');

function writeTsv(sub: string, name: string, rows: string[][]): string {
  fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const file = path.join(dir, sub, name);
  fs.writeFileSync(file, tsvText(rows));
  return file;
}

// The real GLUE MNLI layouts: 12 columns in train, 16 in dev (five annotator labels), 10 in test.
const MNLI_TRAIN_HEADER = [
  'index',
  'promptID',
  'pairID',
  'genre',
  'sentence1_binary_parse',
  'sentence2_binary_parse',
  'sentence1_parse',
  'sentence2_parse',
  'sentence1',
  'sentence2',
  'label1',
  'gold_label',
];
const MNLI_DEV_HEADER = [...MNLI_TRAIN_HEADER.slice(0, 11), 'label2', 'label3', 'label4', 'label5', 'gold_label'];
const MNLI_TEST_HEADER = MNLI_TRAIN_HEADER.slice(0, 10);
const mnliRow = (i: number, s1: string, s2: string, labels: string[]): string[] => [
  String(i),
  '31193',
  `${i}n`,
  'government',
  '( ( x ) )',
  '( y )',
  '(ROOT (S x))',
  '(ROOT (S y))',
  s1,
  s2,
  ...labels,
];

function writeMnli(): void {
  writeTsv('MNLI', 'train.tsv', [
    MNLI_TRAIN_HEADER,
    mnliRow(0, 'Conceptually cream skimming has two basic dimensions.', 'Product and geography are what make cream skimming work. ', ['neutral', 'neutral']),
    mnliRow(1, 'you know during the season and i guess at "at your level', 'You lose the things to the following level if the people recall.', [
      'entailment',
      'entailment',
    ]),
    mnliRow(2, 'One of our number will carry out your instructions minutely.', 'A member of my team will execute your orders with immense precision.', [
      'contradiction',
      'contradiction',
    ]),
  ]);
  writeTsv('MNLI', 'dev_matched.tsv', [
    MNLI_DEV_HEADER,
    mnliRow(0, 'The new rights are nice enough', 'Everyone really likes the newest benefits ', [
      'neutral',
      'entailment',
      'neutral',
      'neutral',
      'neutral',
      'neutral',
    ]),
    mnliRow(1, 'This site includes a list of all award winners.', 'The Government Executive articles housed on the website are not able to be searched.', [
      'contradiction',
      'contradiction',
      'contradiction',
      'contradiction',
      'contradiction',
      'contradiction',
    ]),
  ]);
  writeTsv('MNLI', 'dev_mismatched.tsv', [
    MNLI_DEV_HEADER,
    mnliRow(
      0,
      'Your contribution helped make it possible for us to provide our students with a quality education.',
      "Your contributions were of no help with our students' education.",
      ['contradiction', 'contradiction', 'contradiction', 'contradiction', 'contradiction', 'contradiction'],
    ),
  ]);
  writeTsv('MNLI', 'test_matched.tsv', [MNLI_TEST_HEADER, mnliRow(0, 'Hierbas, ans seco.', 'Hierbas is a name.', [])]);
  writeTsv('MNLI', 'test_mismatched.tsv', [MNLI_TEST_HEADER, mnliRow(0, 'What have you decided?', 'I should know.', [])]);
}

describe('glueTask presets', () => {
  test('every task, with HF glue processor label lists, problem types and split files', () => {
    expect([...GLUE_TASK_NAMES].sort()).toEqual(['cola', 'mnli', 'mnli-mm', 'mrpc', 'qnli', 'qqp', 'rte', 'sst2', 'stsb', 'wnli']);
    const summary = Object.fromEntries(
      GLUE_TASK_NAMES.map((n) => {
        const t = glueTask(n);
        return [
          n,
          {
            labels: t.labels,
            problem: t.problem,
            columns: [t.train.textColumn, t.train.textPairColumn, t.train.labelColumn, t.train.hasHeader],
            dev: t.dev.map((s) => s.file),
            test: t.test.map((s) => s.file),
          },
        ];
      }),
    );
    const cls = 'single_label_classification';
    expect(summary).toEqual({
      cola: { labels: ['0', '1'], problem: cls, columns: [3, undefined, 1, false], dev: ['dev.tsv'], test: ['test.tsv'] },
      sst2: { labels: ['0', '1'], problem: cls, columns: ['sentence', undefined, 'label', true], dev: ['dev.tsv'], test: ['test.tsv'] },
      mrpc: { labels: ['0', '1'], problem: cls, columns: ['#1 String', '#2 String', 'Quality', true], dev: ['dev.tsv'], test: ['test.tsv'] },
      stsb: { labels: [], problem: 'regression', columns: ['sentence1', 'sentence2', 'score', true], dev: ['dev.tsv'], test: ['test.tsv'] },
      qqp: { labels: ['0', '1'], problem: cls, columns: ['question1', 'question2', 'is_duplicate', true], dev: ['dev.tsv'], test: ['test.tsv'] },
      mnli: {
        labels: ['contradiction', 'entailment', 'neutral'],
        problem: cls,
        columns: ['sentence1', 'sentence2', 'gold_label', true],
        dev: ['dev_matched.tsv', 'dev_mismatched.tsv'],
        test: ['test_matched.tsv', 'test_mismatched.tsv'],
      },
      'mnli-mm': {
        labels: ['contradiction', 'entailment', 'neutral'],
        problem: cls,
        columns: ['sentence1', 'sentence2', 'gold_label', true],
        dev: ['dev_mismatched.tsv'],
        test: ['test_mismatched.tsv'],
      },
      qnli: { labels: ['entailment', 'not_entailment'], problem: cls, columns: ['question', 'sentence', 'label', true], dev: ['dev.tsv'], test: ['test.tsv'] },
      rte: { labels: ['entailment', 'not_entailment'], problem: cls, columns: ['sentence1', 'sentence2', 'label', true], dev: ['dev.tsv'], test: ['test.tsv'] },
      wnli: { labels: ['0', '1'], problem: cls, columns: ['sentence1', 'sentence2', 'label', true], dev: ['dev.tsv'], test: ['test.tsv'] },
    });
    // Test files carry no labels; CoLA's test file has a header with a sentence column.
    for (const n of GLUE_TASK_NAMES) for (const t of glueTask(n).test) expect(t.labelColumn).toBeUndefined();
    expect(glueTask('cola').test[0]).toMatchObject({ hasHeader: true, textColumn: 'sentence' });
  });

  test('names are case-insensitive and accept the legacy spellings', () => {
    expect(glueTask('MNLI-MM').name).toBe('mnli-mm');
    expect(glueTask('mnli_mm').name).toBe('mnli-mm');
    expect(glueTask('SST-2').name).toBe('sst2');
    expect(glueTask('Sts-B').name).toBe('stsb');
    expect(glueTask('CoLA').name).toBe('cola');
  });

  test('an unknown task lists the tasks and points to custom files', () => {
    let err: unknown;
    try {
      glueTask('snli');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('UNKNOWN_TASK');
    expect((err as DataError).message).toMatch(
      /^--task_name: unknown GLUE task "snli"; the GLUE tasks are cola, sst2, .*wnli\. For your own data, leave out --task_name/,
    );
  });

  test('presets are frozen', () => {
    const t = glueTask('mnli');
    expect(() => {
      (t.labels as string[]).push('x');
    }).toThrow(TypeError);
    expect(glueTask('mnli').labels).toHaveLength(3);
  });
});

describe('GLUE data directories', () => {
  test('MNLI: train, both dev files (matched and mismatched) and test files, labels encoded with the preset', async () => {
    writeMnli();
    const dataDir = path.join(dir, 'MNLI');
    const task = glueTask('mnli');
    const [trainSplit] = await loadGlueSplit(task, dataDir, 'train');
    expect(trainSplit.split).toBe('train');
    expect(trainSplit.examples.map((e) => [e.source.line, e.label])).toEqual([
      [2, 'neutral'],
      [3, 'entailment'],
      [4, 'contradiction'],
    ]);
    // The stray quote in the second sentence is text, not a CSV quote.
    expect(trainSplit.examples[1].text).toBe('you know during the season and i guess at "at your level');
    expect(trainSplit.examples[0].textPair).toBe('Product and geography are what make cream skimming work. ');

    const labels = resolveLabels({ fromTask: task.labels, problem: task.problem, train: trainSplit.examples });
    expect(trainSplit.examples.map((e) => encodeLabel(e, labels))).toEqual([2, 1, 0]);

    const dev = await loadGlueSplit(task, dataDir, 'dev');
    expect(dev.map((d) => [d.split, path.basename(d.file), d.examples.length])).toEqual([
      ['dev_matched', 'dev_matched.tsv', 2],
      ['dev_mismatched', 'dev_mismatched.tsv', 1],
    ]);
    expect(dev[0].examples.map((e) => encodeLabel(e, labels))).toEqual([2, 0]);
    const test = await loadGlueSplit('mnli', dataDir, 'test');
    expect(test.map((t) => [t.split, t.examples[0].text, t.examples[0].label])).toEqual([
      ['test_matched', 'Hierbas, ans seco.', undefined],
      ['test_mismatched', 'What have you decided?', undefined],
    ]);

    const mm = await loadGlueSplit('MNLI-MM', dataDir, 'dev');
    expect(mm.map((d) => d.split)).toEqual(['dev_mismatched']);
  });

  test('STS-B: regression scores from the score column', async () => {
    const header = ['index', 'genre', 'filename', 'year', 'old_index', 'source1', 'source2', 'sentence1', 'sentence2', 'score'];
    const row = (i: number, s1: string, s2: string, score: string): string[] => [
      String(i),
      'main-captions',
      'MSRvid',
      '2012test',
      '0001',
      'none',
      'none',
      s1,
      s2,
      score,
    ];
    writeTsv('STS-B', 'train.tsv', [
      header,
      row(0, 'A plane is taking off.', 'An air plane is taking off.', '5.000'),
      row(1, 'A man is playing a large flute.', 'A man is playing a flute.', '3.800'),
    ]);
    writeTsv('STS-B', 'dev.tsv', [header, row(0, 'A man with a hard hat is dancing.', 'A man wearing a hard hat is dancing.', '5.000')]);
    const dataDir = path.join(dir, 'STS-B');
    const task = glueTask('sts-b');
    const [train] = await loadGlueSplit(task, dataDir, 'train');
    const labels = resolveLabels({ fromTask: task.labels, problem: task.problem, train: train.examples });
    expect(labels).toMatchObject({ problem: 'regression', numLabels: 1, labels: [] });
    expect(train.examples.map((e) => [e.text, e.textPair, encodeLabel(e, labels)])).toEqual([
      ['A plane is taking off.', 'An air plane is taking off.', 5],
      ['A man is playing a large flute.', 'A man is playing a flute.', 3.8],
    ]);
    const [dev] = await loadGlueSplit(task, dataDir, 'dev');
    expect(dev.examples.map((e) => encodeLabel(e, labels))).toEqual([5]);
  });

  test('CoLA: headerless train file read by column index', async () => {
    writeTsv('CoLA', 'train.tsv', [
      ['gj04', '1', '', "Our friends won't buy this analysis, let alone the next one we propose."],
      ['gj04', '0', '*', 'They drank the pub.'],
    ]);
    const [train] = await loadGlueSplit('cola', path.join(dir, 'CoLA'), 'train');
    expect(train.examples.map((e) => [e.source.line, e.text, e.label])).toEqual([
      [1, "Our friends won't buy this analysis, let alone the next one we propose.", '1'],
      [2, 'They drank the pub.', '0'],
    ]);
  });

  test("the seed's layout (dev.tsv under MNLI-MM): the missing file names the expected file, the directory and what is there", () => {
    const dataDir = path.join(dir, 'data');
    writeTsv('data', 'train.tsv', [
      ['id', 'sentence1', 'sentence2', 'label'],
      ['1', 'a', 'b', 'neutral'],
    ]);
    writeTsv('data', 'dev.tsv', [
      ['id', 'sentence1', 'sentence2', 'label'],
      ['1', 'a', 'b', 'neutral'],
    ]);
    let err: unknown;
    try {
      locateGlueFiles('MNLI-MM', dataDir, ['train', 'dev']);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).code).toBe('MISSING_FILE');
    expect((err as DataError).message).toBe(
      `${path.join(dataDir, 'dev_mismatched.tsv')}: not found: GLUE task mnli-mm reads its dev_mismatched split from dev_mismatched.tsv in the data directory ${dataDir} (--data_dir), ` +
        'and the directory holds dev.tsv, train.tsv. Rename your file to dev_mismatched.tsv, or pass your own file (--validation_file) with its columns instead of relying on the GLUE layout',
    );
  });

  test('a missing data directory, and files checked before any is read', async () => {
    const missingDir = path.join(dir, 'nowhere');
    expect(() => locateGlueFiles('rte', missingDir, ['train'])).toThrow(
      `${missingDir}: the data directory (--data_dir) does not exist; GLUE task rte expects train.tsv in it`,
    );
    writeTsv('RTE', 'train.tsv', [
      ['index', 'sentence1', 'sentence2', 'label'],
      ['0', 'a', 'b', 'entailment'],
    ]);
    const located = locateGlueFiles('rte', path.join(dir, 'RTE'), ['train']);
    expect(located.get('train')?.map((l) => path.basename(l.file))).toEqual(['train.tsv']);
    await expect(loadGlueSplit('rte', path.join(dir, 'RTE'), 'dev')).rejects.toThrow(/dev\.tsv: not found: GLUE task rte/);
  });

  test('a GLUE file with the seed columns but MNLI preset: missing column names the available ones', async () => {
    writeTsv('data', 'train.tsv', [
      ['id', 'sentence1', 'sentence2', 'label'],
      ['1', 'a', 'b', 'neutral'],
    ]);
    await expect(loadGlueSplit('mnli', path.join(dir, 'data'), 'train')).rejects.toThrow(
      `${path.join(dir, 'data', 'train.tsv')}:2: column "gold_label" not found; the columns (from the header) are: 0: "id", 1: "sentence1", 2: "sentence2", 3: "label"`,
    );
  });
});
