// sentence-embeddings: sentence-transformers' `SentenceTransformer(dir).encode(texts)` for BERT
// models: the directory's modules.json (Transformer, Pooling, Normalize), 1_Pooling/config.json and
// sentence_bert_config.json, on the base model's last hidden state.
import * as fs from 'fs';
import * as path from 'path';
import { PipelineInputError, PipelineSetupError } from '../errors';
import type { InferenceEngine } from '../inference_engine';
import {
  encodeForModel,
  optionalBoolean,
  parseOneOrMany,
  rejectUnknownParameters,
  requireText,
  type ParsedInputs,
  runModel,
  EncodingBudget,
  type RunContext,
  type TaskDefinition,
} from '../task_definition';

export type PoolingMode = 'cls' | 'max' | 'mean' | 'mean_sqrt_len_tokens' | 'weightedmean' | 'lasttoken';

const POOLING_MODES: readonly PoolingMode[] = ['cls', 'max', 'mean', 'mean_sqrt_len_tokens', 'weightedmean', 'lasttoken'];

// The legacy boolean keys of 1_Pooling/config.json, in the order sentence-transformers concatenates their vectors.
const LEGACY_POOLING_KEYS: ReadonlyArray<[string, PoolingMode]> = [
  ['pooling_mode_cls_token', 'cls'],
  ['pooling_mode_max_tokens', 'max'],
  ['pooling_mode_mean_tokens', 'mean'],
  ['pooling_mode_mean_sqrt_len_tokens', 'mean_sqrt_len_tokens'],
  ['pooling_mode_weightedmean_tokens', 'weightedmean'],
  ['pooling_mode_lasttoken', 'lasttoken'],
];

/** How a directory turns token vectors into one sentence vector, as sentence-transformers reads it. */
export interface SentenceEmbeddingConfig {
  /** Pooling modes whose vectors are concatenated, in order. */
  pooling: PoolingMode[];
  /** Whether modules.json ends in a Normalize module (unit-length vectors). */
  normalize: boolean;
  /** sentence_bert_config.json's max_seq_length (tokens, special ones included); undefined: the model's limit. */
  maxSeqLength: number | undefined;
  /** sentence_bert_config.json's do_lower_case: texts are lower-cased before tokenizing. */
  doLowerCase: boolean;
}

export interface SentenceEmbeddingsParameters {
  /** Unit-length vectors (true) or not (false); default: whether the directory's modules.json has a Normalize module. */
  normalize?: boolean;
}

/** One vector for one text; a list of vectors for a list of texts. */
export type SentenceEmbeddingsOutput = number[] | number[][];

interface Params {
  normalize: boolean | undefined;
}

/**
 * Reads a sentence-transformers directory. Without modules.json: mean pooling, no normalization
 * (sentence-transformers' fallback for a plain transformers model).
 */
export function readSentenceEmbeddingConfig(dir: string): SentenceEmbeddingConfig {
  const config: SentenceEmbeddingConfig = { pooling: ['mean'], normalize: false, maxSeqLength: undefined, doLowerCase: false };
  const modulesFile = path.join(dir, 'modules.json');
  if (!fs.existsSync(modulesFile)) return config;
  const modules = readJson(modulesFile);
  if (!Array.isArray(modules)) throw new PipelineSetupError(`${modulesFile}: must be a list of modules`);
  let transformerSeen = false;
  let poolingSeen = false;
  modules.forEach((module: unknown, i) => {
    const where = `${modulesFile}: module ${i}`;
    if (typeof module !== 'object' || module === null || typeof (module as Record<string, unknown>).type !== 'string') {
      throw new PipelineSetupError(`${where} must be an object with a "type"`);
    }
    const { type, path: modulePath = '' } = module as { type: string; path?: unknown };
    if (typeof modulePath !== 'string') throw new PipelineSetupError(`${where}: "path" must be a string`);
    const kind = type.split('.').pop();
    if (kind === 'Transformer' && !transformerSeen && !poolingSeen) {
      transformerSeen = true;
      if (modulePath !== '' && path.resolve(dir, modulePath) !== path.resolve(dir)) {
        throw new PipelineSetupError(`${where}: the Transformer lives in ${modulePath}/. Fix: load the directory ${path.join(dir, modulePath)}.`);
      }
      Object.assign(config, readTransformerConfig(dir));
    } else if (kind === 'Pooling' && transformerSeen && !poolingSeen) {
      poolingSeen = true;
      config.pooling = readPoolingModes(path.join(dir, modulePath, 'config.json'));
    } else if (kind === 'Normalize' && poolingSeen && !config.normalize) {
      config.normalize = true;
    } else {
      throw new PipelineSetupError(
        `${where}: ${type} is not supported here; bertrun computes Transformer, then Pooling, then optionally Normalize. ` +
          'Fix: serve a model whose modules.json lists only those, or use feature-extraction and pool the token vectors yourself.',
      );
    }
  });
  if (!transformerSeen || !poolingSeen) throw new PipelineSetupError(`${modulesFile}: needs a Transformer module followed by a Pooling module`);
  return config;
}

