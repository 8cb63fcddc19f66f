/** The label of positions the loss ignores (PyTorch's CrossEntropyLoss ignore_index). */
export const IGNORED_LABEL = -100;

/**
 * Per-token training labels from word labels, as run_ner.py's `tokenize_and_align_labels`: the
 * first token of each word gets the word's label id; the word's later tokens get -100, or with
 * `labelAllTokens` `bToI[id]` (the `I-` label of a `B-` word); special tokens (word id null) get -100.
 * A token starts a new word when its word id differs from the previous token's.
 */
export function alignLabels(
  wordIds: ReadonlyArray<number | null>,
  wordLabelIds: readonly number[],
  options: { labelAllTokens?: boolean; bToI?: readonly number[] } = {},
): number[] {
  const labelAll = options.labelAllTokens ?? false;
  if (labelAll && options.bToI === undefined) throw new Error('labelAllTokens needs bToI (the B- to I- label map of the label list)');
  let previous: number | null = null;
  return wordIds.map((word) => {
    let label = IGNORED_LABEL;
    if (word !== null) {
      const id = wordLabelIds[word];
      if (id === undefined) throw new Error(`token of word ${word}, but only ${wordLabelIds.length} word labels were given`);
      if (word !== previous) label = id;
      else if (labelAll) label = (options.bToI as readonly number[])[id];
    }
    previous = word;
    return label;
  });
}
