/**
 * The official SQuAD metrics, computed as the official scripts compute them: `evaluate-v1.1.py`
 * (exact match and token F1 in percent, as Hugging Face's `squad` metric reports) and
 * `evaluate-v2.0.py` (the same plus HasAns/NoAns breakdowns, the no-answer probability
 * threshold and the best-threshold search, as the `squad_v2` metric reports).
 *
 * Every intermediate value follows the scripts' order of operations, so results are equal to
 * theirs bit for bit, not just close. Two things depend on the Python that runs the scripts:
 * Unicode tables (lower-casing, `\w`, whitespace: equal here for every character Unicode 14 /
 * Python 3.11 knows) and `sum()` (Python 3.12+ sums floats with compensation; the scripts under
 * 3.11 and older add left to right, as this module does).
 */

/** One question's gold answers, flattened out of a SQuAD file. */
export interface SquadGold {
  id: string;
  /** The answer texts, in file order, duplicates kept. Empty for an unanswerable question. */
  answers: readonly string[];
  /**
   * SQuAD v2.0's `is_impossible`. The official script decides from `answers` alone; when this
   * is given it must agree (true exactly when `answers` is empty).
   */
  isImpossible?: boolean;
}

/** A SQuAD file as `JSON.parse` returns it: `{data: [{title, paragraphs: [{context, qas}]}]}`. */
export interface SquadDatasetJson {
  data: ReadonlyArray<{
    title?: string;
    paragraphs: ReadonlyArray<{
      context?: string;
      qas: ReadonlyArray<{
        id: string;
        question?: string;
        answers: ReadonlyArray<{ text: string; answer_start?: number }>;
        is_impossible?: boolean;
      }>;
    }>;
  }>;
}

/** Gold answers as a flat list or as a parsed SQuAD file. */
export type SquadGoldSource = readonly SquadGold[] | SquadDatasetJson;

/** Predicted answer text per question id (`""` means "no answer" in v2.0). */
export type SquadPredictions = Readonly<Record<string, string>>;

/**
 * Probability of "no answer" per question id. Order matters for ties in the best-threshold
 * search (the official script keeps the file's order), so pass a Map when ids look like
 * integers: a plain object lists such keys in numeric order, not insertion order.
 */
export type SquadNaProbs = Readonly<Record<string, number>> | ReadonlyMap<string, number>;

/** `evaluate-v1.1.py`'s output: percentages. */
export interface SquadV1Result {
  exact_match: number;
  f1: number;
}

/**
 * `evaluate-v2.0.py`'s `--out-file` JSON, keys in its order. The HasAns / NoAns keys appear
 * only when the dataset has questions of that kind, the `best_*` keys only with na_probs.
 */
export interface SquadV2Result {
  exact: number;
  f1: number;
  total: number;
  HasAns_exact?: number;
  HasAns_f1?: number;
  HasAns_total?: number;
  NoAns_exact?: number;
  NoAns_f1?: number;
  NoAns_total?: number;
  best_exact?: number;
  best_exact_thresh?: number;
  best_f1?: number;
  best_f1_thresh?: number;
}

/** One question's v1.1 scores (max over its gold answers); 0 and 0 when unanswered. */
export interface SquadV1QuestionScore {
  id: string;
  answered: boolean;
  exactMatch: number;
  f1: number;
}

/**
 * v2.0 per-question scores before any threshold (`get_raw_scores`), keyed by id in first-seen
 * order, plus whether each question has gold answers (`make_qid_to_has_ans`).
 */
export interface SquadV2RawScores {
  exact: Map<string, number>;
  f1: Map<string, number>;
  hasAnswer: Map<string, boolean>;
}

/** Python's `string.punctuation`: the 32 ASCII punctuation characters and nothing else. */
const PUNCTUATION = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

// Python 3's `\b` is a Unicode word boundary: a word character is alphanumeric in the Unicode
// sense or `_`, i.e. [\p{L}\p{N}_] (combining marks are not word characters).
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

