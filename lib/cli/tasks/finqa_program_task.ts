// FinQA program classification (seed 000): a BERT with two heads on the pooled output, the concat
// program (`subtract0_divide1`, single-label) and its op keys (`subtract0`, `divide1`, multi-label),
// trained on question + evidence. Reports program accuracy, op-key F1 and execution accuracy
// (the predicted program's ops run with the gold arguments, compared with exe_ans).
import * as fs from 'fs';
import * as path from 'path';
import type { HeadConfig } from '../../config/head_config';
import { writeFileAtomic } from '../../io/atomic_write';
import type { TextFeature } from '../../data/loader/collate';
import {
  invalidProgramsWarning,
  readProgramExamples,
  readProgramQuestions,
  type ProgramExample,
  type ProgramExamples,
  type ProgramQuestion,
} from '../../data/finqa/program_examples';
import { finqaProgramMetrics, type ProgramPrediction } from '../../evaluation/finqa_program_metrics';
import type { Predictions } from '../../training/trainer';
import type { FlagValues } from '../flags';
import { FINQA_PROGRAM_FLAGS } from '../finqa_program_flags';
import { requiredFile, type Task, type TaskContext } from '../task_runner';
import { str } from '../command_common';

export const PROGRAM_HEAD = 'program';
export const OPS_HEAD = 'ops';

interface ProgramLabels {
  programs: string[];
  ops: string[];
}

interface FinqaProgramData {
  flags: FlagValues;
  labels: ProgramLabels;
  train?: ProgramExamples;
  dev?: ProgramExamples;
  test?: ProgramQuestion[];
}

export const FINQA_PROGRAM: Task<FinqaProgramData> = {
  name: 'finqa-program',
  modelTask: 'multi-head',
  flags: FINQA_PROGRAM_FLAGS,
  usage: '--task finqa-program --model_name_or_path DIR --train_file train.json --validation_file dev.json --output_dir OUT [flags]',
  missingEvalData: '--validation_file',

  async load({ flags, configDir, doTrain, doEval, doPredict }) {
    const invalid = flags.invalid_programs as 'skip' | 'refuse';
    const read = async (flag: string, maxFlag: string, purpose: string) => {
      const examples = await readProgramExamples(requiredFile(flags, flag, purpose, 'a FinQA JSON file'), invalid, flags[maxFlag] as number | undefined);
      const warning = invalidProgramsWarning(examples);
      if (warning) console.warn(warning);
      return examples;
    };
    const train = doTrain ? await read('train_file', 'max_train_samples', 'training') : undefined;
    const dev = doEval || (doTrain && str(flags.validation_file)) ? await read('validation_file', 'max_eval_samples', 'evaluation') : undefined;
    // Every entry gets a program, whatever its own (if any): the test file's programs are not read.
    const test = doPredict
      ? await readProgramQuestions(requiredFile(flags, 'test_file', 'prediction', 'a FinQA JSON file'), flags.max_predict_samples as number | undefined)
      : undefined;
    const labels = train ? labelsFrom(train.examples) : labelsOfModel(configDir);
    return { flags, labels, ...(train ? { train } : {}), ...(dev ? { dev } : {}), ...(test ? { test } : {}) };
  },

  modelConfig({ labels }) {
    const heads: HeadConfig[] = [
      { name: PROGRAM_HEAD, type: 'classification', num_labels: labels.programs.length, loss_weight: 1, labels: labels.programs },
      { name: OPS_HEAD, type: 'multi-label', num_labels: labels.ops.length, loss_weight: 1, labels: labels.ops },
    ];
    return { bertrun_heads: heads };
  },

  rememberedSettings: ({ flags }) => ({ invalid_programs: flags.invalid_programs }),

  trainFile: (data) => data.train?.file,

  async trainFeatures(data, context) {
    return data.train ? featurize(data.train.examples, data.labels, context, true) : undefined;
  },

  async evalSplits(data, context) {
    const dev = data.dev;
    if (!dev) return [];
    const features = await featurize(dev.examples, data.labels, context, true);
    // Entries whose gold program does not parse count as wrong, as FinQA's evaluate.py counts them.
    const unscored = dev.invalid.count;
    return [
      { features, metrics: (p: Predictions) => ({ ...finqaProgramMetrics(predicted(p, data.labels), dev.examples, unscored), invalid_programs: unscored }) },
    ];
  },

  async predict(data, context, trainer, write) {
    const test = data.test as ProgramQuestion[];
    const p = await trainer.predict(await featurize(test, data.labels, context, false));
    if (!write) return;
    const lines = predicted(p, data.labels).map((pred, i) => JSON.stringify({ id: test[i].id, program: pred.concat, ops: pred.opKeys }));
    fs.mkdirSync(context.start.outputDir, { recursive: true });
    const file = path.join(context.start.outputDir, 'predict_programs.jsonl');
    writeFileAtomic(file, Buffer.from(lines.join('\n') + '\n'));
    console.log(`wrote programs for ${test.length} entries to ${file}`);
  },
};

