// `bertrun serve --model_name_or_path DIR [flags]`: the model over HTTP until SIGTERM or SIGINT,
// then a graceful stop (no new connections, requests in flight answered, model freed, exit 0).
import { LOG_LEVELS, buildServer } from '../serving/server/app';
import { DEFAULT_SERVER_LIMITS } from '../serving/server/server_context';
import { DEFAULT_BATCH_LIMITS } from '../serving/batcher';
import { PIPELINE_TASKS } from '../serving/pipeline';
import { detectTask } from '../serving/detect_task';
import { formatHelp, parseFlags, type FlagSchema, type FlagValues } from './flags';
import { HUB_FLAGS, hubOptionsFromFlags } from './hub_flags';
import type { HubOptions } from '../hub/hub_settings';
import { resolveModelDir } from '../hub/resolve_model';

const USAGE = `usage: bertrun serve --model_name_or_path DIR [flags]

Serves a model directory over HTTP (JSON logs on stdout; the URL on stderr once listening):
  POST /                     {"inputs", "parameters"} for the task (the Hugging Face Inference API shape)
  POST /predict, /embed      text-embeddings-inference's shapes (text-classification; sentence-embeddings)
  POST /v1/model_prediction/ {"sentence1", "sentence2"} -> ["label", score] (the original Flask service)
  GET  /health /info /metrics /openapi.json
The task defaults to the one config.json's architectures imply. SIGTERM or SIGINT stops it gracefully.
Environment: BERTRUN_API_KEY (as --api_key).`;

export const SERVE_FLAGS: FlagSchema = {
  model_name_or_path: { type: 'string', help: 'the model to serve: a directory (config.json, weights, tokenizer files) or a Hugging Face model name' },
  ...HUB_FLAGS,
  task: { type: 'string', help: 'the pipeline task (default: from config.json architectures)', choices: PIPELINE_TASKS },
  host: { type: 'string', default: '127.0.0.1', help: 'address to listen on (0.0.0.0: every interface)' },
  port: { type: 'integer', default: 8080, help: 'port to listen on (0: any free port)' },
  device: { type: 'string', default: 'cpu', help: 'cpu, cuda or cuda:N' },
  bf16: { type: 'boolean', default: false, help: 'run forwards under bfloat16 autocast' },
  max_batch_tokens: {
    type: 'integer',
    default: DEFAULT_BATCH_LIMITS.maxBatchTokens,
    help: 'largest padded batch in tokens (inputs of all requests share batches)',
  },
  max_batch_requests: { type: 'integer', default: DEFAULT_BATCH_LIMITS.maxBatchRequests, help: 'largest number of inputs in one batch' },
  max_wait_ms: { type: 'number', default: DEFAULT_BATCH_LIMITS.maxWaitMs, help: 'how long an idle model waits for a fuller batch' },
  max_concurrent_requests: { type: 'integer', default: DEFAULT_SERVER_LIMITS.maxConcurrentRequests, help: 'requests answered at once; more get 429' },
  max_client_batch_size: { type: 'integer', default: DEFAULT_SERVER_LIMITS.maxClientBatchSize, help: 'inputs in one request; more get 400' },
  max_body_bytes: { type: 'integer', default: DEFAULT_SERVER_LIMITS.maxBodyBytes, help: 'largest request body; larger get 413' },
  max_request_encodings: {
    type: 'integer',
    default: DEFAULT_SERVER_LIMITS.maxRequestEncodings,
    help: 'model inputs one request may expand to (windows of long texts, zero-shot labels); more get 400',
  },
  no_truncate: { type: 'boolean', default: false, help: 'inputs longer than the model takes fail with 422 instead of being cut' },
  api_key: { type: 'string', help: 'require Authorization: Bearer <key> on every route but /health (default: $BERTRUN_API_KEY)' },
  log_level: { type: 'string', default: 'info', help: 'log level of the JSON request logs', choices: LOG_LEVELS },
};

export interface ServeSettings {
  /** A directory or hub model name, as given. */
  modelDir: string;
  hub: HubOptions;
  task?: string;
  host: string;
  port: number;
  device: string;
  bf16: boolean;
  maxBatchTokens: number;
  maxBatchRequests: number;
  maxWaitMs: number;
  maxConcurrentRequests: number;
  maxClientBatchSize: number;
  maxBodyBytes: number;
  maxRequestEncodings: number;
  truncate: boolean;
  apiKey?: string;
  logLevel: string;
}

