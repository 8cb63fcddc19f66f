// BertModel: a BERT with an optional task head, running in the native addon. The TypeScript
// side owns files (config.json, safetensors) and the order of calls; native owns the tensors.
import * as fs from 'fs';
import * as path from 'path';
import { bertConfigToJson, nativeConfig, parseBertConfig, readBertConfig, type BertConfig } from '../config/bert_config';
import type { NamedTensor } from '../io/named_tensor';
import { writeFileAtomic } from '../io/atomic_write';
import { writeSafetensors } from '../io/safetensors';
import {
  DISPOSED_MODEL_MESSAGE,
  native,
  type ForwardBackwardOptions,
  type ForwardOptions,
  type GradScalerOptions,
  type GradientSyncStats,
  type MixedPrecision,
  type NativeBatch,
  type NativeModel,
  type NativeModelInfo,
  type StepOptions,
  type StepResult,
} from '../native';
import type { ProcessGroup } from '../distributed/process_group';
import { matchWeights, type WeightMatch } from './weight_names';
import { findWeightsFile, readWeights, SAFETENSORS_NAME } from './weight_files';
import { BertTokenizer } from '../tokenization/bert_tokenizer';
import type { HubOptions } from '../hub/hub_settings';
import { resolveModelDir } from '../hub/resolve_model';

const TOKENIZER_FILES = ['tokenizer.json', 'vocab.txt'];

export type BertTask = 'base' | 'sequence-classification' | 'question-answering' | 'token-classification' | 'masked-lm' | 'multi-head';

export const TASK_ARCHITECTURES: Record<BertTask, string> = {
  base: 'BertModel',
  'sequence-classification': 'BertForSequenceClassification',
  'question-answering': 'BertForQuestionAnswering',
  'token-classification': 'BertForTokenClassification',
  'masked-lm': 'BertForMaskedLM',
  // No transformers class: the encoder loads into BertModel, the heads are bertrun's (config bertrun_heads).
  'multi-head': 'BertrunMultiHeadModel',
};

export interface ModelOptions {
  /** "cpu" (default), "cuda" or "cuda:N". */
  device?: string;
  /** Seeds the initialisation of weights the checkpoint does not provide. Default 42. */
  seed?: number;
}

export interface LoadOptions {
  /** Throw when any key is missing or unexpected (HF's strict load_state_dict). Default false. */
  strict?: boolean;
  /** Skip tensors whose shape differs (e.g. a new classifier) instead of throwing. Default false. */
  ignoreMismatchedSizes?: boolean;
}

export type LoadReport = Omit<WeightMatch, 'matched'>;

export interface PretrainedOptions extends ModelOptions, LoadOptions, HubOptions {
  /** Overrides for config.json fields (e.g. num_labels, id2label). */
  config?: Record<string, unknown>;
  /** Receives HF-style warnings about newly initialised or unused weights. Default console.warn. */
  warn?: (message: string) => void;
  /** Default true: also load the directory's tokenizer (tokenizer.json or vocab.txt) when it has one. */
  tokenizer?: boolean;
}

/** What fromPretrained loaded. */
export interface Pretrained<T extends BertTask = BertTask> {
  model: BertModelFor<T>;
  report: LoadReport;
  /** The directory's tokenizer; undefined when it holds no tokenizer files (or options.tokenizer is false). */
  tokenizer?: BertTokenizer;
}

/** One tensor of a forward result. */
export interface OutputTensor {
  shape: number[];
  data: Float32Array;
}

/** What each task's forward returns, with Hugging Face's output names. */
export type TaskOutputs = {
  base: { last_hidden_state: OutputTensor; pooler_output: OutputTensor };
  'sequence-classification': { logits: OutputTensor };
  'question-answering': { start_logits: OutputTensor; end_logits: OutputTensor };
  'token-classification': { logits: OutputTensor };
  'masked-lm': { logits: OutputTensor };
  /** One `logits.<head name>` per head of config.bertrun_heads: [batch, num_labels], token heads [batch, seq, num_labels]. */
  'multi-head': { [head: `logits.${string}`]: OutputTensor };
};

/** Per-layer outputs, present when requested (outputHiddenStates / outputAttentions). */
export type LayerOutputs = { [name: `hidden_states.${number}` | `attentions.${number}`]: OutputTensor };

