// HTTP to the hub: authentication for the hub's own origin only, relative redirects followed
// (renamed repos), bounded retries with backoff for 429 / 5xx / dropped connections, and hub
// answers turned into HubError by their X-Error-Code.
import { HubError, type HubFailure } from './hub_errors';
import type { HubSettings } from './hub_settings';
import { packageVersion } from '../package_root';

const RETRIED_STATUSES = new Set([429, 500, 502, 503, 504]);
const MAX_RELATIVE_REDIRECTS = 10;
const MAX_RETRY_AFTER_MS = 60_000;
// Network errors that mean "no route to the hub": retrying only delays the fallback to the cache.
const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export interface HubRequest {
  method: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Replaces the timeout: downloads abort on a stall, not after a fixed time. */
  signal?: AbortSignal;
  /** Follow absolute redirects too (downloads); metadata requests read the hub's 302 itself. */
  followRedirects: boolean;
}

export function hubHeaders(url: string, settings: HubSettings): Record<string, string> {
  const headers: Record<string, string> = {
    'user-agent': `bertrun/${packageVersion()}; node/${process.versions.node}`,
    // The hub's sizes and hashes are of the stored bytes.
    'accept-encoding': 'identity',
  };
  // The token goes to the hub (or mirror) only, never to a storage host it redirects to.
  if (settings.token && new URL(url).origin === new URL(settings.endpoint).origin) headers.authorization = `Bearer ${settings.token}`;
  return headers;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The delay before retry number `attempt` (0-based): Retry-After when the server gave one, else exponential backoff. */
export function retryDelay(attempt: number, settings: HubSettings, retryAfter?: string | null): number {
  const seconds = retryAfter ? Number(retryAfter) : NaN;
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  return Math.min(settings.baseDelayMs * 2 ** attempt, settings.baseDelayMs * 8);
}

/** A network failure as a HubError naming the URL and the system error. */
export function networkError(url: string, err: unknown): HubError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const name = (err as Error).name;
  const reason = name === 'TimeoutError' ? 'timed out' : (cause?.code ?? cause?.message ?? (err as Error).message);
  return new HubError('unreachable', `${url}: ${reason}`, { url, cause: err });
}

function isUnreachable(err: unknown): boolean {
  const code = (err as { cause?: { code?: string } }).cause?.code;
  return code !== undefined && UNREACHABLE_CODES.has(code);
}

/**
 * One hub request with retries. Resolves with any non-error response (2xx, 3xx the caller asked
 * to see); rejects with HubError for 4xx, for 429/5xx once retries are spent, and for network
 * failures (unreachable hosts fail at once, so offline machines fall back to the cache quickly).
 */
export async function hubFetch(url: string, request: HubRequest, settings: HubSettings): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetchFollowingRelative(url, request, settings);
    } catch (err) {
      if (isUnreachable(err) || request.signal?.aborted || attempt + 1 >= settings.attempts) throw networkError(url, err);
      await sleep(retryDelay(attempt, settings));
      continue;
    }
    if (response.status < 400) return response;
    if (RETRIED_STATUSES.has(response.status) && attempt + 1 < settings.attempts) {
      await response.body?.cancel();
      await sleep(retryDelay(attempt, settings, response.headers.get('retry-after')));
      continue;
    }
    throw await statusError(url, response);
  }
}

async function fetchFollowingRelative(url: string, request: HubRequest, settings: HubSettings): Promise<Response> {
  let current = url;
  for (let hop = 0; ; hop++) {
    const response = await fetch(current, {
      method: request.method,
      headers: { ...hubHeaders(current, settings), ...request.headers },
      redirect: request.followRedirects ? 'follow' : 'manual',
      signal: request.signal ?? AbortSignal.timeout(request.timeoutMs),
    });
    const location = response.headers.get('location');
    // A relative Location is the hub renaming a repo; an absolute one is storage (LFS), which the caller reads.
    if (response.status >= 300 && response.status < 400 && location?.startsWith('/') && hop < MAX_RELATIVE_REDIRECTS) {
      await response.body?.cancel();
      current = new URL(location, current).toString();
      continue;
    }
    return response;
  }
}

const ERROR_CODES: Record<string, HubFailure> = {
  RepoNotFound: 'repo-not-found',
  RevisionNotFound: 'revision-not-found',
  EntryNotFound: 'entry-not-found',
  GatedRepo: 'forbidden',
};

async function statusError(url: string, response: Response): Promise<HubError> {
  const code = response.headers.get('x-error-code') ?? '';
  let serverMessage = response.headers.get('x-error-message') ?? '';
  try {
    const body = (await response.json()) as { error?: unknown };
    if (typeof body.error === 'string') serverMessage = body.error;
  } catch {
    // not JSON: the status says enough
  }
  const status = response.status;
  let failure: HubFailure;
  if (status === 401) failure = 'unauthorized';
  else if (status === 403) failure = 'forbidden';
  else if (status === 404) failure = ERROR_CODES[code] ?? 'repo-not-found';
  else if (status === 429) failure = 'rate-limited';
  else if (status >= 500) failure = 'server';
  else failure = 'protocol';
  const detail = [code, serverMessage].filter(Boolean).join(': ');
  return new HubError(failure, `${url}: HTTP ${status}${detail ? ` (${detail})` : ''}`, { url, status });
}
