// Masked-language-model pretraining and domain adaptation (run_mlm.py): text read through a
// byte-offset index, tokenized into max_seq_length blocks (or lines), masked afresh each epoch
// from (seed, epoch, example) so a resumed run trains on exactly the same batches; the MLM head's
// logits are computed at masked positions only. Evaluation reports loss and perplexity on masks
// drawn once; predict fills [MASK] tokens with the top-k vocabulary tokens.
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../../io/atomic_write';
import type { TextFeature } from '../../data/loader/collate';
import type { FeatureSource } from '../../data/loader/feature_source';
import { buildMlmFeatures, type MlmFeatureSet } from '../../data/masked_lm/mlm_features';
import { maskedTextFeature } from '../../data/masked_lm/masking';
import { readCorpusTexts, TextCorpus, type TextCorpusOptions } from '../../data/masked_lm/text_corpus';
import { pipeline } from '../../serving/pipeline';
import type { Predictions } from '../../training/trainer';
import type { FlagValues } from '../flags';
import { FILL_MASK_FLAGS } from '../fill_mask_flags';
import { str } from '../command_common';
import { requiredFile, type Task, type TaskContext } from '../task_runner';

/** A corpus file and which of its texts a split takes ([from, to) in file order; to may be Infinity). */
interface TextSplit {
  file: string;
  from: number;
  to: number;
}

interface FillMaskData {
  flags: FlagValues;
  train?: TextSplit;
  dev?: TextSplit;
  test?: string;
}

// Evaluation masks are drawn once from this seed (run_mlm draws new ones each evaluation), so
// successive evaluations of a run compare like with like.
const EVAL_MASK_SEED = 1234;

export const FILL_MASK: Task<FillMaskData> = {
  name: 'fill-mask',
  modelTask: 'masked-lm',
  flags: FILL_MASK_FLAGS,
  usage: '--task fill-mask --model_name_or_path DIR --train_file corpus.txt [--validation_file dev.txt] --output_dir OUT [flags]',
  missingEvalData: '--validation_file (or --train_file with --validation_split_percentage)',

  async load({ flags, doTrain, doEval, doPredict }) {
    const options = corpusOptions(flags);
    let train: TextSplit | undefined;
    let dev: TextSplit | undefined;
    if (doTrain) {
      const file = requiredFile(flags, 'train_file', 'training', 'a text corpus');
      // run_mlm: without a validation file, the first N% of the train texts are held out (counting
      // them takes a pass over the file; otherwise the corpus is read once, when tokenized).
      const split = doEval && !str(flags.validation_file);
      const size = split ? (await TextCorpus.open(file, options)).size : await checkCorpus(file, options);
      const held = split ? Math.floor((size * (flags.validation_split_percentage as number)) / 100) : 0;
      if (held === size) throw new Error(`${file}: --validation_split_percentage ${String(flags.validation_split_percentage)} leaves no text to train on`);
      train = { file, from: held, to: size };
      if (held > 0) dev = { file, from: 0, to: held };
    }
    if (str(flags.validation_file) && (doEval || doTrain)) {
      const file = str(flags.validation_file) as string;
      dev = { file, from: 0, to: await checkCorpus(file, options) };
    }
    const test = doPredict ? requiredFile(flags, 'test_file', 'prediction', 'texts with [MASK]') : undefined;
    return { flags, ...(train ? { train } : {}), ...(dev ? { dev } : {}), ...(test ? { test } : {}) };
  },

  rememberedSettings: ({ flags }) => ({
    line_by_line: flags.line_by_line === true,
    mlm_probability: flags.mlm_probability,
    whole_word_masking: flags.whole_word_masking === true,
    text_column_name: str(flags.text_column_name),
  }),

  trainFile: (data) => data.train?.file,

  async trainFeatures(data, context) {
    if (!data.train) return undefined;
    const set = await features(data, data.train, context);
    const masking = maskingOptions(data.flags, context, context.start.args.seed);
    const source: FeatureSource = {
      length: limit(set, data.flags.max_train_samples),
      lengthOf: (i) => set.lengthOf(i),
      feature: (i, epoch) => maskedTextFeature(set.feature(i), { ...masking, epoch, index: i }),
    };
    return source;
  },

  async evalSplits(data, context) {
    if (!data.dev) return [];
    const set = await features(data, data.dev, context);
    const masking = maskingOptions(data.flags, context, EVAL_MASK_SEED);
    const masked: TextFeature[] = Array.from({ length: limit(set, data.flags.max_eval_samples) }, (_, i) =>
      maskedTextFeature(set.feature(i), { ...masking, epoch: 0, index: i }),
    );
    return [{ features: masked, metrics: (p: Predictions): Record<string, number> => (p.loss === undefined ? {} : { perplexity: Math.exp(p.loss) }) }];
  },

  async predict(data, context, _trainer, write) {
    // The model as trained (saved to output_dir), or as given.
    const dir = context.start.doTrain ? context.start.outputDir : context.start.modelDir;
    const fill = await pipeline('fill-mask', dir, { device: context.start.args.device });
    try {
      const lines: string[] = [];
      for await (const texts of readCorpusTexts(data.test as string, corpusOptions(data.flags))) {
        const results = (await fill(texts, { top_k: data.flags.top_k as number })) as unknown[];
        const perText = texts.length === 1 ? [results] : results;
        texts.forEach((text, i) => lines.push(JSON.stringify({ text, predictions: perText[i] })));
      }
      if (!write) return;
      fs.mkdirSync(context.start.outputDir, { recursive: true });
      const file = path.join(context.start.outputDir, 'predict_fill_mask.jsonl');
      writeFileAtomic(file, Buffer.from(lines.join('\n') + '\n'));
      console.log(`wrote the top ${String(data.flags.top_k)} tokens for the masks of ${lines.length} texts to ${file}`);
    } finally {
      await fill.dispose();
    }
  },
};

