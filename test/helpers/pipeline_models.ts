// Models and comparisons for the pipeline parity tests: tiny random BERT models saved by bertrun
// (so transformers loads exactly the weights bertrun runs), and a deep comparison of results.
import * as fs from 'fs';
import * as path from 'path';
import { BertModel, type BertTask } from '../../lib/models/bert_model';

/** A vocabulary with the words (and a few word pieces) the pipeline tests use. */
export const TINY_WORDS = (
  'the a cat dog bird fish red blue green big small runs sleeps eats not very this example is about sports politics cooking weather ' +
  'i love hate it game food . , ! ? ##s ##ing ##ed'
).split(' ');

/** A 2-layer BERT (hidden 32, no dropout) with the given head, config overrides and seed, plus vocab.txt. */
export async function writeTinyModel(dir: string, task: BertTask, overrides: Record<string, unknown> = {}, seed = 1): Promise<string> {
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...TINY_WORDS];
  const model = BertModel.fromConfig(
    {
      vocab_size: vocab.length,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 48,
      max_position_embeddings: 64,
      hidden_dropout_prob: 0,
      attention_probs_dropout_prob: 0,
      ...overrides,
    },
    task,
    { seed },
  );
  try {
    await model.savePretrained(dir);
  } finally {
    await model.dispose();
  }
  fs.writeFileSync(path.join(dir, 'vocab.txt'), vocab.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, model_max_length: 64 }));
  return dir;
}

/**
 * Expects `actual` to have the structure of `expected` (lists of the same lengths, objects with the
 * same keys, equal strings, booleans and nulls) with numbers within `tolerance`; `where` names the case.
 */
export function expectClose(actual: unknown, expected: unknown, tolerance: number, where = '$'): void {
  const fail = (why: string): never => {
    throw new Error(`${where}: ${why}\n  actual:   ${preview(actual)}\n  expected: ${preview(expected)}`);
  };
  if (typeof expected === 'number') {
    if (typeof actual !== 'number') fail('not a number');
    if (!(Math.abs((actual as number) - expected) <= tolerance)) fail(`differs by ${Math.abs((actual as number) - expected)} > ${tolerance}`);
    return;
  }
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) fail('not a list');
    if ((actual as unknown[]).length !== expected.length) fail(`length ${(actual as unknown[]).length}, expected ${expected.length}`);
    expected.forEach((e, i) => expectClose((actual as unknown[])[i], e, tolerance, `${where}[${i}]`));
    return;
  }
  if (typeof expected === 'object' && expected !== null) {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) fail('not an object');
    const keys = (o: object) => Object.keys(o).sort().join(',');
    if (keys(actual as object) !== keys(expected)) fail(`keys ${keys(actual as object)}, expected ${keys(expected)}`);
    for (const [k, e] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[k], e, tolerance, `${where}.${k}`);
    return;
  }
  if (actual !== expected) fail('differs');
}

/** The largest difference between two equally shaped nested number lists. */
export function maxNestedDiff(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b);
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) return Math.max(0, ...a.map((x, i) => maxNestedDiff(x, b[i])));
  if (typeof a === 'object' && a !== null && typeof b === 'object' && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    return Math.max(0, ...Object.keys(b).map((k) => maxNestedDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])));
  }
  return a === b ? 0 : Infinity;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 300 ? `${text.slice(0, 300)}...` : text;
}
