// FinQA program execution and execution accuracy, with FinQA's evaluate.py semantics. Every expected
// value below is worked out by hand from the program and the table.
import { executeProgram, executionAccuracy, executionMatches, roundLikePython } from '../../lib/data/finqa/program_executor';
import { parseProgram } from '../../lib/data/finqa/program_ops';

const TABLE: string[][] = [
  ['', '2019', '2018', '2017'],
  ['net revenue', '$ 1,200', '$ 1,000', '$ 800'],
  ['cash, end of year', '$ 52.5', '$ 40', '12.5%'],
  ['growth rate', '12.5%', '10%', '7.5 %'],
  ['net income (loss)', '120 ( 5 )', '-30', '15'],
  ['operating margin', '( 12 )', '5', '6'],
  ['backlog'],
  ['shares', '1', '2'],
  ['shares', '10', '20'],
  ['total ', '7'],
];

function run(program: string, table: string[][] = TABLE): ReturnType<typeof executeProgram> {
  return executeProgram(parseProgram(program), table);
}

function valueOf(program: string, table: string[][] = TABLE): number | string {
  const result = run(program, table);
  if (!result.ok) throw new Error(`${program}: ${result.reason}: ${result.message}`);
  return result.value;
}

function reasonOf(program: string, table: string[][] = TABLE): string {
  const result = run(program, table);
  if (result.ok) throw new Error(`${program} ran to ${result.value}`);
  return result.reason;
}

describe('executeProgram: arithmetic', () => {
  it("runs the seed's example: 100 / 100 = 1, then 3.8 / 1", () => {
    expect(valueOf('divide(100, 100), divide(3.8, #0)')).toBe(3.8);
  });

  it.each([
    ['add(2, 3)', 5],
    ['subtract(2, 3)', -1],
    ['multiply(2.5, 4)', 10],
    ['divide(7, 2)', 3.5],
    ['exp(2, 10)', 1024],
    ['exp(1.05, 2)', 1.1025],
  ])('%s = %d', (program, expected) => {
    expect(valueOf(program)).toBe(expected);
  });

  it('reads percentages and thousands commas as str_to_num does', () => {
    expect(valueOf('divide(5%, 2)')).toBe(0.025);
    expect(valueOf('multiply(12.5%, 80)')).toBe(10);
    expect(valueOf('add(1,234, 766)')).toBe(2000);
  });

  it('reads constants', () => {
    expect(valueOf('multiply(const_m1, 7)')).toBe(-7);
    expect(valueOf('exp(const_2, const_10)')).toBe(1024);
    expect(valueOf('divide(25, const_100)')).toBe(0.25);
    expect(valueOf('multiply(const_1000000, const_5)')).toBe(5000000);
  });

  it('chains #N results', () => {
    // 5829 - 5735 = 94; 94 / 5735 = 0.0163905..., rounded to 5 decimals
    expect(valueOf('subtract(5829, 5735), divide(#0, 5735)')).toBe(0.01639);
    // 1 + 2 = 3; 3 * 3 = 9; 9 - 3 = 6
    expect(valueOf('add(1, 2), multiply(#0, #0), subtract(#1, #0)')).toBe(6);
  });

  it('answers greater with yes or no', () => {
    expect(valueOf('greater(5, 3)')).toBe('yes');
    expect(valueOf('greater(3, 3)')).toBe('no');
    expect(valueOf('subtract(10, 4), greater(#0, 6)')).toBe('no');
    expect(valueOf('subtract(10, 4), greater(#0, 5.5)')).toBe('yes');
  });

  it("gives the last step's value even when an earlier greater is not used", () => {
    expect(valueOf('greater(5, 3), add(1, 1)')).toBe(2);
  });

  it('rounds the result to 5 decimals half-to-even on the exact binary value, as Python round(x, 5)', () => {
    expect(valueOf('divide(1, 3)')).toBe(0.33333);
    expect(valueOf('divide(2, 3)')).toBe(0.66667);
    // 1/64 = 0.015625 exactly: a tie, to the even 0.01562; 3/64 = 0.046875 goes to the even 0.04688
    expect(valueOf('divide(1, 64)')).toBe(0.01562);
    expect(valueOf('divide(3, 64)')).toBe(0.04688);
  });
});

describe('executeProgram: errors', () => {
  it('rejects a yes/no result used as a number', () => {
    expect(reasonOf('greater(5, 3), add(#0, 1)')).toBe('yes-no-operand');
    expect(run('greater(5, 3), add(#0, 1)')).toEqual({ ok: false, reason: 'yes-no-operand', message: 'step 1: add uses #0, which is "yes", not a number' });
  });

  it('rejects division by zero', () => {
    expect(run('divide(5, 0)')).toEqual({ ok: false, reason: 'division-by-zero', message: 'step 0: divide(5, 0) divides by zero' });
    expect(reasonOf('subtract(3, 3), divide(1, #0)')).toBe('division-by-zero');
    expect(reasonOf('exp(0, -1)')).toBe('division-by-zero');
  });

  it('rejects results that are not finite numbers', () => {
    expect(reasonOf('exp(-8, 0.5)')).toBe('non-finite');
    expect(reasonOf('exp(10, 400)')).toBe('non-finite');
  });

  it('throws for hand-built steps that parseProgram never produces', () => {
    expect(() => executeProgram([], TABLE)).toThrow(RangeError);
    expect(() =>
      executeProgram(
        [
          {
            op: 'add',
            args: [
              { kind: 'step', index: 0 },
              { kind: 'number', value: 1, text: '1' },
            ],
          },
        ],
        TABLE,
      ),
    ).toThrow(RangeError);
  });
});

