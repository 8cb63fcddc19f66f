// pipeline('token-classification' / 'ner') against transformers' TokenClassificationPipeline, live:
// the same model directories (a tiny random BERT with B-/I- labels and a vocabulary that splits
// words into ## pieces, and the real all-MiniLM-L6-v2 with a seeded random head, both saved by
// bertrun) run through both, every aggregation strategy, ignore_labels, windows (stride), and
// text with accents, emoji and unknown words. Labels, words and start/end offsets (UTF-16) must be
// equal, scores within 1e-4.
import { SeededRandom } from '../../lib/data/loader/seeded_random';
import { pipeline, type Pipeline } from '../../lib/serving/pipeline';
import { tokensToString } from '../../lib/serving/tasks/token_classification';
import {
  ReferenceCases,
  TINY_MAX_LENGTH,
  expectInputError,
  expectSameAsReference,
  otherHeadWarnings,
  pipelineTestFiles,
  randomWords,
  writeMiniLmWithHead,
  writeTinyModel,
  type ReferenceResult,
} from '../helpers/pipeline_models';

const LABELS = ['O', 'B-PER', 'I-PER', 'B-LOC', 'I-LOC', 'B-ORG', 'I-ORG'];
const WORDS = ['the', 'zoe', 'john', 'lives', 'in', 'new', 'york', 'and', 'paris', 'is', 'a', 'big', 'city', 'of', 'wash', 'micro', 'soft', 'works', 'at'];
const PIECES = ['##ington', '##s', '##ing', '##er', '##soft', '##hn', '##a', '##e'];
const PUNCTUATION = ['.', ',', '!', '?', "'", '-'];

const files = pipelineTestFiles('bertrun-pipeline-ner-');
let tinyDir: string;
let minilmDir: string;
let tiny: Pipeline<'ner'>;
let minilm: Pipeline<'token-classification'>;
let reference: ReferenceResult[];

function labelMaps(): { id2label: Record<string, string>; label2id: Record<string, number> } {
  return { id2label: Object.fromEntries(LABELS.map((l, i) => [String(i), l])), label2id: Object.fromEntries(LABELS.map((l, i) => [l, i])) };
}

/** Sentences over the tiny vocabulary, with unknown words, accents, emoji and punctuation mixed in. */
function tinyText(seed: number, words: number): string {
  const random = new SeededRandom(seed);
  const extras = ['Zoë', 'ZOË', '😀', 'xyz', 'Zoe\u0301', 'Washingtoner', 'Microsoft', "John's", 'Jo-hn', 'café', '[MASK]'];
  const out = randomWords(random, words, { words: WORDS, pieces: PIECES, punctuation: PUNCTUATION, extras }, 8);
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

/** Every reference case, and the compared calls among them (pipeline, case index, inputs, parameters). */
const calls = new ReferenceCases<'tiny' | 'minilm'>('token-classification', (which) => (which === 'tiny' ? tinyDir : minilmDir));
const { cases, compared } = calls;

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
    for (const s of strategies) calls.compare('tiny', text, s);
    calls.compare('tiny', text, { aggregation_strategy: 'first', ignore_labels: [] });
    calls.compare('tiny', text, { ignore_labels: ['O', 'B-LOC'] });
  }
  calls.compare('tiny', TINY_TEXTS.slice(0, 3), { aggregation_strategy: 'simple' });
  calls.compare('tiny', TINY_TEXTS.slice(2, 4), {});
  calls.compare('tiny', TINY_TEXTS[0], { aggregation_strategy: 'SIMPLE' });
  for (const text of TINY_LONG) {
    for (const s of ['simple', 'first', 'average', 'max']) calls.compare('tiny', text, { aggregation_strategy: s, stride: 8 });
    calls.compare('tiny', text, { aggregation_strategy: 'max', stride: 0, ignore_labels: [] });
    calls.compare('tiny', text, { aggregation_strategy: 'simple', stride: 30 });
    // A stride without aggregation_strategy: transformers aggregates nothing but still merges the windows' tokens.
    calls.compare('tiny', text, { stride: 16 });
  }
  for (const text of MINILM_TEXTS) for (const s of strategies) calls.compare('minilm', text, s);
  calls.compare('minilm', MINILM_TEXTS, { aggregation_strategy: 'average', ignore_labels: [] });
  calls.compare('minilm', MINILM_LONG, { aggregation_strategy: 'first' });
  calls.compare('minilm', MINILM_LONG, { aggregation_strategy: 'simple', stride: 64 });
}

