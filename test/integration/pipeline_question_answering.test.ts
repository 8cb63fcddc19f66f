// pipeline('question-answering') against transformers' QuestionAnsweringPipeline, live. transformers
// 5 removed that pipeline: the reference (test/helpers/pipeline_reference_ner_qa.py) is its last
// version (4.57) run on live transformers' tokenizer, model and span scoring. The same model
// directories (a tiny random BERT, and the real all-MiniLM-L6-v2 with a seeded random QA head,
// both saved by bertrun) answer contexts longer than max_seq_len (several doc_stride windows), with
// top_k 1 and 3, "no answer", short max_answer_len, word alignment on and off, accents and emoji.
// Answers and start/end (UTF-16) must be equal, scores within 1e-4.
import { SeededRandom } from '../../lib/data/loader/seeded_random';
import type { Pipeline } from '../../lib/serving/pipeline';
import type { Answer } from '../../lib/serving/tasks/question_answering';
import {
  ReferenceCases,
  expectInputError,
  expectSameAsReference,
  otherHeadWarnings,
  pipelineTestFiles,
  randomWords,
  writeMiniLmWithHead,
  writeTinyModel,
  type ReferenceResult,
} from '../helpers/pipeline_models';

const WORDS = [
  'the',
  'zoe',
  'john',
  'lives',
  'in',
  'new',
  'york',
  'and',
  'paris',
  'is',
  'a',
  'big',
  'city',
  'of',
  'wash',
  'who',
  'where',
  'what',
  'does',
  'work',
];
const PIECES = ['##ington', '##s', '##ing', '##er', '##ed', '##hn'];
const PUNCTUATION = ['.', ',', '!', '?', "'"];

const files = pipelineTestFiles('bertrun-pipeline-qa-');
let tinyDir: string;
let minilmDir: string;
let tiny: Pipeline<'question-answering'>;
let minilm: Pipeline<'question-answering'>;
const calls = new ReferenceCases<'tiny' | 'minilm'>('question-answering', (which) => (which === 'tiny' ? tinyDir : minilmDir));
const { cases, compared } = calls;
/** Reference indices of calls transformers refuses, by name. */
const refused: Record<string, number> = {};
let reference: ReferenceResult[];

/** Text over the tiny vocabulary with unknown words, accents, emoji and punctuation. */
function tinyText(seed: number, words: number): string {
  const extras = ['Zoë', '😀', 'xyz', 'Washington', 'Johnny', 'NEW', 'café', 'Zoe\u0301s'];
  return randomWords(new SeededRandom(seed), words, { words: WORDS, pieces: PIECES, punctuation: PUNCTUATION, extras }, 7).join(' ');
}

const TINY_CONTEXTS = [tinyText(1, 40), tinyText(2, 90), tinyText(3, 150), `Zoë 😀 ${tinyText(4, 120)} 😀😀 Zoë`];
// Contexts of a few tokens: [CLS] competes with few tokens, so "no answer" wins for some questions.
// (Only top_k 1 there: transformers pads short candidate lists with arbitrary spans of probability 0.)
const SHORT_CONTEXTS = ['zoe lives', 'paris', 'new york is big', 'who does work', 'john works in paris .', 'the city', 'Zoë 😀 wash'];
const TINY_QUESTIONS = ['where does zoe work?', 'who lives in new york', 'what is the big city of 😀 xyz?', 'who'];
const MINILM_CONTEXT = [
  'The Amazon rainforest covers much of the Amazon basin of South America.',
  'Zoë Saldaña, born in Passaic, New Jersey, moved to Santo Domingo 😀 at the age of ten.',
  'Wolfgang lives in Berlin and works for Siemens as an engineer since 2011.',
  'Hugging Face Inc. is a company based in New York City; its headquarters are in DUMBO, near the Manhattan Bridge.',
  'The Eiffel Tower, in Paris, was completed in 1889 and is 330 metres tall.',
  'München (Munich) is the capital of Bavaria; Zürich is the largest city of Switzerland.',
]
  .join(' ')
  .repeat(4);
const MINILM_QUESTIONS = ['Where does Wolfgang live?', 'When was the Eiffel Tower completed?', 'Where did Zoë Saldaña move to?'];

function addRefused(name: string, inputs: unknown, params: Record<string, unknown>): void {
  refused[name] = calls.add('tiny', inputs, params);
}

