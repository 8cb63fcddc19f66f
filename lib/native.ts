// Loads the native addon. A missing build or a libtorch that differs from the one the addon was
// built against becomes an error that says what to run, never a crash inside the dynamic loader.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
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

interface BuildRecord {
  root: string;
  libDir: string;
  version: string;
  cuda: boolean;
  source: string;
}

interface LibtorchInfo {
  ok: boolean;
  root?: string;
  version?: string;
  reason?: string;
}

interface LibtorchFinder {
  findLibtorch(): LibtorchInfo;
  readVersion(root: string): { text: string } | null;
}

let loaded: NativeAddon | undefined;

function loadError(problem: string, fixes: string[]): Error {
  return new Error(`bertrun: ${problem}\nPossible fixes:\n${fixes.map((f) => `  - ${f}`).join('\n')}`);
}

/**
 * The addon, loaded once. Intra-op threads: BERTRUN_NUM_THREADS, else OMP_NUM_THREADS (a
 * launcher splits the cores between its workers that way), else the available cores.
 */
export function native(): NativeAddon {
  if (!loaded) {
    loaded = loadAddon(packageRoot());
    const threads = Number(process.env.BERTRUN_NUM_THREADS || process.env.OMP_NUM_THREADS || os.availableParallelism());
    loaded.setNumThreads(Number.isFinite(threads) && threads >= 1 ? Math.floor(threads) : os.availableParallelism());
  }
  return loaded;
}

/** Loads build/Release/bertrun.node under `root` after checking it against its build record. */
export function loadAddon(root: string): NativeAddon {
  const addonPath = path.join(root, 'build', 'Release', 'bertrun.node');
  const recordPath = path.join(root, 'build', 'bertrun-build.json');
  if (!fs.existsSync(addonPath) || !fs.existsSync(recordPath)) {
    throw loadError(`the native addon is not built (${addonPath} is missing).`, [
      'run `npm run setup` in the bertrun directory (installs libtorch if needed and builds the addon)',
      'or set LIBTORCH=/path/to/libtorch and run `npm run build`',
    ]);
  }
  const record = JSON.parse(fs.readFileSync(recordPath, 'utf8')) as BuildRecord;
  if (!fs.existsSync(record.libDir)) {
    throw loadError(`the addon was built against libtorch ${record.version} at ${record.libDir}, which no longer exists.`, [
      'run `npm run setup` to reinstall libtorch into .venv and rebuild',
      'or set LIBTORCH to a libtorch >= 2.4 and run `npm run build`',
    ]);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const finder = require(path.join(packageRoot(), 'scripts', 'find-libtorch.js')) as LibtorchFinder;
  const present = finder.readVersion(record.root);
  if (present?.text !== record.version) {
    throw loadError(
      `the addon was built against libtorch ${record.version}, but ${record.root} now holds ` +
        `${present ? `libtorch ${present.text}` : 'no recognisable libtorch'}.`,
      ['run `npm run build` to rebuild the addon against it', `or reinstall libtorch ${record.version} there`],
    );
  }
  if (process.env.LIBTORCH) {
    // An explicit LIBTORCH must be the one the addon links, or symbols would silently mismatch.
    const wanted = finder.findLibtorch();
    if (!wanted.ok || path.resolve(wanted.root ?? '') !== path.resolve(record.root)) {
      throw loadError(
        `LIBTORCH points to ${process.env.LIBTORCH}${wanted.version ? ` (libtorch ${wanted.version})` : ''}, ` +
          `but the addon was built against libtorch ${record.version} at ${record.root}.`,
        ['run `npm run build` to rebuild against $LIBTORCH', 'or unset LIBTORCH to use the libtorch it was built with'],
      );
    }
  }
  let addon: NativeAddon;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    addon = require(addonPath) as NativeAddon;
  } catch (e) {
    throw loadError(`cannot load the native addon ${addonPath}: ${(e as Error).message}`, [
      'run `npm run build` to rebuild it against the installed libtorch',
      `check that ${record.libDir} holds libtorch ${record.version} (libc10.so, libtorch_cpu.so)`,
    ]);
  }
  const info = addon.buildInfo();
  if (info.torchVersion !== record.version) {
    throw loadError(`the addon reports libtorch ${info.torchVersion} but its build record says ${record.version}.`, ['run `npm run build` to rebuild it']);
  }
  return addon;
}
