/**
 * Per-entity-type counts that every seqeval score derives from: entities predicted, entities in
 * the gold data, and true positives (same type, same span), for either mode.
 */
import { compareCodePoints } from './python_strings';
import { extractDefaultEntities } from './seqeval_entities';
import { getStrictEntities } from './seqeval_schemes';
import { ModeOptions, SeqevalError, WarningSink } from './seqeval_types';

export interface TypeCounts {
  /** Entity types found in gold or predictions, sorted as Python sorts strings. */
  types: string[];
  truePositives: number[];
  predicted: number[];
  gold: number[];
}

/** Span keys per entity type. */
export type SpansByType = Map<string, Set<string>>;

function pythonList(values: readonly number[]): string {
  return `[${values.join(', ')}]`;
}

/**
 * seqeval's `check_consistent_length`: both must be lists of sentences, with the same number of
 * sentences and the same length sentence by sentence.
 */
export function checkConsistentLength(yTrue: readonly (readonly string[])[], yPred: readonly (readonly string[])[]): void {
  const sentences = [...yTrue, ...yPred];
  if (sentences.length === 0 || !sentences.every((s) => Array.isArray(s))) {
    throw new SeqevalError(
      'TypeError',
      'Found input variables without list of list.',
      'Found input variables without list of list: yTrue and yPred must be non-empty arrays of sentences (arrays of tags).',
    );
  }
  const lengthsTrue = yTrue.map((s) => s.length);
  const lengthsPred = yPred.map((s) => s.length);
  if (lengthsTrue.length !== lengthsPred.length || lengthsTrue.some((n, i) => n !== lengthsPred[i])) {
    throw new SeqevalError('ValueError', `Found input variables with inconsistent numbers of samples:\n${pythonList(lengthsTrue)}\n${pythonList(lengthsPred)}`);
  }
}

function spansOf(sequences: readonly (readonly string[])[], options: ModeOptions, suffix: boolean, sink: WarningSink): SpansByType {
  const spans: SpansByType = new Map();
  if (options.mode === 'strict') {
    for (const e of getStrictEntities(sequences, { scheme: options.scheme, suffix })) {
      addSpan(spans, e.type, `${e.sentence}:${e.start}:${e.end}`);
    }
  } else {
    for (const [type, start, end] of extractDefaultEntities(sequences, suffix, sink)) {
      addSpan(spans, type, `${start}:${end}`);
    }
  }
  return spans;
}

function addSpan(spans: SpansByType, type: string, key: string): void {
  let set = spans.get(type);
  if (set === undefined) {
    set = new Set();
    spans.set(type, set);
  }
  set.add(key);
}

/** Both sides' entity spans per type. */
export interface EntitySpans {
  gold: SpansByType;
  predicted: SpansByType;
}

export function entitySpans(
  yTrue: readonly (readonly string[])[],
  yPred: readonly (readonly string[])[],
  options: ModeOptions,
  suffix: boolean,
  sink: WarningSink,
): EntitySpans {
  return { gold: spansOf(yTrue, options, suffix, sink), predicted: spansOf(yPred, options, suffix, sink) };
}

/** Entity types found on either side, sorted as Python sorts strings (report order). */
export function entityTypes(spans: EntitySpans): string[] {
  return [...new Set([...spans.gold.keys(), ...spans.predicted.keys()])].sort(compareCodePoints);
}

export function countSpans(spans: EntitySpans): TypeCounts {
  const types = entityTypes(spans);
  const counts: TypeCounts = { types, truePositives: [], predicted: [], gold: [] };
  for (const type of types) {
    const gold = spans.gold.get(type) ?? new Set<string>();
    const predicted = spans.predicted.get(type) ?? new Set<string>();
    let hits = 0;
    for (const key of predicted) if (gold.has(key)) hits++;
    counts.truePositives.push(hits);
    counts.predicted.push(predicted.size);
    counts.gold.push(gold.size);
  }
  return counts;
}

/** Checks the inputs, extracts both sides' entities and counts them per type. */
export function countEntities(
  yTrue: readonly (readonly string[])[],
  yPred: readonly (readonly string[])[],
  options: ModeOptions,
  suffix: boolean,
  sink: WarningSink,
): TypeCounts {
  checkConsistentLength(yTrue, yPred);
  return countSpans(entitySpans(yTrue, yPred, options, suffix, sink));
}
