// Fans the engine's per-batch reports out to listeners: the engine takes one onBatch callback when
// it is loaded, and a server built around an already loaded pipeline subscribes to it afterwards.
import type { BatchReport } from '../batcher';

export type BatchListener = (report: BatchReport) => void;

export interface BatchReportSource {
  /** Calls `listener` after every batch; returns the unsubscribe function. */
  subscribe(listener: BatchListener): () => void;
}

/**
 * Pass `onBatch` as the pipeline's (engine's) `onBatch` option and the object itself as
 * buildServer's `batchReports`, so /metrics sees the batches of a pipeline the caller loaded.
 */
export class BatchReports implements BatchReportSource {
  private readonly listeners = new Set<BatchListener>();

  readonly onBatch = (report: BatchReport): void => {
    for (const listener of this.listeners) listener(report);
  };

  subscribe(listener: BatchListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