// The characters Python's `str.split()` splits on: more than JavaScript's `\s` (U+001C-U+001F,
// U+0085) and fewer (not U+FEFF).
const PYTHON_WHITESPACE =
  // eslint-disable-next-line no-control-regex -- U+001C-U+001F are whitespace to Python, so they belong in the class.
  /[\t\n\v\f\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/u;

/**
 * The official `normalize_answer`: lower-case, drop ASCII punctuation, replace the articles
 * a / an / the by a space, then collapse whitespace the way Python's `str.split()` sees it.
 */
export function normalizeAnswer(text: string): string {
  let withoutPunctuation = '';
  for (const ch of text.toLowerCase()) if (!PUNCTUATION.has(ch)) withoutPunctuation += ch;
  return pythonSplit(withoutPunctuation.replace(ARTICLES, ' ')).join(' ');
}

/** The tokens F1 counts: `normalize_answer(text).split()`. */
export function answerTokens(text: string): string[] {
  const normalized = normalizeAnswer(text);
  return normalized === '' ? [] : normalized.split(' ');
}

function pythonSplit(text: string): string[] {
  return text.split(PYTHON_WHITESPACE).filter((token) => token !== '');
}

/** 1 when prediction and gold normalize to the same string, else 0 (both versions). */
export function squadExactMatch(prediction: string, gold: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(gold) ? 1 : 0;
}

/** v1.1's `f1_score`: 0 when no token is shared, even if both sides normalize to nothing. */
export function squadV1F1(prediction: string, gold: string): number {
  return tokenF1(answerTokens(prediction), answerTokens(gold));
}

/** v2.0's `compute_f1`: when either side has no tokens, 1 if both have none, else 0. */
export function squadV2F1(prediction: string, gold: string): number {
  const predictionTokens = answerTokens(prediction);
  const goldTokens = answerTokens(gold);
  if (predictionTokens.length === 0 || goldTokens.length === 0) {
    return predictionTokens.length === goldTokens.length ? 1 : 0;
  }
  return tokenF1(predictionTokens, goldTokens);
}

function tokenF1(predictionTokens: readonly string[], goldTokens: readonly string[]): number {
  const same = commonTokenCount(predictionTokens, goldTokens);
  if (same === 0) return 0;
  const precision = same / predictionTokens.length;
  const recall = same / goldTokens.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Size of the multiset intersection (`sum((Counter(a) & Counter(b)).values())`). */
function commonTokenCount(a: readonly string[], b: readonly string[]): number {
  const remaining = new Map<string, number>();
  for (const token of b) remaining.set(token, (remaining.get(token) ?? 0) + 1);
  let same = 0;
  for (const token of a) {
    const count = remaining.get(token) ?? 0;
    if (count > 0) {
      same += 1;
      remaining.set(token, count - 1);
    }
  }
  return same;
}

/**
 * The questions of a parsed SQuAD v1.1 or v2.0 file (`data[].paragraphs[].qas[]`), in file order.
 * Only ids, answer texts and `is_impossible` are read; `plausible_answers` are ignored, as the
 * official scripts ignore them. Throws naming the first malformed entry.
 */
export function squadGoldFromJson(json: unknown): SquadGold[] {
  const data = field(json, 'data', 'the top level');
  const gold: SquadGold[] = [];
  arrayAt(data, 'data').forEach((article, a) => {
    const paragraphs = field(article, 'paragraphs', `data[${a}]`);
    arrayAt(paragraphs, `data[${a}].paragraphs`).forEach((paragraph, p) => {
      const where = `data[${a}].paragraphs[${p}]`;
      arrayAt(field(paragraph, 'qas', where), `${where}.qas`).forEach((qa, q) => {
        gold.push(questionFromJson(qa, `${where}.qas[${q}]`));
      });
    });
  });
  return gold;
}

function questionFromJson(qa: unknown, where: string): SquadGold {
  const id = field(qa, 'id', where);
  if (typeof id !== 'string') throw new Error(`SQuAD JSON: ${where}.id is not a string`);
  const answers = arrayAt(field(qa, 'answers', where), `${where}.answers`).map((answer, i) => {
    const text = field(answer, 'text', `${where}.answers[${i}]`);
    if (typeof text !== 'string') throw new Error(`SQuAD JSON: ${where}.answers[${i}].text is not a string`);
    return text;
  });
  const isImpossible = (qa as { is_impossible?: unknown }).is_impossible;
  if (isImpossible === undefined) return { id, answers };
  if (typeof isImpossible !== 'boolean') throw new Error(`SQuAD JSON: ${where}.is_impossible is not true or false`);
  return { id, answers, isImpossible };
}

function field(value: unknown, key: string, where: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`SQuAD JSON: ${where} is not an object`);
  }
  if (!(key in value)) throw new Error(`SQuAD JSON: ${where} has no "${key}"`);
  return (value as Record<string, unknown>)[key];
}

function arrayAt(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`SQuAD JSON: ${where} is not an array`);
  return value;
}

