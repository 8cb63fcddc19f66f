// SQuAD v1.1 / v2.0 files into examples, streamed paragraph by paragraph (see squad_json_scanner).
import { DataError } from '../readers/data_error';
import { JsonScanError } from '../readers/streaming_json_scanner';
import { readTextChunks } from '../readers/text_chunks';
import { codePointToUtf16Map } from '../../tokenization/char_offsets';
import { SquadJsonScanner, type SquadParagraphText } from './squad_json_scanner';

export interface SquadAnswers {
  text: string[];
  /** Where each answer starts in `context`, as a JavaScript (UTF-16) string index. */
  answerStart: number[];
}

export interface SquadExample {
  id: string;
  title: string | undefined;
  question: string;
  context: string;
  /** Gold answers; empty for an impossible (v2) question. */
  answers: SquadAnswers;
  isImpossible: boolean;
  /** Line of the example's paragraph in the file, for messages. */
  line: number;
}

export interface SquadDataset {
  file: string;
  examples: SquadExample[];
  /** Answers whose text is not at answer_start in the context (count, first question ids). */
  unrecoverable: { count: number; firstIds: string[] };
}

const FIX =
  'Fix the file so it follows the SQuAD format: {"data": [{"title", "paragraphs": [{"context", "qas": [{"id", "question", "answers": [{"text", "answer_start"}], "is_impossible"}]}]}]}';
const REPORTED_IDS = 5;

/** Streams the examples of a SQuAD JSON file (`.gz` too). Throws a DataError naming file and line. */
export async function* squadExamples(file: string): AsyncGenerator<SquadExample, void, undefined> {
  const scanner = new SquadJsonScanner();
  try {
    for await (const chunk of readTextChunks(file)) {
      for (const paragraph of scanner.push(chunk)) yield* paragraphExamples(file, paragraph);
    }
    scanner.end();
  } catch (err) {
    if (err instanceof JsonScanError) throw new DataError('INVALID_JSON', file, err.line, err.message, FIX);
    throw err;
  }
}

/** Reads a whole SQuAD file: examples in file order, duplicate ids refused, unrecoverable answers counted. */
export async function readSquad(file: string): Promise<SquadDataset> {
  const examples: SquadExample[] = [];
  const seen = new Map<string, number>();
  const unrecoverable = { count: 0, firstIds: [] as string[] };
  for await (const example of squadExamples(file)) {
    const earlier = seen.get(example.id);
    if (earlier !== undefined) {
      throw new DataError(
        'MALFORMED_ROW',
        file,
        example.line,
        `question id ${JSON.stringify(example.id)} appears twice (first at line ${earlier})`,
        'Give every question a unique "id"',
      );
    }
    seen.set(example.id, example.line);
    if (!answersRecoverable(example)) {
      unrecoverable.count++;
      if (unrecoverable.firstIds.length < REPORTED_IDS) unrecoverable.firstIds.push(example.id);
    }
    examples.push(example);
  }
  if (examples.length === 0)
    throw new DataError('EMPTY_DATASET', file, undefined, 'no questions found', 'Check that the file holds SQuAD data with at least one question');
  return { file, examples, unrecoverable };
}

/** Whether every gold answer's text is found at its answer_start. */
export function answersRecoverable(example: SquadExample): boolean {
  return example.answers.text.every((text, i) => example.context.slice(example.answers.answerStart[i], example.answers.answerStart[i] + text.length) === text);
}

function* paragraphExamples(file: string, paragraph: SquadParagraphText): Generator<SquadExample> {
  const where = `data[${paragraph.article}].paragraphs[${paragraph.paragraph}]`;
  const fail = (field: string, problem: string): never => {
    throw new DataError('MALFORMED_ROW', file, paragraph.line, `${where}${field}: ${problem}`, FIX);
  };
  let value: unknown;
  try {
    value = JSON.parse(paragraph.json);
  } catch (err) {
    return fail('', `invalid JSON (${(err as Error).message})`);
  }
  const p = value as Record<string, unknown>;
  if (typeof p.context !== 'string') return fail('.context', 'missing or not a string');
  const context = p.context;
  if (!Array.isArray(p.qas)) return fail('.qas', 'missing or not an array');
  // SQuAD's answer_start counts Python characters (code points); JavaScript strings index UTF-16.
  const toUtf16 = codePointToUtf16Map(context);
  for (const [k, raw] of (p.qas as unknown[]).entries()) {
    const field = `.qas[${k}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail(field, 'not an object');
    const qa = raw as Record<string, unknown>;
    if (typeof qa.id !== 'string' && typeof qa.id !== 'number') return fail(`${field}.id`, 'missing (every question needs an id)');
    if (typeof qa.question !== 'string') return fail(`${field}.question`, 'missing or not a string');
    if (qa.is_impossible !== undefined && typeof qa.is_impossible !== 'boolean') return fail(`${field}.is_impossible`, 'must be true or false');
    const isImpossible = qa.is_impossible === true;
    const answersRaw = qa.answers ?? [];
    if (!Array.isArray(answersRaw)) return fail(`${field}.answers`, 'must be an array');
    const answers: SquadAnswers = { text: [], answerStart: [] };
    // An impossible question's answers are ignored (v2 files sometimes list plausible ones).
    if (!isImpossible) {
      for (const [a, answer] of (answersRaw as unknown[]).entries()) {
        const at = `${field}.answers[${a}]`;
        const { text, answer_start: start } = (answer ?? {}) as Record<string, unknown>;
        if (typeof text !== 'string') return fail(`${at}.text`, 'missing or not a string');
        if (typeof start !== 'number' || !Number.isInteger(start) || start < 0) return fail(`${at}.answer_start`, 'must be a non-negative integer');
        const points = toUtf16 ? toUtf16.length - 1 : context.length;
        if (start > points) return fail(`${at}.answer_start`, `${start} is past the end of the context (${points} characters)`);
        answers.text.push(text);
        answers.answerStart.push(toUtf16 ? toUtf16[start] : start);
      }
    }
    yield { id: String(qa.id), title: paragraph.title, question: qa.question, context, answers, isImpossible, line: paragraph.line };
  }
}
