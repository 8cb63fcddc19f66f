// Which examples form each batch of an epoch. The order depends only on (seed, epoch), so a run
// resumed from a checkpoint replays the same batches and skips the ones already trained on.
import { epochSeed, SeededRandom } from './seeded_random';

export interface BatchOrderOptions {
  batchSize: number;
  shuffle: boolean;
  seed: number;
  /** HF's group_by_length: batches of similar length (megabatches of 50 batches sorted by length). */
  groupByLength?: boolean;
  /** Keep the last, smaller batch (HF default: dataloader_drop_last = false). */
  dropLast?: boolean;
}

export function batchOrder(lengths: readonly number[], epoch: number, options: BatchOrderOptions): number[][] {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be an integer >= 1, got ${batchSize}`);
  const n = lengths.length;
  let order: number[];
  if (!options.shuffle) {
    order = Array.from({ length: n }, (_, i) => i);
  } else {
    order = new SeededRandom(epochSeed(options.seed, epoch)).permutation(n);
    if (options.groupByLength) order = groupByLength(order, lengths, batchSize);
  }
  const batches: number[][] = [];
  for (let i = 0; i < n; i += batchSize) batches.push(order.slice(i, i + batchSize));
  if (options.dropLast && batches.length > 0 && batches[batches.length - 1].length < batchSize) batches.pop();
  return batches;
}

// As HF's LengthGroupedSampler: split the shuffled order into megabatches of 50 batches, sort each
// by length (longest first), so padding shrinks while batches stay random across megabatches.
function groupByLength(order: number[], lengths: readonly number[], batchSize: number): number[] {
  const mega = batchSize * 50;
  const out: number[] = [];
  for (let i = 0; i < order.length; i += mega) {
    out.push(...order.slice(i, i + mega).sort((a, b) => lengths[b] - lengths[a] || a - b));
  }
  return out;
}
