// `bertrun train | eval | predict` for every task: one skeleton (flags, data checked before the
// model loads, model and tokenizer, features, Trainer, results written by rank 0), into which a
// task plugs what is its own: reading its files, labels, features, metrics and prediction files.
import * as path from 'path';
import { bertConfigToJson, readBertConfig, type BertConfig } from '../config/bert_config';
import { hubOptionsFromFlags } from './hub_flags';
import type { TextFeature } from '../data/loader/collate';
import type { TrainFeatures } from '../data/loader/feature_source';
import { existingWeightsFile } from '../models/weight_files';
import { BertModel, type BertTask } from '../models/bert_model';
import { BertTokenizer } from '../tokenization';
import { Trainer, type ComputeMetrics, type Predictions } from '../training/trainer';
import { formatMetrics, trainMetrics } from '../training/metrics_summary';
import { runSources, startCommand, str, trainAndRecord, writeAllResults, writeEvalResults, type Command, type CommandStart } from './command_common';
import type { FlagSchema, FlagValues } from './flags';
import { maxPositionEmbeddings, rememberSettings } from './remembered_settings';
import type { TASKS } from './training_flags';

/** What a task has once the model is loaded. */
export interface TaskContext {
  start: CommandStart;
  tokenizer: BertTokenizer;
  model: BertModel;
  maxSeqLength: number;
}

/** One evaluation set: features, how they are scored, and what else an evaluation writes. */
export interface TaskEvalSplit {
  features: TextFeature[];
  /** Appended to metric names (MNLI mismatched: "_mm"). */
  suffix?: string;
  metrics: ComputeMetrics;
  /** Per-example files of a final evaluation (QA: predictions.json, nbest, null odds). */
  writeOutputs?(outputDir: string, predictions: Predictions): void;
}

export interface Task<Data> {
  /** The --task value that selects it. */
  name: (typeof TASKS)[number];
  modelTask: BertTask;
  flags: FlagSchema;
  usage: string;
  /** Reads and checks every file the command needs, before the model is loaded. */
  load(start: CommandStart): Promise<Data>;
  /** config.json overrides for the model (labels). */
  modelConfig?(data: Data): Partial<BertConfig>;
  /**
   * The data settings a training run saves with the model (flag names to values; undefined ones
   * are left out), to be the defaults of a later eval / predict on it. max_seq_length and task
   * are added by the runner.
   */
  rememberedSettings?(data: Data): Record<string, unknown>;
  /** The training file (its hash goes into the run fingerprint). */
  trainFile(data: Data): string | undefined;
  trainFeatures(data: Data, context: TaskContext): Promise<TrainFeatures | undefined>;
  evalSplits(data: Data, context: TaskContext): Promise<TaskEvalSplit[]>;
  /** What --do_eval needs when there is no evaluation data. */
  missingEvalData: string;
  /** Labels are floats (regression, multi-label). */
  floatLabels?(data: Data): boolean;
  /** Predicts the test data; `write` (rank 0) writes the prediction files to outputDir. */
  predict(data: Data, context: TaskContext, trainer: Trainer, write: boolean): Promise<void>;
}

