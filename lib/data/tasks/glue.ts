import { DataError } from '../readers/data_error';
import type { ColumnRef } from '../examples/column_ref';
import type { ProblemType } from '../examples/labels';

/** Canonical GLUE task names. */
export type GlueTaskName = 'cola' | 'sst2' | 'mrpc' | 'stsb' | 'qqp' | 'mnli' | 'mnli-mm' | 'qnli' | 'rte' | 'wnli';

/** Metrics GLUE reports for a task (computed by the evaluation module). */
export type GlueMetric = 'accuracy' | 'f1' | 'matthews_correlation' | 'pearson' | 'spearmanr';

/** One file of a GLUE task inside `--data_dir`, and how to read it. */
export interface GlueSplitFile {
  /** Split name as reported in results, e.g. `dev_matched`. */
  readonly split: string;
  /** File name inside the data directory, e.g. `dev_matched.tsv`. */
  readonly file: string;
  readonly hasHeader: boolean;
  readonly textColumn: ColumnRef;
  readonly textPairColumn?: ColumnRef;
  /** Absent for test files (GLUE test labels are hidden). */
  readonly labelColumn?: ColumnRef;
}

/** A GLUE task preset: file layout, columns, labels and problem type, as Hugging Face's glue processors define them. */
export interface GlueTask {
  readonly name: GlueTaskName;
  readonly problem: ProblemType;
  /** Labels in id order; empty for the regression task STS-B. */
  readonly labels: readonly string[];
  readonly metrics: readonly GlueMetric[];
  readonly train: GlueSplitFile;
  /** Evaluation files; MNLI has two (matched and mismatched). */
  readonly dev: readonly GlueSplitFile[];
  readonly test: readonly GlueSplitFile[];
}

const tsv = (split: string, file: string, textColumn: ColumnRef, textPairColumn?: ColumnRef, labelColumn?: ColumnRef, hasHeader = true): GlueSplitFile => ({
  split,
  file,
  hasHeader,
  textColumn,
  ...(textPairColumn !== undefined ? { textPairColumn } : {}),
  ...(labelColumn !== undefined ? { labelColumn } : {}),
});

/** Standard split files of a task whose train/dev/test files share the same text columns. */
const standard = (text: string, pair: string | undefined, label: string): Pick<GlueTask, 'train' | 'dev' | 'test'> => ({
  train: tsv('train', 'train.tsv', text, pair, label),
  dev: [tsv('dev', 'dev.tsv', text, pair, label)],
  test: [tsv('test', 'test.tsv', text, pair)],
});

const BINARY = ['0', '1'] as const;
const NLI3 = ['contradiction', 'entailment', 'neutral'] as const;
const NLI2 = ['entailment', 'not_entailment'] as const;

const mnliTrain = tsv('train', 'train.tsv', 'sentence1', 'sentence2', 'gold_label');
const mnliMatched = {
  dev: tsv('dev_matched', 'dev_matched.tsv', 'sentence1', 'sentence2', 'gold_label'),
  test: tsv('test_matched', 'test_matched.tsv', 'sentence1', 'sentence2'),
};
const mnliMismatched = {
  dev: tsv('dev_mismatched', 'dev_mismatched.tsv', 'sentence1', 'sentence2', 'gold_label'),
  test: tsv('test_mismatched', 'test_mismatched.tsv', 'sentence1', 'sentence2'),
};

const TASKS: Readonly<Record<GlueTaskName, GlueTask>> = {
  // CoLA's train/dev files have no header: source, label, original mark, sentence. Its test file has one.
  cola: {
    name: 'cola',
    problem: 'single_label_classification',
    labels: BINARY,
    metrics: ['matthews_correlation'],
    train: tsv('train', 'train.tsv', 3, undefined, 1, false),
    dev: [tsv('dev', 'dev.tsv', 3, undefined, 1, false)],
    test: [tsv('test', 'test.tsv', 'sentence')],
  },
  sst2: { name: 'sst2', problem: 'single_label_classification', labels: BINARY, metrics: ['accuracy'], ...standard('sentence', undefined, 'label') },
  mrpc: { name: 'mrpc', problem: 'single_label_classification', labels: BINARY, metrics: ['accuracy', 'f1'], ...standard('#1 String', '#2 String', 'Quality') },
  stsb: { name: 'stsb', problem: 'regression', labels: [], metrics: ['pearson', 'spearmanr'], ...standard('sentence1', 'sentence2', 'score') },
  qqp: {
    name: 'qqp',
    problem: 'single_label_classification',
    labels: BINARY,
    metrics: ['accuracy', 'f1'],
    ...standard('question1', 'question2', 'is_duplicate'),
  },
  mnli: {
    name: 'mnli',
    problem: 'single_label_classification',
    labels: NLI3,
    metrics: ['accuracy'],
    train: mnliTrain,
    dev: [mnliMatched.dev, mnliMismatched.dev],
    test: [mnliMatched.test, mnliMismatched.test],
  },
  'mnli-mm': {
    name: 'mnli-mm',
    problem: 'single_label_classification',
    labels: NLI3,
    metrics: ['accuracy'],
    train: mnliTrain,
    dev: [mnliMismatched.dev],
    test: [mnliMismatched.test],
  },
  qnli: { name: 'qnli', problem: 'single_label_classification', labels: NLI2, metrics: ['accuracy'], ...standard('question', 'sentence', 'label') },
  rte: { name: 'rte', problem: 'single_label_classification', labels: NLI2, metrics: ['accuracy'], ...standard('sentence1', 'sentence2', 'label') },
  wnli: { name: 'wnli', problem: 'single_label_classification', labels: BINARY, metrics: ['accuracy'], ...standard('sentence1', 'sentence2', 'label') },
};

// Presets are shared by every caller: freezing them keeps one caller's edit from leaking into another.
for (const task of Object.values(TASKS)) {
  for (const spec of [task.train, ...task.dev, ...task.test]) Object.freeze(spec);
  Object.freeze(task.dev);
  Object.freeze(task.test);
  Object.freeze(task.labels);
  Object.freeze(task.metrics);
  Object.freeze(task);
}

/** Every GLUE task name {@link glueTask} accepts, canonical spelling. */
export const GLUE_TASK_NAMES: readonly GlueTaskName[] = Object.keys(TASKS) as GlueTaskName[];

/**
 * The preset for a GLUE task. Case-insensitive; `-` and `_` are ignored, so `SST-2`, `sts-b`,
 * `MNLI-MM` and `mnli_mm` all work. Throws a {@link DataError} (UNKNOWN_TASK) listing the tasks.
 */
export function glueTask(name: string): GlueTask {
  const wanted = name.toLowerCase().replace(/[-_\s]/g, '');
  const task = GLUE_TASK_NAMES.map((n) => TASKS[n]).find((t) => t.name.replace('-', '') === wanted);
  if (task === undefined) {
    throw new DataError(
      'UNKNOWN_TASK',
      '--task_name',
      undefined,
      `unknown GLUE task ${JSON.stringify(name)}; the GLUE tasks are ${GLUE_TASK_NAMES.join(', ')}`,
      'For your own data, leave out --task_name and pass the train/validation files, the text and label columns, and (optionally) the label names',
    );
  }
  return task;
}
