// What the routes of one server share: the pipeline it serves, its limits, metrics and admission.
import { PipelineInputError } from '../errors';
import type { InferenceEngine } from '../inference_engine';
import { pipelineOn, type CallOptions, type PipelineTaskName } from '../pipeline';
import type { Admission } from './admission';
import type { ServerMetrics } from './metrics';

/** The part of a Pipeline the server uses (a loaded `pipeline(...)`, or a wrapper around one). */
export interface ServedPipeline {
  /** The canonical task name. */
  readonly task: string;
  readonly engine: InferenceEngine;
  call(inputs: unknown, parameters?: Record<string, unknown>, options?: CallOptions): Promise<unknown>;
  dispose(): Promise<void>;
}

export interface ServerLimits {
  /** Inference requests answered at once; more get 429. */
  maxConcurrentRequests: number;
  /** Inputs in one request; more get 400. */
  maxClientBatchSize: number;
  /** Largest request body; larger get 413. */
  maxBodyBytes: number;
  /** Model inputs one request may expand to (windows of long texts, zero-shot labels, questions); more get 400. */
  maxRequestEncodings: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxConcurrentRequests: 512,
  maxClientBatchSize: 32,
  maxBodyBytes: 2 * 1024 * 1024,
  maxRequestEncodings: 2048,
};

export class ServerContext {
  // Pipelines on the served engine for another truncation setting or task, by `${task} ${truncate}`.
  private readonly others = new Map<string, ServedPipeline>();
  /** Set when the server starts closing: /health answers 503 from then on. */
  closing = false;

  constructor(
    readonly pipeline: ServedPipeline,
    /** Whether `pipeline` truncates inputs longer than the model takes (else 422). */
    readonly truncate: boolean,
    readonly limits: ServerLimits,
    readonly admission: Admission,
    readonly metrics: ServerMetrics,
  ) {}

  /** What every pipeline call of a request may expand to. */
  get callOptions(): CallOptions {
    return { maxEncodings: this.limits.maxRequestEncodings };
  }

  get task(): string {
    return this.pipeline.task;
  }

  /**
   * The pipeline that truncates as a request asks (text-embeddings-inference's `truncate` field;
   * null or absent: the server's setting), for `task` (another task over the same model head, e.g.
   * sentence-embeddings on a feature-extraction server): the served one, or one on the same engine.
   */
  pipelineFor(truncate: boolean | null | undefined, task: string = this.task): ServedPipeline {
    const wanted = truncate ?? this.truncate;
    if (wanted === this.truncate && task === this.task) return this.pipeline;
    const key = `${task} ${wanted}`;
    let other = this.others.get(key);
    if (other === undefined) {
      other = pipelineOn(task as PipelineTaskName, this.pipeline.engine, { truncate: wanted });
      this.others.set(key, other);
    }
    return other;
  }

  /** A 400 for a route the served task cannot answer, saying what this server runs and what model the route needs. */
  wrongTask(route: string, needs: string, model: string): PipelineInputError {
    return new PipelineInputError(
      route,
      `needs a ${needs} model; this server runs ${this.task} (${this.pipeline.engine.modelDir}). Fix: start bertrun serve with ${model}, ` +
        'or send the request to POST / as {"inputs", "parameters"}, which every task answers',
    );
  }
}

/**
 * Runs a pipeline call whose inputs were translated from another request shape, renaming the
 * fields its errors name (`inputs[0].text_pair`) to the request's own (`inputs[1]`, `body/sentence2`).
 * `fields[i]` maps the suffix after `inputs[i]` ('', '.text', '.text_pair') to the request's field.
 */
export async function withRequestFields<T>(fields: ReadonlyArray<Readonly<Record<string, string>>>, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (!(error instanceof PipelineInputError)) throw error;
    const match = /^inputs\[(\d+)\](.*)$/.exec(error.field);
    const renamed = match ? fields[Number(match[1])]?.[match[2]] : undefined;
    if (renamed === undefined) throw error;
    throw new PipelineInputError(renamed, error.message.slice(error.field.length + 2), error.status);
  }
}
