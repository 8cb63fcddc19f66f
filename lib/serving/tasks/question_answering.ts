// question-answering: transformers' QuestionAnsweringPipeline (its last version, 4.57; transformers 5
// removed the task). The context is split into max_seq_len windows overlapping by doc_stride tokens;
// per window, start and end logits become probabilities over the context tokens (and [CLS]), a
// span's score is P(start) * P(end), the best spans are widened to whole words, equal answers are
// merged (their scores added), and the best top_k are returned. start/end index the context as a
// JavaScript string (UTF-16), so context.slice(start, end) is the answer.
import type { Encoding } from '../../tokenization/encoding';
import { softmax } from '../../evaluation/softmax';
import { PipelineInputError } from '../errors';
import type { InferenceEngine } from '../inference_engine';
import {
  describeJson,
  optionalBoolean,
  optionalInteger,
  rejectUnknownParameters,
  requireText,
  type ParsedInputs,
  runModel,
  type RunContext,
  type TaskDefinition,
} from '../task_definition';

/** One question about one context. */
export interface QuestionContext {
  question: string;
  context: string;
}

/**
 * A question and its context; or, as transformers' `question=`/`context=` keywords take them,
 * several questions about one context, or questions and contexts paired in order.
 */
export type QuestionAnsweringInput = QuestionContext | { question: string[]; context: string | string[] };

export interface QuestionAnsweringParameters {
  /** Answers per input, best first. Default 1 (one answer is returned unwrapped). */
  top_k?: number;
  /** Context tokens a window shares with the previous one. Default min(max_seq_len / 2, 128). */
  doc_stride?: number;
  /** Longest answer, in tokens. Default 15. */
  max_answer_len?: number;
  /** Tokens per window, question and special tokens included. Default 384, at most the model's length. */
  max_seq_len?: number;
  /**
   * Accepted for compatibility, and, as in transformers' pipeline with a fast tokenizer (BERT's), not
   * applied: the whole question goes into every window. Default 64.
   */
  max_question_len?: number;
  /** Also consider "no answer" (score P([CLS]) * P([CLS]), the lowest over the windows). Default false. */
  handle_impossible_answer?: boolean;
  /** Widen answers to whole words. Default true. */
  align_to_words?: boolean;
}

export interface Answer {
  score: number;
  start: number;
  end: number;
  answer: string;
}

/** One answer (the result is a single answer) or several, best first. */
export type QuestionAnsweringResult = Answer | Answer[];

/** The result of one input; a list of results for several. */
export type QuestionAnsweringOutput = QuestionAnsweringResult | QuestionAnsweringResult[];

interface Params {
  topK: number;
  docStride: number;
  maxAnswerLen: number;
  maxSeqLen: number;
  handleImpossibleAnswer: boolean;
  alignToWords: boolean;
}

interface Span {
  start: number;
  end: number;
  score: number;
}

const DEFAULT_MAX_SEQ_LEN = 384;
// transformers' starting "no answer" score: larger than any probability.
const NO_NULL_SCORE = 1000000;
// What transformers puts in place of the logits of tokens that cannot be in an answer.
const MASKED_LOGIT = -10000;

