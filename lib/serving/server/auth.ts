// Optional bearer-token authentication: with an API key set, every route but the open ones
// (/health, for load balancers and orchestrators) needs `Authorization: Bearer <key>`.
import { createHash, timingSafeEqual } from 'crypto';
import type { FastifyRequest } from 'fastify';
import { ServerError } from './http_errors';

const REALM = 'Bearer realm="bertrun"';

/** An onRequest hook that rejects requests without the key with 401 and WWW-Authenticate. */
export function bearerAuth(apiKey: string, openRoutes: readonly string[]) {
  if (apiKey === '') throw new Error('the API key must not be empty');
  const expected = digest(apiKey);
  return async (request: FastifyRequest): Promise<void> => {
    if (request.routeOptions.url !== undefined && openRoutes.includes(request.routeOptions.url)) return;
    const header = request.headers.authorization;
    if (header === undefined) {
      throw new ServerError(401, 'unauthorized', 'this server needs an API key: send the header Authorization: Bearer <key>', { 'www-authenticate': REALM });
    }
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
    if (!match) {
      throw new ServerError(401, 'unauthorized', 'the Authorization header must be "Bearer <key>"', {
        'www-authenticate': `${REALM}, error="invalid_request"`,
      });
    }
    // Digests have one length, so the comparison takes the same time whatever the key sent.
    if (!timingSafeEqual(digest(match[1]), expected)) {
      throw new ServerError(401, 'unauthorized', 'wrong API key', { 'www-authenticate': `${REALM}, error="invalid_token"` });
    }
  };
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
