// FinQA program text to the token sequence FinQA's generator is trained on (code/generator/finqa_utils.py
// `program_tokenization`): each step becomes `op(`, its two arguments, `)`, and the sequence ends in `EOF`.
//
// FinQA's own splitter cuts on ", " and then on parentheses, so a row name such as `cash, end of year`
// comes out as two tokens and the step no longer has FinQA's op/arg/arg/")" shape (its evaluate.py then
// rejects it). Here the text is parsed first (program_ops.ts `parseProgram`): a table op's row name is
// everything up to the last ", " in the step and stays ONE token, as FinQA's model emits a table row name
// as one token. Well-formed programs without such rows give exactly FinQA's tokens. Ill-formed
// programs throw a ProgramError instead of giving tokens FinQA's executor would later reject.
import { ProgramArg, ProgramError, ProgramStep, parseProgram } from './program_ops';

export { ProgramError };
export type { ProgramErrorReason } from './program_ops';

export const END_OF_PROGRAM = 'EOF';

/** `divide(100, 100), divide(3.8, #0)` -> `divide(`, `100`, `100`, `)`, `divide(`, `3.8`, `#0`, `)`, `EOF`. Throws ProgramError. */
export function tokenizeProgram(program: string): string[] {
  return stepsToTokens(parseProgram(program));
}

/** The token sequence of parsed steps, arguments written as in the program text. */
export function stepsToTokens(steps: readonly ProgramStep[]): string[] {
  const tokens: string[] = [];
  for (const step of steps) tokens.push(`${step.op}(`, ...step.args.map(argToken), ')');
  tokens.push(END_OF_PROGRAM);
  return tokens;
}

function argToken(arg: ProgramArg): string {
  switch (arg.kind) {
    case 'number':
      return arg.text;
    case 'step':
      return `#${arg.index}`;
    case 'const':
      return arg.name;
    case 'row':
      return arg.name;
    case 'none':
      return 'none';
  }
}
