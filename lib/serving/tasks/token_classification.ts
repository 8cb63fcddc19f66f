// token-classification (alias ner): transformers' TokenClassificationPipeline. Per-token softmax
// scores, optionally fused into words (first/average/max) and grouped into B-/I- entities, with
// start/end as offsets into the JavaScript string (UTF-16 indices, as String.prototype.slice takes).
import { softmax } from '../../evaluation/softmax';
import { cleanUpTokenization } from '../../tokenization/clean_up_tokenization';
import type { Encoding } from '../../tokenization/encoding';
import { PipelineInputError } from '../errors';
import type { InferenceEngine } from '../inference_engine';
import {
  describeJson,
  encodeForModel,
  optionalChoice,
  optionalInteger,
  parseOneOrMany,
  rejectUnknownParameters,
  requireText,
  type ParsedInputs,
  runModel,
  type RunContext,
  type TaskDefinition,
} from '../task_definition';
import { labelNames } from './text_classification';

export type TokenClassificationInput = string;

export type AggregationStrategy = 'none' | 'simple' | 'first' | 'average' | 'max';

const STRATEGIES: readonly AggregationStrategy[] = ['none', 'simple', 'first', 'average', 'max'];

export interface TokenClassificationParameters {
  /** Default "none": one result per token. */
  aggregation_strategy?: AggregationStrategy;
  /** Labels (or entity groups) left out of the results. Default ["O"]. */
  ignore_labels?: string[];
  /**
   * Classify all of a long text: windows of the model's length overlapping by `stride` tokens
   * (entities found twice are kept once). Not with aggregation_strategy "none". Default: the text
   * is truncated to the model's length.
   */
  stride?: number;
}

/** One token (aggregation_strategy "none"). */
export interface TokenEntity {
  entity: string;
  score: number;
  /** The token's position in the model input ([CLS] is 0). */
  index: number;
  word: string;
  start: number;
  end: number;
}

/** One entity: adjacent tokens (or words) of one type. */
export interface EntityGroup {
  entity_group: string;
  score: number;
  word: string;
  start: number;
  end: number;
}

export type TokenClassificationResult = TokenEntity[] | EntityGroup[];

/** The entities of one text; a list of those for a list of texts. */
export type TokenClassificationOutput = TokenClassificationResult | TokenClassificationResult[];

interface Params {
  strategy: AggregationStrategy;
  ignoreLabels: readonly string[];
  stride: number | undefined;
}

/** A token before aggregation: its scores over the labels and where it is in the text. */
interface PreEntity {
  word: string;
  scores: number[];
  start: number;
  end: number;
  index: number;
  isSubword: boolean;
}

/** A token or a word with its label. */
interface LabelledEntity {
  entity: string;
  score: number;
  index?: number;
  word: string;
  start: number;
  end: number;
}

export const tokenClassification: TaskDefinition<TokenClassificationInput, Params, TokenClassificationResult, TokenClassificationOutput> = {
  modelTask: 'token-classification',

  parseInputs(raw: unknown, field: string): ParsedInputs<TokenClassificationInput> {
    return parseOneOrMany(raw, field, Array.isArray, (value, f) => requireText(value, f));
  },

  parseParameters(raw: Record<string, unknown>, engine: InferenceEngine): Params {
    rejectUnknownParameters(raw, ['aggregation_strategy', 'ignore_labels', 'stride']);
    const given = optionalChoice(raw, 'aggregation_strategy', STRATEGIES);
    // tokenizers needs the stride smaller than a window's text (maxLength - [CLS] - [SEP]).
    const stride = optionalInteger(raw, 'stride', 0, engine.maxLength - 3);
    if (stride !== undefined && given === 'none') {
      throw new PipelineInputError(
        'parameters.stride',
        'classifies all of a long text by windows, which needs an aggregation_strategy other than "none" (e.g. "simple")',
      );
    }
    return { strategy: given ?? 'none', ignoreLabels: ignoreLabels(raw.ignore_labels), stride };
  },

  async run(text: string, params: Params, context: RunContext, field: string): Promise<TokenClassificationResult> {
    const { engine } = context;
    const windows = await encodeWindows(context, text, params.stride, field);
    const outputs = await runModel(context, windows, field);
    const labels = labelNames(engine);
    const found: Array<LabelledEntity | EntityGroup> = [];
    windows.forEach((window, w) => {
      const logits = outputs[w].logits;
      const preEntities = gatherPreEntities(engine, text, window, logits.data, labels.length);
      const entities = aggregate(preEntities, params.strategy, labels);
      for (const entity of entities) {
        const label = 'entity_group' in entity ? entity.entity_group : entity.entity;
        if (!params.ignoreLabels.includes(label)) found.push(entity);
      }
    });
    const kept = windows.length > 1 ? aggregateOverlapping(found) : found;
    return kept as TokenClassificationResult;
  },

  format(results: TokenClassificationResult[], single: boolean): TokenClassificationOutput {
    return single ? results[0] : results;
  },
};