describe('executeProgram: table ops', () => {
  it('aggregates a row after process_row drops "$" and commas', () => {
    expect(valueOf('table_max(net revenue, none)')).toBe(1200);
    expect(valueOf('table_min(net revenue, none)')).toBe(800);
    expect(valueOf('table_sum(net revenue, none)')).toBe(3000);
    expect(valueOf('table_average(net revenue, none)')).toBe(1000);
  });

  it('finds a row whose name contains ", "', () => {
    // 52.5 + 40 + 0.125
    expect(valueOf('table_sum(cash, end of year, none)')).toBe(92.625);
  });

  it('reads percentage cells', () => {
    // (0.125 + 0.1 + 0.075) / 3
    expect(valueOf('table_average(growth rate, none)')).toBe(0.1);
    expect(valueOf('table_max(growth rate, none)')).toBe(0.125);
  });

  it('keeps only the text before "(" in a cell, and finds a row whose name has parentheses', () => {
    // cells 120, -30, 15
    expect(valueOf('table_sum(net income (loss), none)')).toBe(105);
    expect(valueOf('table_min(net income (loss), none)')).toBe(-30);
  });

  it('uses the last row of a repeated name, as a dict keyed by row name does', () => {
    expect(valueOf('table_sum(shares, none)')).toBe(30);
  });

  it('chains table results into arithmetic', () => {
    expect(valueOf('table_sum(net revenue, none), divide(#0, const_1000)')).toBe(3);
    // (1200 - 800) / 800
    expect(valueOf('table_max(net revenue, none), table_min(net revenue, none), subtract(#0, #1), divide(#2, #1)')).toBe(0.5);
  });

  it('matches row names exactly', () => {
    expect(reasonOf('table_sum(Net Revenue, none)')).toBe('row-not-found');
    expect(reasonOf('table_sum(total, none)')).toBe('row-not-found');
    expect(run('table_sum(revenue, none)')).toEqual({ ok: false, reason: 'row-not-found', message: 'step 0: table_sum: no table row is named "revenue"' });
  });

  it('rejects a row with a cell that is not a number, such as "( 12 )", which process_row empties', () => {
    expect(run('table_sum(operating margin, none)')).toEqual({
      ok: false,
      reason: 'row-not-numeric',
      message: 'step 0: table_sum: row "operating margin" has the cell "( 12 )", which is not a number',
    });
  });

  it('sums a row with no cells to 0 but has no max, min or average for it', () => {
    expect(valueOf('table_sum(backlog, none)')).toBe(0);
    expect(reasonOf('table_max(backlog, none)')).toBe('empty-row');
    expect(reasonOf('table_min(backlog, none)')).toBe('empty-row');
    expect(reasonOf('table_average(backlog, none)')).toBe('empty-row');
  });
});

describe('roundLikePython', () => {
  it.each([
    [2.675, 2, 2.67],
    [0.123455, 5, 0.12345],
    [-0.015625, 5, -0.01562],
    [0.5, 0, 0],
    [1.5, 0, 2],
    [2.5, 0, 2],
    [1e300, 5, 1e300],
    [123.456789, 5, 123.45679],
  ])('round(%d, %d) = %d', (x, digits, expected) => {
    expect(roundLikePython(x, digits)).toBe(expected);
  });
});

describe('executionMatches', () => {
  it('accepts a prediction that rounds to exe_ans at 5 decimals, and nothing else', () => {
    expect(executionMatches(0.123454999, 0.12345)).toBe(true);
    expect(executionMatches(0.123455001, 0.12345)).toBe(false);
    expect(executionMatches(0.123455001, 0.12346)).toBe(true);
    expect(executionMatches(2.000004, 2)).toBe(true);
    expect(executionMatches(2.00001, 2)).toBe(false);
    expect(executionMatches(3.8, 3.8)).toBe(true);
  });

  it('does not round exe_ans, as evaluate.py compares it as stored', () => {
    expect(executionMatches(0.123456, 0.123456)).toBe(false);
  });

  it('matches yes/no only to the same string', () => {
    expect(executionMatches('yes', 'yes')).toBe(true);
    expect(executionMatches('no', 'yes')).toBe(false);
    expect(executionMatches('yes', 1)).toBe(false);
    expect(executionMatches(1, '1')).toBe(false);
  });
});

describe('executionAccuracy', () => {
  it('counts correct programs and tallies failures by reason', () => {
    expect(
      executionAccuracy([
        { program: 'divide(100, 100), divide(3.8, #0)', table: [], exeAns: 3.8 },
        { program: 'table_sum(net revenue, none)', table: TABLE, exeAns: 3000 },
        { program: 'divide(1, 3)', table: [], exeAns: 0.33 },
        { program: 'sum(1, 2)', table: [], exeAns: 3 },
        { program: 'divide(5, 0)', table: [], exeAns: 0 },
        { program: 'table_sum(revenue, none)', table: TABLE, exeAns: 1 },
        { program: 'greater(2, 1)', table: [], exeAns: 'yes' },
      ]),
    ).toEqual({
      correct: 3,
      total: 7,
      accuracy: 3 / 7,
      failures: { 'wrong-answer': 1, 'unknown-op': 1, 'division-by-zero': 1, 'row-not-found': 1 },
    });
  });

  it('is 0 of 0 for no items', () => {
    expect(executionAccuracy([])).toEqual({ correct: 0, total: 0, accuracy: 0, failures: {} });
  });
});
