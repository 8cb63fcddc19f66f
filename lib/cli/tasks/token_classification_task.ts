// Token classification (run_ner.py): sentences read, labels resolved and every tag checked
// before the first step; seqeval's entity-level scores on the first sub-token of each word;
// predictions.txt (run_ner's layout) and predictions.jsonl.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../../io/atomic_write';
import { readTaggedSentences } from '../../data/token_classification/read_tagged_sentences';
import type { TaggedSentence } from '../../data/token_classification/tagged_sentence';
import { resolveTokenLabels, type TokenLabels } from '../../data/token_classification/token_labels';
import { buildTokenFeatures, type TokenFeature } from '../../data/token_classification/token_features';
import { predictWordLabels, tokenSequencesForSeqeval } from '../../data/token_classification/word_predictions';
import type { TextFeature } from '../../data/loader/collate';
import { accuracyScore, classificationReport, f1Score, precisionScore, recallScore } from '../../evaluation/seqeval';
import type { Predictions } from '../../training/trainer';
import type { FlagValues } from '../flags';
import { readConfigId2Label, str } from '../command_common';
import { TOKEN_CLASSIFICATION_FLAGS } from '../token_classification_flags';
import { firstSamples, requiredFile, type Task, type TaskContext } from '../task_runner';

interface TokenClassificationData {
  flags: FlagValues;
  labels: TokenLabels;
  train?: TaggedSentence[];
  dev?: TaggedSentence[];
  test?: TaggedSentence[];
}

export const TOKEN_CLASSIFICATION: Task<TokenClassificationData> = {
  name: 'token-classification',
  modelTask: 'token-classification',
  flags: TOKEN_CLASSIFICATION_FLAGS,
  usage: '--task token-classification --model_name_or_path DIR --train_file train.conll --validation_file dev.conll --output_dir OUT [flags]',
  missingEvalData: '--validation_file',

  async load({ flags, configDir, doTrain, doEval, doPredict }) {
    const train = doTrain ? await loadSplit(flags, 'train_file', 'max_train_samples', 'training') : undefined;
    const dev = doEval || (doTrain && str(flags.validation_file)) ? await loadSplit(flags, 'validation_file', 'max_eval_samples', 'evaluation') : undefined;
    const test = doPredict ? await loadSplit(flags, 'test_file', 'max_predict_samples', 'prediction') : undefined;
    const fromConfig = readConfigId2Label(configDir);
    const labels = resolveTokenLabels({
      ...(Array.isArray(flags.label_names) ? { fromFlag: flags.label_names as string[] } : {}),
      ...(fromConfig ? { fromConfig } : {}),
      // run_ner infers the labels from the evaluation data when it does not train.
      ...(train ? { train } : dev ? { train: dev } : {}),
    });
    for (const w of labels.warnings) console.warn(`warning: ${w}`);
    return { flags, labels, ...(train ? { train } : {}), ...(dev ? { dev } : {}), ...(test ? { test } : {}) };
  },

  modelConfig({ labels }) {
    return { num_labels: labels.labels.length, id2label: Object.fromEntries(labels.labels.map((l, i) => [String(i), l])), label2id: labels.label2id };
  },

  rememberedSettings: ({ flags }) => ({
    text_column_name: str(flags.text_column_name),
    label_column_name: str(flags.label_column_name),
    conll_label_column: flags.conll_label_column,
    label_all_tokens: flags.label_all_tokens === true,
  }),

  trainFile: (data) => (data.train ? str(data.flags.train_file) : undefined),

  async trainFeatures(data, context) {
    return data.train ? trainerFeatures(await featurize(data, context, data.train, true)) : undefined;
  },

  async evalSplits(data, context) {
    if (!data.dev) return [];
    const features = await featurize(data, context, data.dev, true);
    return [
      {
        features: trainerFeatures(features),
        metrics: (p: Predictions) => nerMetrics(features, p, data.labels, data.flags.return_entity_level_metrics === true),
      },
    ];
  },

  async predict(data, context, trainer, write) {
    const test = data.test as TaggedSentence[];
    const features = await featurize(data, context, test, false);
    const p = await trainer.predict(trainerFeatures(features));
    if (write) writePredictions(context.start.outputDir, test, features, p, data.labels);
  },
};

