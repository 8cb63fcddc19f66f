// Where the hub is, where its cache lives, who we are and whether we may use the network: the
// same environment variables, defaults and precedence as Python's huggingface_hub, so one shell
// configures both.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

/** How a model name is resolved and downloaded. Every field defaults from the environment. */
export interface HubOptions {
  /** Branch, tag or commit hash. Default "main". */
  revision?: string;
  /** The hub cache. Default HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub. */
  cacheDir?: string;
  /** The hub or a mirror. Default HF_ENDPOINT, else https://huggingface.co. */
  endpoint?: string;
  /** Access token for private and gated repos. Default HF_TOKEN, else the token file `huggingface-cli login` wrote; false sends none. */
  token?: string | false;
  /** Use the cache only. Default HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE. */
  offline?: boolean;
  /** A progress bar per file. Default: on when stderr is a terminal, unless HF_HUB_DISABLE_PROGRESS_BARS. */
  progress?: boolean;
  /** Receives one-line warnings (e.g. "hub unreachable, using the cached copy"). Default console.warn. */
  warn?: (message: string) => void;
  /** Retries of 429, 5xx and dropped connections: attempts in all and the first backoff. Default 5 attempts from 1 s. */
  retry?: { attempts?: number; baseDelayMs?: number };
}

export interface HubSettings {
  revision: string;
  cacheDir: string;
  endpoint: string;
  token: string | undefined;
  offline: boolean;
  /** Which setting made us offline, for messages ("HF_HUB_OFFLINE=1", "--offline"). */
  offlineReason: string | undefined;
  progress: boolean;
  warn: (message: string) => void;
  attempts: number;
  baseDelayMs: number;
  /** Seconds to wait for a file's metadata, and for each chunk of a download (HF_HUB_ETAG_TIMEOUT, HF_HUB_DOWNLOAD_TIMEOUT). */
  metadataTimeoutMs: number;
  downloadTimeoutMs: number;
}

const TRUE_VALUES = new Set(['1', 'ON', 'YES', 'TRUE']);

function isTrue(value: string | undefined): boolean {
  return value !== undefined && TRUE_VALUES.has(value.toUpperCase());
}

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
}

/** HF_HOME: the root of the Hugging Face files (cache, token). */
export function hfHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HOME) return expandHome(env.HF_HOME);
  return path.join(env.XDG_CACHE_HOME ? expandHome(env.XDG_CACHE_HOME) : path.join(os.homedir(), '.cache'), 'huggingface');
}

export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  return explicit ? expandHome(explicit) : path.join(hfHome(env), 'hub');
}

function storedToken(env: NodeJS.ProcessEnv): string | undefined {
  const file = env.HF_TOKEN_PATH ? expandHome(env.HF_TOKEN_PATH) : path.join(hfHome(env), 'token');
  try {
    return fs.readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined; // not logged in
  }
}

function seconds(value: string | undefined, fallback: number): number {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n * 1000 : fallback * 1000;
}

export function hubSettings(options: HubOptions = {}, env: NodeJS.ProcessEnv = process.env): HubSettings {
  const offlineReason = options.offline
    ? '--offline'
    : options.offline === false
      ? undefined
      : isTrue(env.HF_HUB_OFFLINE)
        ? `HF_HUB_OFFLINE=${env.HF_HUB_OFFLINE}`
        : isTrue(env.TRANSFORMERS_OFFLINE)
          ? `TRANSFORMERS_OFFLINE=${env.TRANSFORMERS_OFFLINE}`
          : undefined;
  const token = options.token === false ? undefined : (options.token ?? (env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || storedToken(env)));
  const progressDisabled = isTrue(env.HF_HUB_DISABLE_PROGRESS_BARS);
  return {
    revision: options.revision ?? DEFAULT_REVISION,
    cacheDir: path.resolve(options.cacheDir ? expandHome(options.cacheDir) : hubCacheDir(env)),
    endpoint: (options.endpoint ?? (env.HF_ENDPOINT || DEFAULT_ENDPOINT)).replace(/\/+$/, ''),
    token,
    offline: offlineReason !== undefined,
    offlineReason,
    progress: options.progress ?? (!progressDisabled && process.stderr.isTTY === true),
    warn: options.warn ?? ((message: string) => console.warn(message)),
    attempts: Math.max(1, options.retry?.attempts ?? 5),
    baseDelayMs: options.retry?.baseDelayMs ?? 1000,
    metadataTimeoutMs: seconds(env.HF_HUB_ETAG_TIMEOUT, 10),
    downloadTimeoutMs: seconds(env.HF_HUB_DOWNLOAD_TIMEOUT, 10),
  };
}
