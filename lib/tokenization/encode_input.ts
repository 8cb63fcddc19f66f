// One input's encoding from its tokenized text(s): truncation, windows, BERT layout.
import { EncodePlan, specialTokenCount } from './encode_options';
import { Encoding, SpecialTokenIds, assemble } from './encoding';
import type { TokenizedText } from './tokenized_text';
import { truncationTargets } from './truncation';
import { TokenRange, pairWindows, windowRanges } from './windows';

/** Encodes one text (`texts` of length 1) or pair (length 2) as `plan` says. Throws when it cannot be truncated. */
export function encodeInput(texts: readonly TokenizedText[], plan: EncodePlan, specials: SpecialTokenIds): Encoding {
  const lengths = texts.map((t) => t.ids.length);
  const added = plan.addSpecialTokens ? specialTokenCount(texts.length === 2) : 0;
  const stride = plan.truncation?.stride ?? 0;
  const targets = plan.truncation ? truncationTargets(lengths, plan.truncation, added) : lengths;
  const ranges = lengths.map((length, i) => windowRanges(length, targets[i], stride));
  const combos: TokenRange[][] = texts.length === 1 ? ranges[0].map((r) => [r]) : pairWindows(ranges[0], ranges[1]);
  const build = (combo: readonly TokenRange[]): Encoding =>
    assemble(
      combo.map((range, i) => ({ text: texts[i], range })),
      plan.addSpecialTokens ? specials : null,
      plan.returnOffsets,
    );
  const main = build(combos[0]);
  if (plan.returnOverflowing) main.overflowing = combos.slice(1).map(build);
  return main;
}