/** A forward's loss (when labels were given) and outputs by name. */
export interface ForwardResult<Outputs = Record<string, OutputTensor>> {
  loss?: number;
  outputs: Outputs;
}

/**
 * A BertModel whose task is known: forward() returns that task's outputs by their names
 * (fromConfig and fromPretrained return it). It is a BertModel, so it goes wherever one does. With
 * a task known only at run time (a BertTask variable) it is a plain BertModel.
 */
export type BertModelFor<T extends BertTask> = BertTask extends T
  ? BertModel
  : {
      readonly task: T;
      forward(batch: NativeBatch, options?: ForwardOptions): Promise<ForwardResult<TaskOutputs[T] & LayerOutputs>>;
    } & BertModel;

export class BertModel {
  readonly config: BertConfig;
  readonly task: BertTask;
  private readonly handle: NativeModel;
  // Calls run one after another in the order they were made: native runs one job per model.
  private queue: Promise<unknown> = Promise.resolve();
  // Set by dispose(): every later call rejects.
  private disposal: Promise<void> | undefined;

  private constructor(config: BertConfig, task: BertTask, options: ModelOptions) {
    if (!(task in TASK_ARCHITECTURES)) {
      throw new Error(`unknown task "${String(task)}": use one of ${Object.keys(TASK_ARCHITECTURES).join(', ')}`);
    }
    if (task === 'multi-head' && !config.bertrun_heads) {
      throw new Error(
        'a multi-head model needs its heads in the config: "bertrun_heads": [{ "name": "...", "type": "classification", "labels": [...] }, ...] ' +
          '(types: classification, multi-label, regression, token-classification)',
      );
    }
    this.config = config;
    this.task = task;
    this.handle = new (native().NativeModel)(nativeConfig(config), task, {
      device: options.device ?? 'cpu',
      seed: options.seed ?? 42,
    });
  }

  /** A randomly initialised model (HF's init) from config.json contents or a BertConfig (parsing is idempotent). */
  static fromConfig<T extends BertTask>(config: BertConfig | Record<string, unknown>, task: T, options: ModelOptions = {}): BertModelFor<T> {
    return new BertModel(parseBertConfig(config), task, options) as BertModelFor<T>;
  }

  /**
   * Loads config.json, weights (model.safetensors or pytorch_model.bin, sharded or not) and
   * the tokenizer files, if any, from a local directory or a Hugging Face model name ("org/name":
   * the shared hub cache, else downloaded; see HubOptions). Weights the checkpoint lacks (a new
   * task head) are initialised and reported, as transformers does.
   */
  static async fromPretrained<T extends BertTask>(nameOrDir: string, task: T, options: PretrainedOptions = {}): Promise<Pretrained<T>> {
    const dir = await resolveModelDir(nameOrDir, options);
    const configPath = path.join(dir, 'config.json');
    const fileConfig = readBertConfig(configPath);
    const config = options.config ? parseBertConfig(withOverrides(bertConfigToJson(fileConfig), options.config), `${configPath} (with overrides)`) : fileConfig;
    const model = new BertModel(config, task, options) as BertModelFor<T>;
    const weights = findWeightsFile(dir);
    const report = await model.loadWeights(readWeights(weights), { ...options, source: weights });
    const warn = options.warn ?? ((m: string) => console.warn(m));
    if (report.missingKeys.length > 0) {
      warn(
        `Some weights of ${TASK_ARCHITECTURES[task]} were not initialized from the checkpoint at ${dir} and are newly initialized: ` +
          `[${report.missingKeys.join(', ')}]. You should probably train this model on a down-stream task.`,
      );
    }
    if (report.unexpectedKeys.length > 0) {
      warn(`Some weights of the checkpoint at ${dir} were not used when initializing ${TASK_ARCHITECTURES[task]}: [${report.unexpectedKeys.join(', ')}]`);
    }
    const hasTokenizer = TOKENIZER_FILES.some((name) => fs.existsSync(path.join(dir, name)));
    if (options.tokenizer === false || !hasTokenizer) return { model, report };
    return { model, report, tokenizer: await BertTokenizer.fromDirectory(dir) };
  }

  info(): NativeModelInfo {
    this.requireLive();
    return this.handle.info();
  }

  /** Parameter names (HF state_dict keys) and shapes. */
  parameterShapes(): Map<string, number[]> {
    return new Map(this.info().parameters.map((p) => [p.name, p.shape]));
  }

