// pipeline('token-classification' / 'ner') against transformers' TokenClassificationPipeline, live:
// the same model directories (a tiny random BERT with B-/I- labels and a vocabulary that splits
// words into ## pieces, and the real all-MiniLM-L6-v2 with a seeded random head, both saved by
// bertrun) run through both, every aggregation strategy, ignore_labels, windows (stride), and
// text with accents, emoji and unknown words. Labels, words and start/end offsets (UTF-16) must be
// equal, scores within 1e-4.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { SeededRandom } from '../../lib/data/loader/seeded_random';
import { BertModel } from '../../lib/models/bert_model';
import { PipelineInputError } from '../../lib/serving/errors';
import { pipeline, type Pipeline } from '../../lib/serving/pipeline';
import { tokensToString } from '../../lib/serving/tasks/token_classification';
import { runPythonScript } from '../helpers/python_script';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { findMiniLM } = require('../../scripts/find-minilm.js') as { findMiniLM: () => string };

const LABELS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG'];
const WORDS = ['the', 'zoe', 'john', 'lives', 'in', 'new', 'york', 'and', 'paris', 'is', 'a', 'big', 'city', 'of', 'wash', 'micro', 'soft', 'works', 'at'];
const PIECES = ['##ington', '##s', '##ing', '##er', '##soft', '##hn', '##a', '##e'];
const PUNCTUATION = ['.', ',', '!', '?', "'", '-'];
const TINY_MAX_LENGTH = 64;

interface Case {
  task: 'token-classification' | 'convert-tokens-to-string';
  model: string;
  inputs: string | string[] | string[][];
  kwargs: Record<string, unknown>;
}
type Reference = { output: unknown } | { error: string };

let dir: string;
let tinyDir: string;
let minilmDir: string;
let tiny: Pipeline<'ner'>;
let minilm: Pipeline<'token-classification'>;
const cases: Case[] = [];
let reference: Reference[];

function labelMaps(): { id2label: Record<string, string>; label2id: Record<string, number> } {
  return { id2label: Object.fromEntries(LABELS.map((l, i) => [String(i), l])), label2id: Object.fromEntries(LABELS.map((l, i) => [l, i])) };
}

async function writeTinyNer(target: string): Promise<void> {
  const vocab = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS, ...PIECES, ...PUNCTUATION];
  const model = BertModel.fromConfig(
    {
      vocab_size: vocab.length,
      hidden_size: 32,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      intermediate_size: 48,
      max_position_embeddings: TINY_MAX_LENGTH,
      // Large weights: confident, varied predictions (no near-ties between labels).
      initializer_range: 0.6,
      ...labelMaps(),
    },
    'token-classification',
    { seed: 11 },
  );
  await model.savePretrained(target);
  await model.dispose();
  fs.writeFileSync(path.join(target, 'vocab.txt'), vocab.join('\n') + '\n');
  fs.writeFileSync(path.join(target, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true, model_max_length: TINY_MAX_LENGTH }));
}

async function writeMiniLmNer(target: string): Promise<void> {
  const { model, tokenizer } = await BertModel.fromPretrained(findMiniLM(), 'token-classification', {
    seed: 5,
    config: { ...labelMaps(), initializer_range: 0.2 },
    warn: () => undefined,
  });
  await model.savePretrained(target, { tokenizer });
  await model.dispose();
}

/** Sentences over the tiny vocabulary, with unknown words, accents, emoji and punctuation mixed in. */
function tinyText(seed: number, words: number): string {
  const random = new SeededRandom(seed);
  const extras = ['Zoë', 'ZOË', '😀', 'xyz', 'Zoe\u0301', 'Washingtoner', 'Microsoft', "John's", 'Jo-hn', 'café', '[MASK]'];
  const out: string[] = [];
  for (let i = 0; i < words; i++) {
    const r = random.below(10);
    if (r < 2) out.push(extras[random.below(extras.length)]);
    else if (r < 3) out.push(WORDS[random.below(WORDS.length)] + PIECES[random.below(PIECES.length)].slice(2));
    else out.push(WORDS[random.below(WORDS.length)]);
    if (random.below(8) === 0) out.push(PUNCTUATION[random.below(PUNCTUATION.length)]);
  }
  return out.join(random.below(2) === 0 ? ' ' : '  ');
}

