// FinQA reasoning programs (github.com/czyssrs/FinQA, the `qa.program` field): the op and constant
// vocabulary, the parser from program text to typed steps with the errors it reports, and the
// op keys (`divide0`, `divide1`) and concat program (`divide0_divide1`) built from the steps.
//
// Text form: steps `op(arg1, arg2)` joined by ", "; `#N` is step N's result. FinQA splits the text on
// ", " and then on parentheses (code/evaluate/evaluate.py `program_tokenization`). This parser reads
// the same language, step by step, with one rule that FinQA's splitter lacks: a table op's first
// argument is a row name, which may contain ", " and balanced parentheses, so it is everything
// between the op's "(" and the LAST ", " before the step's closing ")" (e.g.
// `table_max(cash, end of year, none)` has row `cash, end of year`). Arithmetic arguments are split on
// every comma followed by whitespace, so `1,234` stays one number, as in FinQA.

/** FinQA's ops (code/evaluate/evaluate.py `all_ops`), each taking two arguments. */
export const FINQA_OPS = ['add', 'subtract', 'multiply', 'divide', 'exp', 'greater', 'table_max', 'table_min', 'table_sum', 'table_average'] as const;
export type FinqaOp = (typeof FINQA_OPS)[number];
export type TableOp = 'table_max' | 'table_min' | 'table_sum' | 'table_average';

/** The constants the FinQA generator can emit (code/generator/constant_list.txt, lower-cased as in the data). */
export const FINQA_CONSTANTS: Readonly<Record<string, number>> = {
  const_2: 2,
  const_1: 1,
  const_3: 3,
  const_4: 4,
  const_5: 5,
  const_6: 6,
  const_7: 7,
  const_8: 8,
  const_9: 9,
  const_10: 10,
  const_100: 100,
  const_1000: 1000,
  const_10000: 10000,
  const_100000: 100000,
  const_1000000: 1000000,
  const_10000000: 10000000,
  const_1000000000: 1000000000,
  const_m1: -1,
};

export type ProgramArg =
  | { kind: 'number'; value: number; text: string }
  | { kind: 'step'; index: number }
  | { kind: 'const'; name: string; value: number }
  | { kind: 'row'; name: string }
  | { kind: 'none' };

export interface ProgramStep {
  op: FinqaOp;
  args: ProgramArg[];
}

export type ProgramErrorReason = 'empty' | 'unbalanced' | 'bad-separator' | 'unknown-op' | 'bad-arity' | 'bad-argument' | 'bad-step-ref';

/** A program that cannot be parsed; `position` is the 0-based character offset of the fault. */
export class ProgramError extends Error {
  override readonly name = 'ProgramError';

  constructor(
    readonly reason: ProgramErrorReason,
    readonly program: string,
    readonly position: number,
    readonly step: number | undefined,
    problem: string,
  ) {
    super(`FinQA program ${JSON.stringify(program)}: ${step === undefined ? '' : `step ${step}, `}character ${position}: ${problem}`);
  }
}

export type ProgramValidation = { ok: true; steps: ProgramStep[] } | { ok: false; error: ProgramError };

const OP_SET: ReadonlySet<string> = new Set(FINQA_OPS);
const ARG_SEPARATOR = /,\s+/g;
const STEP_REF = /^#(\d+)$/;
// evaluate.py `str_to_num` strips "const_" and reads the rest as a float, `m1` meaning -1.
const CONSTANT = /^const_(m1|\d+)$/;
// What Python's float() reads, less inf/nan and digit underscores.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function isTableOp(op: FinqaOp): op is TableOp {
  return op.startsWith('table_');
}

/**
 * Reads a number as FinQA's `str_to_num` (code/evaluate/evaluate.py) does: commas removed, a trailing
 * `%` divides by 100, `const_N` is N and `const_m1` is -1. Returns undefined for anything else.
 */
export function finqaNumber(text: string): number | undefined {
  const plain = text.replace(/,/g, '').trim();
  if (DECIMAL.test(plain)) return Number(plain);
  if (plain.endsWith('%')) {
    const body = plain.slice(0, -1).trim();
    return DECIMAL.test(body) ? Number(body) / 100 : undefined;
  }
  const constant = CONSTANT.exec(plain);
  if (constant) return constant[1] === 'm1' ? -1 : Number(constant[1]);
  return undefined;
}

/** Parses program text into steps; throws a ProgramError for the first fault. */
export function parseProgram(program: string): ProgramStep[] {
  const fail = (reason: ProgramErrorReason, position: number, step: number | undefined, problem: string): never => {
    throw new ProgramError(reason, program, position, step, problem);
  };
  if (program.trim() === '') return fail('empty', 0, undefined, 'the program is empty');

  const steps: ProgramStep[] = [];
  let at = skipSpace(program, 0);
  for (;;) {
    const index = steps.length;
    const end = opEnd(program, at);
    const opText = program.slice(at, end).trim();
    const stop = program[end];
    if (opText === '' && stop === ',') return fail('bad-separator', end, index, 'two separators with no step between them');
    if (opText === '' && stop === ')') return fail('unbalanced', end, index, '")" without a matching "("');
    if (opText === '') return fail('unknown-op', at, index, `expected an op (one of ${FINQA_OPS.join(', ')}) before "("`);
    if (!OP_SET.has(opText)) return fail('unknown-op', at, index, `unknown op ${JSON.stringify(opText)}; FinQA's ops are ${FINQA_OPS.join(', ')}`);
    const op = opText as FinqaOp;
    if (stop !== '(') return fail('unbalanced', end, index, `"(" missing after ${op}`);
    const open = end;
    const close = findClose(program, open);
    if (close === -1) return fail('unbalanced', program.length, index, `")" missing: ${op}( at character ${open} is never closed`);
    steps.push({ op, args: parseArgs(op, program.slice(open + 1, close), open + 1, index, fail) });

    at = skipSpace(program, close + 1);
    if (at === program.length) return steps;
    if (program[at] === ')') return fail('unbalanced', at, index, '")" without a matching "("');
    if (program[at] !== ',') return fail('bad-separator', at, index, 'steps must be separated by ", "');
    at = skipSpace(program, at + 1);
    if (at === program.length) return fail('bad-separator', at, index + 1, 'the program ends with a separator instead of a step');
  }
}

