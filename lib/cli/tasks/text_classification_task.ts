// Text classification (run_glue.py): TSV/CSV/JSON(L) files or GLUE presets, labels resolved
// before the model loads, GLUE metrics, predictions.jsonl with label and softmax score.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../../io/atomic_write';
import { loadTextExamples, type TextExample, type TextExampleOptions } from '../../data/examples/text_examples';
import { chooseTextColumns, peekColumnNames, type TextColumns } from '../../data/examples/text_columns';
import type { ColumnRef } from '../../data/examples/column_ref';
import { resolveLabels, type ResolvedLabels } from '../../data/examples/labels';
import { glueTask, type GlueTask } from '../../data/tasks/glue';
import { loadGlueSplit } from '../../data/tasks/glue_files';
import { buildTextFeatures } from '../../data/features/text_features';
import { cacheKey, cachedFeatures, fileDigest, tokenizerFingerprint } from '../../data/features/feature_cache';
import type { TextFeature } from '../../data/loader/collate';
import { glueMetrics, meanSquaredError } from '../../evaluation';
import { applyFunction, defaultFunction } from '../../serving/tasks/text_classification';
import type { Predictions } from '../../training/trainer';
import type { FlagValues } from '../flags';
import { readConfigId2Label, str } from '../command_common';
import { TEXT_CLASSIFICATION_FLAGS } from '../text_classification_flags';
import type { Task, TaskContext } from '../task_runner';

interface LoadedSplit {
  name: string;
  /** metric suffix, e.g. "_mm" for MNLI mismatched */
  suffix: string;
  file: string;
  examples: TextExample[];
}

interface Datasets {
  train?: LoadedSplit;
  evals: LoadedSplit[];
  test?: LoadedSplit;
  preset?: GlueTask;
  /** The columns user files are read with (none for a GLUE preset). */
  columns?: TextColumns & { labelColumn: ColumnRef };
}

interface TextClassificationData extends Datasets {
  flags: FlagValues;
  labels: ResolvedLabels;
}

const columnRef = (v: unknown): string | number => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : String(v));

export const TEXT_CLASSIFICATION: Task<TextClassificationData> = {
  name: 'text-classification',
  modelTask: 'sequence-classification',
  flags: TEXT_CLASSIFICATION_FLAGS,
  usage: '--model_name_or_path DIR (--task_name T --data_dir D | --train_file F ...) --output_dir OUT [flags]',
  missingEvalData: '--validation_file or --task_name with --data_dir',

  async load({ flags, configDir, doTrain, doEval, doPredict, isMain }) {
    const data = await loadDatasets(flags, { train: doTrain, eval: doEval, test: doPredict }, isMain);
    const configLabels = readConfigId2Label(configDir);
    const labels = resolveLabels({
      ...(Array.isArray(flags.label_names) ? { fromFlag: flags.label_names as string[] } : {}),
      ...(data.preset && data.preset.labels.length > 0 ? { fromTask: data.preset.labels } : {}),
      ...(data.preset ? { problem: data.preset.problem } : str(flags.problem_type) ? { problem: flags.problem_type as ResolvedLabels['problem'] } : {}),
      ...(configLabels ? { fromConfig: configLabels } : {}),
      ...(data.train ? { train: data.train.examples } : data.evals[0] ? { train: data.evals[0].examples } : {}),
      ...(str(flags.multi_label_delimiter) ? { multiLabelDelimiter: flags.multi_label_delimiter as string } : {}),
    });
    for (const w of labels.warnings) console.warn(`warning: ${w}`);
    return { ...data, flags, labels };
  },

  modelConfig({ labels }) {
    const id2label = Object.fromEntries(labels.labels.map((l, i) => [String(i), l]));
    return {
      num_labels: labels.numLabels,
      ...(labels.problem !== 'regression' ? { id2label, label2id: labels.label2id } : {}),
      problem_type: labels.problem,
    };
  },

  rememberedSettings({ flags, preset, columns, labels }) {
    return {
      ...(preset ? { task_name: preset.name } : { problem_type: labels.problem }),
      ...(columns
        ? {
            text_column: String(columns.textColumn),
            text_pair_column: columns.textPairColumn !== undefined ? String(columns.textPairColumn) : 'none',
            label_column: String(columns.labelColumn),
            ...(flags.has_header === false ? { has_header: false } : {}),
          }
        : {}),
      multi_label_delimiter: str(flags.multi_label_delimiter),
    };
  },

  trainFile: (data) => data.train?.file,
  floatLabels: (data) => data.labels.problem !== 'single_label_classification',

  async trainFeatures(data, context) {
    return data.train ? featuresFor(data.train, context, data.labels, data) : undefined;
  },

  async evalSplits(data, context) {
    const splits = [];
    for (const split of data.evals) {
      splits.push({
        features: await featuresFor(split, context, data.labels, data),
        suffix: split.suffix,
        metrics: (p: Predictions) => computeMetrics(p, data.labels, data.preset?.name),
      });
    }
    return splits;
  },

  async predict(data, context, trainer, write) {
    if (!data.test) throw new Error('predict needs --test_file (or --task_name with --data_dir holding test.tsv)');
    const p = await trainer.predict(await featuresFor(data.test, context, undefined, data));
    if (!write) return;
    const file = path.join(context.start.outputDir, 'predictions.jsonl');
    writePredictions(file, data.test, p, data.labels);
    console.log(`wrote ${data.test.examples.length} predictions to ${file}`);
  },
};

