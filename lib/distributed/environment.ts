// torchrun's environment contract, read and checked in one place. A worker started by
// `bertrun launch` or by the real `torchrun --no-python` sees the same variables.

export interface DistributedEnvironment {
  rank: number;
  localRank: number;
  worldSize: number;
  localWorldSize: number;
  /** The node's index (torchrun's GROUP_RANK). */
  groupRank: number;
  masterAddr: string;
  masterPort: number;
  restartCount: number;
  maxRestarts: number;
  runId: string;
  /** torchrun's agent hosts the rendezvous store; workers (rank 0 too) only connect to it. */
  useAgentStore: boolean;
}

type Env = Record<string, string | undefined>;

function integer(env: Env, name: string, fallback: number | undefined, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw new Error(`environment variable ${name} is required when WORLD_SIZE is set (torchrun sets it; so does bertrun launch)`);
    return fallback;
  }
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || value < min) throw new Error(`environment variable ${name}="${raw}" must be an integer >= ${min}`);
  return value;
}

/**
 * The distributed environment, or undefined for a single process (WORLD_SIZE unset or 1).
 * Errors name the variable and the expected value.
 */
export function readDistributedEnvironment(env: Env = process.env): DistributedEnvironment | undefined {
  if (env.WORLD_SIZE === undefined || env.WORLD_SIZE === '') return undefined;
  const worldSize = integer(env, 'WORLD_SIZE', undefined, 1);
  if (worldSize === 1) return undefined;
  const rank = integer(env, 'RANK', undefined, 0);
  if (rank >= worldSize) throw new Error(`environment variable RANK=${rank} must be below WORLD_SIZE=${worldSize}`);
  const localWorldSize = integer(env, 'LOCAL_WORLD_SIZE', worldSize, 1);
  const localRank = integer(env, 'LOCAL_RANK', rank % localWorldSize, 0);
  if (localRank >= localWorldSize) throw new Error(`environment variable LOCAL_RANK=${localRank} must be below LOCAL_WORLD_SIZE=${localWorldSize}`);
  const masterAddr = env.MASTER_ADDR;
  if (!masterAddr) throw new Error('environment variable MASTER_ADDR is required when WORLD_SIZE > 1 (the host of rank 0)');
  const masterPort = integer(env, 'MASTER_PORT', undefined, 1);
  if (masterPort > 65535) throw new Error(`environment variable MASTER_PORT=${masterPort} must be a port number (1..65535)`);
  return {
    rank,
    localRank,
    worldSize,
    localWorldSize,
    groupRank: integer(env, 'GROUP_RANK', Math.floor(rank / localWorldSize), 0),
    masterAddr,
    masterPort,
    restartCount: integer(env, 'TORCHELASTIC_RESTART_COUNT', 0, 0),
    maxRestarts: integer(env, 'TORCHELASTIC_MAX_RESTARTS', 0, 0),
    runId: env.TORCHELASTIC_RUN_ID ?? 'none',
    useAgentStore: (env.TORCHELASTIC_USE_AGENT_STORE ?? '').toLowerCase() === 'true',
  };
}

/** This process's rank (0 when not distributed): only rank 0 writes files and logs. */
export function processRank(env: Env = process.env): number {
  return readDistributedEnvironment(env)?.rank ?? 0;
}

/** The launch attempt (torchrun's TORCHELASTIC_RESTART_COUNT): > 0 after a restart. */
export function restartCount(env: Env = process.env): number {
  const raw = env.TORCHELASTIC_RESTART_COUNT;
  return raw && /^\d+$/.test(raw) ? Number(raw) : 0;
}