/** The flags as server settings; errors name the flag. */
export function serveSettings(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): ServeSettings {
  const flags = parseFlags(argv, SERVE_FLAGS);
  const modelDir = flags.model_name_or_path;
  if (typeof modelDir !== 'string' || modelDir === '') {
    throw new Error(
      '--model_name_or_path is required: the directory of a saved model (config.json, weights, tokenizer files), e.g. a bertrun train --output_dir, or a Hugging Face model name',
    );
  }
  const port = integerFlag(flags, 'port', 0);
  if (port > 65535) throw new Error(`--port must be in [0, 65535], got ${port}`);
  const maxWaitMs = flags.max_wait_ms as number;
  if (maxWaitMs < 0) throw new Error(`--max_wait_ms must be >= 0, got ${maxWaitMs}`);
  const apiKey = typeof flags.api_key === 'string' ? flags.api_key : env.BERTRUN_API_KEY;
  if (apiKey === '') throw new Error(`${typeof flags.api_key === 'string' ? '--api_key' : 'BERTRUN_API_KEY'} is empty; give a key or leave it out`);
  return {
    modelDir,
    hub: hubOptionsFromFlags(flags),
    task: typeof flags.task === 'string' ? flags.task : undefined,
    host: flags.host as string,
    port,
    device: flags.device as string,
    bf16: flags.bf16 === true,
    maxBatchTokens: integerFlag(flags, 'max_batch_tokens', 1),
    maxBatchRequests: integerFlag(flags, 'max_batch_requests', 1),
    maxWaitMs,
    maxConcurrentRequests: integerFlag(flags, 'max_concurrent_requests', 1),
    maxClientBatchSize: integerFlag(flags, 'max_client_batch_size', 1),
    maxBodyBytes: integerFlag(flags, 'max_body_bytes', 1),
    maxRequestEncodings: integerFlag(flags, 'max_request_encodings', 1),
    truncate: flags.no_truncate !== true,
    apiKey,
    logLevel: flags.log_level as string,
  };
}

function integerFlag(flags: FlagValues, name: string, min: number): number {
  const value = flags[name] as number;
  if (value < min) throw new Error(`--${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

export async function runServe(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(formatHelp(USAGE, SERVE_FLAGS));
    return;
  }
  const settings = serveSettings(argv);
  const modelDir = await resolveModelDir(settings.modelDir, settings.hub);
  let task = settings.task;
  if (task === undefined) {
    const detected = detectTask(modelDir);
    console.error(`bertrun serve: task ${detected.task} (${detected.reason}; --task overrides it)`);
    task = detected.task;
  }
  const app = await buildServer({
    model: {
      modelDir,
      task,
      device: settings.device,
      bf16: settings.bf16,
      maxBatchTokens: settings.maxBatchTokens,
      maxBatchRequests: settings.maxBatchRequests,
      maxWaitMs: settings.maxWaitMs,
    },
    truncate: settings.truncate,
    maxConcurrentRequests: settings.maxConcurrentRequests,
    maxClientBatchSize: settings.maxClientBatchSize,
    maxBodyBytes: settings.maxBodyBytes,
    maxRequestEncodings: settings.maxRequestEncodings,
    apiKey: settings.apiKey,
    logLevel: settings.logLevel,
  });
  let url: string;
  try {
    url = await app.listen({ host: settings.host, port: settings.port });
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      throw new Error(`--port ${settings.port}: another process listens there on ${settings.host}; pick another --port (0: any free one)`, { cause: e });
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new Error(`--host ${settings.host}: not an address of this machine (${code})`, { cause: e });
    throw e;
  }
  console.error(
    `bertrun serve: listening on ${url} (${task} from ${settings.modelDir}${settings.apiKey ? '; API key required' : ''}); SIGTERM or Ctrl-C stops it`,
  );
  await untilStopped(app.close.bind(app), (signal) => app.log.info({ signal }, `${signal}: closing: no new connections; finishing the requests in flight`));
  console.error('bertrun serve: stopped');
}

/**
 * Resolves once the first SIGTERM or SIGINT has closed the server; a second one while closing
 * exits at once (status 130 / 143, as a shell reports signals).
 */
function untilStopped(close: () => Promise<void>, announce: (signal: NodeJS.Signals) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        console.error(`bertrun serve: ${signal} again: exiting without waiting for the requests in flight`);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      }
      stopping = true;
      announce(signal);
      close().then(
        () => {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          resolve();
        },
        (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))),
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
