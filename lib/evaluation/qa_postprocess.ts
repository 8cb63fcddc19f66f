/**
 * Turns a question-answering model's per-window start/end logits into answer texts, with the
 * semantics of Hugging Face's `postprocess_qa_predictions` (examples/pytorch/question-answering/
 * utils_qa.py, what run_qa.py calls), and writes the files it writes.
 *
 * Known differences, all in cases HF leaves undefined:
 * - Equal logits: HF ranks tokens with numpy's default argsort, whose order among ties depends on
 *   the CPU's SIMD sort and the array length. Here ties rank the later token first, which is what
 *   a stable argsort read backwards (`np.argsort(x, kind="stable")[::-1]`) gives.
 * - Scores are sums in double precision; HF adds in the logits' dtype (float32 under run_qa.py's
 *   Trainer), so scores, probabilities and null odds agree to float32 precision.
 * - An example with no window is an error (HF reuses the previous example's null score).
 * - In v2, when every kept candidate has empty text (only possible with zero-width offsets), the
 *   "empty" placeholder is inserted as for a lone null answer, where HF raises an IndexError.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic_write';
import { softmax } from './softmax';

/** The example a window was cut from: its id and the context its offsets point into. */
export interface QaExampleRef {
  id: string;
  context: string;
}

/** One tokenized window of an example, aligned with its row of logits. */
export interface QaWindow {
  /** Index into the examples array. */
  exampleIndex: number;
  /**
   * Per token: the [start, end) character span in the example's context (JavaScript string
   * indices), null for question, special and padding tokens.
   */
  offsets: ReadonlyArray<readonly [number, number] | null>;
  /** Per token; when present, an answer may only start at a token whose entry is true. */
  tokenIsMaxContext?: readonly boolean[];
}

export interface QaPostprocessOptions {
  /** Candidate start and end tokens per window, and answers kept per example. Default 20. */
  nBestSize?: number;
  /** Longest answer in tokens. Default 30. */
  maxAnswerLength?: number;
  /** SQuAD v2.0: "no answer" is a possible prediction. Default false. */
  version2WithNegative?: boolean;
  /** v2.0: predict "no answer" when null score minus best span score exceeds this. Default 0. */
  nullScoreDiffThreshold?: number;
}

/** One of an example's n-best answers. */
export interface NBestEntry {
  /** The answer text; "" for the null answer, "empty" for the placeholder when nothing fits. */
  text: string;
  /** Softmax of the scores (start + end logit) over the example's kept answers. */
  probability: number;
  start_logit: number;
  end_logit: number;
  /** The [start, end) span in the context; absent for the null answer and the placeholder. */
  offsets?: [number, number];
}

/**
 * Answers per example id, in example order. A plain object lists integer-like ids in numeric
 * order, so with such ids the written files' key order differs from HF's (values do not).
 */
export interface QaPredictions {
  predictions: Record<string, string>;
  nbest: Record<string, NBestEntry[]>;
  /** v2.0 only: null score minus the best span's score, per example. */
  nullOdds?: Record<string, number>;
}

interface Candidate {
  offsets: readonly [number, number];
  score: number;
  startLogit: number;
  endLogit: number;
  isSpan: boolean;
}

/** HF's stand-in answer when no candidate has text: score and logits 0. */
const PLACEHOLDER: Candidate = { offsets: [0, 0], score: 0, startLogit: 0, endLogit: 0, isSpan: false };

/**
 * Answers from logits: `startLogits[i]` and `endLogits[i]` belong to `windows[i]`; rows may be
 * longer than the window's offsets (padding), and those positions still take part in choosing
 * the top start/end tokens, as in HF, but never become answers.
 */