function goldList(source: SquadGoldSource): readonly SquadGold[] {
  const gold = Array.isArray(source) ? (source as readonly SquadGold[]) : squadGoldFromJson(source);
  if (gold.length === 0) throw new Error('SQuAD metrics: the gold data has no questions; there is nothing to score');
  return gold;
}

function predictionFor(predictions: SquadPredictions, id: string): string | undefined {
  if (!Object.prototype.hasOwnProperty.call(predictions, id)) return undefined;
  const prediction = predictions[id];
  if (typeof prediction !== 'string') {
    throw new Error(`SQuAD metrics: the prediction for question ${id} is ${typeof prediction}, not a string`);
  }
  return prediction;
}

/**
 * v1.1 scores per question, in gold order (a repeated id is scored each time, as the script
 * does). Predictions for ids not in the gold data are ignored.
 */
export function squadV1QuestionScores(gold: SquadGoldSource, predictions: SquadPredictions): SquadV1QuestionScore[] {
  return goldList(gold).map(({ id, answers }) => {
    if (answers.length === 0) {
      throw new Error(`SQuAD v1.1 metrics: question ${id} has no gold answers; unanswerable questions need squadV2Metrics`);
    }
    const prediction = predictionFor(predictions, id);
    if (prediction === undefined) return { id, answered: false, exactMatch: 0, f1: 0 };
    return {
      id,
      answered: true,
      exactMatch: Math.max(...answers.map((answer) => squadExactMatch(prediction, answer))),
      f1: Math.max(...answers.map((answer) => squadV1F1(prediction, answer))),
    };
  });
}

/**
 * `evaluate-v1.1.py`: mean exact match and F1 over all gold questions, in percent. A question
 * without a prediction scores 0 but still counts; predictions for unknown ids are ignored.
 */
export function squadV1Metrics(gold: SquadGoldSource, predictions: SquadPredictions): SquadV1Result {
  const scores = squadV1QuestionScores(gold, predictions);
  let exactMatch = 0;
  let f1 = 0;
  for (const score of scores) {
    exactMatch += score.exactMatch;
    f1 += score.f1;
  }
  return { exact_match: (100 * exactMatch) / scores.length, f1: (100 * f1) / scores.length };
}

/**
 * v2.0 `get_raw_scores`: gold answers that normalize to nothing are dropped and an empty gold
 * list becomes `[""]`, then exact and F1 are maxima over the gold answers. Every question needs
 * a prediction (the official script crashes without one); extra predictions are ignored.
 */
export function squadV2RawScores(gold: SquadGoldSource, predictions: SquadPredictions): SquadV2RawScores {
  const questions = goldList(gold);
  const missing = questions.filter(({ id }) => predictionFor(predictions, id) === undefined).map(({ id }) => id);
  if (missing.length > 0) {
    const shown = missing.slice(0, 5).join(', ');
    throw new Error(
      `SQuAD v2.0 metrics: ${missing.length} question(s) have no prediction ` + `(${shown}${missing.length > 5 ? ', ...' : ''}); predict "" for "no answer"`,
    );
  }
  const raw: SquadV2RawScores = { exact: new Map(), f1: new Map(), hasAnswer: new Map() };
  for (const { id, answers, isImpossible } of questions) {
    if (isImpossible !== undefined && isImpossible !== (answers.length === 0)) {
      throw new Error(`SQuAD v2.0 metrics: question ${id} has is_impossible=${isImpossible} but ${answers.length} gold answer(s)`);
    }
    const prediction = predictionFor(predictions, id) as string;
    const kept = answers.filter((answer) => normalizeAnswer(answer) !== '');
    const golds = kept.length > 0 ? kept : [''];
    raw.hasAnswer.set(id, answers.length > 0);
    raw.exact.set(id, Math.max(...golds.map((answer) => squadExactMatch(prediction, answer))));
    raw.f1.set(id, Math.max(...golds.map((answer) => squadV2F1(prediction, answer))));
  }
  return raw;
}

/**
 * `evaluate-v2.0.py` with `-n na_probs -t naProbThreshold` (without na_probs every question's
 * probability counts as 0.0, as in the script). A question whose na_prob is strictly above the
 * threshold counts as answered "no answer". With na_probs, `best_*` report the best threshold
 * found on the raw scores.
 */
