// The native addon's interface, and the one loaded instance (lib/addon_loader.ts finds libtorch
// and the matching binary, and turns every load failure into an error that says what to run).
import * as os from 'os';
import { loadAddonFrom, type LoadedAddon } from './addon_loader';
import type { NamedTensor } from './io/named_tensor';
import { packageRoot } from './package_root';

/**
 * The `code` of the Error a native call throws or rejects with when an allocation failed (CUDA
 * caching allocator, CPU allocator, host bad_alloc); set by native/common/error_message.h. Every
 * other native failure is a plain Error with a message to act on.
 */
export const NATIVE_OUT_OF_MEMORY_CODE = 'BERTRUN_OUT_OF_MEMORY';

/** The message of every call on a disposed model (native/bindings/model_job_lock.h throws the same). */
export const DISPOSED_MODEL_MESSAGE = 'this model was disposed; create or load a new one';

export interface NativeBatch {
  shape: [number, number];
  inputIds: Int32Array | BigInt64Array;
  tokenTypeIds?: Int32Array | BigInt64Array;
  attentionMask?: Int32Array | BigInt64Array;
  labels?: Int32Array | BigInt64Array | Float32Array | Float64Array;
  labelShape?: number[];
  startPositions?: Int32Array | BigInt64Array;
  endPositions?: Int32Array | BigInt64Array;
  /**
   * Multi-head models: targets per head name. Class ids (Int32Array, -100 = no label) [batch] for
   * classification and [batch, seq] for token-classification; Float32Array [batch, num_labels]
   * for multi-label, [batch] or [batch, num_labels] for regression. A head left out adds no loss.
   */
  headLabels?: Record<string, { data: Int32Array | BigInt64Array | Float32Array | Float64Array; shape: number[] }>;
}

export interface NativeParameterInfo {
  name: string;
  dtype: string;
  shape: number[];
  decay: boolean;
}

export interface NativeModelInfo {
  task: string;
  device: string;
  training: boolean;
  /** Autocast dtype of forwards, or null (float32). */
  mixedPrecision: MixedPrecision | null;
  gradientCheckpointing: boolean;
  /** Whether fp16 dynamic loss scaling is on. */
  gradScaler: boolean;
  numParameters: number;
  parameters: NativeParameterInfo[];
}

export interface ForwardOptions {
  /** Also return `hidden_states.N` (embeddings output, then each layer). */
  outputHiddenStates?: boolean;
  /** Also return `attentions.N` ([batch, heads, seq, seq] per layer). */
  outputAttentions?: boolean;
  /**
   * Default true: run the encoder on real tokens only when the batch has padding. The loss and
   * every output at a real position (and at position 0) are unchanged; per-token outputs at
   * other padded positions come back as 0 instead of Hugging Face's values there (which depend on
   * the amount of padding and which nothing should read). false computes every position.
   */
  skipPadding?: boolean;
  /**
   * Masked LM with labels only. Default true: `logits` for every position, as Hugging Face returns
   * them. false: no `logits`, the loss alone, computed from the labelled positions' logits (the
   * same value; far less time and memory at a 30k vocabulary). forwardBackward always does this.
   */
  maskedLmLogits?: boolean;
}

export interface ForwardBackwardOptions {
  /** Multiplies the loss before backward (gradients scale with it; the recorded loss does not). */
  lossScale?: number;
  /** Read the loss back now (one device sync) instead of leaving it for takeLoss(). */
  returnLoss?: boolean;
  /**
   * With a process group attached: average gradients over the ranks during this backward
   * (default). false for accumulation micro-steps before the last, which stay local.
   */
  syncGradients?: boolean;
  /** As in ForwardOptions; the loss and gradients are the same either way. */
  skipPadding?: boolean;
}

export type MixedPrecision = 'bfloat16' | 'float16';

/** torch.amp.GradScaler's settings (its defaults). */
export interface GradScalerOptions {
  /** default 2^16 */
  initScale?: number;
  /** default 2 */
  growthFactor?: number;
  /** default 0.5 */
  backoffFactor?: number;
  /** Clean steps in a row before the scale grows; default 2000. */
  growthInterval?: number;
}

export interface StepOptions {
  lr: number;
  /** Clip gradients to this total L2 norm first (after unscaling, with a loss scaler). */
  maxGradNorm?: number;
  zeroGrad?: boolean;
  /** Default true: return the norm before clipping (one device sync); false leaves it on the device. */
  readGradNorm?: boolean;
}

export interface StepResult {
  /** Total gradient norm before clipping, when clipping and readGradNorm. */
  gradNorm?: number;
  /** A loss scaler found inf/NaN gradients: weights and optimizer state are unchanged. */
  skipped: boolean;
  /** The loss scale after this step's update (with a loss scaler). */
  lossScale?: number;
}

export interface GradientSyncStats {
  buckets: number;
  bucketBytes: number;
  syncedSteps: number;
  /** Time spent after backward waiting for all-reduces still in flight. */
  exposedWaitMs: number;
  /** Buckets whose all-reduce had finished before backward did (fully hidden). */
  bucketsDoneBeforeWait: number;
}

