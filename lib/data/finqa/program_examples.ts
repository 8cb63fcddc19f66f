// FinQA entries as training examples of the program classifier (bertrun train --task
// finqa-program): the model input text, the gold program's steps, its concat program
// (`subtract0_divide1`) and op keys (`subtract0`, `divide1`). Ill-formed programs are counted by
// reason and left out, or refused (invalid = 'refuse'); a file with no usable entry stops the run
// before training, naming the file (seed 000's DataLoader with num_samples=0).
import { DataError } from '../readers/data_error';
import { finqaEntries } from './finqa_reader';
import { finqaModelInput } from './model_input';
import { concatProgram, opKeys, validateProgram, type ProgramErrorReason, type ProgramStep } from './program_ops';

export interface ProgramExample {
  id: string;
  question: string;
  context: string;
  program: string;
  steps: ProgramStep[];
  concat: string;
  opKeys: string[];
  exeAns: number | string;
  table: string[][];
}

export interface ProgramExamples {
  file: string;
  examples: ProgramExample[];
  /** Entries whose program could not be parsed, by reason, with the first few locations. */
  invalid: { count: number; byReason: Partial<Record<ProgramErrorReason, number>>; first: string[] };
}

const REPORTED = 5;

/** Reads a FinQA file (streamed) into program examples; `limit` keeps the first N entries. */
export async function readProgramExamples(file: string, invalid: 'skip' | 'refuse', limit?: number): Promise<ProgramExamples> {
  const out: ProgramExamples = { file, examples: [], invalid: { count: 0, byReason: {}, first: [] } };
  let entries = 0;
  for await (const entry of finqaEntries(file)) {
    if (limit !== undefined && entries >= limit) break;
    entries++;
    const parsed = validateProgram(entry.qa.program);
    if (!parsed.ok) {
      const where = `entry ${entry.index} (id ${JSON.stringify(entry.id)}), line ${entry.line}`;
      if (invalid === 'refuse') {
        throw new DataError(
          'MALFORMED_ROW',
          file,
          entry.line,
          `entry ${entry.index} (id ${JSON.stringify(entry.id)}): qa.program: ${parsed.error.message}`,
          'Fix the program, or pass --invalid_programs skip to leave such entries out (they are counted and reported)',
        );
      }
      const { reason } = parsed.error;
      out.invalid.count++;
      out.invalid.byReason[reason] = (out.invalid.byReason[reason] ?? 0) + 1;
      if (out.invalid.first.length < REPORTED) out.invalid.first.push(`${where}: ${reason}`);
      continue;
    }
    const { question, context } = finqaModelInput(entry);
    out.examples.push({
      id: entry.id,
      question,
      context,
      program: entry.qa.program,
      steps: parsed.steps,
      concat: concatProgram(parsed.steps),
      opKeys: opKeys(parsed.steps),
      exeAns: entry.qa.exeAns,
      table: entry.table,
    });
  }
  if (out.examples.length === 0) {
    throw new DataError(
      'EMPTY_DATASET',
      file,
      undefined,
      `no usable FinQA entry: ${entries} entries, ${out.invalid.count} with an invalid program`,
      out.invalid.count > 0 ? `Fix the programs (bertrun finqa stats ${file} lists them)` : 'Check that the file holds FinQA entries',
    );
  }
  return out;
}

/** What the model reads for an entry to predict for: every entry, whatever its program (if any). */
export interface ProgramQuestion {
  id: string;
  question: string;
  context: string;
}

/** The entries of a file to predict programs for (qa.program, gold_inds and exe_ans may be absent). */
export async function readProgramQuestions(file: string, limit?: number): Promise<ProgramQuestion[]> {
  const out: ProgramQuestion[] = [];
  for await (const entry of finqaEntries(file, { gold: false })) {
    if (limit !== undefined && out.length >= limit) break;
    out.push({ id: entry.id, ...finqaModelInput(entry) });
  }
  return out;
}

/** One line about the programs left out, or undefined when there were none. */
export function invalidProgramsWarning({ file, invalid }: ProgramExamples): string | undefined {
  if (invalid.count === 0) return undefined;
  const reasons = Object.entries(invalid.byReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ');
  return `warning: ${file}: ${invalid.count} entries with an invalid program left out (${reasons}); first: ${invalid.first.join('; ')}`;
}
