// What each pipeline task supplies: the head it loads, how it reads its inputs and parameters
// (with errors naming the field), and how it answers one input using the shared engine.
import type { BertTask } from '../models/bert_model';
import type { TokenizerInput } from '../tokenization/bert_tokenizer';
import type { EncodeOptions } from '../tokenization/encode_options';
import type { Encoding } from '../tokenization/encoding';
import { PipelineInputError } from './errors';
import type { FeatureOutputs, InferenceEngine } from './inference_engine';

export interface RunContext {
  readonly engine: InferenceEngine;
  /**
   * true (default): inputs longer than the model takes are truncated, as transformers' pipelines
   * do; false: they fail with a PipelineInputError of status 422 (`bertrun serve --no_truncate`).
   */
  readonly truncate: boolean;
  /** How many model inputs (encodings) this call may still submit; absent: no limit. */
  readonly budget?: EncodingBudget;
  /** Set once an input of the call has failed: the call's other inputs submit no more work. */
  readonly failure?: { failed: boolean };
}

/** What an input's run throws when another input of the same call failed first (never the reported error). */
export class SiblingFailedError extends Error {
  constructor() {
    super('another input of this call failed');
    this.name = 'SiblingFailedError';
  }
}

/**
 * The model inputs one call may expand to: windows of long texts, one pair per zero-shot label,
 * every question of a QA input. A server sets it so that one small request cannot queue unbounded work.
 */
export class EncodingBudget {
  private used = 0;

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new Error(`maxEncodings must be a positive integer, got ${limit}`);
  }

  /** Counts `count` more model inputs for `field`; a 400 naming it once the call passes the limit. */
  take(count: number, field: string): void {
    this.used += count;
    if (this.used > this.limit) {
      throw new PipelineInputError(
        field,
        `expands the request to more than ${this.limit} model inputs (one per window of a long text, per candidate label, per question). ` +
          'Fix: send fewer or shorter inputs or labels, or a smaller stride, over several requests.',
      );
    }
  }
}

/** Runs the model on encodings of the input named `field`, counted against the call's budget. */
export function runModel(context: RunContext, encodings: readonly Encoding[], field: string): Promise<FeatureOutputs[]> {
  if (context.failure?.failed) throw new SiblingFailedError();
  context.budget?.take(encodings.length, field);
  return context.engine.run(encodings);
}

/** The inputs of one call: one input (the result is not wrapped in a list) or a list of them. */
export interface ParsedInputs<Input> {
  items: Input[];
  single: boolean;
}

export interface TaskDefinition<Input, Params, Result, Output> {
  /** The head the model is loaded with. */
  readonly modelTask: BertTask;
  /** Checks that the loaded model can do this task (labels, mask token); throws PipelineSetupError. */
  checkModel?(engine: InferenceEngine): void;
  /** Reads the inputs of a call; `field` is their path in a request (`inputs`). */
  parseInputs(raw: unknown, field: string): ParsedInputs<Input>;
  /** Reads the parameters (transformers' keyword arguments) and fills in defaults; fields are `parameters.<name>`. */
  parseParameters(raw: Record<string, unknown>, engine: InferenceEngine): Params;
  /** Answers one input. `field` names it in errors (`inputs[3]`). */
  run(input: Input, params: Params, context: RunContext, field: string): Promise<Result>;
  /** Shapes the results of a call as transformers returns them (`items` are the inputs of the call). */
  format(results: Result[], single: boolean, params: Params, items: readonly Input[]): Output;
}

/**
 * Encodes inputs for the model: truncated to its limit when `context.truncate`, otherwise a 422
 * naming the input that is too long (fields[i] names inputs[i]).
 */
export async function encodeForModel(
  context: RunContext,
  inputs: readonly TokenizerInput[],
  fields: readonly string[],
  options: EncodeOptions = {},
): Promise<Encoding[]> {
  const { engine } = context;
  if (context.truncate) return engine.tokenizer.encodeBatch(inputs, { truncation: true, maxLength: engine.maxLength, ...options });
  const encodings = await engine.tokenizer.encodeBatch(inputs, options);
  encodings.forEach((e, i) => {
    if (e.inputIds.length > engine.maxLength) {
      throw new PipelineInputError(
        fields[i],
        `is ${e.inputIds.length} tokens long; the model takes at most ${engine.maxLength}. Fix: shorten it, or allow truncation (drop --no_truncate).`,
        422,
      );
    }
  });
  return encodings;
}

/** A string that is not empty (or a PipelineInputError naming `field`). */
export function requireText(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new PipelineInputError(field, `must be a string, got ${describeJson(value)}`);
  if (value.length === 0) throw new PipelineInputError(field, 'must not be empty');
  return value;
}

/** `value` when it is one input, or the items of a non-empty list, each read by `parseOne` with its own field path. */
export function parseOneOrMany<Input>(
  raw: unknown,
  field: string,
  isList: (value: unknown) => value is unknown[],
  parseOne: (value: unknown, field: string) => Input,
): ParsedInputs<Input> {
  if (isList(raw)) {
    if (raw.length === 0) throw new PipelineInputError(field, 'must not be an empty list');
    return { items: raw.map((value, i) => parseOne(value, `${field}[${i}]`)), single: false };
  }
  return { items: [parseOne(raw, field)], single: true };
}

/** An optional integer parameter in [min, max]. */
export function optionalInteger(raw: Record<string, unknown>, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const value = raw[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new PipelineInputError(`parameters.${name}`, `must be an integer ${range}, got ${describeJson(value)}`);
  }
  return value;
}

/** An optional boolean parameter. */
export function optionalBoolean(raw: Record<string, unknown>, name: string): boolean | undefined {
  const value = raw[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new PipelineInputError(`parameters.${name}`, `must be true or false, got ${describeJson(value)}`);
  return value;
}

/** An optional parameter from a fixed set of strings. */
export function optionalChoice<T extends string>(raw: Record<string, unknown>, name: string, choices: readonly T[]): T | undefined {
  const value = raw[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value.toLowerCase())) {
    throw new PipelineInputError(`parameters.${name}`, `must be one of ${choices.map((c) => `"${c}"`).join(', ')}, got ${describeJson(value)}`);
  }
  return value.toLowerCase() as T;
}

/** Rejects parameters the task does not know, naming them and the known ones. */
export function rejectUnknownParameters(raw: Record<string, unknown>, known: readonly string[]): void {
  for (const name of Object.keys(raw)) {
    if (!known.includes(name)) {
      throw new PipelineInputError(`parameters.${name}`, `is not a parameter of this task; known: ${known.join(', ') || 'none'}`);
    }
  }
}

export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'string') return value.length > 40 ? `"${value.slice(0, 40)}..."` : JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}
