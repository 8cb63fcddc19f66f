// POST /predict and POST /embed with text-embeddings-inference's request and response shapes, so
// clients written for TEI (and its Python and JS clients) can use a bertrun server unchanged.
import type { FastifyInstance } from 'fastify';
import { checkClientBatchSize } from './admission';
import { TEI_EMBED, TEI_PREDICT } from './schemas';
import { withRequestFields, type ServerContext } from './server_context';

interface PredictBody {
  inputs: string | string[] | string[][];
  raw_scores?: boolean;
  truncate?: boolean | null;
}

interface EmbedBody {
  inputs: string | string[];
  normalize?: boolean;
  truncate?: boolean | null;
}

type ClassificationInput = string | { text: string; text_pair: string };

/** Tasks /embed answers. */
const EMBEDDING_TASKS = ['sentence-embeddings', 'feature-extraction'];

export function registerTeiRoutes(app: FastifyInstance, context: ServerContext): void {
  app.post<{ Body: PredictBody }>('/predict', { schema: TEI_PREDICT }, async (request) => {
    if (context.task !== 'text-classification') {
      throw context.wrongTask('/predict', 'text-classification', 'a sequence-classification model (config.json architectures BertForSequenceClassification)');
    }
    const { items, fields, single } = predictInputs(request.body.inputs);
    checkClientBatchSize(items.length, context.limits.maxClientBatchSize);
    const parameters: Record<string, unknown> = { top_k: null };
    if (request.body.raw_scores) parameters.function_to_apply = 'none';
    const pipeline = context.pipelineFor(request.body.truncate);
    return context.admission.run(async () => {
      const results = (await withRequestFields(fields, () => pipeline.call(items, parameters, context.callOptions))) as unknown[];
      return single ? results[0] : results;
    });
  });

  app.post<{ Body: EmbedBody }>('/embed', { schema: TEI_EMBED }, async (request) => {
    if (!EMBEDDING_TASKS.includes(context.task)) {
      throw context.wrongTask(
        '/embed',
        'sentence-embeddings or feature-extraction',
        'a sentence-transformers model directory (modules.json, 1_Pooling/config.json) or a bare BertModel, or --task sentence-embeddings',
      );
    }
    const { inputs, normalize = true } = request.body;
    const items = typeof inputs === 'string' ? [inputs] : inputs;
    checkClientBatchSize(items.length, context.limits.maxClientBatchSize);
    const fields = items.map((_, i) => ({ '': typeof inputs === 'string' ? 'inputs' : `inputs[${i}]` }));
    // A feature-extraction model (a bare BertModel) is embedded as sentence-transformers embeds a
    // directory without modules.json: mean pooling over the same engine.
    const pipeline = context.pipelineFor(request.body.truncate, 'sentence-embeddings');
    return context.admission.run(async () => (await withRequestFields(fields, () => pipeline.call(items, { normalize }, context.callOptions))) as number[][]);
  });
}

/** TEI's predict inputs (already of a valid shape) as pipeline inputs, with each one's request field names. */
function predictInputs(inputs: PredictBody['inputs']): { items: ClassificationInput[]; fields: Array<Record<string, string>>; single: boolean } {
  if (typeof inputs === 'string') return { items: [inputs], fields: [{ '': 'inputs' }], single: true };
  if (inputs.every((item): item is string => typeof item === 'string')) {
    return { items: [{ text: inputs[0], text_pair: inputs[1] }], fields: [pairFields('inputs')], single: true };
  }
  const batch = inputs as string[][];
  return {
    items: batch.map((item) => (item.length === 1 ? item[0] : { text: item[0], text_pair: item[1] })),
    fields: batch.map((item, i) => (item.length === 1 ? { '': `inputs[${i}][0]` } : pairFields(`inputs[${i}]`))),
    single: false,
  };
}

function pairFields(field: string): Record<string, string> {
  return { '': field, '.text': `${field}[0]`, '.text_pair': `${field}[1]` };
}
