// ProgramStats over hand-built FinQA entries in two files: every count, length, mean and execution
// outcome below is worked out by hand from the programs and the table.
import { ProgramStats, type StatsEntry } from '../../lib/data/finqa/program_stats';

const TABLE: string[][] = [
  ['', '2019', '2018'],
  ['revenue', '$ 1,200', '$ 1,000'],
];

function entry(index: number, program: string, exeAns: number | string, id = `E-${index}`): StatsEntry {
  return { id, index, line: 2 + 10 * index, table: TABLE, qa: { program, exeAns } };
}

// a.json: 5 valid (3 execute to exe_ans, one wrong answer, one division by zero), 3 invalid.
const A = [
  entry(0, 'divide(100, 100), divide(3.8, #0)', 3.8), // the seed's example: 100/100 = 1, 3.8/1 = 3.8
  entry(1, 'subtract(1200, 1000), divide(#0, 1000)', 0.2),
  entry(2, 'table_sum(revenue, none)', 2200),
  entry(3, 'add(1, 2)', 4), // 3, not 4
  entry(4, 'divide(5, 0)', 0),
  entry(5, 'percent_change(1, 2)', 0.5),
  entry(6, 'subtract(5, 3), divide(#1, 3)', 0.66667),
  entry(7, '', 0),
];
// b.json: 2 valid (one missing table row), 2 invalid.
const B = [
  entry(0, 'divide(100, 100), divide(3.8, #0)', 3.8, 'B-0'),
  entry(1, 'table_max(cash, none)', 5, 'B-1'),
  entry(2, 'subtract(1, 2', -1, 'B-2'),
  entry(3, 'percent_change(3, 4)', 0.75, 'B-3'),
];

function statsOf(maxExamples?: number): ReturnType<ProgramStats['result']> {
  const stats = new ProgramStats(maxExamples === undefined ? {} : { maxExamples });
  for (const e of A) stats.add(e, 'a.json');
  for (const e of B) stats.add(e, 'b.json');
  return stats.result();
}

