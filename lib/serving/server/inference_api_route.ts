// POST /: the Hugging Face Inference API's shape, {"inputs", "parameters"}, for every task the
// pipeline serves: the pipeline reads and checks both, so this route has no per-task code.
import type { FastifyInstance } from 'fastify';
import { checkClientBatchSize } from './admission';
import { INFERENCE_API } from './schemas';
import type { ServerContext } from './server_context';

interface InferenceBody {
  inputs: unknown;
  parameters?: Record<string, unknown>;
  options?: Record<string, unknown>;
}

export function registerInferenceApiRoute(app: FastifyInstance, context: ServerContext): void {
  app.post<{ Body: InferenceBody }>('/', { schema: INFERENCE_API }, async (request) => {
    const { inputs, parameters } = request.body;
    if (Array.isArray(inputs)) checkClientBatchSize(inputs.length, context.limits.maxClientBatchSize);
    return context.admission.run(async () => {
      const output = await context.pipeline.call(inputs, parameters, context.callOptions);
      // A task answering one input with nothing (no entities found) still sends JSON.
      return output === undefined ? null : output;
    });
  });
}
