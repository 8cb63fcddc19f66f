// How a distributed run splits data between ranks.
//
// Training: each global batch (per-device batch x world size, from the same single-process
// order) is dealt out strided, rank r taking positions r, r + W, ... This is what torch's
// DistributedSampler does over the epoch's order, so the union of the ranks' batches at every step
// is exactly the single-process batch. A last batch that does not divide by the world size is
// padded with the epoch's first examples (as DistributedSampler pads), so every rank runs the
// same number of steps and no collective waits forever.
//
// Evaluation: rank r takes examples r, r + W, ... without padding (forward passes need no
// lockstep); gathering puts every output back at its example's index, so metrics equal the
// single-process ones.

export function shardBatches(globalBatches: readonly number[][], rank: number, worldSize: number): number[][] {
  checkRank(rank, worldSize);
  const order = globalBatches.flat();
  return globalBatches.map((batch) => {
    const padded = [...batch];
    for (let i = 0; padded.length % worldSize !== 0; i++) padded.push(order[i % order.length]);
    return padded.filter((_, i) => i % worldSize === rank);
  });
}

/** Indices of the examples rank `rank` evaluates. */
export function evaluationShard(count: number, rank: number, worldSize: number): number[] {
  checkRank(rank, worldSize);
  const out: number[] = [];
  for (let i = rank; i < count; i += worldSize) out.push(i);
  return out;
}

/** The inverse of evaluationShard: parts[r] holds rank r's outputs, in its shard's order. */
export function mergeEvaluationShards<T>(parts: readonly T[][], count: number): T[] {
  const worldSize = parts.length;
  const out: T[] = [];
  for (let i = 0; i < count; i++) {
    const part = parts[i % worldSize];
    const at = Math.floor(i / worldSize);
    if (part === undefined || at >= part.length)
      throw new Error(`rank ${i % worldSize} returned ${part?.length ?? 0} outputs; its shard of ${count} examples needs more`);
    out.push(part[at]);
  }
  return out;
}

function checkRank(rank: number, worldSize: number): void {
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new Error(`world size must be an integer >= 1, got ${worldSize}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new Error(`rank must be in [0, ${worldSize}), got ${rank}`);
}
