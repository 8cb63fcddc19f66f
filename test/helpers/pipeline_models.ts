// Models and comparisons for the pipeline parity tests: tiny random BERT models saved by bertrun
// (so transformers loads exactly the weights bertrun runs), MiniLM with a seeded random head, one
// run of the Python reference for a file's cases, and a deep comparison of results.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { SeededRandom } from '../../lib/data/loader/seeded_random';
import { BertModel, type BertTask } from '../../lib/models/bert_model';
import { PipelineInputError } from '../../lib/serving/errors';
import { pipeline, type Pipeline, type PipelineOptions, type PipelineTaskName } from '../../lib/serving/pipeline';
import { runPythonScript } from './python_script';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findMiniLM } = require('../../scripts/find-minilm.js') as { findMiniLM: () => string };

/** A vocabulary with the words (and a few word pieces) the pipeline tests use. */
export const TINY_WORDS = (
  'the a cat dog bird fish red blue green big small runs sleeps eats not very this example is about sports politics cooking weather ' +
  'i love hate it game food . , ! ? ##s ##ing ##ed'
).split(' ');

/** The tiny models take at most this many tokens (max_position_embeddings, model_max_length). */
export const TINY_MAX_LENGTH = 64;

/**
 * A 2-layer BERT (hidden 32, no dropout) with the given head, config overrides and seed, plus
 * vocab.txt: the special tokens, then `words` (TINY_WORDS by default).
 */
export async function writeTinyModel(
  dir: string,
  task: BertTask,
  overrides: Record<string, unknown> = {},
  seed = 1,
  words: readonly string[] = TINY_WORDS,
): Promise<string> {
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...words];
  const model = BertModel.fromConfig(
    {
      vocab_size: vocab.length,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 48,
      max_position_embeddings: TINY_MAX_LENGTH,
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
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, model_max_length: TINY_MAX_LENGTH }));
  return dir;
}

/**
 * `count` words over a tiny vocabulary, drawn from `random`: one in five an extra (unknown words,
 * accents, emoji), one in ten a word with a piece's text appended, the rest words; after one word
 * in `punctuationOneIn`, a punctuation token.
 */
export function randomWords(
  random: SeededRandom,
  count: number,
  vocab: { words: readonly string[]; pieces: readonly string[]; punctuation: readonly string[]; extras: readonly string[] },
  punctuationOneIn: number,
): string[] {
  const { words, pieces, punctuation, extras } = vocab;
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = random.below(10);
    if (r < 2) out.push(extras[random.below(extras.length)]);
    else if (r < 3) out.push(words[random.below(words.length)] + pieces[random.below(pieces.length)].slice(2));
    else out.push(words[random.below(words.length)]);
    if (random.below(punctuationOneIn) === 0) out.push(punctuation[random.below(punctuation.length)]);
  }
  return out;
}

/** The real all-MiniLM-L6-v2 encoder with a seeded random `task` head (config overrides applied), saved with its tokenizer. */
export async function writeMiniLmWithHead(dir: string, task: BertTask, seed: number, config: Record<string, unknown>): Promise<string> {
  const { model, tokenizer } = await BertModel.fromPretrained(findMiniLM(), task, { seed, config, warn: () => undefined });
  try {
    await model.savePretrained(dir, { tokenizer });
  } finally {
    await model.dispose();
  }
  return dir;
}

/**
 * The warnings (joined by newlines) of loading a `task` pipeline from a tiny model saved at `dir`
 * with another head (`savedAs`) and the vocabulary `words`.
 */
export async function otherHeadWarnings(task: PipelineTaskName, savedAs: BertTask, dir: string, words: readonly string[]): Promise<string> {
  await writeTinyModel(dir, savedAs, { num_hidden_layers: 1 }, 1, words);
  const warnings: string[] = [];
  const pipe = await pipeline(task, dir, { warn: (m) => warnings.push(m) });
  await pipe.dispose();
  return warnings.join('\n');
}

/** One case of a Python reference run: a transformers pipeline task (or helper), the model directory, inputs and keyword arguments. */
export interface ReferenceCase {
  task: string;
  model: string;
  inputs: unknown;
  kwargs: Record<string, unknown>;
}

/** One result of the Python reference: a case's output, or the error transformers raised. */
export type ReferenceResult = { output?: unknown; error?: string };

/**
 * A test file's temporary directory (made before its tests, removed after them), the pipelines it
 * loads (disposed after its tests) and one run of a Python reference script over its cases. Call at
 * the top level of a test file, before its own beforeAll.
 */