/**
 * Fails now, before the model loads, for a missing, unreadable or empty corpus: its first batch is
 * read, not the whole file. Returns Infinity, a split's end that takes every text.
 */
async function checkCorpus(file: string, options: TextCorpusOptions): Promise<number> {
  const texts = readCorpusTexts(file, options);
  await texts.next();
  await texts.return();
  return Infinity;
}

function corpusOptions(flags: FlagValues): TextCorpusOptions {
  const column = str(flags.text_column_name);
  return column ? { textColumnName: column } : {};
}

/** --max_*_samples: the first N examples. */
function limit(set: MlmFeatureSet, max: unknown): number {
  return typeof max === 'number' ? Math.min(max, set.size) : set.size;
}

async function features({ flags }: FillMaskData, split: TextSplit, { tokenizer, maxSeqLength }: TaskContext): Promise<MlmFeatureSet> {
  let index = 0;
  async function* texts(): AsyncGenerator<string[]> {
    for await (const batch of readCorpusTexts(split.file, corpusOptions(flags))) {
      const from = Math.max(split.from - index, 0);
      const to = Math.min(split.to - index, batch.length);
      index += batch.length;
      if (to > from) yield batch.slice(from, to);
      if (index >= split.to) return;
    }
  }
  const set = await buildMlmFeatures(texts(), tokenizer, { maxSeqLength, lineByLine: flags.line_by_line === true });
  if (set.size === 0) {
    throw new Error(
      `${split.file}: no example of ${maxSeqLength} tokens: the text is shorter than one block. Fix: use more text, a smaller --max_seq_length, or --line_by_line`,
    );
  }
  return set;
}

function maskingOptions(flags: FlagValues, { tokenizer }: TaskContext, seed: number) {
  const probability = flags.mlm_probability as number;
  const maskTokenId = tokenizer.maskTokenId;
  if (maskTokenId === null) throw new Error('the tokenizer has no [MASK] token: a masked language model needs one (add it to the vocabulary)');
  if (!(probability > 0 && probability < 1)) throw new Error(`--mlm_probability must be in (0, 1), got ${probability}`);
  return {
    mlmProbability: probability,
    wholeWordMask: flags.whole_word_masking === true,
    maskTokenId,
    vocabSize: tokenizer.vocabSize,
    seed,
  };
}
