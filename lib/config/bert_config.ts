// Hugging Face BertConfig (config.json): read, validated field by field, written back with the
// fields we do not interpret preserved. The defaults live here only (the native model takes every
// field from nativeConfig()); the hidden_act names live in native only (its activation table).
import * as fs from 'fs';
import { native } from '../native';
import { parseHeads, type HeadConfig } from './head_config';

export interface BertConfig {
  model_type: 'bert';
  vocab_size: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  intermediate_size: number;
  hidden_act: string;
  hidden_dropout_prob: number;
  attention_probs_dropout_prob: number;
  max_position_embeddings: number;
  type_vocab_size: number;
  initializer_range: number;
  layer_norm_eps: number;
  pad_token_id: number;
  num_labels: number;
  id2label: Record<string, string>;
  label2id: Record<string, number>;
  classifier_dropout: number | null;
  problem_type: 'regression' | 'single_label_classification' | 'multi_label_classification' | null;
  /** Multi-head models (task "multi-head"): the heads on the encoder, see head_config.ts. */
  bertrun_heads?: HeadConfig[];
  /**
   * Every other key of config.json (transformers_version, architectures, ...), kept as it was, the
   * way Hugging Face keeps unknown config attributes, so a round trip loses nothing.
   */
  [otherKey: string]: unknown;
}

export const BERT_DEFAULTS = {
  vocab_size: 30522,
  hidden_size: 768,
  num_hidden_layers: 12,
  num_attention_heads: 12,
  intermediate_size: 3072,
  hidden_act: 'gelu',
  hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1,
  max_position_embeddings: 512,
  type_vocab_size: 2,
  initializer_range: 0.02,
  layer_norm_eps: 1e-12,
  pad_token_id: 0,
};

const INTEGER_FIELDS = [
  'vocab_size',
  'hidden_size',
  'num_hidden_layers',
  'num_attention_heads',
  'intermediate_size',
  'max_position_embeddings',
  'type_vocab_size',
  'pad_token_id',
] as const;
const NUMBER_FIELDS = ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'initializer_range', 'layer_norm_eps'] as const;
const PROBLEM_TYPES = ['regression', 'single_label_classification', 'multi_label_classification'];
const KNOWN = new Set<string>([
  ...INTEGER_FIELDS,
  ...NUMBER_FIELDS,
  'model_type',
  'hidden_act',
  'num_labels',
  'id2label',
  'label2id',
  'classifier_dropout',
  'problem_type',
  'bertrun_heads',
]);

/** Builds a config from a plain object (config.json contents or user options); `source` names it in errors. */
export function parseBertConfig(raw: unknown, source = 'config'): BertConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new Error(`${source}: a BERT config must be a JSON object`);
  }
  const o = raw as Record<string, unknown>;
  const fail = (field: string, problem: string): never => {
    throw new Error(`${source}: field "${field}" ${problem}`);
  };
  if (o.model_type !== undefined && o.model_type !== 'bert') {
    fail('model_type', `is "${String(o.model_type)}"; bertrun runs BERT models only (model_type "bert")`);
  }
  const config = { ...BERT_DEFAULTS } as unknown as BertConfig;
  for (const f of INTEGER_FIELDS) {
    if (o[f] === undefined) continue;
    if (typeof o[f] !== 'number' || !Number.isInteger(o[f])) fail(f, `must be an integer, got ${JSON.stringify(o[f])}`);
    (config as unknown as Record<string, number>)[f] = o[f] as number;
  }
  for (const f of NUMBER_FIELDS) {
    if (o[f] === undefined) continue;
    if (typeof o[f] !== 'number' || !Number.isFinite(o[f])) fail(f, `must be a number, got ${JSON.stringify(o[f])}`);
    (config as unknown as Record<string, number>)[f] = o[f] as number;
  }
  for (const f of ['vocab_size', 'hidden_size', 'num_attention_heads', 'intermediate_size', 'max_position_embeddings', 'type_vocab_size'] as const) {
    if (config[f] <= 0) fail(f, `must be > 0, got ${config[f]}`);
  }
  if (config.num_hidden_layers < 0) fail('num_hidden_layers', 'must be >= 0');
  if (config.hidden_size % config.num_attention_heads !== 0) {
    fail('hidden_size', `(${config.hidden_size}) must be a multiple of num_attention_heads (${config.num_attention_heads})`);
  }
  if (config.pad_token_id < 0 || config.pad_token_id >= config.vocab_size) fail('pad_token_id', 'must be in [0, vocab_size)');
  for (const f of ['hidden_dropout_prob', 'attention_probs_dropout_prob'] as const) {
    if (config[f] < 0 || config[f] >= 1) fail(f, 'must be in [0, 1)');
  }
  if (o.hidden_act !== undefined) {
    const activations = native().activations;
    if (typeof o.hidden_act !== 'string' || !activations.includes(o.hidden_act)) {
      fail('hidden_act', `must be one of ${activations.join(', ')}, got ${JSON.stringify(o.hidden_act)}`);
    }
    config.hidden_act = o.hidden_act as string;
  }
  if (o.position_embedding_type !== undefined && o.position_embedding_type !== 'absolute') {
    fail('position_embedding_type', `is ${JSON.stringify(o.position_embedding_type)}; bertrun supports "absolute" position embeddings only`);
  }
  config.model_type = 'bert';
  config.classifier_dropout = null;
  if (o.classifier_dropout !== undefined && o.classifier_dropout !== null) {
    if (typeof o.classifier_dropout !== 'number' || o.classifier_dropout < 0 || o.classifier_dropout >= 1) {
      fail('classifier_dropout', 'must be null or a number in [0, 1)');
    }
    config.classifier_dropout = o.classifier_dropout as number;
  }
  config.problem_type = null;
  if (o.problem_type !== undefined && o.problem_type !== null) {
    if (typeof o.problem_type !== 'string' || !PROBLEM_TYPES.includes(o.problem_type)) {
      fail('problem_type', `must be one of ${PROBLEM_TYPES.join(', ')}`);
    }
    config.problem_type = o.problem_type as BertConfig['problem_type'];
  }
  parseLabels(o, config, fail);
  if (o.bertrun_heads !== undefined) config.bertrun_heads = parseHeads(o.bertrun_heads, fail);
  for (const [k, v] of Object.entries(o)) if (!KNOWN.has(k)) config[k] = v;
  return config;
}

