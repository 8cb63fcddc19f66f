// GET /health, /info and /metrics: liveness for orchestrators, what is served, and Prometheus metrics.
import type { FastifyInstance } from 'fastify';
import { labelNames } from '../tasks/text_classification';
import { ServerError } from './http_errors';
import { HEALTH, INFO, METRICS } from './schemas';
import type { ServerContext } from './server_context';

/** Tasks whose model's id2label are its answers (listed by /info). */
const LABELLED_TASKS = ['text-classification', 'token-classification', 'zero-shot-classification'];

export interface ServedModelInfo {
  device: string;
  dtype: string;
  version: string;
}

export function registerStatusRoutes(app: FastifyInstance, context: ServerContext, served: ServedModelInfo): void {
  app.get('/health', { schema: { ...HEALTH, security: [] } }, async () => {
    if (context.closing) throw new ServerError(503, 'backend', 'the server is shutting down');
    return { status: 'ok' };
  });

  app.get('/info', { schema: INFO }, async () => {
    const { engine } = context.pipeline;
    return {
      model_dir: engine.modelDir,
      task: context.task,
      model_type: engine.task,
      labels: LABELLED_TASKS.includes(context.task) ? labelNames(engine) : null,
      max_input_length: engine.maxLength,
      auto_truncate: context.truncate,
      max_batch_tokens: engine.limits.maxBatchTokens,
      max_batch_requests: engine.limits.maxBatchRequests,
      max_wait_ms: engine.limits.maxWaitMs,
      max_concurrent_requests: context.limits.maxConcurrentRequests,
      max_client_batch_size: context.limits.maxClientBatchSize,
      max_body_bytes: context.limits.maxBodyBytes,
      max_request_encodings: context.limits.maxRequestEncodings,
      device: served.device,
      dtype: served.dtype,
      version: served.version,
    };
  });

  app.get('/metrics', { schema: METRICS }, async (_request, reply) => {
    const text = await context.metrics.text();
    return reply.type(context.metrics.contentType).send(text);
  });
}