function featurize(
  { flags, labels }: TokenClassificationData,
  { tokenizer, maxSeqLength }: TaskContext,
  sentences: readonly TaggedSentence[],
  labeled: boolean,
): Promise<TokenFeature[]> {
  return buildTokenFeatures(sentences, tokenizer, { maxSeqLength, labelAllTokens: flags.label_all_tokens === true, ...(labeled ? { labels } : {}) });
}

async function loadSplit(flags: FlagValues, flag: string, maxFlag: string, purpose: string): Promise<TaggedSentence[]> {
  const sentences = await readTaggedSentences(requiredFile(flags, flag, purpose, 'CoNLL, .json or .jsonl'), {
    labelColumn: flags.conll_label_column as number,
    maxLineLength: flags.max_line_length as number,
    ...(str(flags.text_column_name) ? { tokensColumn: str(flags.text_column_name) } : {}),
    ...(str(flags.label_column_name) ? { tagsColumn: str(flags.label_column_name) } : {}),
    ...(Array.isArray(flags.label_names) ? { labelNames: flags.label_names as string[] } : {}),
  });
  return firstSamples(sentences, flags[maxFlag]);
}

function trainerFeatures(features: readonly TokenFeature[]): TextFeature[] {
  return features.map((f) => ({ inputIds: f.inputIds, tokenTypeIds: f.tokenTypeIds, ...(f.labels ? { tokenLabels: f.labels } : {}) }));
}

/** run_ner's compute_metrics: seqeval on the labelled tokens (first sub-token of each word). */
function nerMetrics(features: readonly TokenFeature[], p: Predictions, labels: TokenLabels, perType: boolean): Record<string, number> {
  const gold: string[][] = [];
  const predicted: string[][] = [];
  features.forEach((f, i) => {
    const { references, predictions } = tokenSequencesForSeqeval(f, p.rows[i].logits, labels.labels);
    gold.push(references);
    predicted.push(predictions);
  });
  const out: Record<string, number> = {
    precision: precisionScore(gold, predicted),
    recall: recallScore(gold, predicted),
    f1: f1Score(gold, predicted),
    accuracy: accuracyScore(gold, predicted),
  };
  if (perType) {
    for (const row of classificationReport(gold, predicted)) {
      if (row.name.endsWith(' avg')) continue;
      out[`${row.name}_precision`] = row.precision;
      out[`${row.name}_recall`] = row.recall;
      out[`${row.name}_f1`] = row.f1;
      out[`${row.name}_number`] = row.support;
    }
  }
  return out;
}

/**
 * predictions.txt as run_ner writes it (one sentence per line, labels separated by spaces) and
 * predictions.jsonl with words, labels and the source line; words past max_seq_length get no label (null).
 */
function writePredictions(
  outputDir: string,
  sentences: readonly TaggedSentence[],
  features: readonly TokenFeature[],
  p: Predictions,
  labels: TokenLabels,
): void {
  const words = features.map((f, i) => predictWordLabels(f, p.rows[i].logits, labels.labels));
  fs.mkdirSync(outputDir, { recursive: true });
  // As run_ner: words cut off by max_seq_length have no prediction and are left out of the line.
  const truncated = words.reduce((n, w) => n + w.filter((l) => l === null).length, 0);
  writeFileAtomic(path.join(outputDir, 'predictions.txt'), Buffer.from(words.map((w) => w.filter((l) => l !== null).join(' ')).join('\n') + '\n'));
  if (truncated > 0) {
    const affected = words.filter((w) => w.includes(null)).length;
    console.warn(
      `${truncated} words of ${affected} sentences are past --max_seq_length and have no label (left out of predictions.txt, null in predictions.jsonl)`,
    );
  }
  const lines = sentences.map((s, i) => JSON.stringify({ line: s.source.line, tokens: s.tokens, labels: words[i] }));
  writeFileAtomic(path.join(outputDir, 'predictions.jsonl'), Buffer.from(lines.join('\n') + '\n'));
  console.log(`wrote labels for ${sentences.length} sentences to ${path.join(outputDir, 'predictions.txt')} and predictions.jsonl`);
}
