// fill-mask: transformers' FillMaskPipeline (top_k, targets; one or several masks per input).
import { softmax } from '../../evaluation/softmax';
import { PipelineInputError, PipelineSetupError } from '../errors';
import type { InferenceEngine } from '../inference_engine';
import {
  describeJson,
  encodeForModel,
  optionalInteger,
  parseOneOrMany,
  rejectUnknownParameters,
  requireText,
  type ParsedInputs,
  runModel,
  type RunContext,
  type TaskDefinition,
} from '../task_definition';

export interface FillMaskParameters {
  /** How many predictions to return per mask (default 5; at most the number of targets). */
  top_k?: number;
  /**
   * Score only these tokens. A target that is not a vocabulary token is tokenized and its first
   * token used instead (transformers warns; here the substitution is silent); one that tokenizes to
   * nothing is dropped.
   */
  targets?: string | string[];
}

export interface FillMaskPrediction {
  score: number;
  /** The predicted token id. */
  token: number;
  /** The predicted token, decoded. */
  token_str: string;
  /** The input with the mask replaced by the prediction. */
  sequence: string;
}

/**
 * One input with one mask: its predictions. One input with several masks: a list per mask. A list
 * of inputs: one of those per input (a list of one input gives that input's result unwrapped, as
 * transformers does).
 */
export type FillMaskOutput = FillMaskPrediction[] | FillMaskPrediction[][] | Array<FillMaskPrediction[] | FillMaskPrediction[][]>;

type FillMaskResult = FillMaskPrediction[] | FillMaskPrediction[][];

interface Params {
  topK: number;
  /** Vocabulary ids to score, ascending; null: the whole vocabulary. Resolved with the tokenizer (asynchronous). */
  targetIds: Promise<number[] | null>;
}

export const fillMask: TaskDefinition<string, Params, FillMaskResult, FillMaskOutput> = {
  modelTask: 'masked-lm',

  checkModel(engine: InferenceEngine): void {
    if (engine.tokenizer.maskTokenId === null) {
      throw new PipelineSetupError(
        `${engine.modelDir}: the tokenizer has no mask token. Fix: add "mask_token" (e.g. "[MASK]", which must be in vocab.txt) to tokenizer_config.json or special_tokens_map.json.`,
      );
    }
  },

  parseInputs(raw: unknown, field: string): ParsedInputs<string> {
    return parseOneOrMany(raw, field, Array.isArray, requireText);
  },

  parseParameters(raw: Record<string, unknown>, engine: InferenceEngine): Params {
    rejectUnknownParameters(raw, ['top_k', 'targets']);
    const topK = optionalInteger(raw, 'top_k', 1) ?? 5;
    const targets = parseTargets(raw.targets);
    const targetIds = targets === null ? Promise.resolve(null) : targetIdsOf(targets, engine);
    // Awaited by every run; this keeps a rejection from counting as unhandled when no run starts (bad inputs).
    targetIds.catch(() => undefined);
    return { topK, targetIds };
  },

  async run(input: string, params: Params, context: RunContext, field: string): Promise<FillMaskResult> {
    const { engine } = context;
    const maskId = engine.tokenizer.maskTokenId as number;
    const targetIds = await params.targetIds;
    const [encoding] = await encodeForModel(context, [input], [field]);
    const ids = encoding.inputIds;
    const masked = ids.flatMap((id, i) => (id === maskId ? [i] : []));
    if (masked.length === 0) {
      const where = ids.length >= engine.maxLength ? ` in its first ${engine.maxLength} tokens (the model takes no more; the rest is cut off)` : '';
      throw new PipelineInputError(field, `has no mask token (${engine.tokenizer.idToToken(maskId)})${where}; put one where a token is to be predicted`);
    }
    const [outputs] = await runModel(context, [encoding], field);
    const { logits } = outputs;
    const vocab = logits.shape[logits.shape.length - 1];
    const single = masked.length === 1;
    const topK = Math.min(params.topK, targetIds?.length ?? vocab);
    const padId = engine.tokenizer.padTokenId;
    const rows = await Promise.all(
      masked.map(async (position) => {
        const probs = softmax(Array.from(logits.data.subarray(position * vocab, (position + 1) * vocab)));
        const best = highest(targetIds ?? probs.map((_, id) => id), probs, topK);
        return Promise.all(
          best.map(async ({ id, score }) => {
            const tokens = ids.map((t, i) => (i === position ? id : t)).filter((t) => t !== padId);
            // One mask: special tokens dropped for a readable text. Several: kept, so the other masks still show.
            const sequence = await engine.tokenizer.decode(tokens, single);
            return { score, token: id, token_str: await engine.tokenizer.decode([id]), sequence };
          }),
        );
      }),
    );
    return single ? rows[0] : rows;
  },

  format(results: FillMaskResult[], single: boolean): FillMaskOutput {
    // transformers unwraps a list of one input too.
    return single || results.length === 1 ? results[0] : results;
  },
};

/** The k candidate ids of highest probability, best first (on a tie, the earlier candidate first). */
function highest(candidates: readonly number[], probs: readonly number[], k: number): Array<{ id: number; score: number }> {
  const best: Array<{ id: number; score: number }> = [];
  for (const id of candidates) {
    const score = probs[id];
    if (best.length === k && score <= best[k - 1].score) continue;
    let at = best.length;
    while (at > 0 && best[at - 1].score < score) at--;
    best.splice(at, 0, { id, score });
    if (best.length > k) best.pop();
  }
  return best;
}

function parseTargets(targets: unknown): string[] | null {
  if (targets === undefined || targets === null) return null;
  if (typeof targets === 'string') return [targets];
  if (Array.isArray(targets) && targets.length > 0) {
    return targets.map((t, i) => {
      if (typeof t !== 'string') throw new PipelineInputError(`parameters.targets[${i}]`, `must be a string, got ${describeJson(t)}`);
      return t;
    });
  }
  throw new PipelineInputError('parameters.targets', `must be a token or a non-empty list of tokens, got ${describeJson(targets)}`);
}

/**
 * The vocabulary ids of the targets, as transformers' get_target_ids finds them: a vocabulary token
 * is its own id; any other text stands for its first token, and one that tokenizes to nothing is dropped.
 */
async function targetIdsOf(targets: readonly string[], engine: InferenceEngine): Promise<number[]> {
  const ids = new Set<number>();
  for (const target of targets) {
    const id = engine.tokenizer.tokenToId(target);
    if (id !== null) {
      ids.add(id);
      continue;
    }
    const encoding = await engine.tokenizer.encode(target, null, { addSpecialTokens: false });
    if (encoding.inputIds.length > 0) ids.add(encoding.inputIds[0]);
  }
  if (ids.size === 0) {
    throw new PipelineInputError('parameters.targets', `none of ${JSON.stringify(targets)} is or holds a token of the vocabulary; give at least one token`);
  }
  return [...ids].sort((a, b) => a - b);
}
