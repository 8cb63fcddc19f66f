// The OpenAPI document, built by @fastify/swagger from the route schemas, at GET /openapi.json.
import swagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { OPENAPI } from './schemas';

/** Registers the generator; routes added after this call are documented. */
export async function registerOpenApi(app: FastifyInstance, version: string, auth: boolean): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'bertrun serve',
        description:
          'BERT inference over HTTP: the Hugging Face Inference API shape (POST /) for every pipeline task, ' +
          "text-embeddings-inference's /predict and /embed, and the original Flask service's /v1/model_prediction/.",
        version,
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: auth ? [{ bearer: [] }] : [],
    },
  });
}

export function registerOpenApiRoute(app: FastifyInstance): void {
  app.get('/openapi.json', { schema: OPENAPI }, async () => app.swagger());
}