export function pipelineTestFiles(prefix: string): {
  /** path.join(the directory, ...names). */
  path: (...names: string[]) => string;
  /** A pipeline disposed after the file's tests. */
  load: <T extends PipelineTaskName>(task: T, model: string, options?: PipelineOptions) => Promise<Pipeline<T>>;
  /** A pipeline of `task` for each named model directory, disposed after the file's tests. */
  loadAll: <T extends PipelineTaskName, N extends string>(task: T, dirs: Record<N, string>) => Promise<Map<N, Pipeline<T>>>;
  /** Writes `cases` ({task, model, inputs, kwargs}) to cases.json and runs test/helpers/<script> on them: one result per case. */
  reference: <R = ReferenceResult>(script: string, cases: readonly object[]) => R[];
} {
  let dir = '';
  const loaded: Array<Pipeline<PipelineTaskName>> = [];
  const load = async <T extends PipelineTaskName>(task: T, model: string, options?: PipelineOptions): Promise<Pipeline<T>> => {
    const pipe = await pipeline(task, model, options);
    loaded.push(pipe as unknown as Pipeline<PipelineTaskName>);
    return pipe;
  };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterAll(async () => {
    for (const pipe of loaded) await pipe.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    path: (...names) => path.join(dir, ...names),
    load,
    loadAll: async (task, dirs) => {
      const pipelines = new Map();
      for (const [name, model] of Object.entries<string>(dirs)) pipelines.set(name, await load(task, model));
      return pipelines;
    },
    reference: <R>(script: string, cases: readonly object[]): R[] => {
      const file = path.join(dir, 'cases.json');
      fs.writeFileSync(file, JSON.stringify(cases));
      return JSON.parse(runPythonScript(script, [file])) as R[];
    },
  };
}

/** One call a test compares with the reference: which pipeline runs it, its reference case index, inputs and parameters. */
export interface ComparedCall<W extends string> {
  which: W;
  index: number;
  inputs: unknown;
  params: Record<string, unknown>;
}

/**
 * The cases of one reference run of `task`, and the calls among them that are compared with the
 * pipelines; `modelDir` names the directory of the model `which` (asked when a case is added).
 */
export class ReferenceCases<W extends string> {
  readonly cases: ReferenceCase[] = [];
  readonly compared: Array<ComparedCall<W>> = [];

  constructor(
    private readonly task: string,
    private readonly modelDir: (which: W) => string,
  ) {}

  /** Adds a case that the pipeline `which` runs too, compared with the reference. */
  compare(which: W, inputs: unknown, params: Record<string, unknown>): void {
    this.compared.push({ which, index: this.cases.length, inputs, params });
    this.add(which, inputs, params);
  }

  /** Adds a case only the reference runs; returns its index. */
  add(which: W, inputs: unknown, params: Record<string, unknown>): number {
    return this.cases.push({ task: this.task, model: this.modelDir(which), inputs, kwargs: params }) - 1;
  }
}

/**
 * Runs every compared call on its pipeline and checks each input's result against the reference's
 * with `expectSame` (a list of inputs: as many results, each checked). Returns the reference's
 * outputs, one per call.
 */
export async function expectSameAsReference<W extends string, R>(
  compared: ReadonlyArray<ComparedCall<W>>,
  pipelines: Record<W, { call: (inputs: unknown, parameters?: Record<string, unknown>) => Promise<unknown> }>,
  reference: readonly object[],
  expectSame: (actual: R, expected: R, where: string) => void,
): Promise<Array<R | R[]>> {
  const outputs: Array<R | R[]> = [];
  for (const { which, index, inputs, params } of compared) {
    const actual = (await pipelines[which].call(inputs, params)) as R | R[];
    const expected = (reference[index] as { output: R | R[] }).output;
    const where = `case ${index} (${which}, ${JSON.stringify(params)})`;
    if (Array.isArray(inputs)) {
      expect(actual).toHaveLength(inputs.length);
      inputs.forEach((_, i) => expectSame((actual as R[])[i], (expected as R[])[i], `${where} input ${i}`));
    } else {
      expectSame(actual as R, expected as R, where);
    }
    outputs.push(expected);
  }
  return outputs;
}

/** Expects `run` to fail with a PipelineInputError, and returns it. */
export async function expectInputError(run: () => Promise<unknown>): Promise<PipelineInputError> {
  const err = await run().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PipelineInputError);
  return err as PipelineInputError;
}

/** The field a failed call names (PipelineInputError), the error's text otherwise, or 'no error'. */
export function fieldOf(p: Promise<unknown>): Promise<string> {
  return p.then(
    () => 'no error',
    (e: unknown) => (e instanceof PipelineInputError ? e.field : String(e)),
  );
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
