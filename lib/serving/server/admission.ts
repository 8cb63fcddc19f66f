// Admission control: at most --max_concurrent_requests inference requests are answered at once
// (past that: 429 with Retry-After, so that a client backs off instead of piling onto the queue),
// and at most --max_client_batch_size inputs come in one request.
import { ServerError, validationError } from './http_errors';

export class Admission {
  private active = 0;

  constructor(
    readonly maxConcurrentRequests: number,
    private readonly onChange: (active: number) => void = () => undefined,
    private readonly retryAfterSeconds = 1,
  ) {}

  /** Inference requests being answered now. */
  get inFlight(): number {
    return this.active;
  }

  /** Runs `work` in one of the slots, or throws a 429 when none is free. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.active >= this.maxConcurrentRequests) {
      throw new ServerError(
        429,
        'overloaded',
        `the server is answering ${this.active} requests, its limit (--max_concurrent_requests ${this.maxConcurrentRequests}); retry in ${this.retryAfterSeconds} s`,
        { 'retry-after': String(this.retryAfterSeconds) },
      );
    }
    this.active++;
    this.onChange(this.active);
    try {
      return await work();
    } finally {
      this.active--;
      this.onChange(this.active);
    }
  }
}

/** A 400 naming `field` when a request holds more inputs than the server takes at once. */
export function checkClientBatchSize(count: number, maxClientBatchSize: number, field = 'inputs'): void {
  if (count > maxClientBatchSize) {
    throw validationError(
      field,
      `holds ${count} inputs; this server takes at most ${maxClientBatchSize} per request (--max_client_batch_size). Fix: split them over several requests.`,
    );
  }
}
