// What can go wrong talking to the hub, as values the resolver turns into "what was tried, and the fix".

export type HubFailure =
  | 'unauthorized' // 401: private or gated, no (valid) token
  | 'forbidden' // 403: gated and this token has no access
  | 'repo-not-found'
  | 'revision-not-found'
  | 'entry-not-found'
  | 'rate-limited' // 429 after every retry
  | 'server' // 5xx after every retry
  | 'unreachable' // DNS, refused, reset, timeout
  | 'protocol' // not a hub: headers missing
  | 'integrity' // sha256 or size mismatch
  | 'storage' // the cache cannot be written
  | 'not-cached'; // offline and the cache lacks it

export class HubError extends Error {
  constructor(
    readonly failure: HubFailure,
    message: string,
    readonly details: { url?: string; status?: number; missingFiles?: string[]; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'HubError';
  }

  /** Failures that mean "the hub cannot be reached now", after which a cached copy is used instead. */
  get isConnectivity(): boolean {
    return this.failure === 'unreachable' || this.failure === 'server' || this.failure === 'rate-limited' || this.failure === 'protocol';
  }
}
