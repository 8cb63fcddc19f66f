// pipeline(task, model, options): transformers' pipeline() for BERT models, on the native engine.
// Every task reads its inputs and parameters, encodes, and hands its encodings to the engine's one
// batch queue, so the inputs of one call (and of concurrent calls, e.g. HTTP requests) share batches.
import { PipelineInputError } from './errors';
import { InferenceEngine, type EngineOptions } from './inference_engine';
import { EncodingBudget, SiblingFailedError, type RunContext, type TaskDefinition } from './task_definition';
import {
  textClassification,
  type TextClassificationInput,
  type TextClassificationOutput,
  type TextClassificationParameters,
} from './tasks/text_classification';
import { tokenClassification, type TokenClassificationOutput, type TokenClassificationParameters } from './tasks/token_classification';
import { questionAnswering, type QuestionAnsweringInput, type QuestionAnsweringOutput, type QuestionAnsweringParameters } from './tasks/question_answering';
import { featureExtraction, type FeatureExtractionOutput, type FeatureExtractionParameters } from './tasks/feature_extraction';
import { fillMask, type FillMaskOutput, type FillMaskParameters } from './tasks/fill_mask';
import { sentenceEmbeddings, type SentenceEmbeddingsOutput, type SentenceEmbeddingsParameters } from './tasks/sentence_embeddings';
import { zeroShotClassification, type ZeroShotClassificationOutput, type ZeroShotClassificationParameters } from './tasks/zero_shot_classification';

/** Tasks by name, aliases included, with their input, parameter and output types. */
export interface PipelineTasks {
  'text-classification': { input: TextClassificationInput; parameters: TextClassificationParameters; output: TextClassificationOutput };
  'sentiment-analysis': PipelineTasks['text-classification'];
  'token-classification': { input: string; parameters: TokenClassificationParameters; output: TokenClassificationOutput };
  ner: PipelineTasks['token-classification'];
  'question-answering': { input: QuestionAnsweringInput; parameters: QuestionAnsweringParameters; output: QuestionAnsweringOutput };
  'fill-mask': { input: string; parameters: FillMaskParameters; output: FillMaskOutput };
  'feature-extraction': { input: string; parameters: FeatureExtractionParameters; output: FeatureExtractionOutput };
  'sentence-embeddings': { input: string; parameters: SentenceEmbeddingsParameters; output: SentenceEmbeddingsOutput };
  'zero-shot-classification': { input: string; parameters: ZeroShotClassificationParameters; output: ZeroShotClassificationOutput };
}

export type PipelineTaskName = keyof PipelineTasks;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each entry has its own private parameter type; the public types are in PipelineTasks
type AnyTaskDefinition = TaskDefinition<any, any, any, unknown>;

const TASKS: Record<PipelineTaskName, AnyTaskDefinition> = {
  'text-classification': textClassification,
  'sentiment-analysis': textClassification,
  'token-classification': tokenClassification,
  ner: tokenClassification,
  'question-answering': questionAnswering,
  'fill-mask': fillMask,
  'feature-extraction': featureExtraction,
  'sentence-embeddings': sentenceEmbeddings,
  'zero-shot-classification': zeroShotClassification,
};

/** The canonical name of a task (aliases resolved). */
const CANONICAL: Partial<Record<PipelineTaskName, PipelineTaskName>> = {
  'sentiment-analysis': 'text-classification',
  ner: 'token-classification',
};

export const PIPELINE_TASKS = Object.keys(TASKS) as PipelineTaskName[];

export interface PipelineOptions extends EngineOptions {
  /** false: inputs longer than the model takes fail (status 422) instead of being truncated. Default true. */
  truncate?: boolean;
}

export interface CallOptions {
  /**
   * The most model inputs this call may expand to (windows of long texts, zero-shot labels,
   * questions); past it the call fails with a PipelineInputError (400). Default: no limit.
   */
  maxEncodings?: number;
}

