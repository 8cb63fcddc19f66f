import type { TextFeature } from '../../lib/data/loader/collate';

export const MARKER = 7;

/**
 * A learnable sentence-pair task as token ids: label 0 = the marker token in the first sentence,
 * 1 = in the second, 2 = in neither. Deterministic for a seed.
 */
export function makeMarkerPairs(count: number, seed: number): TextFeature[] {
  let x = seed;
  const rand = (n: number) => (x = (x * 1103515245 + 12345) % 2147483648) % n;
  return Array.from({ length: count }, () => {
    const a = Array.from({ length: 3 + rand(6) }, () => 10 + rand(50));
    const b = Array.from({ length: 3 + rand(6) }, () => 10 + rand(50));
    const label = rand(3);
    if (label === 0) a[rand(a.length)] = MARKER;
    if (label === 1) b[rand(b.length)] = MARKER;
    return { inputIds: [1, ...a, 2, ...b, 2], tokenTypeIds: [0, ...a.map(() => 0), 0, ...b.map(() => 1), 1], label };
  });
}
