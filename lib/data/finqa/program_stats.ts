// Statistics of the reasoning programs of FinQA files, gathered one entry at a time (`bertrun finqa stats`):
// valid and invalid programs, concat programs (`divide0_divide1`), op keys and op names, program lengths,
// and whether each gold program executes to its `exe_ans`. Memory grows with the number of distinct
// programs and op keys, never with the number of entries: only counts and the first few examples are kept.
import type { FinqaEntry, FinqaQa } from './finqa_entry';
import { executeProgram, executionMatches, type ExecutionErrorReason } from './program_executor';
import { FINQA_OPS, concatProgram, opKeys, validateProgram, type FinqaOp, type ProgramErrorReason } from './program_ops';
import { stepsToTokens } from './program_tokens';

/** What the statistics need of an entry: a {@link FinqaRecord} from `finqaEntries` fits. */
export type StatsEntry = Pick<FinqaEntry, 'id' | 'table'> & { qa: Pick<FinqaQa, 'program' | 'exeAns'>; index: number; line?: number };

/** An entry at fault: its file, 0-based index in the file's array, the line of its `{` when known, id, and what is wrong. */
export interface EntryExample {
  file: string;
  index: number;
  line?: number;
  id: string;
  message: string;
}

export interface ReasonCount {
  count: number;
  /** The first entries with this reason, in reading order. */
  examples: EntryExample[];
}

/** Why a valid gold program does not give its `exe_ans`: it fails to run, or it runs to another value. */
export type ExecutionFailureReason = ExecutionErrorReason | 'wrong-answer';

export interface ProgramStatsSummary {
  entries: number;
  validPrograms: number;
  invalidPrograms: number;
  /** Programs that do not parse, by ProgramError reason, most frequent first. */
  invalidByReason: Partial<Record<ProgramErrorReason, ReasonCount>>;
  /** Valid programs by concat program (op keys joined by `_`), most frequent first. */
  concatPrograms: Record<string, number>;
  /** Steps by op key (op name and step index, `divide1`), most frequent first. */
  opKeys: Record<string, number>;
  /** Steps by op name, every FinQA op listed (0 when unused), most frequent first. */
  ops: Record<FinqaOp, number>;
  /** Valid programs by number of steps (keys are step counts, ascending); mean and max are 0 without valid programs. */
  steps: { histogram: Record<string, number>; mean: number; max: number };
  /** Length of the generator's target sequence (program_tokens.ts, `EOF` included). */
  tokens: { mean: number; max: number };
  /**
   * The valid gold programs executed on their entry's table and compared with `exe_ans` by FinQA's
   * rule (`executionMatches`); invalid programs are not counted here (they are in invalidByReason).
   */
  execution: { correct: number; total: number; accuracy: number; failures: Partial<Record<ExecutionFailureReason, ReasonCount>> };
}

export interface FileProgramStats extends ProgramStatsSummary {
  file: string;
}

export interface ProgramStatsResult {
  /** One per file, in the order their first entry was added. */
  files: FileProgramStats[];
  total: ProgramStatsSummary;
}

export interface ProgramStatsOptions {
  /** Examples kept per invalid or execution-failure reason (default 5). */
  maxExamples?: number;
}

type Outcome =
  | { valid: false; reason: ProgramErrorReason; example: EntryExample }
  | {
      valid: true;
      concat: string;
      keys: string[];
      ops: FinqaOp[];
      tokens: number;
      failure?: { reason: ExecutionFailureReason; example: EntryExample };
    };

/** Add every entry of every file with {@link add}, then read {@link result}. */
export class ProgramStats {
  private readonly maxExamples: number;
  private readonly perFile = new Map<string, Tally>();
  private readonly total: Tally;

  constructor(options: ProgramStatsOptions = {}) {
    this.maxExamples = options.maxExamples ?? 5;
    if (!Number.isInteger(this.maxExamples) || this.maxExamples < 0) throw new RangeError(`maxExamples must be an integer >= 0, got ${this.maxExamples}`);
    this.total = new Tally(this.maxExamples);
  }

  add(entry: StatsEntry, file: string): void {
    let tally = this.perFile.get(file);
    if (tally === undefined) {
      tally = new Tally(this.maxExamples);
      this.perFile.set(file, tally);
    }
    const outcome = judge(entry, file);
    tally.add(outcome);
    this.total.add(outcome);
  }

  result(): ProgramStatsResult {
    return { files: [...this.perFile].map(([file, tally]) => ({ file, ...tally.summary() })), total: this.total.summary() };
  }
}

