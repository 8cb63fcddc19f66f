// `bertrun train | eval | predict --task question-answering`: run_qa.py as one command. SQuAD
// files are read and windowed before the first step; answers come from the best span over all
// windows of an example and are scored with the official SQuAD metrics.
import * as path from 'path';
import { BertModel } from '../models/bert_model';
import { BertTokenizer } from '../tokenization';
import { answersRecoverable, readSquad, type SquadDataset, type SquadExample } from '../data/question_answering/squad_reader';
import { buildQaFeatures, type QaFeature } from '../data/question_answering/qa_features';
import { postprocessQaPredictions, writeQaPredictionFiles, type QaPredictions } from '../evaluation/qa_postprocess';
import { squadV1Metrics, squadV2Metrics } from '../evaluation/squad_metrics';
import { Trainer, type Predictions } from '../training/trainer';
import type { FlagValues } from './flags';
import { runSources, startCommand, trainAndRecord, str, writeAllResults, writeEvalResults, writeJson, type Command } from './command_common';
import { QUESTION_ANSWERING_FLAGS } from './question_answering_flags';

export async function runQuestionAnswering(command: Command, argv: string[]): Promise<void> {
  const started = await startCommand(command, argv, QUESTION_ANSWERING_FLAGS, '--task question-answering --model_name_or_path DIR --train_file train.json --validation_file dev.json --output_dir OUT [flags]');
  if (!started) return;
  const { flags, doTrain, doEval, doPredict, modelDir, outputDir, args, distributed, isMain } = started;
  const version2 = flags.version_2_with_negative === true;

  // Every file is read and checked before the model is loaded or a step is taken.
  const train = doTrain ? await loadSplit(flags, 'train_file', 'max_train_samples', 'training') : undefined;
  const dev = doEval || (doTrain && str(flags.validation_file)) ? await loadSplit(flags, 'validation_file', 'max_eval_samples', 'evaluation') : undefined;
  const test = doPredict ? await loadSplit(flags, 'test_file', 'max_predict_samples', 'prediction') : undefined;
  if (train && !version2) {
    const impossible = train.examples.filter((e) => e.isImpossible).length;
    if (impossible > 0) console.warn(`warning: ${train.file} has ${impossible} impossible questions; pass --version_2_with_negative to train a no-answer model`);
  }

  const tokenizer = await BertTokenizer.fromDirectory(str(flags.tokenizer_name) ?? modelDir);
  const { model } = await BertModel.fromPretrained(modelDir, 'question-answering', {
    device: args.device, seed: args.seed, ignoreMismatchedSizes: flags.ignore_mismatched_sizes === true, tokenizer: false,
  });
  const maxSeqLength = flags.max_seq_length as number;
  if (maxSeqLength > model.config.max_position_embeddings) {
    throw new Error(`--max_seq_length ${maxSeqLength} exceeds the model's max_position_embeddings (${model.config.max_position_embeddings})`);
  }
  const windowOptions = { maxSeqLength, docStride: flags.doc_stride as number, maxQueryLength: flags.max_query_length as number };
  const postprocess = (examples: readonly SquadExample[], features: readonly QaFeature[], p: Predictions): QaPredictions =>
    postprocessQaPredictions(examples, features, p.rows.map((r) => r.start_logits), p.rows.map((r) => r.end_logits), {
      nBestSize: flags.n_best_size as number, maxAnswerLength: flags.max_answer_length as number,
      version2WithNegative: version2, nullScoreDiffThreshold: flags.null_score_diff_threshold as number,
    });

  const devFeatures = dev ? await buildQaFeatures(dev.examples, tokenizer, windowOptions, false) : [];
  let lastDevAnswers: QaPredictions | undefined;
  const devMetrics = (p: Predictions): Record<string, number> => {
    lastDevAnswers = postprocess(dev!.examples, devFeatures, p);
    return squadMetrics(dev!.examples, lastDevAnswers, version2);
  };
  const trainer = new Trainer({
    model, args,
    ...(train ? { train: await buildQaFeatures(trainableExamples(train), tokenizer, windowOptions, true) } : {}),
    evalSets: dev ? [{ features: devFeatures, metrics: devMetrics }] : [],
    padTokenId: tokenizer.padTokenId,
    ...(flags.pad_to_max_length === true ? { padToLength: maxSeqLength } : {}),
    tokenizer,
    ...(distributed ? { distributed } : {}),
    ...(train ? { runSources: runSources(started, tokenizer, train.file) } : {}),
  });

  const results: Record<string, number> = {};
  if (doTrain) Object.assign(results, await trainAndRecord(trainer, started));
  if (doEval) {
    if (!dev) throw new Error('--do_eval needs --validation_file');
    const metrics = await trainer.evaluate({ features: devFeatures, metrics: devMetrics });
    if (isMain) {
      writeQaPredictionFiles(outputDir, lastDevAnswers!, version2);
      writeEvalResults(outputDir, metrics);
    }
    Object.assign(results, metrics);
  }
  if (doPredict) {
    const features = await buildQaFeatures(test!.examples, tokenizer, windowOptions, false);
    const answers = postprocess(test!.examples, features, await trainer.predict(features));
    if (isMain) {
      const files = writeQaPredictionFiles(outputDir, answers, version2, 'predict');
      console.log(`wrote answers to ${test!.examples.length} questions: ${files.join(', ')}`);
    }
  }
  if (isMain && Object.keys(results).length > 0) writeAllResults(outputDir, results);
}

async function loadSplit(flags: FlagValues, flag: string, maxFlag: string, purpose: string): Promise<SquadDataset> {
  const file = str(flags[flag]);
  if (!file) throw new Error(`${purpose} needs --${flag} (a SQuAD JSON file)`);
  const dataset = await readSquad(file);
  const max = flags[maxFlag];
  return typeof max === 'number' ? { ...dataset, examples: dataset.examples.slice(0, max) } : dataset;
}

/** Training examples without the ones whose answer text is not where answer_start says (reported). */
function trainableExamples(train: SquadDataset): SquadExample[] {
  const { count, firstIds } = train.unrecoverable;
  if (count === 0) return train.examples;
  console.warn(
    `warning: ${train.file}: ${count} answers are not found at their answer_start (first: ${firstIds.join(', ')}); ` +
      'those questions are left out of training. Fix the answer_start values to train on them.',
  );
  return train.examples.filter(answersRecoverable);
}

/**
 * Official SQuAD figures on the post-processed answers; for v2 the null odds serve as the
 * no-answer probabilities, so best_f1_thresh suggests a --null_score_diff_threshold.
 */
function squadMetrics(examples: readonly SquadExample[], answers: QaPredictions, version2: boolean): Record<string, number> {
  const gold = examples.map((e) => ({ id: e.id, answers: e.isImpossible ? [] : e.answers.text }));
  if (!version2) return { ...squadV1Metrics(gold, answers.predictions) };
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(squadV2Metrics(gold, answers.predictions, answers.nullOdds))) if (typeof v === 'number') out[k] = v;
  return out;
}