async function loadDatasets(flags: FlagValues, want: { train: boolean; eval: boolean; test: boolean }, log: boolean): Promise<Datasets> {
  const taskName = str(flags.task_name);
  const dataDir = str(flags.data_dir);
  const limit = (examples: TextExample[], n: unknown) => (typeof n === 'number' ? examples.slice(0, n) : examples);
  if (taskName && dataDir && !str(flags.train_file)) {
    const preset = glueTask(taskName);
    const out: Datasets = { evals: [], preset };
    if (want.train) {
      const [train] = await loadGlueSplit(preset, dataDir, 'train', flags.max_line_length as number);
      out.train = { name: 'train', suffix: '', file: train.file, examples: limit(train.examples, flags.max_train_samples) };
    }
    if (want.eval || want.train) {
      const devs = await loadGlueSplit(preset, dataDir, 'dev', flags.max_line_length as number).catch((e) => (want.eval ? Promise.reject(e) : []));
      devs.forEach((d, i) =>
        out.evals.push({ name: d.split, suffix: i === 0 ? '' : '_mm', file: d.file, examples: limit(d.examples, flags.max_eval_samples) }),
      );
    }
    if (want.test) {
      const [test] = await loadGlueSplit(preset, dataDir, 'test', flags.max_line_length as number);
      out.test = { name: test.split, suffix: '', file: test.file, examples: limit(test.examples, flags.max_predict_samples) };
    }
    return out;
  }
  const columns = await chooseColumns(flags, want, log);
  const options = (labeled: boolean): TextExampleOptions => ({
    textColumn: columns.textColumn,
    ...(columns.textPairColumn !== undefined ? { textPairColumn: columns.textPairColumn } : {}),
    ...(labeled ? { labelColumn: columns.labelColumn } : {}),
    hasHeader: flags.has_header !== false,
    maxLineLength: flags.max_line_length as number,
  });
  const load = async (flag: string, name: string, labeled: boolean, max?: unknown): Promise<LoadedSplit | undefined> => {
    const file = str(flags[flag]);
    if (!file) return undefined;
    return { name, suffix: '', file, examples: limit(await loadTextExamples(file, options(labeled)), max) };
  };
  const out: Datasets = { evals: [], columns };
  if (want.train) {
    out.train = await load('train_file', 'train', true, flags.max_train_samples);
    if (!out.train) throw new Error('training needs --train_file (or --task_name with --data_dir)');
  }
  const dev = await load('validation_file', 'dev', true, flags.max_eval_samples);
  if (dev) out.evals.push(dev);
  if (want.test) out.test = await load('test_file', 'test', false, flags.max_predict_samples);
  return out;
}

/**
 * The columns of user files: --text_column / --text_pair_column (or the model's remembered ones)
 * where given, the rest by run_glue.py's rule from the first file's header (or first JSON record).
 */
