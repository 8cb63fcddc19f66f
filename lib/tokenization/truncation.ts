// How many tokens of each text survive truncation: tokenizers' `truncate_encodings` (what
// transformers' fast tokenizers run), including the inputs it refuses.
import type { TruncationRequest } from './encode_options';

/**
 * The length each text is cut to (its own length when it is not cut), given the texts' token
 * counts without special tokens and the `added` special tokens. Throws, as transformers does, when
 * only_first/only_second cannot make the input fit, or when a cut text's windows would be no
 * longer than the stride.
 */
export function truncationTargets(lengths: readonly number[], request: TruncationRequest, added: number): number[] {
  const budget = request.maxLength - added;
  const targets = lengths.length === 1 ? singleTarget(lengths[0], request, budget) : pairTargets(lengths[0], lengths[1], request, budget, added);
  targets.forEach((target, i) => {
    if (target < lengths[i] && target > 0 && request.stride >= target) {
      const which = lengths.length === 1 ? 'the text' : i === 0 ? 'the first text' : 'the second text';
      throw new Error(
        `stride ${request.stride} is too large: with maxLength ${request.maxLength} and '${request.strategy}', ${which} ` +
          `is cut into windows of ${target} tokens, and the stride must be smaller than a window. ` +
          'Use a smaller stride or a larger maxLength.',
      );
    }
  });
  return targets;
}

function singleTarget(length: number, request: TruncationRequest, budget: number): number[] {
  if (length > budget && request.strategy === 'only_second') {
    throw new Error(
      `cannot truncate a single text with 'only_second' (it has ${length} tokens, more than maxLength ${request.maxLength} ` +
        "allows): 'only_second' shortens the second text of a pair; use 'longest_first' or 'only_first' for single texts",
    );
  }
  return [Math.min(length, budget)];
}

function pairTargets(n1: number, n2: number, request: TruncationRequest, budget: number, added: number): number[] {
  if (budget === 0) return [0, 0];
  if (n1 + n2 <= budget) return [n1, n2];
  const toRemove = n1 + n2 - budget;
  const { strategy } = request;
  if (strategy === 'longest_first') return longestFirst(n1, n2, budget);
  const cutFirst = strategy === 'only_first';
  const cutLength = cutFirst ? n1 : n2;
  if (cutLength > toRemove) return cutFirst ? [n1 - toRemove, n2] : [n1, n2 - toRemove];
  const [cut, other, otherLength] = cutFirst ? ['first', 'second', n2] : ['second', 'first', n1];
  throw new Error(
    `cannot truncate with '${strategy}' to maxLength ${request.maxLength}: the ${other} text alone has ${otherLength} ` +
      `tokens, which with the ${added} special tokens leaves no room for the ${cut} text, the only one ` +
      `'${strategy}' may shorten. Use 'longest_first' or a larger maxLength.`,
  );
}

/**
 * The shorter text keeps its length when the longer one can absorb the excess; otherwise the
 * budget is split in half, an odd token going to the longer text (to the second on a tie).
 */
function longestFirst(n1: number, n2: number, budget: number): number[] {
  const swap = n1 > n2;
  let short = Math.min(n1, n2);
  let long = short > budget ? short : Math.max(short, budget - short);
  if (short + long > budget) {
    short = Math.floor(budget / 2);
    long = short + (budget % 2);
  }
  const [t1, t2] = swap ? [long, short] : [short, long];
  return [Math.min(t1, n1), Math.min(t2, n2)];
}
