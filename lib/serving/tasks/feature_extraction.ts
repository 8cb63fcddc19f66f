// feature-extraction: transformers' FeatureExtractionPipeline, the base model's last hidden state per input.
import { PipelineInputError } from '../errors';
import type { InferenceEngine } from '../inference_engine';
import {
  describeJson,
  encodeForModel,
  optionalBoolean,
  parseOneOrMany,
  rejectUnknownParameters,
  requireText,
  type ParsedInputs,
  runModel,
  type RunContext,
  type TaskDefinition,
} from '../task_definition';

export interface FeatureExtractionParameters {
  /**
   * true: cut inputs to `tokenize_kwargs.max_length` or the model's limit; false: an input longer
   * than the model takes fails (422). Not given: the pipeline's setting (truncate by default).
   */
  truncation?: boolean;
  /** The tokenizer keyword arguments transformers passes on: `truncation` and `max_length`. */
  tokenize_kwargs?: { truncation?: boolean; max_length?: number };
  /** transformers returns a tensor for true; over JSON only the nested list (false) exists. */
  return_tensors?: false;
}

/** `[1][tokens][hidden]` for one text (its `[CLS]` ... `[SEP]` tokens); a list of those for several. */
export type FeatureExtractionOutput = number[][][] | number[][][][];

interface Params {
  /** undefined: the pipeline's truncate setting. */
  truncation: boolean | undefined;
  maxLength: number | undefined;
}

export const featureExtraction: TaskDefinition<string, Params, number[][][], FeatureExtractionOutput> = {
  modelTask: 'base',

  parseInputs(raw: unknown, field: string): ParsedInputs<string> {
    return parseOneOrMany(raw, field, Array.isArray, requireText);
  },

  parseParameters(raw: Record<string, unknown>, engine: InferenceEngine): Params {
    rejectUnknownParameters(raw, ['truncation', 'tokenize_kwargs', 'return_tensors']);
    if (raw.return_tensors !== undefined && raw.return_tensors !== null && raw.return_tensors !== false) {
      throw new PipelineInputError(
        'parameters.return_tensors',
        `must be false (nested lists, the JSON form of the tensor), got ${describeJson(raw.return_tensors)}`,
      );
    }
    let truncation = optionalBoolean(raw, 'truncation');
    let maxLength: number | undefined;
    const kwargs = raw.tokenize_kwargs;
    if (kwargs !== undefined && kwargs !== null) {
      if (typeof kwargs !== 'object' || Array.isArray(kwargs)) {
        throw new PipelineInputError('parameters.tokenize_kwargs', `must be an object, got ${describeJson(kwargs)}`);
      }
      const record = kwargs as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        if (key !== 'truncation' && key !== 'max_length') {
          throw new PipelineInputError(`parameters.tokenize_kwargs.${key}`, 'is not supported; known: truncation, max_length');
        }
      }
      if (record.truncation !== undefined) {
        // transformers: "truncation parameter defined twice".
        if (truncation !== undefined) throw new PipelineInputError('parameters.truncation', 'is given twice (also in tokenize_kwargs); give it once');
        if (typeof record.truncation !== 'boolean') {
          throw new PipelineInputError('parameters.tokenize_kwargs.truncation', `must be true or false, got ${describeJson(record.truncation)}`);
        }
        truncation = record.truncation;
      }
      const max = record.max_length;
      if (max !== undefined && max !== null) {
        if (typeof max !== 'number' || !Number.isInteger(max) || max < 2 || max > engine.maxLength) {
          throw new PipelineInputError('parameters.tokenize_kwargs.max_length', `must be an integer in [2, ${engine.maxLength}], got ${describeJson(max)}`);
        }
        maxLength = max;
        // The tokenizer truncates at a max_length given without truncation.
        truncation ??= true;
      }
    }
    return { truncation, maxLength };
  },

  async run(input: string, params: Params, context: RunContext, field: string): Promise<number[][][]> {
    const truncate = params.truncation ?? context.truncate;
    const options = truncate && params.maxLength !== undefined ? { maxLength: params.maxLength } : {};
    const [encoding] = await encodeForModel({ ...context, truncate }, [input], [field], options);
    const [outputs] = await runModel(context, [encoding], field);
    return [rowsOf(outputs.last_hidden_state.data, outputs.last_hidden_state.shape)];
  },

  format(results: number[][][][], single: boolean): FeatureExtractionOutput {
    return single ? results[0] : results;
  },
};

/** A [rows, columns] tensor as nested lists. */
export function rowsOf(data: Float32Array, shape: readonly number[]): number[][] {
  const [rows, columns] = shape;
  return Array.from({ length: rows }, (_, r) => Array.from(data.subarray(r * columns, (r + 1) * columns)));
}
