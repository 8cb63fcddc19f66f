// Runs parsed FinQA programs over an entry's table and scores them against `qa.exe_ans`, with the
// semantics of FinQA's evaluator (code/evaluate/evaluate.py `eval_program`, `process_row`,
// `str_to_num`, `evaluate_result`; code/generator/utils.py holds the same functions).
import { ProgramErrorReason, ProgramStep, TableOp, finqaNumber, isTableOp, validateProgram } from './program_ops';

export type YesNo = 'yes' | 'no';
export type ProgramValue = number | YesNo;

export type ExecutionErrorReason =
  /** A step uses the yes/no result of a `greater` step as a number (a TypeError in FinQA). */
  | 'yes-no-operand'
  | 'division-by-zero'
  /** A result is infinite or not a number, e.g. `exp(-8, 0.5)`, which Python makes complex. */
  | 'non-finite'
  | 'row-not-found'
  /** A cell of the row is not a number once FinQA's `process_row` has cleaned it. */
  | 'row-not-numeric'
  /** table_max/min/average of a row with no cells after its name. */
  | 'empty-row';

export type ExecutionResult = { ok: true; value: ProgramValue } | { ok: false; reason: ExecutionErrorReason; message: string };

/**
 * Executes steps in order; the program's value is the last step's, a number rounded to 5 decimals as
 * `eval_program` does (Python's `round(x, 5)`), or 'yes'/'no' from `greater`. Steps that parseProgram
 * cannot produce (none at all, a forward #N, a row argument to arithmetic) throw a RangeError.
 */
export function executeProgram(steps: readonly ProgramStep[], table: readonly (readonly string[])[]): ExecutionResult {
  const results: ProgramValue[] = [];
  for (const [index, step] of steps.entries()) {
    const done = isTableOp(step.op) ? tableStep(step.op, step, index, table) : mathStep(step, index, results);
    if (!done.ok) return done;
    if (typeof done.value === 'number' && !Number.isFinite(done.value)) return failure('non-finite', index, `${step.op} gives ${done.value}`);
    results.push(done.value);
  }
  if (results.length === 0) throw new RangeError('a FinQA program has at least one step');
  const last = results[results.length - 1];
  return { ok: true, value: typeof last === 'number' ? roundLikePython(last, 5) : last };
}

/**
 * FinQA's execution-accuracy rule (evaluate.py `evaluate_result`): the prediction, rounded to 5
 * decimals, must EQUAL `exe_ans` exactly (`exe_res == gold_res`); there is no tolerance beyond that
 * rounding, and `exe_ans` itself is not rounded. 'yes'/'no' match only the same string.
 */
export function executionMatches(predicted: ProgramValue, exeAns: number | string): boolean {
  if (typeof predicted !== 'number') return predicted === exeAns;
  return typeof exeAns === 'number' && roundLikePython(predicted, 5) === exeAns;
}

export interface ExecutionItem {
  program: string;
  table: readonly (readonly string[])[];
  exeAns: number | string;
}

export interface ExecutionAccuracy {
  correct: number;
  total: number;
  /** correct / total; 0 for no items. */
  accuracy: number;
  /** Why programs failed: a parse reason, an execution reason, or 'wrong-answer' for one that ran but did not match. */
  failures: Partial<Record<ProgramErrorReason | ExecutionErrorReason | 'wrong-answer', number>>;
}

/** Parses, runs and scores each item; a program that does not parse or run counts as wrong, as in FinQA. */
export function executionAccuracy(items: Iterable<ExecutionItem>): ExecutionAccuracy {
  let correct = 0;
  let total = 0;
  const failures: ExecutionAccuracy['failures'] = {};
  const count = (reason: keyof ExecutionAccuracy['failures']): void => {
    failures[reason] = (failures[reason] ?? 0) + 1;
  };
  for (const item of items) {
    total++;
    const parsed = validateProgram(item.program);
    if (!parsed.ok) {
      count(parsed.error.reason);
      continue;
    }
    const run = executeProgram(parsed.steps, item.table);
    if (!run.ok) count(run.reason);
    else if (executionMatches(run.value, item.exeAns)) correct++;
    else count('wrong-answer');
  }
  return { correct, total, accuracy: total === 0 ? 0 : correct / total, failures };
}

/**
 * Python's `round(x, ndigits)` for floats: the exact binary value of `x` rounded half-to-even at
 * `ndigits` decimals, then read back as the nearest double. `Number(x.toFixed(n))` differs on exact
 * ties, e.g. 0.015625 (= 1/64) rounds to 0.01562 in Python and "0.01563" with toFixed.
 */