function ignoreLabels(value: unknown): string[] {
  if (value === undefined || value === null) return ['O'];
  if (!Array.isArray(value)) throw new PipelineInputError('parameters.ignore_labels', `must be a list of labels, got ${describeJson(value)}`);
  value.forEach((label, i) => {
    if (typeof label !== 'string') throw new PipelineInputError(`parameters.ignore_labels[${i}]`, `must be a string, got ${describeJson(label)}`);
  });
  return value as string[];
}

/** The text's encoding, truncated to the model (transformers' default) or, with a stride, all its windows. */
async function encodeWindows(context: RunContext, text: string, stride: number | undefined, field: string): Promise<Encoding[]> {
  if (stride === undefined) return encodeForModel(context, [text], [field], { returnOffsets: true });
  const [main] = await context.engine.tokenizer.encodeBatch([text], {
    truncation: true,
    maxLength: context.engine.maxLength,
    stride,
    returnOverflowing: true,
    returnOffsets: true,
  });
  return [main, ...(main.overflowing ?? [])];
}

/** Per non-special token: its token, label probabilities, offsets, and whether it continues a word. */
function gatherPreEntities(engine: InferenceEngine, text: string, window: Encoding, logits: Float32Array, numLabels: number): PreEntity[] {
  const { tokenizer } = engine;
  const preEntities: PreEntity[] = [];
  window.inputIds.forEach((id, index) => {
    // [CLS] and [SEP] (transformers' special_tokens_mask); special tokens written in the text stay.
    if (window.sequenceIds![index] === null) return;
    const [start, end] = window.offsets![index];
    const source = text.slice(start, end);
    let word = tokenizer.idToToken(id) ?? '';
    // WordPiece marks continuations ("##ing"), so the token is longer than its source text
    // (transformers compares lengths in code points).
    let isSubword = codePoints(word) !== codePoints(source);
    if (id === tokenizer.unkTokenId) {
      word = source;
      isSubword = false;
    }
    const scores = softmax(Array.from(logits.subarray(index * numLabels, (index + 1) * numLabels)));
    preEntities.push({ word, scores, start, end, index, isSubword });
  });
  return preEntities;
}

function aggregate(preEntities: PreEntity[], strategy: AggregationStrategy, labels: readonly string[]): Array<LabelledEntity | EntityGroup> {
  let entities: LabelledEntity[];
  if (strategy === 'none' || strategy === 'simple') {
    entities = preEntities.map((p) => {
      const best = argmax(p.scores);
      return { entity: labels[best], score: p.scores[best], index: p.index, word: p.word, start: p.start, end: p.end };
    });
    if (strategy === 'none') return entities;
  } else {
    entities = aggregateWords(preEntities, strategy, labels);
  }
  return groupEntities(entities);
}

/** Tokens of one word take one label: a word is a token and the subword tokens after it. */
function aggregateWords(preEntities: PreEntity[], strategy: 'first' | 'average' | 'max', labels: readonly string[]): LabelledEntity[] {
  const words: LabelledEntity[] = [];
  let group: PreEntity[] = [];
  for (const p of preEntities) {
    if (group.length > 0 && !p.isSubword) {
      words.push(aggregateWord(group, strategy, labels));
      group = [];
    }
    group.push(p);
  }
  if (group.length > 0) words.push(aggregateWord(group, strategy, labels));
  return words;
}

