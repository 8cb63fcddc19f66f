// One loaded model answering forward requests for pipelines and the HTTP server: encodings go
// into the model's one batch queue, come back as that encoding's own slice of the outputs.
import { BertModel, type BertTask, type OutputTensor } from '../models/bert_model';
import { collate } from '../data/loader/collate';
import { BertTokenizer } from '../tokenization/bert_tokenizer';
import type { Encoding } from '../tokenization/encoding';
import { DEFAULT_BATCH_LIMITS, DynamicBatcher, type BatchLimits, type BatchReport } from './batcher';
import { PipelineSetupError } from './errors';
import type { HubOptions } from '../hub/hub_settings';
import { resolveModelDir } from '../hub/resolve_model';

/** Batch limits, the device, and how a model name is resolved (revision, cache, offline: HubOptions). */
export interface EngineOptions extends Partial<BatchLimits>, HubOptions {
  /** "cpu" (default), "cuda" or "cuda:N". */
  device?: string;
  /** Run forwards under bfloat16 autocast (outputs stay float32). */
  bf16?: boolean;
  /** Receives Hugging Face-style load warnings (new or unused weights). Default console.warn. */
  warn?: (message: string) => void;
  /** Called after every batch (metrics). */
  onBatch?: (report: BatchReport) => void;
}

const MASKED_LM_BATCH_TOKENS = 2048;

/** One encoding's outputs: the batch dimension removed, per-token outputs cut to the encoding's length. */
export type FeatureOutputs = Record<string, OutputTensor>;

// Outputs with one row per token (the others have one per sequence).
const PER_TOKEN_OUTPUTS: Record<BertTask, readonly string[]> = {
  base: ['last_hidden_state'],
  'sequence-classification': [],
  'question-answering': ['start_logits', 'end_logits'],
  'token-classification': ['logits'],
  'masked-lm': ['logits'],
  // No pipeline serves multi-head models (their outputs depend on config.bertrun_heads).
  'multi-head': [],
};

export class InferenceEngine {
  /** Longest encoding the model takes: the tokenizer's model_max_length, capped by the position embeddings. */
  readonly maxLength: number;
  private readonly batcher: DynamicBatcher<Encoding, FeatureOutputs>;

  private constructor(
    readonly model: BertModel,
    readonly tokenizer: BertTokenizer,
    readonly modelDir: string,
    options: EngineOptions,
  ) {
    this.maxLength = Math.min(tokenizer.modelMaxLength, model.config.max_position_embeddings);
    const limits: BatchLimits = {
      // A masked-LM batch returns vocabulary-sized logits per token (16384 tokens x 30522 x 4 bytes
      // = 2 GB): its default budget is smaller.
      maxBatchTokens: options.maxBatchTokens ?? (model.task === 'masked-lm' ? MASKED_LM_BATCH_TOKENS : DEFAULT_BATCH_LIMITS.maxBatchTokens),
      maxBatchRequests: options.maxBatchRequests ?? DEFAULT_BATCH_LIMITS.maxBatchRequests,
      maxWaitMs: options.maxWaitMs ?? DEFAULT_BATCH_LIMITS.maxWaitMs,
    };
    this.batcher = new DynamicBatcher(
      (batch) => this.forward(batch),
      (e) => e.inputIds.length,
      limits,
      options.onBatch,
    );
  }

  /**
   * Loads a model directory or hub model name (config.json, weights, tokenizer files) with the
   * head `task` needs, in evaluation mode.
   */
  static async load(nameOrDir: string, task: BertTask, options: EngineOptions = {}): Promise<InferenceEngine> {
    const modelDir = await resolveModelDir(nameOrDir, options);
    const { model, tokenizer } = await BertModel.fromPretrained(modelDir, task, { device: options.device, warn: options.warn });
    if (!tokenizer) {
      await model.dispose();
      throw new PipelineSetupError(`${modelDir} holds no tokenizer (tokenizer.json or vocab.txt). Fix: save the tokenizer next to the model.`);
    }
    await model.eval();
    if (options.bf16) await model.setMixedPrecision('bfloat16');
    return new InferenceEngine(model, tokenizer, modelDir, options);
  }

  get task(): BertTask {
    return this.model.task;
  }

  get limits(): BatchLimits {
    return this.batcher.limits;
  }

  /** Encodings waiting for a batch. */
  get queueDepth(): number {
    return this.batcher.queueDepth;
  }

  /** Runs the model on the encodings (batched with whatever else is queued); one result per encoding. */
  run(encodings: readonly Encoding[]): Promise<FeatureOutputs[]> {
    for (const [i, e] of encodings.entries()) {
      if (e.inputIds.length > this.maxLength) throw new Error(`encoding ${i} has ${e.inputIds.length} tokens; the model takes at most ${this.maxLength}`);
    }
    return this.batcher.submit(encodings);
  }

  /** Resolves when no batch is queued or running. */
  idle(): Promise<void> {
    return this.batcher.idle();
  }

  async dispose(): Promise<void> {
    await this.batcher.idle();
    await this.model.dispose();
  }

  private async forward(encodings: Encoding[]): Promise<FeatureOutputs[]> {
    // Padded to the longest encoding and no further: batches are sorted by length, so padding stays small.
    const batch = collate(encodings, { padTokenId: this.tokenizer.padTokenId, padToMultipleOf: 1 });
    const [rows, columns] = batch.shape;
    const { outputs } = await this.model.forward(batch);
    const perToken = PER_TOKEN_OUTPUTS[this.task];
    return encodings.map((e, r) => {
      const own: FeatureOutputs = {};
      for (const [name, tensor] of Object.entries(outputs)) {
        const rowSize = tensor.data.length / rows;
        const row = tensor.data.subarray(r * rowSize, (r + 1) * rowSize);
        const rest = tensor.shape.slice(1);
        if (perToken.includes(name)) {
          const perPosition = rowSize / columns;
          own[name] = { shape: [e.inputIds.length, ...rest.slice(1)], data: row.subarray(0, e.inputIds.length * perPosition) };
        } else {
          own[name] = { shape: rest, data: row };
        }
      }
      return own;
    });
  }
}
