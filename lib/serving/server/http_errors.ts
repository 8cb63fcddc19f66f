// Every failure as one JSON shape, `{"error": message, "error_type": kind}` (text-embeddings-inference's),
// with the status a client can act on: the request's fault (400/413/422), the server's load (429), or
// the model's (500, for the requests of the failing batch only).
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { PipelineInputError, PipelineSetupError } from '../errors';

export type ErrorType = 'validation' | 'overloaded' | 'payload_too_large' | 'unauthorized' | 'not_found' | 'backend';

export interface ErrorBody {
  error: string;
  error_type: ErrorType;
}

/** A failure with its HTTP status, kind and headers (Retry-After, WWW-Authenticate). */
export class ServerError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: ErrorType,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'ServerError';
  }
}

/** A 400 naming the request field at fault (`inputs`, `inputs[2]`, `body/sentence1`). */
export function validationError(field: string, message: string): ServerError {
  return new ServerError(400, 'validation', `${field}: ${message}`);
}

interface ErrorReply {
  status: number;
  body: ErrorBody;
  headers: Readonly<Record<string, string>>;
}

/** What to answer for an error thrown anywhere in a request's life (hooks, parsing, validation, handler). */
export function errorReply(error: unknown, maxBodyBytes: number): ErrorReply {
  if (error instanceof ServerError) return { status: error.status, body: { error: error.message, error_type: error.errorType }, headers: error.headers };
  if (error instanceof PipelineInputError) return { status: error.status, body: { error: error.message, error_type: 'validation' }, headers: {} };
  if (error instanceof PipelineSetupError) return { status: 400, body: { error: error.message, error_type: 'validation' }, headers: {} };
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) return reply(400, 'validation', fastifyError.message ?? 'invalid request');
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return reply(
        413,
        'payload_too_large',
        `body: larger than the ${maxBodyBytes} bytes this server takes (--max_body_bytes); send fewer or shorter inputs per request`,
      );
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return reply(415, 'validation', 'body: send JSON with the header Content-Type: application/json');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return reply(400, 'validation', 'body: empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return reply(400, 'validation', 'body: its size does not match the Content-Length header');
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return reply(status, status === 404 ? 'not_found' : status === 401 ? 'unauthorized' : 'validation', fastifyError.message ?? 'bad request');
  }
  const message = error instanceof Error ? error.message : String(error);
  return reply(500, 'backend', `inference failed: ${message}`);
}

function reply(status: number, errorType: ErrorType, error: string): ErrorReply {
  return { status, body: { error, error_type: errorType }, headers: {} };
}

/** fastify's error handler: the JSON error body; server-side failures are logged with their stack. */
export function errorHandler(maxBodyBytes: number) {
  return (error: FastifyError, request: FastifyRequest, response: FastifyReply): FastifyReply => {
    const { status, body, headers } = errorReply(error, maxBodyBytes);
    if (status >= 500) request.log.error({ err: error }, body.error);
    else request.log.info({ status, error_type: body.error_type }, body.error);
    return response.code(status).headers(headers).send(body);
  };
}

/** fastify's not-found handler: a 404 that lists the routes there are. */
export function notFoundHandler(routes: readonly string[]) {
  return (request: FastifyRequest, response: FastifyReply): FastifyReply => {
    const path = request.url.split('?')[0];
    const body: ErrorBody = { error: `no route ${request.method} ${path}; routes: ${routes.join(', ')}`, error_type: 'not_found' };
    return response.code(404).send(body);
  };
}