export const questionAnswering: TaskDefinition<QuestionContext, Params, QuestionAnsweringResult, QuestionAnsweringOutput> = {
  modelTask: 'question-answering',

  parseInputs(raw: unknown, field: string): ParsedInputs<QuestionContext> {
    if (Array.isArray(raw)) {
      if (raw.length === 0) throw new PipelineInputError(field, 'must not be an empty list');
      return { items: raw.map((value, i) => parseOne(value, `${field}[${i}]`)), single: false };
    }
    const record = asRecord(raw, field);
    if (Array.isArray(record.question)) return parseQuestionList(record, field);
    return { items: [parseOne(raw, field)], single: true };
  },

  parseParameters(raw: Record<string, unknown>, engine: InferenceEngine): Params {
    rejectUnknownParameters(raw, ['top_k', 'doc_stride', 'max_answer_len', 'max_seq_len', 'max_question_len', 'handle_impossible_answer', 'align_to_words']);
    const maxSeqLen = Math.min(optionalInteger(raw, 'max_seq_len', 4) ?? DEFAULT_MAX_SEQ_LEN, engine.maxLength);
    const docStride = optionalInteger(raw, 'doc_stride', 0) ?? Math.min(Math.floor(maxSeqLen / 2), 128);
    if (docStride > maxSeqLen) throw new PipelineInputError('parameters.doc_stride', `(${docStride}) must not be larger than max_seq_len (${maxSeqLen})`);
    optionalInteger(raw, 'max_question_len', 1);
    return {
      topK: optionalInteger(raw, 'top_k', 1) ?? 1,
      docStride,
      maxAnswerLen: optionalInteger(raw, 'max_answer_len', 1) ?? 15,
      maxSeqLen,
      handleImpossibleAnswer: optionalBoolean(raw, 'handle_impossible_answer') ?? false,
      alignToWords: optionalBoolean(raw, 'align_to_words') ?? true,
    };
  },

  async run(input: QuestionContext, params: Params, context: RunContext, field: string): Promise<QuestionAnsweringResult> {
    const { engine } = context;
    const windows = await encodeWindows(engine, input, params, field);
    const outputs = await runModel(context, windows, field);
    const clsId = engine.tokenizer.clsTokenId;
    // Spans kept per window before word alignment, which can make several spans one answer.
    const candidates = params.alignToWords ? params.topK * 2 + 10 : params.topK;
    const answers: Answer[] = [];
    let nullScore = NO_NULL_SCORE;
    windows.forEach((window, w) => {
      // The context's tokens, and [CLS] (some models answer "no answer" with it).
      const allowed = window.inputIds.map((id, t) => window.sequenceIds![t] === 1 || id === clsId);
      const start = maskedSoftmax(outputs[w].start_logits.data, allowed);
      const end = maskedSoftmax(outputs[w].end_logits.data, allowed);
      if (params.handleImpossibleAnswer) nullScore = Math.min(nullScore, start[0] * end[0]);
      start[0] = end[0] = 0;
      for (const span of bestSpans(start, end, allowed, params.maxAnswerLen, candidates)) {
        const [from, to] = charSpan(window, span.start, span.end, params.alignToWords);
        const text = input.context.slice(from, to);
        const same = answers.find((a) => a.answer.toLowerCase() === text.toLowerCase());
        if (same) same.score += span.score;
        else answers.push({ score: span.score, start: from, end: to, answer: text });
      }
    });
    if (params.handleImpossibleAnswer) answers.push({ score: nullScore, start: 0, end: 0, answer: '' });
    // Array.prototype.sort is stable, as Python's sorted: equal scores keep their order.
    const best = answers.sort((a, b) => b.score - a.score).slice(0, params.topK);
    return best.length === 1 ? best[0] : best;
  },

  format(results: QuestionAnsweringResult[], single: boolean): QuestionAnsweringOutput {
    return single ? results[0] : results;
  },
};

/** The windows of question + context: the context cut `only_second` to max_seq_len, windows overlapping by doc_stride. */
async function encodeWindows(engine: InferenceEngine, input: QuestionContext, params: Params, field: string): Promise<Encoding[]> {
  const { tokenizer } = engine;
  let main: Encoding;
  try {
    [main] = await tokenizer.encodeBatch([[input.question, input.context]], {
      truncation: 'only_second',
      maxLength: params.maxSeqLen,
      stride: params.docStride,
      returnOverflowing: true,
      returnOffsets: true,
    });
  } catch (err) {
    throw await windowError(engine, input, params, field, err as Error);
  }
  const windows = [main, ...(main.overflowing ?? [])];
  if (!windows.some((w) => w.sequenceIds!.includes(1))) {
    throw new PipelineInputError(`${field}.context`, 'has no tokens (it holds only white space or characters the tokenizer drops)');
  }
  return windows;
}

/** Why the windows could not be made: a question too long for max_seq_len, or a doc_stride too large for the windows. */
async function windowError(engine: InferenceEngine, input: QuestionContext, params: Params, field: string, err: Error): Promise<Error> {
  const [question] = await engine.tokenizer.encodeBatch([input.question], { addSpecialTokens: false });
  const questionLength = question.inputIds.length;
  const room = params.maxSeqLen - 3 - questionLength;
  if (room <= 0) {
    return new PipelineInputError(
      `${field}.question`,
      `is ${questionLength} tokens long, which with [CLS] and two [SEP] leaves no room for the context in max_seq_len ${params.maxSeqLen}. ` +
        'Fix: shorten the question, or raise parameters.max_seq_len.',
      422,
    );
  }
  if (params.docStride >= room) {
    return new PipelineInputError(
      'parameters.doc_stride',
      `(${params.docStride}) must be smaller than the ${room} context tokens a window holds with this question (max_seq_len ${params.maxSeqLen}); ` +
        'windows could not advance. Fix: lower doc_stride or raise max_seq_len.',
    );
  }
  return err;
}