export interface NativeModel {
  info(): NativeModelInfo;
  setTraining(training: boolean): void;
  forward(batch: NativeBatch, options?: ForwardOptions): Promise<{ loss?: number; outputs: NamedTensor[] }>;
  forwardBackward(batch: NativeBatch, options?: ForwardBackwardOptions): Promise<number | undefined>;
  takeLoss(): Promise<{ sum: number; count: number }>;
  clipGradNorm(maxNorm: number): Promise<number>;
  configureOptimizer(options: { beta1?: number; beta2?: number; eps?: number; weightDecay?: number }): void;
  step(options: StepOptions): Promise<StepResult>;
  setMixedPrecision(precision: MixedPrecision | null): void;
  setGradientCheckpointing(on: boolean): void;
  configureGradScaler(options: GradScalerOptions | null): void;
  getGradScalerState(): Promise<NamedTensor[]>;
  loadGradScalerState(tensors: NamedTensor[]): Promise<void>;
  zeroGrad(): Promise<void>;
  getGradients(): Promise<NamedTensor[]>;
  setGradients(tensors: NamedTensor[]): Promise<void>;
  getStateDict(): Promise<NamedTensor[]>;
  loadStateDict(tensors: NamedTensor[]): Promise<void>;
  getOptimizerState(): Promise<NamedTensor[]>;
  loadOptimizerState(tensors: NamedTensor[]): Promise<void>;
  /** DDP: from now on forwardBackward averages gradients over the group (bucketed, during backward). */
  attachProcessGroup(group: NativeProcessGroup, options?: { bucketCapMb?: number }): Promise<void>;
  /** Every parameter and buffer takes root's values. */
  broadcastParameters(root?: number): Promise<void>;
  gradientSyncStats(): GradientSyncStats | null;
  /**
   * After the calls already made: frees the parameters, gradients, optimizer and loss scaler
   * state and the process group attachment (CUDA: the cached blocks too). Every other method
   * fails afterwards with DISPOSED_MODEL_MESSAGE; disposing again does nothing more.
   */
  dispose(): Promise<void>;
}

export interface NativeProcessGroupOptions {
  rank: number;
  worldSize: number;
  masterAddr: string;
  masterPort: number;
  hostStore: boolean;
  storePrefix: string;
  timeoutMs: number;
  backend: string;
  device: string;
}

export interface NativeProcessGroup {
  connect(): Promise<void>;
  allreduceSum(values: Float64Array, what?: string): Promise<Float64Array>;
  allgatherBytes(bytes: Uint8Array, what?: string): Promise<Uint8Array[]>;
  barrier(): Promise<void>;
  /**
   * While this rank needs its peers in a collective: the message naming a peer without a
   * heartbeat (or a store host without an answer) for limitMs; otherwise null. Synchronous,
   * never blocks.
   */
  unresponsivePeers(limitMs: number): string | null;
}

export interface NativeBuildInfo {
  torchVersion: string;
  builtWithCuda: boolean;
  builtWithNccl: boolean;
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  numThreads: number;
  parallelInfo: string;
  config: string;
  /**
   * The caching CPU allocator for tensors of 1 MiB and more (off with BERTRUN_CPU_ALLOCATOR=system):
   * bytes in live tensors, freed blocks kept for reuse (at most 1.25x the peak of live bytes), and how
   * many allocations reused a block (hits) or asked the system (misses).
   */
  hostAllocator: { caching: boolean; liveBytes: number; cachedBytes: number; peakLiveBytes: number; hits: number; misses: number };
}

export interface NativeAddon {
  NativeModel: new (config: Record<string, unknown>, task: string, options: { device: string; seed: number }) => NativeModel;
  NativeProcessGroup: new (options: NativeProcessGroupOptions) => NativeProcessGroup;
  buildInfo(): NativeBuildInfo;
  setNumThreads(n: number): void;
  /** The hidden_act names the native model supports (its activation table), frozen. */
  readonly activations: readonly string[];
  manualSeed(seed: number): Promise<void>;
  /** The CPU dropout mask the encoder would draw next (0 or 1 / (1 - p)); for tests. */
  dropoutMask(count: number, p: number): Promise<Float32Array>;
  getRngState(): Promise<NamedTensor[]>;
  setRngState(states: NamedTensor[]): Promise<void>;
}

let loaded: LoadedAddon | undefined;

/**
 * The addon, loaded once (lib/addon_loader.ts). Intra-op threads: BERTRUN_NUM_THREADS, else
 * OMP_NUM_THREADS (a launcher splits the cores between its workers that way), else the
 * available cores.
 */
export function native(): NativeAddon {
  return loadedAddon().addon as NativeAddon;
}

/** Which binary (local build or prebuild) and which libtorch the addon was loaded from. */
export function loadedAddon(): LoadedAddon {
  if (!loaded) {
    loaded = loadAddonFrom(packageRoot());
    const addon = loaded.addon as NativeAddon;
    const threads = Number(process.env.BERTRUN_NUM_THREADS || process.env.OMP_NUM_THREADS || os.availableParallelism());
    addon.setNumThreads(Number.isFinite(threads) && threads >= 1 ? Math.floor(threads) : os.availableParallelism());
  }
  return loaded;
}