beforeAll(async () => {
  // Large weights: confident, varied predictions (no near-ties between labels).
  tinyDir = await writeTinyModel(files.path('tiny'), 'token-classification', { initializer_range: 0.6, ...labelMaps() }, 11, [
    ...WORDS,
    ...PIECES,
    ...PUNCTUATION,
  ]);
  minilmDir = await writeMiniLmWithHead(files.path('minilm'), 'token-classification', 5, { ...labelMaps(), initializer_range: 0.2 });
  buildCases();
  cases.push({ task: 'convert-tokens-to-string', model: tinyDir, inputs: TOKEN_LISTS, kwargs: {} });
  // The stride that transformers refuses with aggregation "none".
  cases.push({ task: 'token-classification', model: tinyDir, inputs: TINY_LONG[0], kwargs: { aggregation_strategy: 'none', stride: 8 } });
  reference = files.reference('pipeline_reference_ner_qa.py', cases);
  tiny = await files.load('ner', tinyDir);
  minilm = await files.load('token-classification', minilmDir);
}, 180_000);

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
    const outputs = await expectSameAsReference(compared, { tiny, minilm }, reference, expectSameEntities);
    compared.forEach(({ inputs }, k) => {
      if (Array.isArray(inputs)) {
        entities += (outputs[k] as Entity[][]).flat().length;
      } else {
        entities += outputs[k].length;
        for (const e of outputs[k] as Entity[]) kinds.add(String(e.entity ?? e.entity_group));
      }
    });
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
  test('bad parameters name the parameter', async () => {
    expect((await expectInputError(() => tiny.call('zoe', { aggregation_strategy: 'longest' }))).field).toBe('parameters.aggregation_strategy');
    expect((await expectInputError(() => tiny.call('zoe', { aggregation: 'simple' }))).field).toBe('parameters.aggregation');
    expect((await expectInputError(() => tiny.call('zoe', { ignore_labels: 'O' }))).field).toBe('parameters.ignore_labels');
    expect((await expectInputError(() => tiny.call('zoe', { ignore_labels: ['O', 3] }))).field).toBe('parameters.ignore_labels[1]');
    expect((await expectInputError(() => tiny.call('zoe', { aggregation_strategy: 'simple', stride: TINY_MAX_LENGTH }))).field).toBe('parameters.stride');
  });

  test('a stride with aggregation "none" is refused, as transformers refuses it', async () => {
    expect(reference[reference.length - 1]).toEqual({ error: expect.stringContaining('stride') });
    expect((await expectInputError(() => tiny.call(TINY_LONG[0], { aggregation_strategy: 'none', stride: 8 }))).field).toBe('parameters.stride');
  });

  test('bad inputs name the input', async () => {
    expect((await expectInputError(() => tiny.call(''))).field).toBe('inputs');
    expect((await expectInputError(() => tiny.call(['zoe', 7]))).field).toBe('inputs[1]');
    expect((await expectInputError(() => tiny.call([]))).field).toBe('inputs');
  });

  test('without truncation a text longer than the model is a 422', async () => {
    const strict = await pipeline('ner', tinyDir, { truncate: false });
    try {
      const err = await expectInputError(() => strict.call(['zoe', TINY_LONG[0]]));
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
    const warnings = await otherHeadWarnings('ner', 'question-answering', files.path('qa'), WORDS);
    expect(warnings).toMatch(/newly initialized: \[[^\]]*classifier\.weight/);
    expect(warnings).toMatch(/not used .*qa_outputs/);
  });
});