/** Concat programs by frequency (then name) and op keys by name, as the training data has them. */
function labelsFrom(examples: readonly ProgramExample[]): ProgramLabels {
  const counts = new Map<string, number>();
  for (const e of examples) counts.set(e.concat, (counts.get(e.concat) ?? 0) + 1);
  const programs = [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : 1));
  const ops = [...new Set(examples.flatMap((e) => e.opKeys))].sort();
  return { programs, ops };
}

/** Without training data: the label names the model directory's heads were trained with. */
function labelsOfModel(modelDir: string): ProgramLabels {
  let heads: Array<{ name?: string; labels?: string[] }> | undefined;
  try {
    heads = (JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')) as { bertrun_heads?: typeof heads }).bertrun_heads;
  } catch {
    heads = undefined;
  }
  const of = (name: string) => heads?.find((h) => h.name === name)?.labels;
  const programs = of(PROGRAM_HEAD);
  const ops = of(OPS_HEAD);
  if (!programs || !ops) {
    throw new Error(
      `${path.join(modelDir, 'config.json')} has no "${PROGRAM_HEAD}" and "${OPS_HEAD}" heads in bertrun_heads: evaluate or predict with a model trained by ` +
        '`bertrun train --task finqa-program`, or train one (--do_train --train_file)',
    );
  }
  return { programs, ops };
}

async function featurize(
  examples: ReadonlyArray<ProgramQuestion | ProgramExample>,
  labels: ProgramLabels,
  { tokenizer, maxSeqLength }: TaskContext,
  targets: boolean,
): Promise<TextFeature[]> {
  const programIndex = new Map(labels.programs.map((p, i) => [p, i]));
  const encodings = await tokenizer.encodeBatch(
    examples.map((e): [string, string] => [e.question, e.context]),
    { maxLength: maxSeqLength, truncation: 'only_second' },
  );
  return encodings.map((enc, i): TextFeature => {
    const feature: TextFeature = { inputIds: enc.inputIds, tokenTypeIds: enc.tokenTypeIds };
    const example = examples[i];
    if (targets && 'concat' in example) {
      const keys = new Set(example.opKeys);
      // A program the training data never had cannot be predicted: no loss (-100), scored as wrong.
      feature.headLabels = { [PROGRAM_HEAD]: programIndex.get(example.concat) ?? -100, [OPS_HEAD]: labels.ops.map((k) => (keys.has(k) ? 1 : 0)) };
    }
    return feature;
  });
}

/** The argmax concat program and the op keys whose logit is above 0 (sigmoid > 0.5). */
function predicted(p: Predictions, labels: ProgramLabels): ProgramPrediction[] {
  return p.rows.map((row) => {
    const program = row[`logits.${PROGRAM_HEAD}`];
    let best = 0;
    for (let k = 1; k < program.length; k++) if (program[k] > program[best]) best = k;
    const ops = row[`logits.${OPS_HEAD}`];
    return { concat: labels.programs[best], opKeys: labels.ops.filter((_, k) => ops[k] > 0) };
  });
}