const TINY_TEXTS = [
  'Zoë lives in New York. Washingtoner!',
  "John and Zoë 😀 live in Paris, the big city's washing.",
  'Microsoft works at xyz 😀😀 Zoe\u0301 café [MASK] Jo-hn',
  tinyText(1, 12),
  tinyText(2, 20),
  tinyText(3, 30),
];
// Longer than 64 tokens: truncated without a stride, windows with one.
const TINY_LONG = [tinyText(4, 90), tinyText(5, 140)];
// Pieces, punctuation and contractions around the WordPiece decoder's clean-up.
const TOKEN_LISTS = [
  ['wash', '##ington', 'is', 'big', '!', 'john', "'", 's'],
  ['##hn', 'a', '##e'],
  ['do', 'not', 'go', '.', 'it', "'s", 'we', "'ve", 'you', "'re", 'i', "'m", 'is', "n't", ',', 'why', '?'],
  ['a', "'", 'b', ' ', 'x y', '😀', '##😀', 'Zoë'],
];
const MINILM_TEXTS = [
  'My name is Wolfgang and I live in Berlin.',
  'Zoë Saldaña visited Zürich 😀 and München in 2019; Microsoft paid for the flights.',
  "Hugging Face Inc. is a company based in New York City. Its headquarters are in DUMBO, therefore very close to the Manhattan Bridge, isn't it?",
];
const MINILM_LONG = Array.from({ length: 60 }, (_, i) => `Sentence ${i} tells that Zoë met Wolfgang in Zürich near Lake Geneva.`).join(' ');

/** [pipeline, reference case index, inputs, parameters] of every compared call. */
const compared: Array<{ which: 'tiny' | 'minilm'; index: number; inputs: string | string[]; params: Record<string, unknown> }> = [];

function addCase(which: 'tiny' | 'minilm', inputs: string | string[], params: Record<string, unknown>): void {
  compared.push({ which, index: cases.length, inputs, params });
  cases.push({ task: 'token-classification', model: which === 'tiny' ? tinyDir : minilmDir, inputs, kwargs: params });
}

function buildCases(): void {
  const strategies = [
    {},
    { aggregation_strategy: 'none' },
    { aggregation_strategy: 'simple' },
    { aggregation_strategy: 'first' },
    { aggregation_strategy: 'average' },
    { aggregation_strategy: 'max' },
  ];
  for (const text of [...TINY_TEXTS, ...TINY_LONG]) {
    for (const s of strategies) addCase('tiny', text, s);
    addCase('tiny', text, { aggregation_strategy: 'first', ignore_labels: [] });
    addCase('tiny', text, { ignore_labels: ['O', 'B-LOC'] });
  }
  addCase('tiny', TINY_TEXTS.slice(0, 3), { aggregation_strategy: 'simple' });
  addCase('tiny', TINY_TEXTS.slice(2, 4), {});
  addCase('tiny', TINY_TEXTS[0], { aggregation_strategy: 'SIMPLE' });
  for (const text of TINY_LONG) {
    for (const s of ['simple', 'first', 'average', 'max']) addCase('tiny', text, { aggregation_strategy: s, stride: 8 });
    addCase('tiny', text, { aggregation_strategy: 'max', stride: 0, ignore_labels: [] });
    addCase('tiny', text, { aggregation_strategy: 'simple', stride: 30 });
    // A stride without aggregation_strategy: transformers aggregates nothing but still merges the windows' tokens.
    addCase('tiny', text, { stride: 16 });
  }
  for (const text of MINILM_TEXTS) for (const s of strategies) addCase('minilm', text, s);
  addCase('minilm', MINILM_TEXTS, { aggregation_strategy: 'average', ignore_labels: [] });
  addCase('minilm', MINILM_LONG, { aggregation_strategy: 'first' });
  addCase('minilm', MINILM_LONG, { aggregation_strategy: 'simple', stride: 64 });
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-pipeline-ner-'));
  tinyDir = path.join(dir, 'tiny');
  minilmDir = path.join(dir, 'minilm');
  await writeTinyNer(tinyDir);
  await writeMiniLmNer(minilmDir);
  buildCases();
  cases.push({ task: 'convert-tokens-to-string', model: tinyDir, inputs: TOKEN_LISTS, kwargs: {} });
  // The stride that transformers refuses with aggregation "none".
  cases.push({ task: 'token-classification', model: tinyDir, inputs: TINY_LONG[0], kwargs: { aggregation_strategy: 'none', stride: 8 } });
  const file = path.join(dir, 'cases.json');
  fs.writeFileSync(file, JSON.stringify(cases));
  reference = JSON.parse(runPythonScript('pipeline_reference_ner_qa.py', [file])) as Reference[];
  tiny = await pipeline('ner', tinyDir);
  minilm = await pipeline('token-classification', minilmDir);
}, 180_000);

