// Dynamic batching: work items submitted from anywhere (one pipeline call, many HTTP requests)
// wait in one queue per model and are packed into batches by a token budget, items of similar
// length together so that padding stays small. One batch runs at a time; while it runs the queue
// fills, so batches grow with the load (continuous batching, as text-embeddings-inference does).

export interface BatchLimits {
  /** Largest padded batch: longest item's length times the number of items. One item longer than this runs alone. */
  maxBatchTokens: number;
  /** Largest number of items in a batch. */
  maxBatchRequests: number;
  /** How long the oldest item may wait for a fuller batch while the model is idle (0: run at once). */
  maxWaitMs: number;
}

export const DEFAULT_BATCH_LIMITS: BatchLimits = { maxBatchTokens: 16384, maxBatchRequests: 64, maxWaitMs: 0 };

/** What one batch did (for metrics). */
export interface BatchReport {
  items: number;
  /** Sum of the items' lengths. */
  tokens: number;
  /** Longest length times the number of items: what the model computes with padding. */
  paddedTokens: number;
  durationMs: number;
  error?: Error;
}

interface Queued<I, O> {
  item: I;
  length: number;
  order: number;
  enqueuedAt: number;
  resolve: (output: O) => void;
  reject: (error: Error) => void;
}

export class DynamicBatcher<I, O> {
  private queue: Array<Queued<I, O>> = [];
  private running = false;
  private wakeScheduled = false;
  private waitTimer: NodeJS.Timeout | undefined;
  private nextOrder = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    private readonly lengthOf: (item: I) => number,
    readonly limits: BatchLimits = DEFAULT_BATCH_LIMITS,
    private readonly onBatch?: (report: BatchReport) => void,
  ) {
    checkLimits(limits);
  }

  /** Items waiting for a batch (not counting the batch running now). */
  get queueDepth(): number {
    return this.queue.length;
  }

  /** Queues the items; each result comes back in the order given. A failing batch rejects only its own items. */
  submit(items: readonly I[]): Promise<O[]> {
    const now = Date.now();
    const results = items.map(
      (item) =>
        new Promise<O>((resolve, reject) => {
          this.queue.push({ item, length: this.lengthOf(item), order: this.nextOrder++, enqueuedAt: now, resolve, reject });
        }),
    );
    this.wake();
    return Promise.all(results);
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  // Runs after the current tick, so that everything submitted in one tick can share a batch.
  private wake(): void {
    if (this.running || this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      this.next();
    });
  }

  private next(): void {
    if (this.running) return;
    if (this.queue.length === 0) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
      return;
    }
    const batch = this.pick();
    // The queue is in arrival order: its head has waited longest.
    const waited = Date.now() - this.queue[0].enqueuedAt;
    const longest = batch[batch.length - 1].length;
    const full = batch.length >= this.limits.maxBatchRequests || batch.length < this.queue.length || longest * (batch.length + 1) > this.limits.maxBatchTokens;
    if (!full && waited < this.limits.maxWaitMs) {
      if (this.waitTimer === undefined) {
        this.waitTimer = setTimeout(() => {
          this.waitTimer = undefined;
          this.next();
        }, this.limits.maxWaitMs - waited);
      }
      return;
    }
    if (this.waitTimer !== undefined) clearTimeout(this.waitTimer);
    this.waitTimer = undefined;
    const chosen = new Set(batch);
    this.queue = this.queue.filter((q) => !chosen.has(q));
    this.running = true;
    void this.execute(batch).finally(() => {
      this.running = false;
      this.next();
    });
  }

  /**
   * The batch to run next: among the queued items sorted by length, the contiguous run that holds
   * the oldest item (so nothing waits behind later arrivals for more than one batch) and the most
   * items within the limits; on a tie, the one with the shorter longest item.
   */
  private pick(): Array<Queued<I, O>> {
    // Only the oldest few batches' worth is sorted, so a long queue costs no more per batch.
    const window = this.queue.slice(0, Math.max(256, 4 * this.limits.maxBatchRequests));
    const sorted = window.sort((a, b) => a.length - b.length || a.order - b.order);
    const oldest = sorted.indexOf(this.queue[0]);
    const { maxBatchTokens, maxBatchRequests } = this.limits;
    let best: [number, number] = [oldest, oldest];
    for (let hi = oldest; hi < sorted.length; hi++) {
      const fit = Math.min(maxBatchRequests, Math.floor(maxBatchTokens / Math.max(1, sorted[hi].length)));
      const lo = Math.max(0, hi - fit + 1);
      if (lo > oldest) break; // longer items no longer fit together with the oldest one
      if (hi - lo > best[1] - best[0]) best = [lo, hi];
    }
    return sorted.slice(best[0], best[1] + 1);
  }

  private async execute(batch: Array<Queued<I, O>>): Promise<void> {
    const started = Date.now();
    const lengths = batch.map((q) => q.length);
    const report: BatchReport = {
      items: batch.length,
      tokens: lengths.reduce((a, b) => a + b, 0),
      paddedTokens: Math.max(...lengths) * batch.length,
      durationMs: 0,
    };
    try {
      const outputs = await this.runBatch(batch.map((q) => q.item));
      if (outputs.length !== batch.length) throw new Error(`a batch of ${batch.length} items returned ${outputs.length} results`);
      batch.forEach((q, i) => q.resolve(outputs[i]));
    } catch (err) {
      const error = err instanceof Error ? err : new Error(String(err));
      report.error = error;
      for (const q of batch) q.reject(error);
    }
    report.durationMs = Date.now() - started;
    try {
      this.onBatch?.(report);
    } catch (err) {
      // A metrics listener must not stop the queue (nor become an unhandled rejection).
      process.emitWarning(`onBatch listener failed: ${(err as Error).message}`);
    }
  }
}

function checkLimits(limits: BatchLimits): void {
  const positive: Array<keyof BatchLimits> = ['maxBatchTokens', 'maxBatchRequests'];
  for (const key of positive) {
    if (!Number.isInteger(limits[key]) || limits[key] <= 0) throw new Error(`${key} must be a positive integer, got ${limits[key]}`);
  }
  if (!Number.isFinite(limits.maxWaitMs) || limits.maxWaitMs < 0) throw new Error(`maxWaitMs must be a number >= 0, got ${limits.maxWaitMs}`);
}
