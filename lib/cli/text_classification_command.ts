// `bertrun train | eval | predict`: run_glue.py as one command. Every input is checked (files,
// columns, labels, empty sets) before the first training step.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic_write';
import { BertModel } from '../models/bert_model';
import { BertTokenizer } from '../tokenization';
import { loadTextExamples, type TextExample, type TextExampleOptions } from '../data/examples/text_examples';
import { resolveLabels, type ResolvedLabels } from '../data/examples/labels';
import { glueTask, type GlueTask } from '../data/tasks/glue';
import { loadGlueSplit } from '../data/tasks/glue_files';
import { buildTextFeatures } from '../data/features/text_features';
import { cacheKey, cachedFeatures, fileDigest, tokenizerFingerprint } from '../data/features/feature_cache';
import type { TextFeature } from '../data/loader/collate';
import { glueMetrics, meanSquaredError } from '../evaluation';
import { Trainer, type EvalSet, type Predictions } from '../training/trainer';
import type { FlagValues } from './flags';
import { readConfigId2Label, runSources, startCommand, trainAndRecord, str, writeAllResults, writeEvalResults, writeJson, type Command } from './command_common';
import { TEXT_CLASSIFICATION_FLAGS } from './text_classification_flags';

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
}

const columnRef = (v: unknown): string | number => (typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : String(v));

export async function runTextClassification(command: Command, argv: string[]): Promise<void> {
  const started = await startCommand(command, argv, TEXT_CLASSIFICATION_FLAGS, '--model_name_or_path DIR (--task_name T --data_dir D | --train_file F ...) --output_dir OUT [flags]');
  if (!started) return;
  const { flags, doTrain, doEval, doPredict, modelDir, outputDir, args, distributed, isMain } = started;

  const tokenizer = await BertTokenizer.fromDirectory(str(flags.tokenizer_name) ?? modelDir);
  const data = await loadDatasets(flags, { train: doTrain, eval: doEval, test: doPredict });
  const configLabels = readConfigId2Label(modelDir);
  const labels = resolveLabels({
    ...(Array.isArray(flags.label_names) ? { fromFlag: flags.label_names as string[] } : {}),
    ...(data.preset && data.preset.labels.length > 0 ? { fromTask: data.preset.labels } : {}),
    ...(data.preset ? { problem: data.preset.problem } : str(flags.problem_type) ? { problem: flags.problem_type as ResolvedLabels['problem'] } : {}),
    ...(configLabels ? { fromConfig: configLabels } : {}),
    ...(data.train ? { train: data.train.examples } : data.evals[0] ? { train: data.evals[0].examples } : {}),
    ...(str(flags.multi_label_delimiter) ? { multiLabelDelimiter: flags.multi_label_delimiter as string } : {}),
  });
  for (const w of labels.warnings) console.warn(`warning: ${w}`);

  const id2label = Object.fromEntries(labels.labels.map((l, i) => [String(i), l]));
  const { model } = await BertModel.fromPretrained(modelDir, 'sequence-classification', {
    device: args.device,
    seed: args.seed,
    ignoreMismatchedSizes: flags.ignore_mismatched_sizes === true,
    tokenizer: false, // loaded above, possibly from --tokenizer_name
    config: {
      num_labels: labels.numLabels,
      ...(labels.problem !== 'regression' ? { id2label, label2id: labels.label2id } : {}),
      problem_type: labels.problem,
    },
  });
  const maxSeqLength = (flags.max_seq_length as number | undefined) ?? Math.min(128, model.config.max_position_embeddings);
  if (maxSeqLength > model.config.max_position_embeddings) {
    throw new Error(`--max_seq_length ${maxSeqLength} exceeds the model's max_position_embeddings (${model.config.max_position_embeddings})`);
  }
  const featurize = (split: LoadedSplit, withLabels: boolean) => featuresFor(split, tokenizer, maxSeqLength, withLabels ? labels : undefined, flags);
  const floatLabels = labels.problem !== 'single_label_classification';
  const evalSets: EvalSet[] = [];
  for (const split of data.evals) evalSets.push({ features: await featurize(split, true), suffix: split.suffix });

  const trainer = new Trainer({
    model, args,
    ...(data.train ? { train: await featurize(data.train, true) } : {}),
    evalSets,
    padTokenId: tokenizer.padTokenId,
    floatLabels,
    ...(flags.pad_to_max_length === true ? { padToLength: maxSeqLength } : {}),
    computeMetrics: (p) => computeMetrics(p, labels, data.preset?.name),
    tokenizer,
    ...(distributed ? { distributed } : {}),
    ...(data.train ? { runSources: runSources(started, tokenizer, data.train.file) } : {}),
  });
  const results: Record<string, number> = {};
  if (doTrain) Object.assign(results, await trainAndRecord(trainer, started));
  if (doEval) {
    if (evalSets.length === 0) throw new Error('--do_eval needs --validation_file or --task_name with --data_dir');
    const metrics: Record<string, number> = {};
    for (const set of evalSets) Object.assign(metrics, await trainer.evaluate(set));
    if (isMain) writeEvalResults(outputDir, metrics);
    Object.assign(results, metrics);
  }
  if (doPredict) {
    if (!data.test) throw new Error('predict needs --test_file (or --task_name with --data_dir holding test.tsv)');
    const p = await trainer.predict(await featurize(data.test, false));
    if (isMain) {
      writePredictions(path.join(outputDir, 'predictions.jsonl'), data.test, p, labels);
      console.log(`wrote ${data.test.examples.length} predictions to ${path.join(outputDir, 'predictions.jsonl')}`);
    }
  }
  if (isMain && Object.keys(results).length > 0) writeAllResults(outputDir, results);
}

