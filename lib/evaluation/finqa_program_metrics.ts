// Scores of a FinQA program classifier: accuracy of the predicted concat program, micro F1 of the
// predicted op keys (multi-label), and execution accuracy: the predicted program's ops run with
// the gold program's arguments (where the step count and argument kinds fit), compared with
// exe_ans under FinQA's rule. A predicted program type that computes the gold answer counts.
import { executeProgram, executionMatches } from '../data/finqa/program_executor';
import { FINQA_OPS, isTableOp, type FinqaOp, type ProgramStep } from '../data/finqa/program_ops';

// Op keys in a concat program; ops may hold "_" themselves (table_sum0_divide1), so match the ops.
const OP_KEY = new RegExp(`(?:^|_)(${[...FINQA_OPS].sort((a, b) => b.length - a.length).join('|')})\\d+(?=_|$)`, 'g');

export interface ProgramPrediction {
  /** The predicted concat program, e.g. `subtract0_divide1`. */
  concat: string;
  /** The predicted op keys (sigmoid > 0.5). */
  opKeys: readonly string[];
}

export interface ProgramGold {
  concat: string;
  opKeys: readonly string[];
  steps: readonly ProgramStep[];
  exeAns: number | string;
  table: readonly (readonly string[])[];
}

export interface ProgramMetrics {
  program_accuracy: number;
  ops_precision: number;
  ops_recall: number;
  ops_f1: number;
  execution_accuracy: number;
}

/**
 * `unscored`: entries of the evaluation file whose gold program does not parse; they have no
 * prediction here and count as wrong in program and execution accuracy (FinQA's evaluate.py divides
 * by every entry). Op-key F1 is over the scored entries (the others have no gold op keys).
 */
export function finqaProgramMetrics(predictions: readonly ProgramPrediction[], gold: readonly ProgramGold[], unscored = 0): ProgramMetrics {
  if (predictions.length !== gold.length) throw new Error(`${predictions.length} predictions for ${gold.length} examples`);
  if (gold.length === 0) throw new Error('no examples to score');
  let correct = 0;
  let executed = 0;
  let truePositives = 0;
  let predicted = 0;
  let actual = 0;
  predictions.forEach((p, i) => {
    const g = gold[i];
    if (p.concat === g.concat) correct++;
    const goldKeys = new Set(g.opKeys);
    truePositives += p.opKeys.filter((k) => goldKeys.has(k)).length;
    predicted += p.opKeys.length;
    actual += goldKeys.size;
    const steps = withGoldArguments(p.concat, g.steps);
    if (steps) {
      const result = executeProgram(steps, g.table);
      if (result.ok && executionMatches(result.value, g.exeAns)) executed++;
    }
  });
  const precision = predicted === 0 ? 0 : truePositives / predicted;
  const recall = actual === 0 ? 0 : truePositives / actual;
  return {
    program_accuracy: correct / (gold.length + unscored),
    ops_precision: precision,
    ops_recall: recall,
    ops_f1: precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall),
    execution_accuracy: executed / (gold.length + unscored),
  };
}

/**
 * The predicted concat program's ops with the gold steps' arguments, when they fit: the same
 * number of steps, table ops where the gold step is a table op (a row argument), arithmetic ops
 * where it is not. Undefined otherwise.
 */
export function withGoldArguments(concat: string, gold: readonly ProgramStep[]): ProgramStep[] | undefined {
  const ops = [...concat.matchAll(OP_KEY)].map((m) => m[1]);
  if (ops.length === 0 || ops.length !== gold.length) return undefined;
  const steps: ProgramStep[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as FinqaOp;
    if (isTableOp(op) !== isTableOp(gold[i].op)) return undefined;
    steps.push({ op, args: gold[i].args });
  }
  return steps;
}