function aggregateWord(tokens: PreEntity[], strategy: 'first' | 'average' | 'max', labels: readonly string[]): LabelledEntity {
  let scores: number[];
  if (strategy === 'first') {
    scores = tokens[0].scores;
  } else if (strategy === 'max') {
    // The first token holding the highest probability.
    let best = tokens[0];
    for (const t of tokens) if (Math.max(...t.scores) > Math.max(...best.scores)) best = t;
    scores = best.scores;
  } else {
    scores = tokens[0].scores.map((_, label) => tokens.reduce((sum, t) => sum + t.scores[label], 0) / tokens.length);
  }
  const best = argmax(scores);
  return {
    entity: labels[best],
    score: scores[best],
    word: tokensToString(tokens.map((t) => t.word)),
    start: tokens[0].start,
    end: tokens[tokens.length - 1].end,
  };
}

/** B-/I- prefixes: "B-PER" is (B, PER); a label without one continues (I). */
function tagOf(label: string): { bi: 'B' | 'I'; tag: string } {
  if (label.startsWith('B-')) return { bi: 'B', tag: label.slice(2) };
  if (label.startsWith('I-')) return { bi: 'I', tag: label.slice(2) };
  return { bi: 'I', tag: label };
}

/** Adjacent entities of one tag form a group; a B- entity starts a new one. */
function groupEntities(entities: LabelledEntity[]): EntityGroup[] {
  const groups: EntityGroup[] = [];
  let current: LabelledEntity[] = [];
  for (const entity of entities) {
    if (current.length > 0) {
      const { bi, tag } = tagOf(entity.entity);
      if (tag !== tagOf(current[current.length - 1].entity).tag || bi === 'B') {
        groups.push(groupOf(current));
        current = [];
      }
    }
    current.push(entity);
  }
  if (current.length > 0) groups.push(groupOf(current));
  return groups;
}

function groupOf(entities: LabelledEntity[]): EntityGroup {
  const label = entities[0].entity;
  const dash = label.indexOf('-');
  return {
    // transformers takes what follows the first "-" (for any prefix, not only B-/I-).
    entity_group: dash < 0 ? label : label.slice(dash + 1),
    score: entities.reduce((sum, e) => sum + e.score, 0) / entities.length,
    word: tokensToString(entities.map((e) => e.word)),
    start: entities[0].start,
    end: entities[entities.length - 1].end,
  };
}

/**
 * Entities from overlapping windows: of those that overlap (one starts inside the one before), the
 * longest, then the highest scoring, is kept.
 */
function aggregateOverlapping<E extends { start: number; end: number; score: number }>(entities: E[]): E[] {
  if (entities.length === 0) return entities;
  const sorted = [...entities].sort((a, b) => a.start - b.start);
  const kept: E[] = [];
  let previous = sorted[0];
  for (const entity of sorted) {
    if (previous.start <= entity.start && entity.start < previous.end) {
      const length = entity.end - entity.start;
      const previousLength = previous.end - previous.start;
      if (length > previousLength || (length === previousLength && entity.score > previous.score)) previous = entity;
    } else {
      kept.push(previous);
      previous = entity;
    }
  }
  kept.push(previous);
  return kept;
}

/**
 * Tokens joined as BERT's WordPiece decoder joins them (transformers' convert_tokens_to_string):
 * "##" pieces glued to the token before, others after a space, and per token the decoder's clean-up
 * of the space before punctuation and contractions.
 */
export function tokensToString(tokens: readonly string[]): string {
  return tokens
    .map((token, i) => {
      const piece = i === 0 ? token : token.startsWith('##') ? token.slice(2) : ` ${token}`;
      return cleanUp(piece);
    })
    .join('');
}

// The WordPiece decoder's clean-up: transformers' clean_up_tokenization plus " do not" -> " don't".
function cleanUp(text: string): string {
  return cleanUpTokenization(text).replaceAll(' do not', " don't");
}

function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function codePoints(text: string): number {
  return [...text].length;
}
