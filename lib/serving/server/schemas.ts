// JSON schemas of every route: fastify validates request bodies with them (structure and types;
// the pipeline checks the rest) and @fastify/swagger builds /openapi.json from them.
import type {} from '@fastify/swagger'; // its FastifySchema fields (summary, produces, security)
import type { FastifySchema } from 'fastify';

type JsonSchema = Record<string, unknown>;

const text: JsonSchema = { type: 'string', minLength: 1 };

export const ERROR_RESPONSE: JsonSchema = {
  type: 'object',
  description: 'What went wrong; error_type is validation, overloaded, payload_too_large, unauthorized, not_found or backend',
  required: ['error', 'error_type'],
  properties: {
    error: { type: 'string', description: 'The message; a request error names the field at fault (body/inputs, inputs[2], parameters.top_k)' },
    error_type: { type: 'string', enum: ['validation', 'overloaded', 'payload_too_large', 'unauthorized', 'not_found', 'backend'] },
  },
};

/** The error responses every inference route may give. */
const INFERENCE_ERRORS: Record<string, JsonSchema> = {
  400: { ...ERROR_RESPONSE, description: 'Malformed JSON, a wrong type, an empty or missing field, too many inputs, or a route this model does not serve' },
  401: { ...ERROR_RESPONSE, description: 'Missing or wrong bearer token (when the server has an API key)' },
  413: { ...ERROR_RESPONSE, description: 'Body larger than --max_body_bytes' },
  422: { ...ERROR_RESPONSE, description: 'An input longer than the model takes, with truncation off' },
  429: { ...ERROR_RESPONSE, description: 'More concurrent requests than --max_concurrent_requests; retry after the Retry-After header' },
  500: { ...ERROR_RESPONSE, description: "The model failed on this request's batch" },
};

const truncateFields: Record<string, JsonSchema> = {
  truncate: {
    type: 'boolean',
    nullable: true,
    description: 'Cut inputs longer than the model takes (default: the server setting, on unless --no_truncate); false: such inputs fail with 422',
  },
  truncation_direction: { type: 'string', enum: ['right', 'Right'], default: 'right', description: 'Only right (the end of the input is cut)' },
};

/** The Flask service's contract: a sentence pair (or one sentence) in, `[label, softmax score]` out. */
export const SEED_PREDICTION: FastifySchema = {
  summary: 'Best label and its softmax score for a sentence pair or one sentence (the original Flask service)',
  body: {
    type: 'object',
    additionalProperties: false,
    properties: {
      sentence1: { ...text, description: 'First sentence of a pair' },
      sentence2: { ...text, description: 'Second sentence of the pair (with sentence1)' },
      sentence: { ...text, description: 'One sentence (instead of sentence1)' },
    },
  },
  response: {
    200: {
      description: '[label, score]',
      type: 'array',
      minItems: 2,
      maxItems: 2,
      items: { anyOf: [{ type: 'string' }, { type: 'number' }] },
    },
    ...INFERENCE_ERRORS,
  },
};

const PREDICTION: JsonSchema = { type: 'object', required: ['label', 'score'], properties: { label: { type: 'string' }, score: { type: 'number' } } };
const stringPair: JsonSchema = { type: 'array', items: { type: 'string' }, minItems: 2, maxItems: 2 };

/** text-embeddings-inference's /predict. */
export const TEI_PREDICT: FastifySchema = {
  summary: 'Scores of every label, best first (text-embeddings-inference /predict); needs a text-classification model',
  body: {
    type: 'object',
    required: ['inputs'],
    additionalProperties: false,
    properties: {
      inputs: {
        description: 'a text, a pair [text, text_pair], or a batch of [text] and [text, text_pair] lists',
        anyOf: [
          { type: 'string', description: 'One text' },
          { ...stringPair, description: 'A sentence pair' },
          {
            type: 'array',
            minItems: 1,
            description: 'A batch of texts and pairs',
            items: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2 },
          },
        ],
      },
      raw_scores: { type: 'boolean', default: false, description: 'Logits instead of softmax (sigmoid for one label) scores' },
      ...truncateFields,
    },
  },
  response: {
    200: {
      description: 'For one input, its predictions; for a batch, one list per input',
      anyOf: [
        { type: 'array', items: PREDICTION },
        { type: 'array', items: { type: 'array', items: PREDICTION } },
      ],
    },
    ...INFERENCE_ERRORS,
  },
};

