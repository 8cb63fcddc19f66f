// `bertrun train | eval | predict --task token-classification`: run_ner.py as one command.
// Sentences are read, labels resolved and every tag checked before the first step; scores are
// seqeval's entity-level precision / recall / F1 on the first sub-token of each word, as run_ner.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic_write';
import { BertModel } from '../models/bert_model';
import { BertTokenizer } from '../tokenization';
import { readTaggedSentences } from '../data/token_classification/read_tagged_sentences';
import type { TaggedSentence } from '../data/token_classification/tagged_sentence';
import { resolveTokenLabels, type TokenLabels } from '../data/token_classification/token_labels';
import { buildTokenFeatures, type TokenFeature } from '../data/token_classification/token_features';
import { predictWordLabels, tokenSequencesForSeqeval } from '../data/token_classification/word_predictions';
import type { TextFeature } from '../data/loader/collate';
import { accuracyScore, classificationReport, f1Score, precisionScore, recallScore } from '../evaluation/seqeval';
import { Trainer, type Predictions } from '../training/trainer';
import type { FlagValues } from './flags';
import { readConfigId2Label, runSources, startCommand, trainAndRecord, str, writeAllResults, writeEvalResults, writeJson, type Command } from './command_common';
import { TOKEN_CLASSIFICATION_FLAGS } from './token_classification_flags';

export async function runTokenClassification(command: Command, argv: string[]): Promise<void> {
  const started = await startCommand(command, argv, TOKEN_CLASSIFICATION_FLAGS, '--task token-classification --model_name_or_path DIR --train_file train.conll --validation_file dev.conll --output_dir OUT [flags]');
  if (!started) return;
  const { flags, doTrain, doEval, doPredict, modelDir, outputDir, args, distributed, isMain } = started;

  // Every file is read and every tag checked before the model is loaded or a step is taken.
  const train = doTrain ? await loadSplit(flags, 'train_file', 'max_train_samples', 'training') : undefined;
  const dev = doEval || (doTrain && str(flags.validation_file)) ? await loadSplit(flags, 'validation_file', 'max_eval_samples', 'evaluation') : undefined;
  const test = doPredict ? await loadSplit(flags, 'test_file', 'max_predict_samples', 'prediction') : undefined;
  const fromConfig = readConfigId2Label(modelDir);
  const labels = resolveTokenLabels({
    ...(Array.isArray(flags.label_names) ? { fromFlag: flags.label_names as string[] } : {}),
    ...(fromConfig ? { fromConfig } : {}),
    // run_ner infers the labels from the evaluation data when it does not train.
    ...(train ? { train } : dev ? { train: dev } : {}),
  });
  for (const w of labels.warnings) console.warn(`warning: ${w}`);

  const tokenizer = await BertTokenizer.fromDirectory(str(flags.tokenizer_name) ?? modelDir);
  const id2label = Object.fromEntries(labels.labels.map((l, i) => [String(i), l]));
  const { model } = await BertModel.fromPretrained(modelDir, 'token-classification', {
    device: args.device, seed: args.seed, ignoreMismatchedSizes: flags.ignore_mismatched_sizes === true, tokenizer: false,
    config: { num_labels: labels.labels.length, id2label, label2id: labels.label2id },
  });
  const maxSeqLength = (flags.max_seq_length as number | undefined) ?? Math.min(128, model.config.max_position_embeddings);
  if (maxSeqLength > model.config.max_position_embeddings) {
    throw new Error(`--max_seq_length ${maxSeqLength} exceeds the model's max_position_embeddings (${model.config.max_position_embeddings})`);
  }
  const featurize = (sentences: readonly TaggedSentence[], labeled: boolean) =>
    buildTokenFeatures(sentences, tokenizer, { maxSeqLength, labelAllTokens: flags.label_all_tokens === true, ...(labeled ? { labels } : {}) });
  const devFeatures = dev ? await featurize(dev, true) : [];
  const devMetrics = (p: Predictions) => nerMetrics(devFeatures, p, labels, flags.return_entity_level_metrics === true);
  const trainer = new Trainer({
    model, args,
    ...(train ? { train: trainerFeatures(await featurize(train, true)) } : {}),
    evalSets: dev ? [{ features: trainerFeatures(devFeatures), metrics: devMetrics }] : [],
    padTokenId: tokenizer.padTokenId,
    ...(flags.pad_to_max_length === true ? { padToLength: maxSeqLength } : {}),
    tokenizer,
    ...(distributed ? { distributed } : {}),
    ...(train ? { runSources: runSources(started, tokenizer, str(flags.train_file)) } : {}),
  });

  const results: Record<string, number> = {};
  if (doTrain) Object.assign(results, await trainAndRecord(trainer, started));
  if (doEval) {
    if (!dev) throw new Error('--do_eval needs --validation_file');
    const metrics = await trainer.evaluate({ features: trainerFeatures(devFeatures), metrics: devMetrics });
    if (isMain) writeEvalResults(outputDir, metrics);
    Object.assign(results, metrics);
  }
  if (doPredict) {
    const features = await featurize(test!, false);
    const p = await trainer.predict(trainerFeatures(features));
    if (isMain) writePredictions(outputDir, test!, features, p, labels);
  }
  if (isMain && Object.keys(results).length > 0) writeAllResults(outputDir, results);
}

async function loadSplit(flags: FlagValues, flag: string, maxFlag: string, purpose: string): Promise<TaggedSentence[]> {
  const file = str(flags[flag]);
  if (!file) throw new Error(`${purpose} needs --${flag} (CoNLL, .json or .jsonl)`);
  const sentences = await readTaggedSentences(file, {
    labelColumn: flags.conll_label_column as number,
    maxLineLength: flags.max_line_length as number,
    ...(str(flags.text_column_name) ? { tokensColumn: str(flags.text_column_name) } : {}),
    ...(str(flags.label_column_name) ? { tagsColumn: str(flags.label_column_name) } : {}),
    ...(Array.isArray(flags.label_names) ? { labelNames: flags.label_names as string[] } : {}),
  });
  const max = flags[maxFlag];
  return typeof max === 'number' ? sentences.slice(0, max) : sentences;
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
function writePredictions(outputDir: string, sentences: readonly TaggedSentence[], features: readonly TokenFeature[], p: Predictions, labels: TokenLabels): void {
  const words = features.map((f, i) => predictWordLabels(f, p.rows[i].logits, labels.labels));
  fs.mkdirSync(outputDir, { recursive: true });
  writeFileAtomic(path.join(outputDir, 'predictions.txt'), Buffer.from(words.map((w) => w.map((l) => l ?? 'O').join(' ')).join('\n') + '\n'));
  const lines = sentences.map((s, i) => JSON.stringify({ line: s.source.line, tokens: s.tokens, labels: words[i] }));
  writeFileAtomic(path.join(outputDir, 'predictions.jsonl'), Buffer.from(lines.join('\n') + '\n'));
  console.log(`wrote labels for ${sentences.length} sentences to ${path.join(outputDir, 'predictions.txt')} and predictions.jsonl`);
}