async function loadDatasets(flags: FlagValues, want: { train: boolean; eval: boolean; test: boolean }): Promise<Datasets> {
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
      devs.forEach((d, i) => out.evals.push({ name: d.split, suffix: i === 0 ? '' : '_mm', file: d.file, examples: limit(d.examples, flags.max_eval_samples) }));
    }
    if (want.test) {
      const [test] = await loadGlueSplit(preset, dataDir, 'test', flags.max_line_length as number);
      out.test = { name: test.split, suffix: '', file: test.file, examples: test.examples };
    }
    return out;
  }
  const pair = str(flags.text_pair_column);
  const options = (labeled: boolean): TextExampleOptions => ({
    textColumn: columnRef(flags.text_column),
    ...(pair && pair !== 'none' ? { textPairColumn: columnRef(pair) } : {}),
    ...(labeled ? { labelColumn: columnRef(flags.label_column) } : {}),
    hasHeader: flags.has_header !== false,
    maxLineLength: flags.max_line_length as number,
  });
  const load = async (flag: string, name: string, labeled: boolean, max?: unknown): Promise<LoadedSplit | undefined> => {
    const file = str(flags[flag]);
    if (!file) return undefined;
    return { name, suffix: '', file, examples: limit(await loadTextExamples(file, options(labeled)), max) };
  };
  const out: Datasets = { evals: [] };
  if (want.train) {
    out.train = await load('train_file', 'train', true, flags.max_train_samples);
    if (!out.train) throw new Error('training needs --train_file (or --task_name with --data_dir)');
  }
  const dev = await load('validation_file', 'dev', true, flags.max_eval_samples);
  if (dev) out.evals.push(dev);
  if (want.test) out.test = await load('test_file', 'test', false);
  return out;
}

async function featuresFor(split: LoadedSplit, tokenizer: BertTokenizer, maxSeqLength: number, labels: ResolvedLabels | undefined, flags: FlagValues): Promise<TextFeature[]> {
  const cacheDir = str(flags.cache_dir) ?? path.join(path.dirname(split.file), '.bertrun-cache');
  const key = cacheKey({
    dataDigest: fileDigest(split.file),
    tokenizer: tokenizerFingerprint(tokenizer),
    settings: { maxSeqLength, columns: [flags.text_column, flags.text_pair_column, flags.label_column, flags.task_name], labels: labels ? [labels.problem, labels.labels] : null, n: split.examples.length },
  });
  const { features } = await cachedFeatures(cacheDir, key, () => buildTextFeatures(split.examples, tokenizer, { maxSeqLength, ...(labels ? { labels } : {}) }), {
    overwrite: flags.overwrite_cache === true,
  });
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

function writePredictions(file: string, split: LoadedSplit, p: Predictions, labels: ResolvedLabels): void {
  const lines = split.examples.map((example, i) => {
    const row = Array.from(p.logits.subarray(i * p.numLabels, (i + 1) * p.numLabels));
    if (labels.problem === 'regression') return { index: i, line: example.source.line, prediction: row[0] };
    if (labels.problem === 'multi_label_classification') {
      const scores = row.map((v) => 1 / (1 + Math.exp(-v)));
      return { index: i, line: example.source.line, labels: labels.labels.filter((_, j) => scores[j] > 0.5), scores };
    }
    const max = Math.max(...row);
    const exp = row.map((v) => Math.exp(v - max));
    const sum = exp.reduce((a, b) => a + b, 0);
    const best = row.indexOf(max);
    return { index: i, line: example.source.line, label: labels.labels[best], score: exp[best] / sum };
  });
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, Buffer.from(lines.map((l) => JSON.stringify(l)).join('\n') + '\n'));
}