describe('ProgramStats', () => {
  const { files, total } = statsOf();

  it('counts entries, valid and invalid programs per file and in total', () => {
    expect(files.map((f) => [f.file, f.entries, f.validPrograms, f.invalidPrograms])).toEqual([
      ['a.json', 8, 5, 3],
      ['b.json', 4, 2, 2],
    ]);
    expect([total.entries, total.validPrograms, total.invalidPrograms]).toEqual([12, 7, 5]);
  });

  it('counts concat programs, most frequent first, ties by name', () => {
    expect(Object.entries(total.concatPrograms)).toEqual([
      ['divide0_divide1', 2],
      ['add0', 1],
      ['divide0', 1],
      ['subtract0_divide1', 1],
      ['table_max0', 1],
      ['table_sum0', 1],
    ]);
    expect(Object.entries(files[1].concatPrograms)).toEqual([
      ['divide0_divide1', 1],
      ['table_max0', 1],
    ]);
  });

  it('counts op keys and op names by step, listing unused ops as 0', () => {
    expect(Object.entries(total.opKeys)).toEqual([
      ['divide0', 3],
      ['divide1', 3],
      ['add0', 1],
      ['subtract0', 1],
      ['table_max0', 1],
      ['table_sum0', 1],
    ]);
    expect(Object.entries(total.ops)).toEqual([
      ['divide', 6],
      ['add', 1],
      ['subtract', 1],
      ['table_max', 1],
      ['table_sum', 1],
      ['exp', 0],
      ['greater', 0],
      ['multiply', 0],
      ['table_average', 0],
      ['table_min', 0],
    ]);
    expect(files[0].ops.divide).toBe(4);
  });

  it('measures valid programs in steps and in tokens (4 per step plus EOF)', () => {
    // steps of the valid programs: a 2, 2, 1, 1, 1; b 2, 1
    expect(total.steps).toEqual({ histogram: { '1': 4, '2': 3 }, mean: 10 / 7, max: 2 });
    expect(total.tokens).toEqual({ mean: 47 / 7, max: 9 });
    expect(files[1].steps).toEqual({ histogram: { '1': 1, '2': 1 }, mean: 1.5, max: 2 });
    expect(files[1].tokens).toEqual({ mean: 7, max: 9 });
  });

  it('groups invalid programs by reason with the entries at fault', () => {
    expect(Object.keys(total.invalidByReason)).toEqual(['unknown-op', 'bad-step-ref', 'empty', 'unbalanced']);
    const unknownOp = total.invalidByReason['unknown-op'];
    expect(unknownOp?.count).toBe(2);
    expect(unknownOp?.examples.map((e) => [e.file, e.index, e.line, e.id])).toEqual([
      ['a.json', 5, 52, 'E-5'],
      ['b.json', 3, 32, 'B-3'],
    ]);
    expect(unknownOp?.examples[0].message).toMatch(/unknown op "percent_change"/);
    expect(total.invalidByReason['bad-step-ref']?.examples.map((e) => e.index)).toEqual([6]);
    expect(total.invalidByReason.empty?.count).toBe(1);
    expect(files[1].invalidByReason).toEqual({
      'unknown-op': { count: 1, examples: [expect.objectContaining({ file: 'b.json', index: 3, id: 'B-3' })] },
      unbalanced: { count: 1, examples: [expect.objectContaining({ file: 'b.json', index: 2, id: 'B-2' })] },
    });
  });

  it('executes the valid gold programs against exe_ans, with failures by reason', () => {
    expect(total.execution.correct).toBe(4);
    expect(total.execution.total).toBe(7);
    expect(total.execution.accuracy).toBe(4 / 7);
    expect(Object.fromEntries(Object.entries(total.execution.failures).map(([r, c]) => [r, c?.examples.map((e) => `${e.file}#${e.index}`)]))).toEqual({
      'division-by-zero': ['a.json#4'],
      'row-not-found': ['b.json#1'],
      'wrong-answer': ['a.json#3'],
    });
    expect(total.execution.failures['wrong-answer']?.examples[0].message).toBe('FinQA program "add(1, 2)": executes to 3, but exe_ans is 4');
    expect(files[0].execution).toMatchObject({ correct: 3, total: 5, accuracy: 0.6 });
    expect(files[1].execution).toMatchObject({ correct: 1, total: 2, accuracy: 0.5 });
  });

  it('rounds to 5 decimals before comparing and matches yes/no answers', () => {
    const stats = new ProgramStats();
    stats.add(entry(0, 'divide(1, 3)', 0.33333), 'c.json');
    stats.add(entry(1, 'greater(3, 2)', 'yes'), 'c.json');
    stats.add(entry(2, 'greater(3, 2)', 'no'), 'c.json');
    stats.add(entry(3, 'divide(1, 3)', 0.3333), 'c.json');
    const { execution } = stats.result().total;
    expect([execution.correct, execution.total]).toEqual([2, 4]);
    expect(execution.failures['wrong-answer']?.examples.map((e) => e.index)).toEqual([2, 3]);
  });

  it('keeps only the first maxExamples entries per reason while counting all', () => {
    const stats = new ProgramStats({ maxExamples: 2 });
    for (let i = 0; i < 1000; i++) stats.add(entry(i, 'percent_change(1, 2)', 0.5), 'big.json');
    const counted = stats.result().total.invalidByReason['unknown-op'];
    expect(counted?.count).toBe(1000);
    expect(counted?.examples.map((e) => e.index)).toEqual([0, 1]);
    expect(statsOf(0).total.invalidByReason['unknown-op']).toEqual({ count: 2, examples: [] });
  });

  it('gives zeros, not NaN, before any valid program, and a plain JSON object', () => {
    const stats = new ProgramStats();
    stats.add(entry(0, '', 0), 'd.json');
    const { total: only } = stats.result();
    expect(only.steps).toEqual({ histogram: {}, mean: 0, max: 0 });
    expect(only.tokens).toEqual({ mean: 0, max: 0 });
    expect(only.execution).toEqual({ correct: 0, total: 0, accuracy: 0, failures: {} });
    const whole = statsOf();
    expect(JSON.parse(JSON.stringify(whole))).toEqual(whole);
  });

  it('rejects a negative maxExamples', () => {
    expect(() => new ProgramStats({ maxExamples: -1 })).toThrow(RangeError);
  });
});