afterAll(async () => {
  await tiny?.dispose();
  await minilm?.dispose();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

type Entity = Record<string, unknown>;

function expectSameEntities(actual: Entity[], expected: Entity[], where: string): void {
  const withoutScores = (entities: Entity[]): string[] => entities.map((e) => JSON.stringify({ ...e, score: undefined }));
  expect({ where, entities: withoutScores(actual) }).toEqual({ where, entities: withoutScores(expected) });
  actual.forEach((e, i) => {
    expect(Object.keys(e).sort()).toEqual(Object.keys(expected[i]).sort());
    if (Math.abs((e.score as number) - (expected[i].score as number)) > 1e-4) {
      throw new Error(`${where}, entity ${i}: score ${e.score as number} vs transformers ${expected[i].score as number}`);
    }
  });
}

describe('token-classification pipeline = transformers TokenClassificationPipeline', () => {
  test('the alias resolves and the reference ran every case', () => {
    expect(tiny.task).toBe('token-classification');
    expect(reference).toHaveLength(cases.length);
    const failed = reference.slice(0, compared.length).flatMap((r, i) => ('error' in r ? [`case ${i}: ${r.error}`] : []));
    expect(failed).toEqual([]);
  });

  test('every strategy, ignore_labels, lists, truncation and stride windows give the same entities', async () => {
    let entities = 0;
    const kinds = new Set<string>();
    for (const { which, index, inputs, params } of compared) {
      const pipe = which === 'tiny' ? tiny : minilm;
      const actual = (await pipe(inputs, params)) as unknown as Entity[] | Entity[][];
      const expected = (reference[index] as { output: Entity[] | Entity[][] }).output;
      const where = `case ${index} (${which}, ${JSON.stringify(params)})`;
      if (Array.isArray(inputs)) {
        expect(actual).toHaveLength(inputs.length);
        inputs.forEach((_, i) => expectSameEntities((actual as Entity[][])[i], (expected as Entity[][])[i], `${where} input ${i}`));
        entities += (expected as Entity[][]).flat().length;
      } else {
        expectSameEntities(actual as Entity[], expected as Entity[], where);
        entities += expected.length;
        for (const e of expected as Entity[]) kinds.add(String(e.entity ?? e.entity_group));
      }
    }
    // The comparison covered real variety: many entities, every label.
    expect(entities).toBeGreaterThan(500);
    for (const label of ['B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'PER', 'LOC', 'ORG']) expect(kinds).toContain(label);
  });

  test('the cases exercise what they claim: subwords, differing strategies, UTF-16 offsets, windows', async () => {
    // first/average/max differ from simple somewhere (words of several pieces).
    const simple = JSON.stringify(await tiny(TINY_TEXTS, { aggregation_strategy: 'simple' }));
    const first = JSON.stringify(await tiny(TINY_TEXTS, { aggregation_strategy: 'first' }));
    expect(first).not.toEqual(simple);
    // Offsets past an emoji are UTF-16 indices: the slice is the token's text.
    const text = TINY_TEXTS[1];
    const tokens = (await tiny(text, { ignore_labels: [] })) as Array<{ word: string; start: number; end: number }>;
    expect(text.codePointAt(tokens.find((t) => t.word === '😀')!.start)).toBe(0x1f600);
    for (const t of tokens) expect(text.slice(t.start, t.end).toLowerCase().replace('ë', 'e')).toBe(t.word.replace(/^##/, ''));
    // With a stride, entities come from the end of a long text; without, it is truncated.
    const whole = (await tiny(TINY_LONG[1], { aggregation_strategy: 'simple', stride: 8, ignore_labels: [] })) as Array<{ end: number }>;
    const truncated = (await tiny(TINY_LONG[1], { aggregation_strategy: 'simple', ignore_labels: [] })) as Array<{ end: number }>;
    expect(Math.max(...whole.map((e) => e.end))).toBeGreaterThan(Math.max(...truncated.map((e) => e.end)));
  });

  test("words join as transformers' convert_tokens_to_string joins them", () => {
    const expected = (reference[reference.length - 2] as { output: string[] }).output;
    expect(TOKEN_LISTS.map((tokens) => tokensToString(tokens))).toEqual(expected);
  });
});

describe('token-classification errors', () => {
  async function inputError(run: () => Promise<unknown>): Promise<PipelineInputError> {
    const err = await run().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PipelineInputError);
    return err as PipelineInputError;
  }

  test('bad parameters name the parameter', async () => {
    expect((await inputError(() => tiny.call('zoe', { aggregation_strategy: 'longest' }))).field).toBe('parameters.aggregation_strategy');
    expect((await inputError(() => tiny.call('zoe', { aggregation: 'simple' }))).field).toBe('parameters.aggregation');
    expect((await inputError(() => tiny.call('zoe', { ignore_labels: 'O' }))).field).toBe('parameters.ignore_labels');
    expect((await inputError(() => tiny.call('zoe', { ignore_labels: ['O', 3] }))).field).toBe('parameters.ignore_labels[1]');
    expect((await inputError(() => tiny.call('zoe', { aggregation_strategy: 'simple', stride: TINY_MAX_LENGTH }))).field).toBe('parameters.stride');
  });

  test('a stride with aggregation "none" is refused, as transformers refuses it', async () => {
    expect(reference[reference.length - 1]).toEqual({ error: expect.stringContaining('stride') });
    expect((await inputError(() => tiny.call(TINY_LONG[0], { aggregation_strategy: 'none', stride: 8 }))).field).toBe('parameters.stride');
  });

  test('bad inputs name the input', async () => {
    expect((await inputError(() => tiny.call(''))).field).toBe('inputs');
    expect((await inputError(() => tiny.call(['zoe', 7]))).field).toBe('inputs[1]');
    expect((await inputError(() => tiny.call([]))).field).toBe('inputs');
  });

  test('without truncation a text longer than the model is a 422', async () => {
    const strict = await pipeline('ner', tinyDir, { truncate: false });
    try {
      const err = await inputError(() => strict.call(['zoe', TINY_LONG[0]]));
      expect(err.field).toBe('inputs[1]');
      expect(err.status).toBe(422);
      // Windows classify it whole, truncation or not.
      await expect(strict.call(TINY_LONG[0], { aggregation_strategy: 'simple', stride: 8 })).resolves.toEqual(
        await tiny.call(TINY_LONG[0], { aggregation_strategy: 'simple', stride: 8 }),
      );
    } finally {
      await strict.dispose();
    }
  });

  test('a model saved with another head is reported when loaded', async () => {
    const qaDir = path.join(dir, 'qa');
    const qa = BertModel.fromConfig(
      { vocab_size: 40, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 48 },
      'question-answering',
    );
    await qa.savePretrained(qaDir);
    await qa.dispose();
    fs.copyFileSync(path.join(tinyDir, 'vocab.txt'), path.join(qaDir, 'vocab.txt'));
    const warnings: string[] = [];
    const pipe = await pipeline('ner', qaDir, { warn: (m) => warnings.push(m) });
    await pipe.dispose();
    expect(warnings.join('\n')).toMatch(/newly initialized: \[[^\]]*classifier\.weight/);
    expect(warnings.join('\n')).toMatch(/not used .*qa_outputs/);
  });
});
