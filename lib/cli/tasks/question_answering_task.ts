// Extractive question answering (run_qa.py): SQuAD files read and windowed before the first
// step; answers are the best span over all windows of an example, scored with the official
// SQuAD metrics; predictions.json, nbest_predictions.json and (v2) null_odds.json are written.
import { answersRecoverable, readSquad, type SquadDataset, type SquadExample } from '../../data/question_answering/squad_reader';
import { buildQaFeatures, type QaFeature } from '../../data/question_answering/qa_features';
import { postprocessQaPredictions, writeQaPredictionFiles, type QaPredictions } from '../../evaluation/qa_postprocess';
import { squadV1Metrics, squadV2Metrics } from '../../evaluation/squad_metrics';
import type { Predictions } from '../../training/trainer';
import type { FlagValues } from '../flags';
import { str } from '../command_common';
import { QUESTION_ANSWERING_FLAGS } from '../question_answering_flags';
import { firstSamples, requiredFile, type Task, type TaskContext } from '../task_runner';

interface QuestionAnsweringData {
  flags: FlagValues;
  version2: boolean;
  train?: SquadDataset;
  dev?: SquadDataset;
  test?: SquadDataset;
}

export const QUESTION_ANSWERING: Task<QuestionAnsweringData> = {
  name: 'question-answering',
  modelTask: 'question-answering',
  flags: QUESTION_ANSWERING_FLAGS,
  usage: '--task question-answering --model_name_or_path DIR --train_file train.json --validation_file dev.json --output_dir OUT [flags]',
  missingEvalData: '--validation_file',

  async load({ flags, doTrain, doEval, doPredict }) {
    const version2 = flags.version_2_with_negative === true;
    const train = doTrain ? await loadSplit(flags, 'train_file', 'max_train_samples', 'training') : undefined;
    const dev = doEval || (doTrain && str(flags.validation_file)) ? await loadSplit(flags, 'validation_file', 'max_eval_samples', 'evaluation') : undefined;
    const test = doPredict ? await loadSplit(flags, 'test_file', 'max_predict_samples', 'prediction') : undefined;
    if (train && !version2) {
      const impossible = train.examples.filter((e) => e.isImpossible).length;
      if (impossible > 0)
        console.warn(`warning: ${train.file} has ${impossible} impossible questions; pass --version_2_with_negative to train a no-answer model`);
    }
    return { flags, version2, ...(train ? { train } : {}), ...(dev ? { dev } : {}), ...(test ? { test } : {}) };
  },

  rememberedSettings: ({ flags, version2 }) => ({
    doc_stride: flags.doc_stride,
    max_query_length: flags.max_query_length,
    version_2_with_negative: version2,
    max_answer_length: flags.max_answer_length,
  }),

  trainFile: (data) => data.train?.file,

  async trainFeatures(data, context) {
    return data.train ? buildQaFeatures(trainableExamples(data.train), context.tokenizer, windowOptions(data, context), true) : undefined;
  },

  async evalSplits(data, context) {
    const dev = data.dev;
    if (!dev) return [];
    const features = await buildQaFeatures(dev.examples, context.tokenizer, windowOptions(data, context), false);
    return [
      {
        features,
        metrics: (p: Predictions) => squadMetrics(dev.examples, answersFor(data, dev.examples, features, p), data.version2),
        writeOutputs: (outputDir: string, p: Predictions) =>
          void writeQaPredictionFiles(outputDir, answersFor(data, dev.examples, features, p), data.version2, 'eval'),
      },
    ];
  },

  async predict(data, context, trainer, write) {
    const test = data.test as SquadDataset;
    const features = await buildQaFeatures(test.examples, context.tokenizer, windowOptions(data, context), false);
    const answers = answersFor(data, test.examples, features, await trainer.predict(features));
    if (!write) return;
    const files = writeQaPredictionFiles(context.start.outputDir, answers, data.version2, 'predict');
    console.log(`wrote answers to ${test.examples.length} questions: ${files.join(', ')}`);
  },
};

function windowOptions({ flags }: QuestionAnsweringData, { maxSeqLength }: TaskContext) {
  return { maxSeqLength, docStride: flags.doc_stride as number, maxQueryLength: flags.max_query_length as number };
}

/** The best answer of each example over all its windows (HF's postprocess_qa_predictions). */
function answersFor(
  { flags, version2 }: QuestionAnsweringData,
  examples: readonly SquadExample[],
  features: readonly QaFeature[],
  p: Predictions,
): QaPredictions {
  return postprocessQaPredictions(
    examples,
    features,
    p.rows.map((r) => r.start_logits),
    p.rows.map((r) => r.end_logits),
    {
      nBestSize: flags.n_best_size as number,
      maxAnswerLength: flags.max_answer_length as number,
      version2WithNegative: version2,
      nullScoreDiffThreshold: flags.null_score_diff_threshold as number,
    },
  );
}

async function loadSplit(flags: FlagValues, flag: string, maxFlag: string, purpose: string): Promise<SquadDataset> {
  const dataset = await readSquad(requiredFile(flags, flag, purpose, 'a SQuAD JSON file'));
  return { ...dataset, examples: firstSamples(dataset.examples, flags[maxFlag]) };
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