/** Softmax over one window's logits, the tokens that cannot be in an answer set to -10000 first (as transformers does). */
function maskedSoftmax(logits: Float32Array, allowed: readonly boolean[]): number[] {
  return softmax(allowed.map((ok, t) => (ok ? logits[t] : MASKED_LOGIT)));
}

/**
 * The `count` best spans start <= end < start + maxAnswerLen over allowed tokens, by P(start) * P(end),
 * best first. (transformers may fill up to `count` with spans of probability 0 when fewer have any;
 * those are left out.)
 */
function bestSpans(start: readonly number[], end: readonly number[], allowed: readonly boolean[], maxAnswerLen: number, count: number): Span[] {
  const spans: Span[] = [];
  for (let s = 0; s < start.length; s++) {
    if (!allowed[s] || start[s] === 0) continue;
    const last = Math.min(end.length - 1, s + maxAnswerLen - 1);
    for (let e = s; e <= last; e++) {
      const score = start[s] * end[e];
      if (allowed[e] && score > 0) spans.push({ start: s, end: e, score });
    }
  }
  return spans.sort((a, b) => b.score - a.score).slice(0, count);
}

/**
 * The answer's [start, end) in the context: with `alignToWords`, from the start of the first token's
 * word to the end of the last token's word (as far as the window holds them); otherwise the tokens'
 * own offsets.
 */
function charSpan(window: Encoding, start: number, end: number, alignToWords: boolean): [number, number] {
  const offsets = window.offsets!;
  if (alignToWords) {
    const first = wordChars(window, window.wordIds![start]);
    const last = wordChars(window, window.wordIds![end]);
    if (first && last) return [first[0], last[1]];
  }
  return [offsets[start][0], offsets[end][1]];
}

/** tokenizers' word_to_chars(word, sequence_index=1) within one window: null when the window has no such context word. */
function wordChars(window: Encoding, word: number | null): [number, number] | null {
  if (word === null) return null;
  let first = -1;
  let last = -1;
  window.wordIds!.forEach((w, t) => {
    if (w === word && window.sequenceIds![t] === 1) {
      if (first < 0) first = t;
      last = t;
    }
  });
  return first < 0 ? null : [window.offsets![first][0], window.offsets![last][1]];
}

function asRecord(value: unknown, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PipelineInputError(field, `must be {"question": ..., "context": ...} or a list of those, got ${describeJson(value)}`);
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'question' && key !== 'context') throw new PipelineInputError(`${field}.${key}`, 'is not a field of an input; use "question" and "context"');
  }
  for (const key of ['question', 'context']) {
    if (record[key] === undefined) throw new PipelineInputError(`${field}.${key}`, 'is required: send {"question": ..., "context": ...}');
  }
  return record;
}

function parseOne(value: unknown, field: string): QuestionContext {
  const record = asRecord(value, field);
  return { question: requireText(record.question, `${field}.question`), context: requireText(record.context, `${field}.context`) };
}

/** `{question: [...], context}`: every question about one context, or about the context at its index. */
function parseQuestionList(record: Record<string, unknown>, field: string): ParsedInputs<QuestionContext> {
  const questions = record.question as unknown[];
  if (questions.length === 0) throw new PipelineInputError(`${field}.question`, 'must not be an empty list');
  const contexts = record.context;
  if (Array.isArray(contexts) && contexts.length !== questions.length) {
    throw new PipelineInputError(
      `${field}.context`,
      `has ${contexts.length} contexts for ${questions.length} questions; send one context, or one per question`,
    );
  }
  if (!Array.isArray(contexts) && typeof contexts !== 'string') {
    throw new PipelineInputError(`${field}.context`, `must be a string or a list of strings, got ${describeJson(contexts)}`);
  }
  const items = questions.map((q, i) => ({
    question: requireText(q, `${field}.question[${i}]`),
    context: Array.isArray(contexts) ? requireText(contexts[i], `${field}.context[${i}]`) : requireText(contexts, `${field}.context`),
  }));
  return { items, single: false };
}
