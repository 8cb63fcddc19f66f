// buildServer(): the fastify app of `bertrun serve` around one pipeline (loaded here from a model
// directory, or handed in): routes, JSON-schema validation, errors, auth, limits, metrics, logs.
import fastify, { type FastifyInstance } from 'fastify';
import { packageVersion } from '../../package_root';
import { detectTask } from '../detect_task';
import type { EngineOptions } from '../inference_engine';
import { pipeline, PIPELINE_TASKS, type PipelineTaskName } from '../pipeline';
import { Admission } from './admission';
import { bearerAuth } from './auth';
import type { BatchReportSource } from './batch_reports';
import { errorHandler, notFoundHandler, ServerError } from './http_errors';
import { registerInferenceApiRoute } from './inference_api_route';
import { ServerMetrics } from './metrics';
import { registerOpenApi, registerOpenApiRoute } from './openapi';
import { formatSchemaErrors } from './schema_errors';
import { registerSeedRoute, SEED_ROUTE } from './seed_route';
import { DEFAULT_SERVER_LIMITS, ServerContext, type ServedPipeline, type ServerLimits } from './server_context';
import { registerStatusRoutes } from './status_routes';
import { registerTeiRoutes } from './tei_routes';

/** A model directory for the server to load (and dispose when it closes). */
export interface ServedModel extends Omit<EngineOptions, 'onBatch' | 'warn'> {
  modelDir: string;
  /** A pipeline task; default: the one config.json implies (detectTask). */
  task?: string;
}

export interface ServerOptions extends Partial<ServerLimits> {
  /** A loaded pipeline to serve; the caller keeps it (disposes it after closing the server). */
  pipeline?: ServedPipeline;
  /** Or a model for the server to load; it is disposed when the server closes. */
  model?: ServedModel;
  /**
   * Whether inputs longer than the model takes are cut (default true) or fail with 422. With
   * `model`, the pipeline is loaded so; with `pipeline`, say how that pipeline was loaded.
   */
  truncate?: boolean;
  /** Every route but /health then needs `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** pino level of the JSON log lines on stdout (fatal, error, warn, info, debug, trace, silent). Default info. */
  logLevel?: string;
  /** The batches of `pipeline`, for /metrics (a server that loads its model observes them itself). */
  batchReports?: BatchReportSource;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Routes, for the 404 message. */
const ROUTES = ['POST /', `POST ${SEED_ROUTE}`, 'POST /predict', 'POST /embed', 'GET /health', 'GET /info', 'GET /metrics', 'GET /openapi.json'];

/**
 * The server, ready to `listen()`. Closing it (app.close(), as on SIGTERM) stops accepting
 * connections, lets the requests in flight finish, then disposes the model it loaded.
 */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const limits = serverLimits(options);
  const truncate = options.truncate ?? true;
  const logLevel = options.logLevel ?? 'info';
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) throw new Error(`logLevel must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  if ((options.pipeline === undefined) === (options.model === undefined)) {
    throw new Error('buildServer needs exactly one of `pipeline` (a loaded pipeline) and `model` (a model directory to load)');
  }

  const app = fastify({
    logger: { level: logLevel },
    bodyLimit: limits.maxBodyBytes,
    routerOptions: { ignoreTrailingSlash: true },
    // Types are checked, not coerced ("5" is no number); unknown fields are errors, not dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, useDefaults: true, allErrors: false, verbose: true } },
    schemaErrorFormatter: formatSchemaErrors,
  });
  // Response schemas document the API (/openapi.json); replies are serialized as they are.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  // JSON only (text/plain is answered 415), with the parser's own message for malformed JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (e) {
      done(new ServerError(400, 'validation', `body: not valid JSON: ${(e as Error).message}`), undefined);
    }
  });

  const owned = options.model !== undefined;
  let served: ServedPipeline;
  // Scraped only once the server listens, when `served` is set.
  const servedMetrics = new ServerMetrics(() => served.engine.queueDepth);
  try {
    served = options.pipeline ?? (await loadPipeline(options.model as ServedModel, truncate, app, servedMetrics.observeBatch));
  } catch (e) {
    await app.close();
    throw e;
  }
  const unsubscribe = options.batchReports?.subscribe(servedMetrics.observeBatch);
  const admission = new Admission(limits.maxConcurrentRequests, (active) => servedMetrics.setInFlight(active));
  const context = new ServerContext(served, truncate, limits, admission, servedMetrics);

  app.addHook('onResponse', async (request, reply) => {
    servedMetrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  const apiKey = options.apiKey;
  if (apiKey !== undefined) app.addHook('onRequest', bearerAuth(apiKey, ['/health']));
  app.setErrorHandler(errorHandler(limits.maxBodyBytes));
  app.setNotFoundHandler(notFoundHandler(ROUTES));
  app.addHook('preClose', async () => {
    context.closing = true;
  });
  // Requests answered while closing end their connection: a kept-alive one would hold the close
  // (and the process exit) until the client or keepAliveTimeout dropped it.
  app.addHook('onSend', async (_request, reply) => {
    if (context.closing) reply.header('connection', 'close');
  });
  app.addHook('onClose', async () => {
    unsubscribe?.();
    if (owned) await served.dispose();
  });

  try {
    const version = packageVersion();
    await registerOpenApi(app, version, apiKey !== undefined);
    registerInferenceApiRoute(app, context);
    registerSeedRoute(app, context);
    registerTeiRoutes(app, context);
    registerStatusRoutes(app, context, { ...modelPlacement(served), version });
    registerOpenApiRoute(app);
    await app.ready();
  } catch (e) {
    await app.close();
    throw e;
  }
  return app;
}

async function loadPipeline(model: ServedModel, truncate: boolean, app: FastifyInstance, onBatch: EngineOptions['onBatch']): Promise<ServedPipeline> {
  const { modelDir, task: given, ...engineOptions } = model;
  let task = given;
  if (task === undefined) {
    const detected = detectTask(modelDir);
    app.log.info({ task: detected.task, reason: detected.reason }, `serving ${detected.task}: ${detected.reason}`);
    task = detected.task;
  }
  if (!(PIPELINE_TASKS as readonly string[]).includes(task)) {
    const how = given === undefined ? `${modelDir} implies the task ${task}, which` : `--task ${task}:`;
    throw new Error(`${how} this bertrun does not serve; pass --task with one of ${PIPELINE_TASKS.join(', ')}`);
  }
  return pipeline(task as PipelineTaskName, modelDir, { ...engineOptions, truncate, onBatch, warn: (message) => app.log.warn(message) });
}

function serverLimits(options: Partial<ServerLimits>): ServerLimits {
  const limits = { ...DEFAULT_SERVER_LIMITS };
  for (const key of Object.keys(limits) as Array<keyof ServerLimits>) {
    const value = options[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1) throw new Error(`${key} must be an integer >= 1, got ${value}`);
    limits[key] = value;
  }
  return limits;
}

/** Where the model runs, for /info. */
function modelPlacement(served: ServedPipeline): { device: string; dtype: string } {
  const info = served.engine.model.info();
  return { device: info.device, dtype: info.mixedPrecision ?? 'float32' };
}
