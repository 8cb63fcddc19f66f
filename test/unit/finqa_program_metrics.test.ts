// FinQA program classifier scores, computed by hand: program accuracy, micro F1 over op keys, and
// execution with the gold arguments under the predicted program's ops.
import { finqaProgramMetrics, withGoldArguments, type ProgramGold } from '../../lib/evaluation/finqa_program_metrics';
import { concatProgram, opKeys, parseProgram } from '../../lib/data/finqa/program_ops';

const TABLE = [
  ['', '2019', '2018'],
  ['net revenue', '$ 120', '$ 100'],
];

function gold(program: string, exeAns: number | string): ProgramGold {
  const steps = parseProgram(program);
  return { concat: concatProgram(steps), opKeys: opKeys(steps), steps, exeAns, table: TABLE };
}

test('table ops keep their underscore: the predicted table_sum0 runs over the gold row', () => {
  const g = gold('table_average(net revenue, none)', 110);
  const steps = withGoldArguments('table_sum0', g.steps)!;
  expect(steps.map((s) => s.op)).toEqual(['table_sum']);
  expect(steps[0].args).toEqual([{ kind: 'row', name: 'net revenue' }, { kind: 'none' }]);
  // Different step count, or a table op where the gold step is arithmetic: no execution.
  expect(withGoldArguments('table_sum0_divide1', g.steps)).toBeUndefined();
  expect(withGoldArguments('add0', g.steps)).toBeUndefined();
  expect(withGoldArguments('', g.steps)).toBeUndefined();
});

test('accuracy, op-key F1 and execution accuracy on four hand-scored examples', () => {
  const golds = [
    gold('subtract(120, 100), divide(#0, 100)', 0.2), // predicted right
    gold('add(120, 100)', 220), // predicted multiply0: 12000, wrong answer
    gold('divide(120, 100)', 1.2), // predicted subtract0_divide1: 2 steps for 1, not run
    gold('table_average(net revenue, none)', 110), // predicted table_sum0: 220, wrong
  ];
  const predictions = [
    { concat: 'subtract0_divide1', opKeys: ['subtract0', 'divide1'] },
    { concat: 'multiply0', opKeys: ['add0', 'multiply0'] },
    { concat: 'subtract0_divide1', opKeys: [] },
    { concat: 'table_sum0', opKeys: ['table_average0'] },
  ];
  const m = finqaProgramMetrics(predictions, golds);
  expect(m.program_accuracy).toBe(1 / 4);
  // true positives: subtract0, divide1, add0, table_average0 = 4; predicted 2+2+0+1 = 5; gold 2+1+1+1 = 5.
  expect(m.ops_precision).toBeCloseTo(4 / 5, 12);
  expect(m.ops_recall).toBeCloseTo(4 / 5, 12);
  expect(m.ops_f1).toBeCloseTo(4 / 5, 12);
  expect(m.execution_accuracy).toBe(1 / 4);
  // Execution judges the answer: the right type computes it, a wrong type does not, unless by coincidence (2 + 2 = 2 * 2).
  const sameAnswer = finqaProgramMetrics([{ concat: 'multiply0', opKeys: [] }], [gold('multiply(2, 3)', 6)]);
  expect(sameAnswer.execution_accuracy).toBe(1);
  const otherAnswer = finqaProgramMetrics([{ concat: 'add0', opKeys: [] }], [gold('multiply(2, 3)', 6)]);
  expect(otherAnswer.execution_accuracy).toBe(0);
  // Entries whose gold program does not parse count as wrong: 1 right of 1 scored + 3 unscored.
  expect(finqaProgramMetrics([{ concat: 'multiply0', opKeys: ['multiply0'] }], [gold('multiply(2, 3)', 6)], 3)).toMatchObject({
    program_accuracy: 0.25,
    execution_accuracy: 0.25,
    ops_f1: 1,
  });
  const coincidence = finqaProgramMetrics([{ concat: 'add0', opKeys: [] }], [gold('multiply(2, 2)', 4)]);
  expect(coincidence).toMatchObject({ program_accuracy: 0, execution_accuracy: 1 });
});
