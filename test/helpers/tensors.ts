import type { NamedTensor, TensorData } from '../../lib/io/named_tensor';

export function byName(tensors: readonly NamedTensor[]): Map<string, NamedTensor> {
  return new Map(tensors.map((t) => [t.name, t]));
}

export function toNumbers(data: TensorData): number[] {
  return Array.from(data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Largest |a - b| over all elements; throws when the lengths differ. */
export function maxAbsDiff(a: TensorData, b: TensorData, mask?: (i: number) => boolean): number {
  if (a.length !== b.length) throw new Error(`length mismatch: ${a.length} vs ${b.length}`);
  const x = toNumbers(a);
  const y = toNumbers(b);
  let worst = 0;
  for (let i = 0; i < x.length; i++) {
    if (mask && !mask(i)) continue;
    const d = Math.abs(x[i] - y[i]);
    if (!(d <= worst)) worst = d; // NaN propagates as the worst
  }
  return worst;
}

export function toInt64(data: TensorData): BigInt64Array {
  return BigInt64Array.from(toNumbers(data), (v) => BigInt(v));
}

/**
 * Compares a per-token output ([batch, seq, ...]) computed with skipPadding against a reference
 * that computed every position. kept: max |diff| where the mask is 1 or at position 0 (the
 * positions skipPadding keeps); skipped: max |value| elsewhere (should be exactly 0).
 */
export function compareSkippedPadding(
  actual: TensorData,
  expected: TensorData,
  shape: readonly number[],
  attentionMask: TensorData,
): { kept: number; skipped: number } {
  const seq = shape[1];
  const inner = shape.slice(2).reduce((a, b) => a * b, 1);
  const mask = toNumbers(attentionMask);
  const keeps = (i: number): boolean => {
    const position = Math.floor(i / inner);
    return mask[position] !== 0 || position % seq === 0;
  };
  const zeros = new Float32Array(actual.length);
  return {
    kept: maxAbsDiff(actual, expected, keeps),
    skipped: maxAbsDiff(actual, zeros, (i) => !keeps(i)),
  };
}