export function squadV2Metrics(gold: SquadGoldSource, predictions: SquadPredictions, naProbs?: SquadNaProbs, naProbThreshold = 1.0): SquadV2Result {
  const raw = squadV2RawScores(gold, predictions);
  const probs = naProbs === undefined ? undefined : naProbEntries(naProbs);
  const naProbOf = (id: string): number => {
    if (probs === undefined) return 0.0;
    const prob = probs.byId.get(id);
    if (prob === undefined) throw new Error(`SQuAD v2.0 metrics: na_probs has no entry for question ${id}`);
    return prob;
  };
  const exact = applyNoAnswerThreshold(raw.exact, raw.hasAnswer, naProbOf, naProbThreshold);
  const f1 = applyNoAnswerThreshold(raw.f1, raw.hasAnswer, naProbOf, naProbThreshold);
  const ids = [...raw.exact.keys()];
  const result: SquadV2Result = { ...averages(exact, f1, ids) };
  const hasAnswerIds = ids.filter((id) => raw.hasAnswer.get(id));
  const noAnswerIds = ids.filter((id) => !raw.hasAnswer.get(id));
  if (hasAnswerIds.length > 0) {
    const part = averages(exact, f1, hasAnswerIds);
    Object.assign(result, { HasAns_exact: part.exact, HasAns_f1: part.f1, HasAns_total: part.total });
  }
  if (noAnswerIds.length > 0) {
    const part = averages(exact, f1, noAnswerIds);
    Object.assign(result, { NoAns_exact: part.exact, NoAns_f1: part.f1, NoAns_total: part.total });
  }
  if (probs !== undefined) {
    const bestExact = findBestThreshold(predictions, raw.exact, raw.hasAnswer, probs.ordered);
    const bestF1 = findBestThreshold(predictions, raw.f1, raw.hasAnswer, probs.ordered);
    result.best_exact = bestExact.score;
    result.best_exact_thresh = bestExact.threshold;
    result.best_f1 = bestF1.score;
    result.best_f1_thresh = bestF1.threshold;
  }
  return result;
}

interface NaProbEntries {
  ordered: Array<[string, number]>;
  byId: Map<string, number>;
}

function naProbEntries(naProbs: SquadNaProbs): NaProbEntries {
  const ordered: Array<[string, number]> = isMap(naProbs) ? [...naProbs.entries()] : Object.entries(naProbs);
  for (const [id, prob] of ordered) {
    if (typeof prob !== 'number' || Number.isNaN(prob)) {
      throw new Error(`SQuAD v2.0 metrics: na_probs for question ${id} is ${String(prob)}, not a number`);
    }
  }
  return { ordered, byId: new Map(ordered) };
}

function isMap(naProbs: SquadNaProbs): naProbs is ReadonlyMap<string, number> {
  return naProbs instanceof Map;
}

function applyNoAnswerThreshold(
  scores: ReadonlyMap<string, number>,
  hasAnswer: ReadonlyMap<string, boolean>,
  naProbOf: (id: string) => number,
  threshold: number,
): Map<string, number> {
  const thresholded = new Map<string, number>();
  for (const [id, score] of scores) {
    thresholded.set(id, naProbOf(id) > threshold ? (hasAnswer.get(id) ? 0 : 1) : score);
  }
  return thresholded;
}

function averages(exact: ReadonlyMap<string, number>, f1: ReadonlyMap<string, number>, ids: readonly string[]): { exact: number; f1: number; total: number } {
  let exactSum = 0;
  let f1Sum = 0;
  for (const id of ids) {
    exactSum += exact.get(id) as number;
    f1Sum += f1.get(id) as number;
  }
  return { exact: (100 * exactSum) / ids.length, f1: (100 * f1Sum) / ids.length, total: ids.length };
}

/**
 * The official `find_best_thresh`: start from "answer nothing" (every unanswerable question
 * right), walk the questions by ascending na_prob (ties in na_probs order) as if the threshold
 * moved past each, and keep the first strictly best running score. An unanswerable question
 * costs 1 when its raw prediction is any non-empty string, even one that normalizes to nothing.
 */
function findBestThreshold(
  predictions: SquadPredictions,
  scores: ReadonlyMap<string, number>,
  hasAnswer: ReadonlyMap<string, boolean>,
  naProbs: ReadonlyArray<[string, number]>,
): { score: number; threshold: number } {
  let noAnswerCount = 0;
  for (const has of hasAnswer.values()) if (!has) noAnswerCount += 1;
  let current = noAnswerCount;
  let best = current;
  let threshold = 0.0;
  const byProbability = [...naProbs].sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  for (const [id, prob] of byProbability) {
    const score = scores.get(id);
    if (score === undefined) continue;
    if (hasAnswer.get(id)) current += score;
    else if (predictions[id] !== '') current -= 1;
    if (current > best) {
      best = current;
      threshold = prob;
    }
  }
  return { score: (100 * best) / scores.size, threshold };
}
