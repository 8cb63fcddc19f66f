// FinQA program text: tokens (FinQA's program_tokenization), typed steps, op keys / concat program,
// and the ProgramError reasons for ill-formed programs. Expected values are worked out by hand.
import {
  FINQA_CONSTANTS,
  FINQA_OPS,
  ProgramError,
  ProgramErrorReason,
  concatProgram,
  finqaNumber,
  opKeys,
  parseProgram,
  validateProgram,
} from '../../lib/data/finqa/program_ops';
import { tokenizeProgram } from '../../lib/data/finqa/program_tokens';

function errorOf(program: string): ProgramError {
  const result = validateProgram(program);
  if (result.ok) throw new Error(`expected ${JSON.stringify(program)} to be rejected`);
  return result.error;
}

describe('tokenizeProgram', () => {
  it("gives FinQA's tokens for the seed's example", () => {
    expect(tokenizeProgram('divide(100, 100), divide(3.8, #0)')).toEqual(['divide(', '100', '100', ')', 'divide(', '3.8', '#0', ')', 'EOF']);
  });

  it('keeps a number with a thousands comma as one token, as splitting on ", " does', () => {
    expect(tokenizeProgram('subtract(1,234, 5%), multiply(#0, const_m1)')).toEqual([
      'subtract(',
      '1,234',
      '5%',
      ')',
      'multiply(',
      '#0',
      'const_m1',
      ')',
      'EOF',
    ]);
  });

  it('keeps a table row name with spaces as one token followed by none', () => {
    expect(tokenizeProgram('table_sum(net revenue, none), divide(#0, const_1000)')).toEqual([
      'table_sum(',
      'net revenue',
      'none',
      ')',
      'divide(',
      '#0',
      'const_1000',
      ')',
      'EOF',
    ]);
  });

  it('keeps a row name containing ", " as one token: the last ", " in a table step separates the row name from none', () => {
    expect(tokenizeProgram('table_max(cash, end of year, none)')).toEqual(['table_max(', 'cash, end of year', 'none', ')', 'EOF']);
    expect(tokenizeProgram('table_min(total, net, none, none)')).toEqual(['table_min(', 'total, net, none', 'none', ')', 'EOF']);
  });

  it('keeps a row name with balanced parentheses as one token', () => {
    expect(tokenizeProgram('table_average(net income (loss), none)')).toEqual(['table_average(', 'net income (loss)', 'none', ')', 'EOF']);
  });

  it('trims spaces around ops and arguments', () => {
    expect(tokenizeProgram('  add( 1 ,  2 ) ,exp(#0, 2)  ')).toEqual(['add(', '1', '2', ')', 'exp(', '#0', '2', ')', 'EOF']);
  });

  it('throws a ProgramError for an ill-formed program', () => {
    expect(() => tokenizeProgram('divide(1, 2), sum(#0, 3)')).toThrow(ProgramError);
    expect(() => tokenizeProgram('divide(1, 2), sum(#0, 3)')).toThrow('FinQA program "divide(1, 2), sum(#0, 3)": step 1, character 14: unknown op "sum"');
  });
});

describe('parseProgram', () => {
  it('lists the ten FinQA ops', () => {
    expect(FINQA_OPS).toEqual(['add', 'subtract', 'multiply', 'divide', 'exp', 'greater', 'table_max', 'table_min', 'table_sum', 'table_average']);
  });

  it('types every kind of argument', () => {
    expect(parseProgram('add(1,234, 5%), subtract(#0, const_m1), table_max(cash, end of year, none), greater(-0.5, .25)')).toEqual([
      {
        op: 'add',
        args: [
          { kind: 'number', value: 1234, text: '1,234' },
          { kind: 'number', value: 0.05, text: '5%' },
        ],
      },
      {
        op: 'subtract',
        args: [
          { kind: 'step', index: 0 },
          { kind: 'const', name: 'const_m1', value: -1 },
        ],
      },
      { op: 'table_max', args: [{ kind: 'row', name: 'cash, end of year' }, { kind: 'none' }] },
      {
        op: 'greater',
        args: [
          { kind: 'number', value: -0.5, text: '-0.5' },
          { kind: 'number', value: 0.25, text: '.25' },
        ],
      },
    ]);
  });

  it("reads FinQA's constants to their values", () => {
    const program = Object.keys(FINQA_CONSTANTS)
      .map((name) => `add(${name}, 0)`)
      .join(', ');
    const values = parseProgram(program).map((step) => step.args[0]);
    expect(values).toEqual([
      { kind: 'const', name: 'const_2', value: 2 },
      { kind: 'const', name: 'const_1', value: 1 },
      { kind: 'const', name: 'const_3', value: 3 },
      { kind: 'const', name: 'const_4', value: 4 },
      { kind: 'const', name: 'const_5', value: 5 },
      { kind: 'const', name: 'const_6', value: 6 },
      { kind: 'const', name: 'const_7', value: 7 },
      { kind: 'const', name: 'const_8', value: 8 },
      { kind: 'const', name: 'const_9', value: 9 },
      { kind: 'const', name: 'const_10', value: 10 },
      { kind: 'const', name: 'const_100', value: 100 },
      { kind: 'const', name: 'const_1000', value: 1000 },
      { kind: 'const', name: 'const_10000', value: 10000 },
      { kind: 'const', name: 'const_100000', value: 100000 },
      { kind: 'const', name: 'const_1000000', value: 1000000 },
      { kind: 'const', name: 'const_10000000', value: 10000000 },
      { kind: 'const', name: 'const_1000000000', value: 1000000000 },
      { kind: 'const', name: 'const_m1', value: -1 },
    ]);
  });

  it("reads numbers as FinQA's str_to_num does", () => {
    expect(finqaNumber('1,234.5')).toBe(1234.5);
    expect(finqaNumber('12.5%')).toBe(0.125);
    expect(finqaNumber('7.5 %')).toBe(0.075);
    expect(finqaNumber('const_12')).toBe(12);
    expect(finqaNumber('1e3')).toBe(1000);
    expect(finqaNumber('$5')).toBeUndefined();
    expect(finqaNumber('')).toBeUndefined();
    expect(finqaNumber('n/a')).toBeUndefined();
    expect(finqaNumber('%')).toBeUndefined();
  });
});

