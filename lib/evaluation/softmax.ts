/** Probabilities from scores (logits): e^(s - max) / sum, stable for large scores; they sum to 1. */
export function softmax(scores: readonly number[]): number[] {
  const max = Math.max(...scores);
  const exps = scores.map((score) => Math.exp(score - max));
  let sum = 0;
  for (const x of exps) sum += x;
  return exps.map((x) => x / sum);
}