function buildCases(): void {
  const windows = { max_seq_len: 32, doc_stride: 16 };
  const paramSets: Array<Record<string, unknown>> = [
    {},
    windows,
    { ...windows, top_k: 3 },
    { max_seq_len: 48, doc_stride: 20, top_k: 3, max_answer_len: 2 },
    { ...windows, max_answer_len: 1, top_k: 3 },
    { ...windows, handle_impossible_answer: true },
    { ...windows, handle_impossible_answer: true, top_k: 3 },
    { ...windows, align_to_words: false },
    { ...windows, align_to_words: false, top_k: 3, max_answer_len: 4 },
  ];
  TINY_CONTEXTS.forEach((context, c) => {
    TINY_QUESTIONS.forEach((question, q) => {
      // Every question on every context with a few parameter sets; all of them on the first question.
      const sets = q === 0 ? paramSets : [paramSets[(c + q) % paramSets.length], paramSets[(c + 2 * q + 1) % paramSets.length]];
      for (const params of sets) calls.compare('tiny', { question, context }, params);
    });
  });
  SHORT_CONTEXTS.forEach((context, c) => {
    for (const question of TINY_QUESTIONS) calls.compare('tiny', { question, context }, { handle_impossible_answer: true });
    calls.compare('tiny', { question: TINY_QUESTIONS[c % 4], context }, { handle_impossible_answer: true, align_to_words: false });
    calls.compare('tiny', { question: TINY_QUESTIONS[c % 4], context }, {});
  });
  // max_question_len does not cut the question (transformers' fast-tokenizer path ignores it).
  calls.compare(
    'tiny',
    { question: 'who lives in new york and where does john work', context: TINY_CONTEXTS[2] },
    { max_seq_len: 40, doc_stride: 18, max_question_len: 3 },
  );
  calls.compare(
    'tiny',
    [
      { question: TINY_QUESTIONS[0], context: TINY_CONTEXTS[1] },
      { question: TINY_QUESTIONS[1], context: TINY_CONTEXTS[3] },
    ],
    { ...windows, top_k: 2 },
  );
  for (const question of MINILM_QUESTIONS) {
    calls.compare('minilm', { question, context: MINILM_CONTEXT }, {});
    calls.compare('minilm', { question, context: MINILM_CONTEXT }, { max_seq_len: 64, doc_stride: 24, top_k: 3, max_answer_len: 5 });
    calls.compare('minilm', { question, context: MINILM_CONTEXT }, { max_seq_len: 96, doc_stride: 32, handle_impossible_answer: true, top_k: 3 });
  }
  addRefused('doc_stride over max_seq_len', { question: 'who', context: TINY_CONTEXTS[1] }, { max_seq_len: 32, doc_stride: 40 });
  addRefused('doc_stride over the window', { question: TINY_QUESTIONS[2], context: TINY_CONTEXTS[1] }, { max_seq_len: 32, doc_stride: 25 });
  addRefused('question over max_seq_len', { question: tinyText(9, 40), context: TINY_CONTEXTS[1] }, { max_seq_len: 32, doc_stride: 8 });
}

beforeAll(async () => {
  // Large weights: peaked start/end probabilities, so spans rarely tie.
  tinyDir = await writeTinyModel(files.path('tiny'), 'question-answering', { initializer_range: 0.6 }, 13, [...WORDS, ...PIECES, ...PUNCTUATION]);
  minilmDir = await writeMiniLmWithHead(files.path('minilm'), 'question-answering', 9, { initializer_range: 0.2 });
  buildCases();
  reference = files.reference('pipeline_reference_ner_qa.py', cases);
  tiny = await files.load('question-answering', tinyDir);
  minilm = await files.load('question-answering', minilmDir);
}, 180_000);

type Result = Answer | Answer[];

function expectSameResult(actual: Result, expected: Result, where: string): void {
  const strip = (r: Result): unknown => (Array.isArray(r) ? r.map((a) => ({ ...a, score: undefined })) : { ...r, score: undefined });
  expect({ where, result: strip(actual) }).toEqual({ where, result: strip(expected) });
  const scores = (r: Result): number[] => (Array.isArray(r) ? r.map((a) => a.score) : [r.score]);
  const [a, e] = [scores(actual), scores(expected)];
  a.forEach((score, i) => {
    if (Math.abs(score - e[i]) > 1e-4) throw new Error(`${where}, answer ${i}: score ${score} vs transformers ${e[i]}`);
  });
}

