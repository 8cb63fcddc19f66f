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