// HF: num_labels = len(id2label) when id2label is given, else the num_labels key, else 2.
function parseLabels(o: Record<string, unknown>, config: BertConfig, fail: (f: string, p: string) => never): void {
  let numLabels: number | undefined;
  if (o.num_labels !== undefined) {
    if (typeof o.num_labels !== 'number' || !Number.isInteger(o.num_labels) || o.num_labels < 1) {
      fail('num_labels', 'must be an integer >= 1');
    }
    numLabels = o.num_labels as number;
  }
  let id2label: Record<string, string> | undefined;
  if (o.id2label !== undefined) {
    if (typeof o.id2label !== 'object' || o.id2label === null || Array.isArray(o.id2label)) fail('id2label', 'must be an object');
    id2label = {};
    const entries = Object.entries(o.id2label as Record<string, unknown>);
    for (const [k, v] of entries) {
      if (!/^\d+$/.test(k) || Number(k) >= entries.length) fail('id2label', `keys must be 0..${entries.length - 1}, got "${k}"`);
      if (typeof v !== 'string') fail('id2label', `value for ${k} must be a string`);
      id2label[k] = v as string;
    }
    if (numLabels !== undefined && numLabels !== entries.length) {
      fail('num_labels', `(${numLabels}) disagrees with id2label, which has ${entries.length} entries`);
    }
    numLabels = entries.length;
  }
  config.num_labels = numLabels ?? 2;
  if (!id2label) {
    id2label = {};
    for (let i = 0; i < config.num_labels; i++) id2label[String(i)] = `LABEL_${i}`;
  }
  config.id2label = id2label;
  const label2id: Record<string, number> = {};
  for (const [k, v] of Object.entries(id2label)) label2id[v] = Number(k);
  if (Object.keys(label2id).length !== config.num_labels) fail('id2label', 'holds the same label name twice');
  config.label2id = label2id;
}

export function readBertConfig(path: string): BertConfig {
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read BERT config ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message}). Fix or re-export config.json.`, { cause: e });
  }
  return parseBertConfig(raw, path);
}

/** config.json contents as Hugging Face writes them. */
export function bertConfigToJson(config: BertConfig): Record<string, unknown> {
  const other = Object.entries(config).filter(([k]) => !KNOWN.has(k));
  const fields = Object.entries(config).filter(([k]) => KNOWN.has(k));
  const out: Record<string, unknown> = { ...Object.fromEntries(other), architectures: config.architectures, ...Object.fromEntries(fields) };
  if (out.architectures === undefined) delete out.architectures;
  return out;
}

/** Every field the native model reads (it has no defaults and refuses a config lacking one); null is HF's None. */
export function nativeConfig(config: BertConfig): Record<string, unknown> {
  return {
    vocab_size: config.vocab_size,
    hidden_size: config.hidden_size,
    num_hidden_layers: config.num_hidden_layers,
    num_attention_heads: config.num_attention_heads,
    intermediate_size: config.intermediate_size,
    hidden_act: config.hidden_act,
    hidden_dropout_prob: config.hidden_dropout_prob,
    attention_probs_dropout_prob: config.attention_probs_dropout_prob,
    max_position_embeddings: config.max_position_embeddings,
    type_vocab_size: config.type_vocab_size,
    initializer_range: config.initializer_range,
    layer_norm_eps: config.layer_norm_eps,
    pad_token_id: config.pad_token_id,
    num_labels: config.num_labels,
    classifier_dropout: config.classifier_dropout,
    problem_type: config.problem_type,
    heads: (config.bertrun_heads ?? []).map((h) => ({ name: h.name, type: h.type, num_labels: h.num_labels, loss_weight: h.loss_weight })),
  };
}
