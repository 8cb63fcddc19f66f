// Matching a checkpoint's tensor names to a model's parameters the way Hugging Face's
// from_pretrained does: base-model prefix added or removed, tied and buffer keys ignored,
// legacy gamma/beta LayerNorm names renamed.
import type { NamedTensor } from '../io/named_tensor';

export const BASE_MODEL_PREFIX = 'bert.';

/** Keys a checkpoint may hold that are not parameters: buffers and tied aliases. */
function isIgnorable(name: string): boolean {
  return (
    name.endsWith('embeddings.position_ids') ||
    name.endsWith('embeddings.token_type_ids') ||
    name === 'cls.predictions.decoder.weight' ||
    name === 'cls.predictions.decoder.bias'
  );
}

function renameLegacy(name: string): string {
  return name.replace(/LayerNorm\.gamma$/, 'LayerNorm.weight').replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
}

export interface WeightMatch {
  /** Checkpoint tensors renamed to the model's parameter names, shapes checked. */
  matched: NamedTensor[];
  /** Model parameters the checkpoint does not provide (they keep their initial values). */
  missingKeys: string[];
  /** Checkpoint tensors the model has no parameter for (after renaming). */
  unexpectedKeys: string[];
  /** Same name, different shape: [name, checkpoint shape, model shape]. */
  mismatchedKeys: Array<{ name: string; checkpointShape: number[]; modelShape: number[] }>;
}

export function matchWeights(checkpoint: readonly NamedTensor[], modelShapes: ReadonlyMap<string, readonly number[]>, modelHasPrefix: boolean): WeightMatch {
  const candidates = checkpoint.filter((t) => !isIgnorable(t.name));
  const fileHasPrefix = candidates.some((t) => t.name.startsWith(BASE_MODEL_PREFIX));
  const rename = (name: string): string => {
    let n = renameLegacy(name);
    // A bare BertModel checkpoint into a task model: add "bert."; a task checkpoint into a bare model: drop it.
    if (modelHasPrefix && !fileHasPrefix) n = BASE_MODEL_PREFIX + n;
    else if (!modelHasPrefix && fileHasPrefix && n.startsWith(BASE_MODEL_PREFIX)) n = n.slice(BASE_MODEL_PREFIX.length);
    return n;
  };
  const matched: NamedTensor[] = [];
  const unexpectedKeys: string[] = [];
  const mismatchedKeys: WeightMatch['mismatchedKeys'] = [];
  const seen = new Set<string>();
  for (const t of candidates) {
    const name = rename(t.name);
    const shape = modelShapes.get(name);
    if (!shape) {
      unexpectedKeys.push(t.name);
      continue;
    }
    seen.add(name);
    if (shape.length !== t.shape.length || shape.some((d, i) => d !== t.shape[i])) {
      mismatchedKeys.push({ name, checkpointShape: [...t.shape], modelShape: [...shape] });
      continue;
    }
    matched.push({ ...t, name });
  }
  const missingKeys = [...modelShapes.keys()].filter((k) => !seen.has(k));
  return { matched, missingKeys, unexpectedKeys, mismatchedKeys };
}
