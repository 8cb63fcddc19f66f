// One FinQA entry (github.com/czyssrs/FinQA, dataset/*.json): its types, in camelCase, and the
// check that turns one parsed JSON element into an entry or a DataError naming file, entry and line.
import { DataError } from '../readers/data_error';

/** The question and its references (`qa` in the file). */
export interface FinqaQa {
  question: string;
  /** The reasoning program in step form, e.g. `subtract(5829, 5735), divide(#0, 5735)`. */
  program: string;
  /**
   * The gold supporting facts, in the file's key order: `text_N` is sentence N of `pre_text` followed
   * by `post_text`, `table_N` is row N of `table` (as text).
   */
  goldInds: Record<string, string>;
  /** The gold execution result: a number, or `"yes"` / `"no"` for `greater`. */
  exeAns: number | string;
  answer?: string;
  /** The program in nested form, e.g. `divide(subtract(5829, 5735), 5735)`. */
  programRe?: string;
  /** The retriever's selection as `[key, sentence]` pairs (FinQA's generator/Convert.py writes it). */
  modelInput?: Array<[string, string]>;
}

export interface FinqaEntry {
  id: string;
  preText: string[];
  postText: string[];
  filename?: string;
  /** Rows of cells; each row's first cell is its name, and the first row is usually the header. */
  table: string[][];
  qa: FinqaQa;
}

/** Where an entry is, for messages: the file, its 0-based position in the top-level array, the line of its `{`. */
export interface FinqaEntryLocation {
  file: string;
  index: number;
  line: number;
}

const FIX =
  'Each FinQA entry must look like {"id": "...", "pre_text": ["..."], "post_text": ["..."], "table": [["..."]], ' +
  '"qa": {"question": "...", "program": "...", "gold_inds": {"text_0": "..."}, "exe_ans": 0.5}} (see github.com/czyssrs/FinQA); ' +
  "FinQA's private_test.json holds questions only and cannot be read as labelled data";

const GOLD_KEY = /^(text|table)_\d+$/;

/** Checks one parsed element of a FinQA file; throws a DataError ('MALFORMED_ROW') for the first field at fault. */
export interface FinqaParseOptions {
  /**
   * Default true: `qa.program`, `qa.gold_inds` and `qa.exe_ans` are required. false reads entries
   * to predict for (FinQA's private_test.json has questions only): missing ones become "", {} and "".
   */
  gold?: boolean;
}

export function parseFinqaEntry(value: unknown, where: FinqaEntryLocation, options: FinqaParseOptions = {}): FinqaEntry {
  const gold = options.gold ?? true;
  let id: string | undefined;
  const fail = (field: string, problem: string): never => {
    const who = id === undefined ? `entry ${where.index}` : `entry ${where.index} (id ${JSON.stringify(id)})`;
    throw new DataError('MALFORMED_ROW', where.file, where.line, `${who}${field ? `: ${field}` : ''}: ${problem}`, FIX);
  };
  if (!isObject(value)) return fail('', `expected a JSON object, found ${kindOf(value)}`);
  if (typeof value.id === 'string') id = value.id;
  else return fail('id', `missing or not a string (found ${kindOf(value.id)})`);

  const strings = (field: string, v: unknown): string[] => {
    if (!Array.isArray(v)) return fail(field, `missing or not an array of strings (found ${kindOf(v)})`);
    const k = v.findIndex((s) => typeof s !== 'string');
    if (k >= 0) return fail(`${field}[${k}]`, `not a string (found ${kindOf(v[k])})`);
    return v as string[];
  };
  const preText = strings('pre_text', value.pre_text);
  const postText = strings('post_text', value.post_text);
  if (value.filename !== undefined && typeof value.filename !== 'string') return fail('filename', `not a string (found ${kindOf(value.filename)})`);
  if (!Array.isArray(value.table)) return fail('table', `missing or not an array of rows (found ${kindOf(value.table)})`);
  const table = value.table.map((row, r) => strings(`table[${r}]`, row));

  const qa = value.qa;
  if (!isObject(qa)) return fail('qa', `missing or not an object (found ${kindOf(qa)})`);
  const text = (field: string, optional: boolean): string | undefined => {
    const v = qa[field];
    if ((v === undefined && optional) || typeof v === 'string') return v as string | undefined;
    return fail(`qa.${field}`, `${optional ? 'not' : 'missing or not'} a string (found ${kindOf(v)})`);
  };
  const question = text('question', false) as string;
  const program = text('program', !gold) ?? '';
  const goldInds = qa.gold_inds ?? (gold ? undefined : {});
  if (!isObject(goldInds)) return fail('qa.gold_inds', `missing or not an object such as {"text_3": "...", "table_1": "..."} (found ${kindOf(goldInds)})`);
  for (const [key, sentence] of Object.entries(goldInds)) {
    if (!GOLD_KEY.test(key)) return fail(`qa.gold_inds.${key}`, 'keys must be text_N or table_N');
    if (typeof sentence !== 'string') return fail(`qa.gold_inds.${key}`, `not a string (found ${kindOf(sentence)})`);
  }
  const exeAns = qa.exe_ans ?? (gold ? undefined : '');
  if (typeof exeAns !== 'number' && typeof exeAns !== 'string') return fail('qa.exe_ans', `missing or not a number or "yes"/"no" (found ${kindOf(exeAns)})`);

  const entry: FinqaEntry = {
    id,
    preText,
    postText,
    table,
    qa: { question, program, goldInds: goldInds as Record<string, string>, exeAns },
  };
  if (value.filename !== undefined) entry.filename = value.filename as string;
  const answer = text('answer', true);
  if (answer !== undefined) entry.qa.answer = answer;
  const programRe = text('program_re', true);
  if (programRe !== undefined) entry.qa.programRe = programRe;
  if (qa.model_input !== undefined) entry.qa.modelInput = modelInput(qa.model_input, fail);
  return entry;
}

function modelInput(v: unknown, fail: (field: string, problem: string) => never): Array<[string, string]> {
  if (!Array.isArray(v)) return fail('qa.model_input', `not an array of [key, sentence] pairs (found ${kindOf(v)})`);
  return v.map((pair: unknown, k) => {
    if (Array.isArray(pair) && pair.length === 2 && typeof pair[0] === 'string' && typeof pair[1] === 'string') return [pair[0], pair[1]];
    return fail(`qa.model_input[${k}]`, `not a [key, sentence] pair of two strings (found ${JSON.stringify(pair)?.slice(0, 80)})`);
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function kindOf(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v).slice(0, 40)}`;
}