function judge(entry: StatsEntry, file: string): Outcome {
  const { program, exeAns } = entry.qa;
  const example = (message: string): EntryExample => ({
    file,
    index: entry.index,
    ...(entry.line === undefined ? {} : { line: entry.line }),
    id: entry.id,
    message,
  });
  const parsed = validateProgram(program);
  if (!parsed.ok) return { valid: false, reason: parsed.error.reason, example: example(parsed.error.message) };
  const { steps } = parsed;
  const outcome: Outcome = {
    valid: true,
    concat: concatProgram(steps),
    keys: opKeys(steps),
    ops: steps.map((s) => s.op),
    tokens: stepsToTokens(steps).length,
  };
  const run = executeProgram(steps, entry.table);
  const where = `FinQA program ${JSON.stringify(program)}: `;
  if (!run.ok) outcome.failure = { reason: run.reason, example: example(where + run.message) };
  else if (!executionMatches(run.value, exeAns))
    outcome.failure = {
      reason: 'wrong-answer',
      example: example(`${where}executes to ${JSON.stringify(run.value)}, but exe_ans is ${JSON.stringify(exeAns)}`),
    };
  return outcome;
}

class Tally {
  private entries = 0;
  private valid = 0;
  private readonly invalidByReason = new Map<ProgramErrorReason, ReasonCount>();
  private readonly concat = new Map<string, number>();
  private readonly keys = new Map<string, number>();
  private readonly ops = new Map<FinqaOp, number>(FINQA_OPS.map((op) => [op, 0]));
  private readonly stepHistogram = new Map<number, number>();
  private stepSum = 0;
  private stepMax = 0;
  private tokenSum = 0;
  private tokenMax = 0;
  private correct = 0;
  private readonly failures = new Map<ExecutionFailureReason, ReasonCount>();

  constructor(private readonly maxExamples: number) {}

  add(outcome: Outcome): void {
    this.entries++;
    if (!outcome.valid) {
      this.note(this.invalidByReason, outcome.reason, outcome.example);
      return;
    }
    this.valid++;
    increment(this.concat, outcome.concat);
    for (const key of outcome.keys) increment(this.keys, key);
    for (const op of outcome.ops) increment(this.ops, op);
    const steps = outcome.ops.length;
    increment(this.stepHistogram, steps);
    this.stepSum += steps;
    this.stepMax = Math.max(this.stepMax, steps);
    this.tokenSum += outcome.tokens;
    this.tokenMax = Math.max(this.tokenMax, outcome.tokens);
    if (outcome.failure) this.note(this.failures, outcome.failure.reason, outcome.failure.example);
    else this.correct++;
  }

  summary(): ProgramStatsSummary {
    const mean = (sum: number): number => (this.valid === 0 ? 0 : sum / this.valid);
    return {
      entries: this.entries,
      validPrograms: this.valid,
      invalidPrograms: this.entries - this.valid,
      invalidByReason: byCount(this.invalidByReason, (r) => r.count, copyReason),
      concatPrograms: byCount(
        this.concat,
        (n) => n,
        (n) => n,
      ),
      opKeys: byCount(
        this.keys,
        (n) => n,
        (n) => n,
      ),
      ops: byCount(
        this.ops,
        (n) => n,
        (n) => n,
      ) as Record<FinqaOp, number>,
      steps: {
        histogram: Object.fromEntries([...this.stepHistogram].sort(([a], [b]) => a - b).map(([steps, n]) => [String(steps), n])),
        mean: mean(this.stepSum),
        max: this.stepMax,
      },
      tokens: { mean: mean(this.tokenSum), max: this.tokenMax },
      execution: {
        correct: this.correct,
        total: this.valid,
        accuracy: this.valid === 0 ? 0 : this.correct / this.valid,
        failures: byCount(this.failures, (r) => r.count, copyReason),
      },
    };
  }

  private note<R>(map: Map<R, ReasonCount>, reason: R, example: EntryExample): void {
    let counted = map.get(reason);
    if (counted === undefined) {
      counted = { count: 0, examples: [] };
      map.set(reason, counted);
    }
    counted.count++;
    if (counted.examples.length < this.maxExamples) counted.examples.push(example);
  }
}

function increment<K>(map: Map<K, number>, key: K): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function copyReason(r: ReasonCount): ReasonCount {
  return { count: r.count, examples: r.examples.map((e) => ({ ...e })) };
}

/** The map as an object, most frequent first, ties in key order (so that the order does not depend on the order of reading). */
function byCount<K extends string, V, O>(map: Map<K, V>, count: (v: V) => number, copy: (v: V) => O): Record<K, O> {
  const sorted = [...map].sort(([ka, a], [kb, b]) => count(b) - count(a) || (ka < kb ? -1 : ka > kb ? 1 : 0));
  return Object.fromEntries(sorted.map(([k, v]) => [k, copy(v)])) as Record<K, O>;
}
