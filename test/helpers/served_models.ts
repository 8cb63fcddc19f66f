// For the `bertrun serve` tests: tiny random models saved as bertrun saves them (a 3-label
// classifier, a sentence-transformers encoder), servers on a free loopback port, JSON over fetch.
import type { FastifyInstance } from 'fastify';
import * as fs from 'fs';
import * as path from 'path';
import { BertModel, type BertTask } from '../../lib/models/bert_model';
import { buildServer, type ServerOptions } from '../../lib/serving/server';

export const WORDS = ['cat', 'dog', 'bird', 'fish', 'red', 'blue', 'green', 'big', 'small', 'runs', 'sleeps', 'eats', 'the', 'a', 'not', 'very'];
export const LABELS = ['positive', 'negtive', 'neutral'];
/** The model takes at most this many tokens. */
export const MAX_POSITIONS = 64;

const TINY = {
  vocab_size: 5 + WORDS.length,
  hidden_size: 32,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 48,
  max_position_embeddings: MAX_POSITIONS,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
};

function writeVocabulary(dir: string): void {
  fs.writeFileSync(path.join(dir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS].join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
}

/** A 3-label sequence classifier (positive / negtive / neutral, the seed's labels). */
export async function writeClassifier(dir: string, seed = 1): Promise<void> {
  const id2label = Object.fromEntries(LABELS.map((label, i) => [String(i), label]));
  const label2id = Object.fromEntries(LABELS.map((label, i) => [label, i]));
  const model = BertModel.fromConfig({ ...TINY, num_labels: LABELS.length, id2label, label2id }, 'sequence-classification', { seed });
  await model.savePretrained(dir);
  await model.dispose();
  writeVocabulary(dir);
}

/** A model with `head` and the given labels (id order), for the other pipeline tasks. */
export async function writeModelWithHead(dir: string, head: BertTask, labels: readonly string[] = [], seed = 3): Promise<void> {
  const labelled =
    labels.length > 0
      ? {
          num_labels: labels.length,
          id2label: Object.fromEntries(labels.map((label, i) => [String(i), label])),
          label2id: Object.fromEntries(labels.map((label, i) => [label, i])),
        }
      : {};
  const model = BertModel.fromConfig({ ...TINY, ...labelled }, head, { seed });
  await model.savePretrained(dir);
  await model.dispose();
  writeVocabulary(dir);
}

/** A bare encoder with sentence-transformers files: mean pooling (no Normalize module). */
export async function writeSentenceEncoder(dir: string, seed = 2): Promise<void> {
  const model = BertModel.fromConfig(TINY, 'base', { seed });
  await model.savePretrained(dir);
  await model.dispose();
  writeVocabulary(dir);
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  fs.writeFileSync(path.join(dir, 'modules.json'), JSON.stringify(modules));
  fs.mkdirSync(path.join(dir, '1_Pooling'));
  fs.writeFileSync(path.join(dir, '1_Pooling', 'config.json'), JSON.stringify({ word_embedding_dimension: TINY.hidden_size, pooling_mode_mean_tokens: true }));
}

/** A sentence of `words` vocabulary words (deterministic in `seed`). */
export function sentence(words: number, seed: number): string {
  return Array.from({ length: words }, (_, i) => WORDS[(seed * 7 + i * 3 + ((seed * i) % 5)) % WORDS.length]).join(' ');
}

export interface RunningServer {
  app: FastifyInstance;
  url: string;
}

/** buildServer (logs off unless asked) listening on a free loopback port. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const app = await buildServer({ logLevel: 'silent', ...options });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, url };
}

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

/** POSTs `body` (JSON-encoded unless a string) and reads the JSON answer. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<JsonResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string }> {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** The value of one Prometheus sample (`name{labels}`, labels in any order), 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v) && Object.keys(found).length === Object.keys(labels).length) return Number(match[4]);
  }
  return 0;
}

/** Largest absolute difference between two JSON values of the same shape (numbers compared, strings equal). */
export function maxDifference(a: unknown, b: unknown, where = 'result'): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b);
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) throw new Error(`${where}: ${a.length} vs ${b.length} items`);
    return Math.max(0, ...a.map((x, i) => maxDifference(x, b[i], `${where}[${i}]`)));
  }
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null) {
    const keys = Object.keys(a);
    if (keys.join() !== Object.keys(b).join()) throw new Error(`${where}: keys ${keys.join()} vs ${Object.keys(b).join()}`);
    return Math.max(0, ...keys.map((k) => maxDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${where}.${k}`)));
  }
  if (a !== b) throw new Error(`${where}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  return 0;
}
