// POST /v1/model_prediction/: the original Flask service's contract, kept so its clients work
// unchanged: {"sentence1", "sentence2"} (or {"sentence"}) in, ["label", softmax score] out.
import type { FastifyInstance } from 'fastify';
import { validationError } from './http_errors';
import { SEED_PREDICTION } from './schemas';
import { withRequestFields, type ServerContext } from './server_context';

export const SEED_ROUTE = '/v1/model_prediction/';

interface SeedBody {
  sentence1?: string;
  sentence2?: string;
  sentence?: string;
}

interface LabelScore {
  label: string;
  score: number;
}

export function registerSeedRoute(app: FastifyInstance, context: ServerContext): void {
  app.post<{ Body: SeedBody }>(SEED_ROUTE, { schema: SEED_PREDICTION }, async (request) => {
    if (context.task !== 'text-classification') {
      throw context.wrongTask(SEED_ROUTE, 'text-classification', 'a sequence-classification model (config.json architectures BertForSequenceClassification)');
    }
    const { sentence1, sentence2, sentence } = request.body;
    if (sentence !== undefined && (sentence1 !== undefined || sentence2 !== undefined)) {
      throw validationError('body/sentence', 'send either "sentence" or "sentence1" (with "sentence2" for a pair), not both');
    }
    if (sentence === undefined && sentence1 === undefined) {
      throw validationError('body/sentence1', 'is required: send {"sentence1", "sentence2"} or {"sentence"}');
    }
    const input = sentence ?? (sentence2 === undefined ? sentence1 : { text: sentence1, text_pair: sentence2 });
    const fields = sentence !== undefined ? 'body/sentence' : sentence2 === undefined ? 'body/sentence1' : 'body/sentence1 with body/sentence2';
    return context.admission.run(async () => {
      const [[best]] = (await withRequestFields([{ '': fields, '.text': 'body/sentence1', '.text_pair': 'body/sentence2' }], () =>
        context.pipeline.call([input], { top_k: 1, function_to_apply: 'softmax' }, context.callOptions),
      )) as LabelScore[][];
      return [best.label, best.score];
    });
  });
}
