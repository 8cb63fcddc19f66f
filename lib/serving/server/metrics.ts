// Prometheus metrics of one server, on its own Registry (two servers in one process, as in tests,
// never share counts): requests by route and status, latency, the engine's batches and queue.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BatchReport } from '../batcher';

/** Prometheus names of the server's metrics (stable: dashboards use them). */
export const METRIC_NAMES = {
  requests: 'bertrun_requests_total',
  requestDuration: 'bertrun_request_duration_seconds',
  inFlight: 'bertrun_requests_in_flight',
  queueDepth: 'bertrun_queue_depth',
  batchSize: 'bertrun_batch_size',
  batchTokens: 'bertrun_batch_tokens',
  batchPaddedTokens: 'bertrun_batch_padded_tokens',
  batchDuration: 'bertrun_batch_duration_seconds',
  batchFailures: 'bertrun_batch_failures_total',
  residentMemory: 'bertrun_process_resident_memory_bytes',
} as const;

const TOKEN_BUCKETS = [16, 64, 256, 1024, 4096, 16384, 65536];

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly requestDuration: Histogram<'method' | 'route'>;
  private readonly inFlight: Gauge;
  private readonly batchSize: Histogram;
  private readonly batchTokens: Histogram;
  private readonly batchPaddedTokens: Histogram;
  private readonly batchDuration: Histogram;
  private readonly batchFailures: Counter;

  /** `queueDepth` reads the engine's queue at each scrape. */
  constructor(queueDepth: () => number) {
    const registers = [this.registry];
    this.requests = new Counter({
      name: METRIC_NAMES.requests,
      help: 'HTTP requests answered, by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.requestDuration = new Histogram({
      name: METRIC_NAMES.requestDuration,
      help: 'Time from request to response, by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.inFlight = new Gauge({ name: METRIC_NAMES.inFlight, help: 'Inference requests being answered now', registers });
    new Gauge({
      name: METRIC_NAMES.queueDepth,
      help: 'Inputs waiting for a batch',
      registers,
      collect() {
        this.set(queueDepth());
      },
    });
    this.batchSize = new Histogram({
      name: METRIC_NAMES.batchSize,
      help: 'Inputs per batch the model ran',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    });
    this.batchTokens = new Histogram({
      name: METRIC_NAMES.batchTokens,
      help: 'Tokens per batch (sum of the input lengths)',
      buckets: TOKEN_BUCKETS,
      registers,
    });
    this.batchPaddedTokens = new Histogram({
      name: METRIC_NAMES.batchPaddedTokens,
      help: 'Tokens per batch with padding (longest input times inputs): what the model computed',
      buckets: TOKEN_BUCKETS,
      registers,
    });
    this.batchDuration = new Histogram({
      name: METRIC_NAMES.batchDuration,
      help: 'Time the model took for a batch',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.batchFailures = new Counter({ name: METRIC_NAMES.batchFailures, help: 'Batches whose forward failed (their requests got 500)', registers });
    new Gauge({
      name: METRIC_NAMES.residentMemory,
      help: 'Resident set size of the server process in bytes',
      registers,
      collect() {
        this.set(process.memoryUsage.rss());
      },
    });
  }

  /** An answered request; `route` is the route's pattern (never the raw URL, whose values are unbounded). */
  observeRequest(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.requestDuration.observe({ method, route }, seconds);
  }

  setInFlight(requests: number): void {
    this.inFlight.set(requests);
  }

  /** The engine's onBatch. */
  readonly observeBatch = (report: BatchReport): void => {
    this.batchSize.observe(report.items);
    this.batchTokens.observe(report.tokens);
    this.batchPaddedTokens.observe(report.paddedTokens);
    this.batchDuration.observe(report.durationMs / 1000);
    if (report.error) this.batchFailures.inc();
  };

  /** The Prometheus text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