export interface Pipeline<T extends PipelineTaskName> {
  (inputs: PipelineTasks[T]['input'] | Array<PipelineTasks[T]['input']>, parameters?: PipelineTasks[T]['parameters']): Promise<PipelineTasks[T]['output']>;
  /** The canonical task name (`text-classification` for `sentiment-analysis`). */
  readonly task: PipelineTaskName;
  readonly engine: InferenceEngine;
  /**
   * Answers a request as JSON: `inputs` and `parameters` are checked here (errors are
   * PipelineInputError naming `inputs[i]...` or `parameters.<name>`), as the HTTP server needs.
   */
  call(inputs: unknown, parameters?: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
  /** Waits for queued work, then frees the model. */
  dispose(): Promise<void>;
}

/**
 * Loads `model` (a local model directory, or a Hugging Face model name resolved through the shared
 * hub cache and downloaded when missing; options.revision / offline / cacheDir / token) for `task`, in evaluation mode, without gradients.
 * Tasks and results are those of transformers' pipelines.
 */
export async function pipeline<T extends PipelineTaskName>(task: T, model: string, options: PipelineOptions = {}): Promise<Pipeline<T>> {
  const definition = taskDefinition(task);
  const engine = await InferenceEngine.load(model, definition.modelTask, options);
  try {
    definition.checkModel?.(engine);
  } catch (err) {
    await engine.dispose();
    throw err;
  }
  return makePipeline(CANONICAL[task] ?? task, definition, engine, options.truncate ?? true) as unknown as Pipeline<T>;
}

/** A pipeline over an engine already loaded (several tasks can share one model). */
export function pipelineOn<T extends PipelineTaskName>(task: T, engine: InferenceEngine, options: { truncate?: boolean } = {}): Pipeline<T> {
  const definition = taskDefinition(task);
  if (definition.modelTask !== engine.task) throw new Error(`task ${task} needs a ${definition.modelTask} model; this engine runs ${engine.task}`);
  definition.checkModel?.(engine);
  return makePipeline(CANONICAL[task] ?? task, definition, engine, options.truncate ?? true) as unknown as Pipeline<T>;
}

function taskDefinition(task: string): AnyTaskDefinition {
  if (!Object.prototype.hasOwnProperty.call(TASKS, task)) {
    throw new Error(`unknown pipeline task "${task}"; use one of ${PIPELINE_TASKS.join(', ')}`);
  }
  return TASKS[task as PipelineTaskName];
}

function makePipeline(task: PipelineTaskName, definition: AnyTaskDefinition, engine: InferenceEngine, truncate: boolean): Pipeline<PipelineTaskName> {
  const call = async (inputs: unknown, parameters: Record<string, unknown> = {}, options: CallOptions = {}): Promise<unknown> => {
    if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
      throw new PipelineInputError('parameters', 'must be an object of named parameters');
    }
    const budget = options.maxEncodings === undefined ? undefined : new EncodingBudget(options.maxEncodings);
    const failure = { failed: false };
    const context: RunContext = { engine, truncate, budget, failure };
    const params: unknown = definition.parseParameters(parameters, engine);
    const { items, single } = definition.parseInputs(inputs, 'inputs');
    // Once an input fails the others submit no more work; and every input settles before the call
    // does, so nothing of a failed call is still running when the caller (e.g. a server's admission
    // slot) lets go.
    const runs = items.map(async (item, i) => {
      try {
        return await definition.run(item, params, context, single ? 'inputs' : `inputs[${i}]`);
      } catch (err) {
        failure.failed = true;
        throw err;
      }
    });
    const settled = await Promise.allSettled(runs);
    const rejected = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (rejected.length > 0) throw rejected.find((reason) => !(reason instanceof SiblingFailedError)) ?? rejected[0];
    const results = settled.map((r) => (r as PromiseFulfilledResult<unknown>).value);
    return definition.format(results, single, params, items);
  };
  const run = ((inputs: unknown, parameters?: Record<string, unknown>) => call(inputs, parameters as Record<string, unknown>)) as Pipeline<PipelineTaskName>;
  return Object.assign(run, { task, engine, call, dispose: () => engine.dispose() });
}
