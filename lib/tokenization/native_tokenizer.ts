// The tokenizers-binding Tokenizer behind a BertTokenizer. It only ever runs without truncation
// or padding: the binding's own truncation (tokenizers 0.23.x) stops tokenizing at max_length and
// so loses overflowing windows (huggingface/tokenizers#2091) and, for pairs, can misjudge which
// text is longer; truncation and the [CLS]/[SEP] layout are done in TypeScript instead.
import { Tokenizer } from 'tokenizers';
import { SpecialTokenIds, assemble } from './encoding';
import type { TokenizerJson } from './tokenizer_json';
import { tokenizedText } from './tokenized_text';

/** `source` names the file the JSON came from in errors. */
export function createNativeTokenizer(json: TokenizerJson, source: string): Tokenizer {
  try {
    return Tokenizer.fromString(JSON.stringify({ ...json, truncation: null, padding: null }));
  } catch (err) {
    throw new Error(
      `the tokenizers library could not load ${source} (${(err as Error).message}): re-save the tokenizer with a ` +
        'recent transformers, or delete tokenizer.json to build it from vocab.txt',
      { cause: err },
    );
  }
}

/**
 * Checks that the file's own post-processor lays inputs out as BERT does, since encodings are
 * assembled here rather than by it; a tokenizer.json of another model family fails with a message.
 */
export async function checkBertTemplate(tokenizer: Tokenizer, specials: SpecialTokenIds, source: string): Promise<void> {
  const [first, second] = ['a 1', 'b 2'];
  const [withSpecials, a, b] = await Promise.all([
    tokenizer.encode(first, second, { addSpecialTokens: true }),
    tokenizer.encode(first, null, { addSpecialTokens: false }),
    tokenizer.encode(second, null, { addSpecialTokens: false }),
  ]);
  const parts = [a, b].map((e, i) => {
    const text = tokenizedText(e, [first, second][i], false);
    return { text, range: [0, text.ids.length] as const };
  });
  const expected = assemble(parts, specials, false);
  const actual = { ids: withSpecials.getIds(), types: withSpecials.getTypeIds() };
  if (JSON.stringify([expected.inputIds, expected.tokenTypeIds]) !== JSON.stringify([actual.ids, actual.types])) {
    throw new Error(
      `${source} does not lay out text pairs as BERT does ([CLS] A [SEP] B [SEP], token types 0 then 1): ` +
        `its post_processor gives ids ${JSON.stringify(actual.ids)} / types ${JSON.stringify(actual.types)} where BERT gives ` +
        `${JSON.stringify(expected.inputIds)} / ${JSON.stringify(expected.tokenTypeIds)}. Use the tokenizer of a BERT model`,
    );
  }
}