async function chooseColumns(
  flags: FlagValues,
  want: { train: boolean; eval: boolean; test: boolean },
  log: boolean,
): Promise<TextColumns & { labelColumn: ColumnRef }> {
  const labelColumn = columnRef(flags.label_column ?? 'label');
  const text = str(flags.text_column);
  const pair = str(flags.text_pair_column);
  const given = { ...(text ? { textColumn: columnRef(text) } : {}), ...(pair ? { textPairColumn: pair === 'none' ? null : columnRef(pair) } : {}) };
  if (given.textColumn !== undefined && given.textPairColumn !== undefined) {
    return { textColumn: given.textColumn, ...(given.textPairColumn !== null ? { textPairColumn: given.textPairColumn } : {}), labelColumn };
  }
  const flag = (['train_file', 'validation_file', 'test_file'] as const).find((f, i) => str(flags[f]) && (i !== 0 || want.train));
  const file = flag ? str(flags[flag]) : undefined;
  if (!file) return { textColumn: given.textColumn ?? 0, labelColumn }; // no file to read: loading says which flag is missing
  const hasHeader = flags.has_header !== false;
  const names = await peekColumnNames(file, { hasHeader, maxLineLength: flags.max_line_length as number });
  if (names === undefined) {
    // no records (loading reports the empty file), or no header: columns by index, single texts unless a pair is named
    if (hasHeader || given.textColumn !== undefined) return { textColumn: given.textColumn ?? 0, labelColumn };
    throw new Error(
      `${file} is read without a header row (--has_header false), so its columns have no names: pass --text_column N ` +
        '(and --text_pair_column M for pairs, --label_column K) with 0-based column indexes',
    );
  }
  const chosen = chooseTextColumns(names, labelColumn, given);
  if (!chosen) {
    throw new Error(
      `${file}: no column to read the text from (its columns: ${names.map((n) => JSON.stringify(n)).join(', ')}); pass --text_column (and --label_column)`,
    );
  }
  if (log) {
    const pairText = chosen.textPairColumn !== undefined ? `, --text_pair_column ${chosen.textPairColumn}` : ' (single texts)';
    console.error(
      `columns of ${file} (run_glue's rule: sentence1/sentence2 if present, else the first two non-label columns): ` +
        `--text_column ${chosen.textColumn}${pairText}, --label_column ${labelColumn}`,
    );
  }
  return { ...chosen, labelColumn };
}

/** Tokenized features of a split, from the on-disk cache when nothing that shapes them changed. */
async function featuresFor(
  split: LoadedSplit,
  { tokenizer, maxSeqLength }: Pick<TaskContext, 'tokenizer' | 'maxSeqLength'>,
  labels: ResolvedLabels | undefined,
  { flags, columns }: Pick<TextClassificationData, 'flags' | 'columns'>,
): Promise<TextFeature[]> {
  const cacheDir = str(flags.cache_dir) ?? path.join(path.dirname(split.file), '.bertrun-cache');
  const key = cacheKey({
    dataDigest: fileDigest(split.file),
    tokenizer: tokenizerFingerprint(tokenizer),
    settings: {
      maxSeqLength,
      columns: [columns?.textColumn, columns?.textPairColumn ?? 'none', columns?.labelColumn, flags.task_name],
      labels: labels ? [labels.problem, labels.labels] : null,
      n: split.examples.length,
    },
  });
  const { features } = await cachedFeatures(
    cacheDir,
    key,
    () => buildTextFeatures(split.examples, tokenizer, { maxSeqLength, ...(labels ? { labels } : {}) }),
    {
      overwrite: flags.overwrite_cache === true,
    },
  );
  return features;
}

function argmaxRows(p: Predictions): number[] {
  const out: number[] = [];
  for (let i = 0; i < p.logits.length / p.numLabels; i++) {
    let best = 0;
    for (let j = 1; j < p.numLabels; j++) if (p.logits[i * p.numLabels + j] > p.logits[i * p.numLabels + best]) best = j;
    out.push(best);
  }
  return out;
}

function computeMetrics(p: Predictions, labels: ResolvedLabels, task: string | undefined): Record<string, number> {
  if (labels.problem === 'regression') {
    const predictions = Array.from(p.logits);
    const gold = (p.labels as number[]).map(Number);
    // Without a GLUE task, report what STS-B reports plus the mean squared error.
    return task ? glueMetrics(task, predictions, gold) : { ...glueMetrics('stsb', predictions, gold), mse: meanSquaredError(predictions, gold) };
  }
  if (labels.problem === 'multi_label_classification') {
    // Element-wise: a label is predicted when its logit is > 0 (sigmoid > 0.5).
    const predicted = Array.from(p.logits, (v) => (v > 0 ? 1 : 0));
    const gold = (p.labels as number[][]).flat();
    return glueMetrics('multi_label', predicted, gold);
  }
  return glueMetrics(task ?? 'classification', argmaxRows(p), p.labels as number[]);
}

// Scores as the pipeline computes them (lib/serving/tasks/text_classification.ts): one inference path.
function writePredictions(file: string, split: LoadedSplit, p: Predictions, labels: ResolvedLabels): void {
  const apply = defaultFunction(labels.problem, p.numLabels);
  const lines = split.examples.map((example, i) => {
    const row = Array.from(p.logits.subarray(i * p.numLabels, (i + 1) * p.numLabels));
    const scores = applyFunction(row, apply);
    if (labels.problem === 'regression') return { index: i, line: example.source.line, prediction: scores[0] };
    if (labels.problem === 'multi_label_classification') {
      return { index: i, line: example.source.line, labels: labels.labels.filter((_, j) => scores[j] > 0.5), scores };
    }
    const best = scores.indexOf(Math.max(...scores));
    return { index: i, line: example.source.line, label: labels.labels[best], score: scores[best] };
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n'));
}