describe('question-answering pipeline = transformers QuestionAnsweringPipeline', () => {
  test('the reference ran every case', () => {
    expect(reference).toHaveLength(cases.length);
    const failed = compared.flatMap(({ index }) => ('error' in reference[index] ? [`case ${index}: ${(reference[index] as { error: string }).error}`] : []));
    expect(failed).toEqual([]);
  });

  test('windows, top_k, max_answer_len, "no answer" and word alignment give the same answers', async () => {
    const outputs = await expectSameAsReference(compared, { tiny, minilm }, reference, expectSameResult);
    const answers: Answer[] = outputs.flat(2);
    // The comparison covered real variety: answers past the first window, past emoji, "no answer".
    const contexts = new Set(answers.map((a) => a.answer));
    expect(contexts.size).toBeGreaterThan(40);
    expect(answers.some((a) => a.answer === '')).toBe(true);
    expect(answers.some((a) => a.start > 200)).toBe(true);
  });

  test('the cases exercise several windows and UTF-16 offsets', async () => {
    const tokenizer = tiny.engine.tokenizer;
    const [encoding] = await tokenizer.encodeBatch([[TINY_QUESTIONS[0], TINY_CONTEXTS[2]]], {
      truncation: 'only_second',
      maxLength: 32,
      stride: 16,
      returnOverflowing: true,
    });
    expect(encoding.overflowing!.length).toBeGreaterThanOrEqual(5);
    const context = TINY_CONTEXTS[3];
    const answers = (await tiny({ question: 'who', context }, { max_seq_len: 32, doc_stride: 16, top_k: 3 })) as Answer[];
    for (const a of answers) expect(context.slice(a.start, a.end)).toBe(a.answer);
    expect(context.indexOf('😀')).toBeLessThan(Math.max(...answers.map((a) => a.start)));
  });

  test('one context for several questions, as transformers takes question=[...], context=...', async () => {
    const params = { max_seq_len: 32, doc_stride: 16 };
    const many = await tiny.call({ question: TINY_QUESTIONS.slice(0, 2), context: TINY_CONTEXTS[1] }, params);
    const each = await Promise.all(TINY_QUESTIONS.slice(0, 2).map((question) => tiny.call({ question, context: TINY_CONTEXTS[1] }, params)));
    expect(many).toEqual(each);
    const paired = await tiny.call({ question: TINY_QUESTIONS.slice(0, 2), context: TINY_CONTEXTS.slice(0, 2) }, params);
    expect(paired).toEqual([await tiny.call({ question: TINY_QUESTIONS[0], context: TINY_CONTEXTS[0] }, params), each[1]]);
  });
});

describe('question-answering errors', () => {
  test('inputs: a missing question, an empty context, unknown fields name the field', async () => {
    expect((await expectInputError(() => tiny.call({ context: 'zoe lives in paris' }))).field).toBe('inputs.question');
    expect((await expectInputError(() => tiny.call([{ question: 'who', context: 'zoe' }, { context: 'john' }]))).field).toBe('inputs[1].question');
    expect((await expectInputError(() => tiny.call({ question: 'who', context: '' }))).field).toBe('inputs.context');
    expect((await expectInputError(() => tiny.call({ question: 'who', context: '  \t ' }))).field).toBe('inputs.context');
    expect((await expectInputError(() => tiny.call({ question: '', context: 'zoe' }))).field).toBe('inputs.question');
    expect((await expectInputError(() => tiny.call({ question: 'who', context: 'zoe', text: 'x' }))).field).toBe('inputs.text');
    expect((await expectInputError(() => tiny.call({ question: ['who', 7], context: 'zoe' }))).field).toBe('inputs.question[1]');
    expect((await expectInputError(() => tiny.call({ question: ['who', 'what'], context: ['zoe'] }))).field).toBe('inputs.context');
    expect((await expectInputError(() => tiny.call('who is zoe?'))).field).toBe('inputs');
    expect((await expectInputError(() => tiny.call([]))).field).toBe('inputs');
  });

  test('parameters: unknown or out of range name the parameter', async () => {
    const input = { question: 'who', context: 'zoe lives in paris' };
    expect((await expectInputError(() => tiny.call(input, { topk: 2 }))).field).toBe('parameters.topk');
    expect((await expectInputError(() => tiny.call(input, { top_k: 0 }))).field).toBe('parameters.top_k');
    expect((await expectInputError(() => tiny.call(input, { max_answer_len: 0 }))).field).toBe('parameters.max_answer_len');
    expect((await expectInputError(() => tiny.call(input, { handle_impossible_answer: 'yes' }))).field).toBe('parameters.handle_impossible_answer');
  });

  test('what transformers refuses is refused, naming the cause', async () => {
    const check = async (name: string, field: string, status: number): Promise<void> => {
      const index = refused[name];
      expect({ name, reference: reference[index] }).toEqual({ name, reference: { error: expect.any(String) } });
      const err = await expectInputError(() => tiny.call(cases[index].inputs, cases[index].kwargs));
      expect({ name, field: err.field, status: err.status }).toEqual({ name, field, status });
    };
    await check('doc_stride over max_seq_len', 'parameters.doc_stride', 400);
    await check('doc_stride over the window', 'parameters.doc_stride', 400);
    await check('question over max_seq_len', 'inputs.question', 422);
  });

  test('a model saved with another head is reported when loaded', async () => {
    const warnings = await otherHeadWarnings('question-answering', 'token-classification', files.path('ner'), WORDS);
    expect(warnings).toMatch(/newly initialized: \[[^\]]*qa_outputs\.weight/);
    expect(warnings).toMatch(/not used .*classifier/);
  });
});