/** text-embeddings-inference's /embed. */
export const TEI_EMBED: FastifySchema = {
  summary: 'Sentence embeddings (text-embeddings-inference /embed); needs a sentence-embeddings or feature-extraction model',
  body: {
    type: 'object',
    required: ['inputs'],
    additionalProperties: false,
    properties: {
      inputs: {
        description: 'a non-empty string or a non-empty list of them',
        anyOf: [text, { type: 'array', minItems: 1, items: text }],
      },
      normalize: { type: 'boolean', default: true, description: 'Scale each embedding to unit length' },
      ...truncateFields,
    },
  },
  response: {
    200: { description: 'One embedding per input', type: 'array', items: { type: 'array', items: { type: 'number' } } },
    ...INFERENCE_ERRORS,
  },
};

/** The Hugging Face Inference API's request: any task, its inputs and parameters as transformers' pipelines take them. */
export const INFERENCE_API: FastifySchema = {
  summary: "Runs the served task on inputs with parameters, as transformers' pipeline(task)(inputs, **parameters) does",
  body: {
    type: 'object',
    required: ['inputs'],
    additionalProperties: false,
    properties: {
      inputs: { description: "The task's inputs: one input or a list of them (the task checks them)" },
      parameters: { type: 'object', description: "The task's parameters (top_k, function_to_apply, normalize, ...)" },
      options: { type: 'object', description: 'Accepted for compatibility (use_cache, wait_for_model); ignored' },
    },
  },
  response: {
    200: { description: "The task's output, as transformers' pipeline returns it" },
    ...INFERENCE_ERRORS,
  },
};

export const HEALTH: FastifySchema = {
  summary: 'Liveness: 200 while the model is loaded (no API key needed)',
  response: {
    200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['ok'] } } },
    503: ERROR_RESPONSE,
  },
};

export const INFO: FastifySchema = {
  summary: 'The served model, task, limits and version',
  response: {
    200: {
      type: 'object',
      properties: {
        model_dir: { type: 'string' },
        task: { type: 'string' },
        model_type: { type: 'string', description: 'The head the model runs: sequence-classification, token-classification, ...' },
        labels: { type: 'array', nullable: true, items: { type: 'string' }, description: 'id2label in id order (classification tasks), else null' },
        max_input_length: { type: 'integer', description: 'Longest input in tokens' },
        auto_truncate: { type: 'boolean' },
        max_batch_tokens: { type: 'integer' },
        max_batch_requests: { type: 'integer' },
        max_wait_ms: { type: 'number' },
        max_concurrent_requests: { type: 'integer' },
        max_client_batch_size: { type: 'integer' },
        max_body_bytes: { type: 'integer' },
        max_request_encodings: { type: 'integer' },
        device: { type: 'string' },
        dtype: { type: 'string', description: 'float32, or the autocast type (bfloat16)' },
        version: { type: 'string', description: 'bertrun version' },
      },
    },
    401: ERROR_RESPONSE,
  },
};

export const METRICS: FastifySchema = {
  summary: 'Prometheus metrics (text exposition format)',
  produces: ['text/plain'],
  response: { 200: { type: 'string' }, 401: ERROR_RESPONSE },
};

export const OPENAPI: FastifySchema = {
  summary: 'This OpenAPI document',
  response: { 200: { type: 'object', additionalProperties: true }, 401: ERROR_RESPONSE },
};