/**
 * Sentence vectors of `texts` on an engine loaded with the base head, as
 * `SentenceTransformer(dir).encode(texts, normalize_embeddings=normalize)` gives them (normalize
 * undefined: as the directory says). The texts share the engine's batches. For the HTTP server (TEI's /embed).
 */
export async function embedSentences(
  engine: InferenceEngine,
  texts: readonly string[],
  options: { normalize?: boolean; truncate?: boolean; fields?: readonly string[]; budget?: EncodingBudget; failure?: RunContext['failure'] } = {},
): Promise<number[][]> {
  const config = sentenceConfigOf(engine);
  const context: RunContext = { engine, truncate: options.truncate ?? true, budget: options.budget, failure: options.failure };
  const fields = options.fields ?? texts.map((_, i) => `inputs[${i}]`);
  const limit = Math.min(config.maxSeqLength ?? engine.maxLength, engine.maxLength);
  const inputs = config.doLowerCase ? texts.map((t) => t.toLowerCase()) : [...texts];
  // Truncated at max_seq_length as sentence-transformers does; without truncation, longer texts fail below.
  const encodings = await encodeForModel(context, inputs, fields, context.truncate ? { maxLength: limit } : {});
  encodings.forEach((e, i) => {
    if (e.inputIds.length > limit) {
      throw new PipelineInputError(
        fields[i],
        `is ${e.inputIds.length} tokens long; this model embeds at most ${limit} (sentence_bert_config.json's max_seq_length)`,
        422,
      );
    }
  });
  const outputs = await runModel(context, encodings, fields[0]);
  const normalize = options.normalize ?? config.normalize;
  return outputs.map(({ last_hidden_state: hidden }) => {
    const vector = config.pooling.flatMap((mode) => pool(mode, hidden.data, hidden.shape[0], hidden.shape[1]));
    return normalize ? unitLength(vector) : vector;
  });
}

export const sentenceEmbeddings: TaskDefinition<string, Params, number[], SentenceEmbeddingsOutput> = {
  modelTask: 'base',

  checkModel(engine: InferenceEngine): void {
    sentenceConfigOf(engine);
  },

  parseInputs(raw: unknown, field: string): ParsedInputs<string> {
    return parseOneOrMany(raw, field, Array.isArray, requireText);
  },

  parseParameters(raw: Record<string, unknown>): Params {
    rejectUnknownParameters(raw, ['normalize']);
    return { normalize: optionalBoolean(raw, 'normalize') };
  },

  async run(input: string, params: Params, context: RunContext, field: string): Promise<number[]> {
    const [vector] = await embedSentences(context.engine, [input], {
      normalize: params.normalize,
      truncate: context.truncate,
      fields: [field],
      budget: context.budget,
      failure: context.failure,
    });
    return vector;
  },

  format(results: number[][], single: boolean): SentenceEmbeddingsOutput {
    return single ? results[0] : results;
  },
};

const CONFIGS = new WeakMap<InferenceEngine, SentenceEmbeddingConfig>();