export function roundLikePython(x: number, ndigits: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const high = view.getUint32(0);
  const biasedExponent = high >>> 20;
  const fraction = (BigInt(high & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  // |x| = mantissa * 2^exponent, exactly.
  const mantissa = biasedExponent === 0 ? fraction : fraction | (1n << 52n);
  const exponent = biasedExponent === 0 ? -1074 : biasedExponent - 1075;
  let numerator = mantissa * 10n ** BigInt(ndigits);
  let denominator = 1n;
  if (exponent >= 0) numerator <<= BigInt(exponent);
  else denominator <<= BigInt(-exponent);
  let quotient = numerator / denominator;
  const twiceRemainder = (numerator % denominator) * 2n;
  if (twiceRemainder > denominator || (twiceRemainder === denominator && (quotient & 1n) === 1n)) quotient++;
  const rounded = Number(`${quotient}e-${ndigits}`);
  return x < 0 ? -rounded : rounded;
}

function failure(reason: ExecutionErrorReason, index: number, problem: string): Extract<ExecutionResult, { ok: false }> {
  return { ok: false, reason, message: `step ${index}: ${problem}` };
}

function mathStep(step: ProgramStep, index: number, results: readonly ProgramValue[]): ExecutionResult {
  const operands: number[] = [];
  for (const arg of step.args) {
    if (arg.kind === 'number' || arg.kind === 'const') operands.push(arg.value);
    else if (arg.kind === 'step') {
      if (arg.index >= index) throw new RangeError(`step ${index} refers to #${arg.index}; steps may only use earlier steps (build them with parseProgram)`);
      const value = results[arg.index];
      if (typeof value !== 'number') return failure('yes-no-operand', index, `${step.op} uses #${arg.index}, which is ${JSON.stringify(value)}, not a number`);
      operands.push(value);
    } else throw new RangeError(`step ${index}: ${step.op} cannot take a ${arg.kind} argument (build steps with parseProgram)`);
  }
  const [a, b] = operands;
  switch (step.op) {
    case 'add':
      return { ok: true, value: a + b };
    case 'subtract':
      return { ok: true, value: a - b };
    case 'multiply':
      return { ok: true, value: a * b };
    case 'divide':
      return b === 0 ? failure('division-by-zero', index, `divide(${a}, ${b}) divides by zero`) : { ok: true, value: a / b };
    case 'exp':
      // Python raises ZeroDivisionError for 0 ** negative; NaN/Infinity are caught by the caller.
      return a === 0 && b < 0 ? failure('division-by-zero', index, `exp(${a}, ${b}) divides by zero`) : { ok: true, value: a ** b };
    default:
      return { ok: true, value: a > b ? 'yes' : 'no' };
  }
}

function tableStep(op: TableOp, step: ProgramStep, index: number, table: readonly (readonly string[])[]): ExecutionResult {
  const rowArg = step.args[0];
  const name = rowArg?.kind === 'row' ? rowArg.name : '';
  // FinQA keys a dict by each row's first cell, so the LAST row with a name wins; names match exactly.
  let cells: readonly string[] | undefined;
  for (const row of table) if (row.length > 0 && row[0] === name) cells = row.slice(1);
  if (cells === undefined) return failure('row-not-found', index, `${op}: no table row is named ${JSON.stringify(name)}`);

  const numbers: number[] = [];
  for (const cell of cells) {
    const value = cellNumber(cell);
    if (value === undefined)
      return failure('row-not-numeric', index, `${op}: row ${JSON.stringify(name)} has the cell ${JSON.stringify(cell)}, which is not a number`);
    numbers.push(value);
  }
  if (op === 'table_sum') return { ok: true, value: numbers.reduce((sum, n) => sum + n, 0) };
  if (numbers.length === 0) return failure('empty-row', index, `${op}: row ${JSON.stringify(name)} has no cells`);
  if (op === 'table_max') return { ok: true, value: Math.max(...numbers) };
  if (op === 'table_min') return { ok: true, value: Math.min(...numbers) };
  return { ok: true, value: numbers.reduce((sum, n) => sum + n, 0) / numbers.length };
}

/** `process_row` on one cell: drop every "$", keep the text before the first "(", then `str_to_num`. */
function cellNumber(cell: string): number | undefined {
  const kept = cell.replace(/\$/g, '').trim().split('(')[0].trim();
  return finqaNumber(kept);
}
