// This process's place in a distributed run: the c10d process group (native), plus the few
// collectives the trainer needs on JS values (loss sums, evaluation outputs, RNG states), and
// the watchdog that stops this worker when a peer hangs (peer_watchdog.ts).
import * as v8 from 'v8';
import { native, type NativeProcessGroup } from '../native';
import type { DistributedEnvironment } from './environment';
import { DEFAULT_HEARTBEAT_TIMEOUT_SECONDS, heartbeatTimeoutProblem, watchPeers } from './peer_watchdog';

export type DistributedBackend = 'gloo' | 'nccl';

export interface ProcessGroupOptions {
  /** gloo for CPU tensors, nccl for CUDA; default from the device. */
  backend?: DistributedBackend;
  /** Device of this rank's tensors: cpu or cuda:LOCAL_RANK. */
  device: string;
  /** HF's ddp_timeout: a collective or the rendezvous waiting longer fails (seconds). */
  timeoutSeconds: number;
  /**
   * --ddp_heartbeat_timeout: while this rank waits in a collective, a peer without a heartbeat
   * for this long (seconds) is reported and this worker exits, instead of waiting out
   * timeoutSeconds. 0: never. Default 30.
   */
  heartbeatTimeoutSeconds?: number;
  /** What to do with that report; default: print it, leave it in torchrun's error file, exit 1. */
  onUnresponsivePeer?: (message: string) => void;
}

export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly environment: DistributedEnvironment;
  readonly backend: DistributedBackend;
  /** The native group, for models to attach to. */
  readonly handle: NativeProcessGroup;

  private constructor(environment: DistributedEnvironment, backend: DistributedBackend, handle: NativeProcessGroup) {
    this.environment = environment;
    this.rank = environment.rank;
    this.worldSize = environment.worldSize;
    this.backend = backend;
    this.handle = handle;
  }

  /** Joins the group described by the environment; resolves when every rank has joined. */
  static async join(environment: DistributedEnvironment, options: ProcessGroupOptions): Promise<ProcessGroup> {
    if (!(options.timeoutSeconds > 0)) throw new Error(`ddp_timeout must be > 0 seconds, got ${options.timeoutSeconds}`);
    const heartbeatTimeout = options.heartbeatTimeoutSeconds ?? DEFAULT_HEARTBEAT_TIMEOUT_SECONDS;
    const heartbeatProblem = heartbeatTimeoutProblem(heartbeatTimeout);
    if (heartbeatProblem) throw new Error(`ddp_heartbeat_timeout ${heartbeatProblem}`);
    const backend = options.backend ?? (options.device.startsWith('cuda') ? 'nccl' : 'gloo');
    if (backend === 'gloo' && options.device.startsWith('cuda')) throw new Error('ddp_backend gloo needs --device cpu (use nccl for CUDA)');
    if (backend === 'nccl' && !options.device.startsWith('cuda')) throw new Error('ddp_backend nccl needs a CUDA device (use gloo on CPU)');
    const handle = new (native().NativeProcessGroup)({
      rank: environment.rank,
      worldSize: environment.worldSize,
      masterAddr: environment.masterAddr,
      masterPort: environment.masterPort,
      hostStore: !environment.useAgentStore,
      // As torch.distributed's env:// rendezvous: keys of one launch attempt stay apart from the last.
      storePrefix: `/worker/attempt_${environment.restartCount}`,
      timeoutMs: options.timeoutSeconds * 1000,
      backend,
      device: options.device,
    });
    await handle.connect();
    watchPeers(handle, heartbeatTimeout, options.onUnresponsivePeer);
    return new ProcessGroup(environment, backend, handle);
  }

  get isMain(): boolean {
    return this.rank === 0;
  }

  /** Element-wise sums over all ranks. */
  async sum(values: readonly number[], what: string): Promise<number[]> {
    return Array.from(await this.handle.allreduceSum(Float64Array.from(values), what));
  }

  /** Every rank's value, in rank order (any structured-cloneable value, typed arrays included). */
  async allgather<T>(value: T, what: string): Promise<T[]> {
    const parts = await this.handle.allgatherBytes(new Uint8Array(v8.serialize(value)), what);
    return parts.map((bytes) => v8.deserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as T);
  }

  barrier(): Promise<void> {
    return this.handle.barrier();
  }
}