  /**
   * Frees the model's native memory now rather than at garbage collection: parameters, gradients,
   * optimizer and loss scaler state, the process group attachment (on CUDA, the freed blocks go
   * back to the device). Calls already made finish first; every later call rejects. Disposing
   * again returns the same promise. `await using model = ...` disposes at the end of the scope.
   */
  dispose(): Promise<void> {
    this.disposal ??= this.queue.then(() => this.handle.dispose());
    return this.disposal;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.dispose();
  }

  /** Loads named tensors by HF name rules; returns the missing / unexpected / mismatched keys report. */
  async loadWeights(tensors: readonly NamedTensor[], options: LoadOptions & { source?: string } = {}): Promise<LoadReport> {
    const source = options.source ?? 'state dict';
    const match = matchWeights(tensors, this.parameterShapes(), this.task !== 'base');
    const { matched, ...report } = match;
    if (report.mismatchedKeys.length > 0 && !options.ignoreMismatchedSizes) {
      const lines = report.mismatchedKeys.map((m) => `  ${m.name}: checkpoint [${m.checkpointShape.join(', ')}], model [${m.modelShape.join(', ')}]`);
      throw new Error(
        `${source}: tensor shapes do not match the model:\n${lines.join('\n')}\n` +
          'Fix: check config.json (vocab_size, hidden_size, num_labels) against the checkpoint, or pass ignoreMismatchedSizes to re-initialise those tensors.',
      );
    }
    if (options.strict && (report.missingKeys.length > 0 || report.unexpectedKeys.length > 0)) {
      throw new Error(
        `${source}: strict loading failed.\n  missing keys: [${report.missingKeys.join(', ')}]\n  unexpected keys: [${report.unexpectedKeys.join(', ')}]`,
      );
    }
    if (matched.length === 0 && tensors.length > 0) {
      throw new Error(
        `${source}: none of its ${tensors.length} tensors matches a parameter of this ${TASK_ARCHITECTURES[this.task]}; is it a BERT checkpoint?`,
      );
    }
    await this.enqueue(() => this.handle.loadStateDict(matched));
    return report;
  }

  async loadWeightsFile(file: string, options: LoadOptions = {}): Promise<LoadReport> {
    this.requireLive();
    return this.loadWeights(readWeights(file), { ...options, source: file });
  }

  /** Parameters as HF-named tensors (CPU copies). */
  stateDict(): Promise<NamedTensor[]> {
    return this.enqueue(() => this.handle.getStateDict());
  }

  /**
   * Writes config.json and model.safetensors (atomically) into dir, as HF's save_pretrained does,
   * and the tokenizer's files when one is given.
   */
  async savePretrained(dir: string, options: { tokenizer?: BertTokenizer } = {}): Promise<void> {
    this.requireLive();
    fs.mkdirSync(dir, { recursive: true });
    const tensors = await this.stateDict();
    writeSafetensors(path.join(dir, SAFETENSORS_NAME), tensors, { format: 'pt' });
    const json = { ...bertConfigToJson(this.config), architectures: [TASK_ARCHITECTURES[this.task]] };
    writeFileAtomic(path.join(dir, 'config.json'), Buffer.from(JSON.stringify(json, null, 2) + '\n'));
    if (options.tokenizer) await options.tokenizer.save(dir);
  }

  /** Inference or evaluation forward (no gradients). */
  async forward(batch: NativeBatch, options: ForwardOptions = {}): Promise<ForwardResult> {
    // The native head returns exactly its task's output names (native/model/heads.cc): see TaskOutputs.
    const result = await this.enqueue(() => this.handle.forward(batch, options));
    const outputs: Record<string, OutputTensor> = {};
    for (const t of result.outputs) outputs[t.name] = { shape: t.shape, data: t.data as Float32Array };
    return result.loss === undefined ? { outputs } : { loss: result.loss, outputs };
  }

  /** Forward + loss + backward; gradients accumulate until zeroGrad(). Returns the loss only if asked. */
  forwardBackward(batch: NativeBatch, options: ForwardBackwardOptions = {}): Promise<number | undefined> {
    return this.enqueue(() => this.handle.forwardBackward(batch, options));
  }

  /**
   * DistributedDataParallel: takes rank 0's parameters, then averages gradients over the group in
   * every forwardBackward (syncGradients: false skips it on accumulation micro-steps).
   */
  async attachProcessGroup(group: ProcessGroup, options: { bucketCapMb?: number } = {}): Promise<void> {
    await this.enqueue(() => this.handle.attachProcessGroup(group.handle, options));
    await this.enqueue(() => this.handle.broadcastParameters(0));
  }

