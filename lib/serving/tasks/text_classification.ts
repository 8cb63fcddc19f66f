// text-classification (alias sentiment-analysis): transformers' TextClassificationPipeline.
import type { BertConfig } from '../../config/bert_config';
import { softmax } from '../../evaluation/softmax';
import type { TokenizerInput } from '../../tokenization/bert_tokenizer';
import { PipelineInputError, PipelineSetupError } from '../errors';
import type { InferenceEngine } from '../inference_engine';
import {
  describeJson,
  encodeForModel,
  optionalChoice,
  optionalInteger,
  rejectUnknownParameters,
  requireText,
  type ParsedInputs,
  runModel,
  type RunContext,
  type TaskDefinition,
} from '../task_definition';

/** A text, or a sentence pair as transformers takes it. */
export type TextClassificationInput = string | { text: string; text_pair?: string };

export type ClassificationFunction = 'softmax' | 'sigmoid' | 'none';

export interface TextClassificationParameters {
  /**
   * How many labels to return, best first; null: all. Not given: the best label alone, as a
   * `{label, score}` object (transformers' legacy shape).
   */
  top_k?: number | null;
  /** Default from the config: none for regression, sigmoid for multi-label or one label, else softmax. */
  function_to_apply?: ClassificationFunction;
}

export interface LabelScore {
  label: string;
  score: number;
}

interface Params {
  topK: number | null | undefined;
  apply: ClassificationFunction;
}

/** `[{label, score}]` for one text; a list of those (or of lists with top_k) for several. */
export type TextClassificationOutput = LabelScore[] | Array<LabelScore | LabelScore[]> | LabelScore;

export const textClassification: TaskDefinition<TextClassificationInput, Params, LabelScore | LabelScore[], TextClassificationOutput> = {
  modelTask: 'sequence-classification',

  checkModel(engine: InferenceEngine): void {
    if (engine.model.config.num_labels < 1) throw new PipelineSetupError(`${engine.modelDir}: config.json has no labels (num_labels 0)`);
  },

  parseInputs(raw: unknown, field: string): ParsedInputs<TextClassificationInput> {
    if (Array.isArray(raw)) {
      if (raw.length === 0) throw new PipelineInputError(field, 'must not be an empty list');
      return { items: raw.map((value, i) => parseOne(value, `${field}[${i}]`)), single: false };
    }
    return { items: [parseOne(raw, field)], single: true };
  },

  parseParameters(raw: Record<string, unknown>, engine: InferenceEngine): Params {
    rejectUnknownParameters(raw, ['top_k', 'function_to_apply']);
    const numLabels = engine.model.config.num_labels;
    const topK = raw.top_k === null ? null : optionalInteger(raw, 'top_k', 1);
    const apply = optionalChoice(raw, 'function_to_apply', ['softmax', 'sigmoid', 'none']) ?? defaultFunction(engine.model.config.problem_type, numLabels);
    return { topK, apply };
  },

  async run(input: TextClassificationInput, params: Params, context: RunContext, field: string): Promise<LabelScore | LabelScore[]> {
    const scores = await classify(context, input, params.apply, field);
    const labels = labelNames(context.engine);
    if (params.topK === undefined) {
      const best = scores.indexOf(Math.max(...scores));
      return { label: labels[best], score: scores[best] };
    }
    const ranked = scores.map((score, i) => ({ label: labels[i], score })).sort((a, b) => b.score - a.score);
    return params.topK === null ? ranked : ranked.slice(0, params.topK);
  },

  format(results: Array<LabelScore | LabelScore[]>, single: boolean, params: Params, items: readonly TextClassificationInput[]): TextClassificationOutput {
    if (!single) return results;
    // transformers wraps the result of one string (not of one {text, text_pair}) in a list unless top_k was given.
    return params.topK === undefined && typeof items[0] === 'string' ? (results as LabelScore[]) : results[0];
  },
};

/** The class scores of one input after `apply` (one per label, in label id order). */
export async function classify(context: RunContext, input: TextClassificationInput, apply: ClassificationFunction, field: string): Promise<number[]> {
  const tokenizerInput: TokenizerInput = typeof input === 'string' || input.text_pair === undefined ? textOf(input) : [input.text, input.text_pair];
  const [encoding] = await encodeForModel(context, [tokenizerInput], [field]);
  const [outputs] = await runModel(context, [encoding], field);
  return applyFunction(Array.from(outputs.logits.data), apply);
}

export function applyFunction(logits: number[], apply: ClassificationFunction): number[] {
  if (apply === 'softmax') return softmax(logits);
  if (apply === 'sigmoid') return logits.map((x) => 1 / (1 + Math.exp(-x)));
  return logits;
}

/** id2label in id order (`LABEL_i` where the config names none). */
export function labelNames(engine: InferenceEngine): string[] {
  const { num_labels: count, id2label } = engine.model.config;
  return Array.from({ length: count }, (_, i) => id2label[String(i)] ?? `LABEL_${i}`);
}

/** transformers' choice when function_to_apply is not given: from the config's problem_type and label count. */
export function defaultFunction(problem: BertConfig['problem_type'], numLabels: number): ClassificationFunction {
  if (problem === 'regression') return 'none';
  if (problem === 'multi_label_classification' || numLabels === 1) return 'sigmoid';
  return 'softmax';
}

function textOf(input: TextClassificationInput): string {
  return typeof input === 'string' ? input : input.text;
}

function parseOne(value: unknown, field: string): TextClassificationInput {
  if (typeof value === 'string') return requireText(value, field);
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (key !== 'text' && key !== 'text_pair')
        throw new PipelineInputError(`${field}.${key}`, 'is not a field of an input; use "text" and optionally "text_pair"');
    }
    const text = requireText(record.text, `${field}.text`);
    return record.text_pair === undefined ? { text } : { text, text_pair: requireText(record.text_pair, `${field}.text_pair`) };
  }
  throw new PipelineInputError(field, `must be a string or {"text", "text_pair"}, got ${describeJson(value)}`);
}