describe('opKeys and concatProgram', () => {
  it("key the seed's example as divide0, divide1 and divide0_divide1", () => {
    const steps = parseProgram('divide(100, 100), divide(3.8, #0)');
    expect(opKeys(steps)).toEqual(['divide0', 'divide1']);
    expect(concatProgram(steps)).toBe('divide0_divide1');
  });

  it('number every op by its step', () => {
    const steps = parseProgram(
      'add(1, 2), subtract(#0, 3), multiply(#1, 4), divide(#2, 5), exp(#3, 2), greater(#4, const_100), table_max(a, none), table_min(b, none), table_sum(c, none), table_average(d, none)',
    );
    expect(concatProgram(steps)).toBe('add0_subtract1_multiply2_divide3_exp4_greater5_table_max6_table_min7_table_sum8_table_average9');
  });

  it('give a one-step program a single key', () => {
    const steps = parseProgram('table_sum(net revenue, none)');
    expect(opKeys(steps)).toEqual(['table_sum0']);
    expect(concatProgram(steps)).toBe('table_sum0');
  });
});

describe('validateProgram', () => {
  it('returns the steps for a good program', () => {
    expect(validateProgram('divide(3.8, const_2)')).toEqual({
      ok: true,
      steps: [
        {
          op: 'divide',
          args: [
            { kind: 'number', value: 3.8, text: '3.8' },
            { kind: 'const', name: 'const_2', value: 2 },
          ],
        },
      ],
    });
  });

  // [program, reason, position (0-based character), step]
  const cases: Array<[string, ProgramErrorReason, number, number | undefined]> = [
    ['', 'empty', 0, undefined],
    ['   ', 'empty', 0, undefined],
    ['divide(1, 2', 'unbalanced', 11, 0],
    ['divide(1, 2))', 'unbalanced', 12, 0],
    ['divide', 'unbalanced', 6, 0],
    ['divide(1, 2), )', 'unbalanced', 14, 1],
    ['divide(1, 2) divide(3, #0)', 'bad-separator', 13, 0],
    ['divide(1, 2), ', 'bad-separator', 14, 1],
    ['divide(1, 2), , add(#0, 1)', 'bad-separator', 14, 1],
    ['sum(1, 2)', 'unknown-op', 0, 0],
    ['divide(1, 2), Divide(#0, 4)', 'unknown-op', 14, 1],
    ['(1, 2)', 'unknown-op', 0, 0],
    ['divide(1)', 'bad-arity', 7, 0],
    ['divide(1, 2, 3)', 'bad-arity', 7, 0],
    ['divide()', 'bad-arity', 7, 0],
    ['divide(1,2)', 'bad-arity', 7, 0],
    ['table_sum(net revenue)', 'bad-arity', 10, 0],
    ['divide(, 2)', 'bad-argument', 7, 0],
    ['divide(1, )', 'bad-argument', 10, 0],
    ['divide(abc, 2)', 'bad-argument', 7, 0],
    ['divide($5, 2)', 'bad-argument', 7, 0],
    ['divide(add(1, 2), 3)', 'bad-argument', 10, 0],
    ['table_max(revenue, 2019)', 'bad-argument', 19, 0],
    ['table_max(revenue, )', 'bad-argument', 19, 0],
    ['table_max(#0, none)', 'bad-argument', 10, 0],
    ['divide(#0, 2)', 'bad-step-ref', 7, 0],
    ['add(1, 2), add(#1, 3)', 'bad-step-ref', 15, 1],
    ['add(1, 2), add(1, #5)', 'bad-step-ref', 18, 1],
    ['add(1, 2), add(#x, 1)', 'bad-step-ref', 15, 1],
  ];

  it.each(cases)('rejects %j as %s at character %d', (program, reason, position, step) => {
    const error = errorOf(program);
    expect(error).toBeInstanceOf(ProgramError);
    expect(error.reason).toBe(reason);
    expect(error.position).toBe(position);
    if (step !== undefined) expect(error.step).toBe(step);
    expect(error.program).toBe(program);
    expect(error.message).toContain(`FinQA program ${JSON.stringify(program)}: `);
    expect(error.message).toContain(`character ${position}: `);
  });

  it('explains a step reference that is not to an earlier step', () => {
    expect(errorOf('add(1, 2), add(#1, 3)').message).toBe(
      'FinQA program "add(1, 2), add(#1, 3)": step 1, character 15: #1 refers to step 1, which is not an earlier step; step 1 can only use #0..#0',
    );
    expect(errorOf('divide(#0, 2)').message).toBe(
      'FinQA program "divide(#0, 2)": step 0, character 7: #0 refers to step 0, which is not an earlier step; the first step has no earlier results',
    );
  });

  it('explains a wrong argument count', () => {
    expect(errorOf('divide(1, 2, 3)').message).toBe('FinQA program "divide(1, 2, 3)": step 0, character 7: divide takes 2 arguments; found 3');
    expect(errorOf('table_sum(net revenue)').message).toBe(
      'FinQA program "table_sum(net revenue)": step 0, character 10: table_sum takes 2 arguments, a row name and none; found 1',
    );
  });
});