/** The engine's directory's sentence-transformers configuration, read once. */
function sentenceConfigOf(engine: InferenceEngine): SentenceEmbeddingConfig {
  let config = CONFIGS.get(engine);
  if (!config) {
    if (engine.task !== 'base') throw new PipelineSetupError(`sentence embeddings need the model loaded with the base head; this engine runs ${engine.task}`);
    config = readSentenceEmbeddingConfig(engine.modelDir);
    CONFIGS.set(engine, config);
  }
  return config;
}

function readTransformerConfig(dir: string): Partial<SentenceEmbeddingConfig> {
  const file = path.join(dir, 'sentence_bert_config.json');
  if (!fs.existsSync(file)) return {};
  const raw = readJson(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PipelineSetupError(`${file}: must be a JSON object`);
  const { max_seq_length: max, do_lower_case: lower } = raw as Record<string, unknown>;
  if (max !== undefined && max !== null && (typeof max !== 'number' || !Number.isInteger(max) || max < 2)) {
    throw new PipelineSetupError(`${file}: "max_seq_length" must be an integer >= 2, got ${JSON.stringify(max)}`);
  }
  if (lower !== undefined && typeof lower !== 'boolean')
    throw new PipelineSetupError(`${file}: "do_lower_case" must be true or false, got ${JSON.stringify(lower)}`);
  return { maxSeqLength: (max as number | null | undefined) ?? undefined, doLowerCase: lower ?? false };
}

/** 1_Pooling/config.json: `pooling_mode` (one mode or a list), or the legacy `pooling_mode_*` booleans (none set: mean). */
function readPoolingModes(file: string): PoolingMode[] {
  if (!fs.existsSync(file)) return ['mean'];
  const raw = readJson(file);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new PipelineSetupError(`${file}: must be a JSON object`);
  const config = raw as Record<string, unknown>;
  let modes: unknown[];
  if (config.pooling_mode !== undefined) {
    modes = Array.isArray(config.pooling_mode) ? config.pooling_mode : [config.pooling_mode];
  } else {
    modes = LEGACY_POOLING_KEYS.filter(([key]) => config[key] === true).map(([, mode]) => mode);
    if (modes.length === 0) modes = ['mean'];
  }
  for (const mode of modes) {
    if (typeof mode !== 'string' || !(POOLING_MODES as readonly string[]).includes(mode)) {
      throw new PipelineSetupError(`${file}: pooling mode ${JSON.stringify(mode)} is not one of ${POOLING_MODES.join(', ')}`);
    }
  }
  if (modes.length === 0) throw new PipelineSetupError(`${file}: "pooling_mode" names no mode`);
  return modes as PoolingMode[];
}

/** One pooled vector from a [tokens, hidden] matrix of one unpadded sequence. */
function pool(mode: PoolingMode, data: Float32Array, tokens: number, hidden: number): number[] {
  const out = new Array<number>(hidden).fill(mode === 'max' ? -Infinity : 0);
  if (mode === 'cls' || mode === 'lasttoken') {
    const row = mode === 'cls' ? 0 : tokens - 1;
    for (let h = 0; h < hidden; h++) out[h] = data[row * hidden + h];
    return out;
  }
  let weightSum = 0;
  for (let t = 0; t < tokens; t++) {
    // weightedmean: positions weigh 1, 2, ... (no left padding here).
    const weight = mode === 'weightedmean' ? t + 1 : 1;
    weightSum += weight;
    for (let h = 0; h < hidden; h++) {
      const x = data[t * hidden + h];
      if (mode === 'max') out[h] = Math.max(out[h], x);
      else out[h] += weight * x;
    }
  }
  if (mode === 'max') return out;
  const denominator = Math.max(mode === 'mean_sqrt_len_tokens' ? Math.sqrt(weightSum) : weightSum, 1e-9);
  return out.map((x) => x / denominator);
}

/** x / max(|x|, 1e-12), as torch.nn.functional.normalize. */
function unitLength(vector: number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return vector.map((x) => x / Math.max(norm, 1e-12));
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PipelineSetupError(`${file}: cannot read it as JSON (${(err as Error).message})`);
  }
}