export async function runTask<Data>(task: Task<Data>, command: Command, argv: string[]): Promise<void> {
  const start = await startCommand(command, argv, task.flags, task.usage, task.name);
  if (!start) return;
  const { flags, doTrain, doEval, doPredict, modelDir, configDir, outputDir, args, distributed, isMain } = start;

  const data = await task.load(start);
  const hub = hubOptionsFromFlags(flags);
  const tokenizerName = str(flags.tokenizer_name);
  const tokenizer = tokenizerName ? await BertTokenizer.fromPretrained(tokenizerName, hub) : await BertTokenizer.fromDirectory(modelDir);
  // --config_name: its config.json replaces the model's (the weights still load from the model).
  const namedConfig = configDir !== modelDir ? bertConfigToJson(readBertConfig(path.join(configDir, 'config.json'))) : undefined;
  // Trained models (final and every checkpoint) remember the data settings in config.json.
  const remembered = doTrain
    ? rememberSettings(configDir, {
        task: task.name,
        ...(task.flags.max_seq_length ? { max_seq_length: maxSeqLength(flags, maxPositionEmbeddings(configDir)) } : {}),
        ...task.rememberedSettings?.(data),
      })
    : undefined;
  const labelConfig = task.modelConfig?.(data);
  const config = labelConfig || remembered || namedConfig ? { ...namedConfig, ...labelConfig, ...remembered } : undefined;
  // run_mlm's from-scratch case: --config_name gives the architecture and the model directory has
  // a tokenizer but no weights: a randomly initialised model (HF's init, seeded).
  const fromScratch = doTrain && namedConfig !== undefined && existingWeightsFile(modelDir) === undefined;
  if (fromScratch && isMain) console.log(`${modelDir} holds no weights: training a new model from ${path.join(configDir, 'config.json')} (from scratch)`);
  const model = fromScratch
    ? BertModel.fromConfig({ ...namedConfig, ...config }, task.modelTask, { device: args.device, seed: args.seed })
    : (
        await BertModel.fromPretrained(modelDir, task.modelTask, {
          device: args.device,
          seed: args.seed,
          ignoreMismatchedSizes: flags.ignore_mismatched_sizes === true,
          tokenizer: false, // loaded above, possibly from --tokenizer_name
          ...(config ? { config } : {}),
        })
      ).model;
  const context: TaskContext = { start, tokenizer, model, maxSeqLength: maxSeqLength(flags, model.config.max_position_embeddings) };
  const evalSplits = await task.evalSplits(data, context);
  const train = doTrain ? await task.trainFeatures(data, context) : undefined;
  const trainFile = task.trainFile(data);
  const trainer = new Trainer({
    model,
    args,
    ...(train ? { train } : {}),
    evalSets: evalSplits.map(({ features, suffix, metrics }) => ({ features, metrics, ...(suffix ? { suffix } : {}) })),
    padTokenId: tokenizer.padTokenId,
    ...(task.floatLabels?.(data) ? { floatLabels: true } : {}),
    ...(flags.pad_to_max_length === true ? { padToLength: context.maxSeqLength } : {}),
    tokenizer,
    ...(distributed ? { distributed } : {}),
    ...(train ? { runSources: runSources(start, tokenizer, trainFile) } : {}),
  });

  const results: Record<string, number> = {};
  if (doTrain) {
    const trained = await trainAndRecord(trainer, start);
    Object.assign(results, trained);
    if (isMain) console.log(formatMetrics('train', trainMetrics(trained, train?.length)));
  }
  if (doEval) {
    if (evalSplits.length === 0) throw new Error(`--do_eval needs ${task.missingEvalData}`);
    const metrics: Record<string, number> = {};
    for (const split of evalSplits) {
      const evaluated = await trainer.evaluateWithPredictions({
        features: split.features,
        metrics: split.metrics,
        ...(split.suffix ? { suffix: split.suffix } : {}),
      });
      if (isMain) split.writeOutputs?.(outputDir, evaluated.predictions);
      Object.assign(metrics, evaluated.metrics);
    }
    if (isMain) writeEvalResults(outputDir, metrics);
    Object.assign(results, metrics);
  }
  if (doPredict) await task.predict(data, context, trainer, isMain);
  if (isMain && Object.keys(results).length > 0) writeAllResults(outputDir, results);
}

/** --max_seq_length, or 128 (or the model's limit if smaller); never beyond the model's positions. */
function maxSeqLength(flags: FlagValues, limit: number): number {
  const value = (flags.max_seq_length as number | undefined) ?? Math.min(128, limit);
  if (value > limit) throw new Error(`--max_seq_length ${value} exceeds the model's max_position_embeddings (${limit})`);
  return value;
}

/** The file a flag names, or an error saying which flag `purpose` needs and what it holds. */
export function requiredFile(flags: FlagValues, flag: string, purpose: string, layout: string): string {
  const file = str(flags[flag]);
  if (!file) throw new Error(`${purpose} needs --${flag} (${layout})`);
  return file;
}

/** The first N items when a --max_*_samples flag is set. */
export function firstSamples<T>(items: T[], max: unknown): T[] {
  return typeof max === 'number' ? items.slice(0, max) : items;
}