/** Parses without throwing: the steps, or the first fault as a ProgramError. */
export function validateProgram(program: string): ProgramValidation {
  try {
    return { ok: true, steps: parseProgram(program) };
  } catch (e) {
    if (e instanceof ProgramError) return { ok: false, error: e };
    throw e;
  }
}

/** FinQA's per-step keys, op name then step index (`get_program_op_args`): `['divide0', 'divide1']`. */
export function opKeys(steps: readonly ProgramStep[]): string[] {
  return steps.map((step, index) => `${step.op}${index}`);
}

/** The op keys joined by `_`, e.g. `divide0_divide1`. */
export function concatProgram(steps: readonly ProgramStep[]): string {
  return opKeys(steps).join('_');
}

type Fail = (reason: ProgramErrorReason, position: number, step: number | undefined, problem: string) => never;

function parseArgs(op: FinqaOp, inner: string, offset: number, index: number, fail: Fail): ProgramArg[] {
  const separators = [...inner.matchAll(ARG_SEPARATOR)];
  if (isTableOp(op)) {
    const last = separators[separators.length - 1];
    if (last?.index === undefined)
      return fail('bad-arity', offset, index, `${op} takes 2 arguments, a row name and none; found ${inner.trim() === '' ? 0 : 1}`);
    const row = inner.slice(0, last.index).trim();
    const second = inner.slice(last.index + last[0].length).trim();
    const secondAt = offset + last.index + last[0].length;
    if (row === '') return fail('bad-argument', offset, index, `${op} has an empty row name`);
    if (STEP_REF.test(row)) return fail('bad-argument', offset, index, `${op} takes a table row name, not the step result ${row}`);
    if (second === '') return fail('bad-argument', secondAt, index, `${op} has an empty second argument; it must be none`);
    if (second !== 'none') return fail('bad-argument', secondAt, index, `${op}'s second argument must be none, found ${JSON.stringify(second)}`);
    return [{ kind: 'row', name: row }, { kind: 'none' }];
  }

  const nested = inner.search(/[()]/);
  if (nested !== -1)
    return fail('bad-argument', offset + nested, index, `${op} arguments cannot contain parentheses (nested steps are not part of the step form)`);
  if (inner.trim() === '') return fail('bad-arity', offset, index, `${op} takes 2 arguments; found 0`);
  if (separators.length !== 1) return fail('bad-arity', offset, index, `${op} takes 2 arguments; found ${separators.length + 1}`);
  const cut = separators[0].index ?? 0;
  return [
    parseValueArg(op, inner.slice(0, cut), offset, index, fail),
    parseValueArg(op, inner.slice(cut + separators[0][0].length), offset + cut + separators[0][0].length, index, fail),
  ];
}

function parseValueArg(op: FinqaOp, raw: string, offset: number, index: number, fail: Fail): ProgramArg {
  const text = raw.trim();
  const at = offset + (raw.length - raw.trimStart().length);
  if (text === '') return fail('bad-argument', at, index, `${op} has an empty argument`);
  if (text.includes('#')) {
    const ref = STEP_REF.exec(text);
    if (!ref) return fail('bad-step-ref', at, index, `${JSON.stringify(text)} is not a step reference such as #0`);
    const target = Number(ref[1]);
    if (target >= index) {
      const allowed = index === 0 ? 'the first step has no earlier results' : `step ${index} can only use #0..#${index - 1}`;
      return fail('bad-step-ref', at, index, `${text} refers to step ${target}, which is not an earlier step; ${allowed}`);
    }
    return { kind: 'step', index: target };
  }
  if (CONSTANT.test(text)) return { kind: 'const', name: text, value: finqaNumber(text) as number };
  const value = finqaNumber(text);
  if (value === undefined) return fail('bad-argument', at, index, `${JSON.stringify(text)} is not a number, a percentage, a const_ or a #N`);
  return { kind: 'number', value, text };
}

function skipSpace(text: string, from: number): number {
  let at = from;
  while (at < text.length && /\s/.test(text[at])) at++;
  return at;
}

/** Where the op text starting at `from` ends: the first "(", "," or ")", or the end of the text. */
function opEnd(text: string, from: number): number {
  let at = from;
  while (at < text.length && !'(),'.includes(text[at])) at++;
  return at;
}

/** The ")" that balances the "(" at `open`, or -1. */
function findClose(text: string, open: number): number {
  let depth = 0;
  for (let at = open; at < text.length; at++) {
    if (text[at] === '(') depth++;
    else if (text[at] === ')' && --depth === 0) return at;
  }
  return -1;
}