export function postprocessQaPredictions(
  examples: readonly QaExampleRef[],
  windows: readonly QaWindow[],
  startLogits: ReadonlyArray<ArrayLike<number>>,
  endLogits: ReadonlyArray<ArrayLike<number>>,
  options: QaPostprocessOptions = {},
): QaPredictions {
  const nBestSize = positiveInteger(options.nBestSize ?? 20, 'nBestSize');
  const maxAnswerLength = positiveInteger(options.maxAnswerLength ?? 30, 'maxAnswerLength');
  const version2 = options.version2WithNegative ?? false;
  const threshold = options.nullScoreDiffThreshold ?? 0;
  if (!Number.isFinite(threshold)) {
    throw new Error(`QA postprocessing: nullScoreDiffThreshold must be a finite number, got ${threshold}`);
  }
  if (startLogits.length !== windows.length || endLogits.length !== windows.length) {
    throw new Error(`QA postprocessing: ${windows.length} windows but ${startLogits.length} rows of start logits ` + `and ${endLogits.length} of end logits`);
  }
  const windowsOfExample = groupWindows(examples, windows);

  const predictions: Array<[string, string]> = [];
  const nbest: Array<[string, NBestEntry[]]> = [];
  const nullOdds: Array<[string, number]> = [];
  examples.forEach((example, e) => {
    if (windowsOfExample[e].length === 0) {
      throw new Error(`QA postprocessing: example ${example.id} (index ${e}) has no window; every example needs at least one`);
    }
    const { spans: candidates, nullAnswer: nullCandidate } = exampleCandidates(
      windowsOfExample[e],
      windows,
      startLogits,
      endLogits,
      nBestSize,
      maxAnswerLength,
    );
    if (version2) candidates.push(nullCandidate);
    // Array.prototype.sort is stable: equal scores keep window, start, end order, as Python's sorted().
    const kept = candidates.sort((a, b) => b.score - a.score).slice(0, nBestSize);
    if (version2 && !kept.some((c) => c.offsets[0] === 0 && c.offsets[1] === 0)) kept.push(nullCandidate);

    const entries = kept.map((c) => ({ candidate: c, text: example.context.slice(c.offsets[0], c.offsets[1]) }));
    const noText = entries.every((entry) => entry.text === '');
    if (entries.length === 0 || (entries.length === 1 && noText) || (version2 && noText)) {
      entries.unshift({ candidate: PLACEHOLDER, text: 'empty' });
    }
    const probabilities = softmax(entries.map((entry) => entry.candidate.score));
    const best: NBestEntry[] = entries.map(({ candidate, text }, i) => {
      const entry: NBestEntry = {
        text,
        probability: probabilities[i],
        start_logit: candidate.startLogit,
        end_logit: candidate.endLogit,
      };
      if (candidate.isSpan) entry.offsets = [candidate.offsets[0], candidate.offsets[1]];
      return entry;
    });
    nbest.push([example.id, best]);

    if (!version2) {
      predictions.push([example.id, best[0].text]);
      return;
    }
    const bestNonNull = best.find((entry) => entry.text !== '') as NBestEntry;
    const scoreDiff = nullCandidate.score - bestNonNull.start_logit - bestNonNull.end_logit;
    nullOdds.push([example.id, scoreDiff]);
    predictions.push([example.id, scoreDiff > threshold ? '' : bestNonNull.text]);
  });

  // fromEntries defines own properties, so even an id like "__proto__" stays a plain key.
  const result: QaPredictions = { predictions: Object.fromEntries(predictions), nbest: Object.fromEntries(nbest) };
  if (version2) result.nullOdds = Object.fromEntries(nullOdds);
  return result;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`QA postprocessing: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function groupWindows(examples: readonly QaExampleRef[], windows: readonly QaWindow[]): number[][] {
  const seen = new Set<string>();
  for (const example of examples) {
    if (seen.has(example.id)) throw new Error(`QA postprocessing: example id ${example.id} appears more than once`);
    seen.add(example.id);
  }
  const grouped: number[][] = examples.map(() => []);
  windows.forEach((window, w) => {
    const e = window.exampleIndex;
    if (!Number.isInteger(e) || e < 0 || e >= examples.length) {
      throw new Error(`QA postprocessing: window ${w} points to example ${e}, but there are ${examples.length} examples`);
    }
    grouped[e].push(w);
  });
  return grouped;
}

/**
 * The example's possible spans from all its windows, in window order, and its null answer: the
 * CLS score of the window where it is lowest (the first such window on ties).
 */
function exampleCandidates(
  windowIndices: readonly number[],
  windows: readonly QaWindow[],
  startLogits: ReadonlyArray<ArrayLike<number>>,
  endLogits: ReadonlyArray<ArrayLike<number>>,
  nBestSize: number,
  maxAnswerLength: number,
): { spans: Candidate[]; nullAnswer: Candidate } {
  let nullAnswer: Candidate | undefined;
  const spans: Candidate[] = [];
  for (const w of windowIndices) {
    const start = checkedLogits(startLogits[w], w, 'start');
    const end = checkedLogits(endLogits[w], w, 'end');
    if (start.length !== end.length) {
      throw new Error(`QA postprocessing: window ${w} has ${start.length} start logits but ${end.length} end logits`);
    }
    const nullScore = start[0] + end[0];
    if (nullAnswer === undefined || nullAnswer.score > nullScore) {
      nullAnswer = { offsets: [0, 0], score: nullScore, startLogit: start[0], endLogit: end[0], isSpan: false };
    }
    spans.push(...windowCandidates(windows[w], start, end, nBestSize, maxAnswerLength));
  }
  return { spans, nullAnswer: nullAnswer as Candidate };
}

function checkedLogits(logits: ArrayLike<number>, window: number, which: string): ArrayLike<number> {
  if (logits.length === 0) throw new Error(`QA postprocessing: window ${window} has no ${which} logits`);
  for (let i = 0; i < logits.length; i++) {
    if (!Number.isFinite(logits[i])) {
      throw new Error(`QA postprocessing: ${which} logit ${i} of window ${window} is ${logits[i]}; logits must be finite`);
    }
  }
  return logits;
}

/** Every (start, end) pair among the top start and end tokens that can be an answer. */
function windowCandidates(window: QaWindow, start: ArrayLike<number>, end: ArrayLike<number>, nBestSize: number, maxAnswerLength: number): Candidate[] {
  const { offsets, tokenIsMaxContext } = window;
  const candidates: Candidate[] = [];
  const endIndices = topIndices(end, nBestSize);
  for (const s of topIndices(start, nBestSize)) {
    for (const e of endIndices) {
      const startSpan = s < offsets.length ? offsets[s] : null;
      const endSpan = e < offsets.length ? offsets[e] : null;
      if (startSpan === null || endSpan === null) continue;
      if (e < s || e - s + 1 > maxAnswerLength) continue;
      if (tokenIsMaxContext !== undefined && tokenIsMaxContext[s] !== true) continue;
      candidates.push({
        offsets: [startSpan[0], endSpan[1]],
        score: start[s] + end[e],
        startLogit: start[s],
        endLogit: end[e],
        isSpan: true,
      });
    }
  }
  return candidates;
}

/** Indices of the `n` largest values, largest first; among equal values the later index first. */
function topIndices(values: ArrayLike<number>, n: number): number[] {
  const top: number[] = [];
  for (let i = 0; i < values.length; i++) {
    // i is later than everything in `top`, so it goes before the first value it equals.
    let at = top.length;
    while (at > 0 && values[top[at - 1]] <= values[i]) at--;
    if (at < n) {
      top.splice(at, 0, i);
      if (top.length > n) top.pop();
    }
  }
  return top;
}

/**
 * Writes `predictions.json`, `nbest_predictions.json` and, for v2.0, `null_odds.json` (with
 * `prefix`, `<prefix>_predictions.json` and so on) into `dir`, creating it if needed, in HF's
 * layout: JSON indented by 4, n-best entries as {start_logit, end_logit, text, probability}.
 * Numbers and non-ASCII text are spelled as JavaScript writes them (`1`, not Python's `1.0`;
 * UTF-8, not `\uXXXX`): the bytes differ from HF's files, the parsed values do not.
 * Each file is written atomically. Returns the paths written.
 */
export function writeQaPredictionFiles(dir: string, result: QaPredictions, version2: boolean, prefix?: string): string[] {
  const name = (base: string) => path.join(dir, prefix === undefined ? base : `${prefix}_${base}`);
  const files: Array<[string, unknown]> = [
    [name('predictions.json'), result.predictions],
    [name('nbest_predictions.json'), nbestJson(result.nbest)],
  ];
  if (version2) {
    if (result.nullOdds === undefined) {
      throw new Error('QA predictions have no null odds; they were not post-processed with version2WithNegative');
    }
    files.push([name('null_odds.json'), result.nullOdds]);
  }
  fs.mkdirSync(dir, { recursive: true });
  for (const [file, value] of files) {
    writeFileAtomic(file, Buffer.from(`${JSON.stringify(value, null, 4)}\n`, 'utf8'));
  }
  return files.map(([file]) => file);
}

function nbestJson(nbest: Readonly<Record<string, NBestEntry[]>>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(nbest).map(([id, entries]) => [
      id,
      entries.map(({ start_logit, end_logit, text, probability }) => ({ start_logit, end_logit, text, probability })),
    ]),
  );
}