  /** Bucket count and the all-reduce time left exposed after backward (null without a group). */
  async gradientSyncStats(): Promise<GradientSyncStats | null> {
    return this.enqueue(async () => this.handle.gradientSyncStats());
  }

  /** Mean of the losses since the last call (one device sync), or NaN when none. */
  async takeLoss(): Promise<{ mean: number; count: number }> {
    const { sum, count } = await this.enqueue(() => this.handle.takeLoss());
    return { mean: count > 0 ? sum / count : Number.NaN, count };
  }

  /** Clips gradients to a total L2 norm; returns the norm before clipping (maxNorm <= 0 only measures). */
  clipGradNorm(maxNorm: number): Promise<number> {
    return this.enqueue(() => this.handle.clipGradNorm(maxNorm));
  }

  /** AdamW hyperparameters; resets the optimizer state. weight decay skips biases and LayerNorm weights. */
  configureOptimizer(options: { beta1?: number; beta2?: number; eps?: number; weightDecay?: number }): Promise<void> {
    return this.enqueue(async () => this.handle.configureOptimizer(options));
  }

  /**
   * Optional clipping, then one AdamW step at this lr. With a loss scaler the gradients are
   * unscaled first and a step with inf/NaN gradients is skipped (see StepResult).
   */
  step(options: StepOptions): Promise<StepResult> {
    return this.enqueue(() => this.handle.step(options));
  }

  /**
   * Mixed precision: forwards run under autocast to bfloat16 or float16 (null: float32).
   * Parameters, gradients and optimizer state stay float32, as with torch.autocast.
   */
  setMixedPrecision(precision: MixedPrecision | null): Promise<void> {
    return this.enqueue(async () => this.handle.setMixedPrecision(precision));
  }

  /** Recompute each encoder layer's activations during backward instead of storing them. */
  setGradientCheckpointing(on: boolean): Promise<void> {
    return this.enqueue(async () => this.handle.setGradientCheckpointing(on));
  }

  /** Dynamic loss scaling for fp16 (torch.amp.GradScaler); null turns it off. */
  configureGradScaler(options: GradScalerOptions | null): Promise<void> {
    return this.enqueue(async () => this.handle.configureGradScaler(options));
  }

  /** The loss scaler's state: scale and growth_tracker (saved in checkpoints). */
  gradScalerState(): Promise<NamedTensor[]> {
    return this.enqueue(() => this.handle.getGradScalerState());
  }

  loadGradScalerState(tensors: NamedTensor[]): Promise<void> {
    return this.enqueue(() => this.handle.loadGradScalerState(tensors));
  }

  zeroGrad(): Promise<void> {
    return this.enqueue(() => this.handle.zeroGrad());
  }

  gradients(): Promise<NamedTensor[]> {
    return this.enqueue(() => this.handle.getGradients());
  }

  setGradients(tensors: NamedTensor[]): Promise<void> {
    return this.enqueue(() => this.handle.setGradients(tensors));
  }

  optimizerState(): Promise<NamedTensor[]> {
    return this.enqueue(() => this.handle.getOptimizerState());
  }

  loadOptimizerState(tensors: NamedTensor[]): Promise<void> {
    return this.enqueue(() => this.handle.loadOptimizerState(tensors));
  }

  /** Training mode: dropout active. */
  train(): Promise<void> {
    return this.enqueue(async () => this.handle.setTraining(true));
  }

  /** Evaluation mode (the default after loading): dropout off. */
  eval(): Promise<void> {
    return this.enqueue(async () => this.handle.setTraining(false));
  }

  private requireLive(): void {
    if (this.disposal) throw new Error(DISPOSED_MODEL_MESSAGE);
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    if (this.disposal) return Promise.reject(new Error(DISPOSED_MODEL_MESSAGE));
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

// Overriding num_labels or id2label replaces the file's label maps whole: stale maps must not survive.
function withOverrides(base: Record<string, unknown>, overrides: Record<string, unknown>): Record<string, unknown> {
  const merged = { ...base };
  if ('num_labels' in overrides || 'id2label' in overrides) {
    delete merged.num_labels;
    delete merged.id2label;
    delete merged.label2id;
  }
  return { ...merged, ...overrides };
}
