import { compareCodePoints } from '../../evaluation/python_strings';
import { DataError } from '../readers/data_error';
import { editDistance } from '../../text/edit_distance';
import type { RawLabel, SourceLocation } from './text_examples';

/** The loss a classification head trains with; the same names as `problem_type` in a HF config.json. */
export type ProblemType = 'single_label_classification' | 'regression' | 'multi_label_classification';

/** Where the label list came from. */
export type LabelSource = 'flag' | 'config' | 'task' | 'data' | 'regression';

/** The part of an example that labels need. */
export interface LabeledExample {
  label?: RawLabel;
  source: SourceLocation;
}

/** Options of {@link resolveLabels}; the first of flag, config, task, data that gives labels wins. */
export interface ResolveLabelsOptions {
  /** Labels in id order from the command line (`--label_names`). */
  fromFlag?: readonly string[];
  /**
   * `id2label` of the model's config.json. Ignored when it is the untrained default
   * (`LABEL_0`, `LABEL_1`, ...) or, with a warning, when it does not cover the training labels
   * (as run_glue.py does). Its names match the data case-insensitively, like run_glue.py.
   */
  fromConfig?: Readonly<Record<string, string>>;
  /** Labels of a task preset (e.g. GLUE MNLI); empty for a regression preset. */
  fromTask?: readonly string[];
  /** Training examples: labels are inferred from them (sorted, as run_glue.py does) and checked. */
  train?: readonly LabeledExample[];
  /** Force the problem type; otherwise it is inferred (see {@link resolveLabels}). */
  problem?: ProblemType;
  /** Requested number of labels: 1 means regression; other values are checked against the list. */
  numLabels?: number;
  /** Multi-label data in TSV/CSV: the labels of one row joined by this string (e.g. `"|"`). */
  multiLabelDelimiter?: string;
}

/** The resolved label space of a classification or regression task. */
export interface ResolvedLabels {
  problem: ProblemType;
  /** Label names in id order; empty for regression. */
  labels: readonly string[];
  /** Name to id (own properties only: safe for any label text). Empty for regression. */
  label2id: Readonly<Record<string, number>>;
  /** Size of the model's output: `labels.length`, or 1 for regression. */
  numLabels: number;
  source: LabelSource;
  /** Whether labels match case-insensitively (labels taken from a model config). */
  ignoreCase: boolean;
  multiLabelDelimiter?: string;
  /** Things worth telling the user (e.g. config labels ignored); the caller logs them. */
  warnings: string[];
}

/**
 * Decides the problem type and the label list, and checks every training label against it, so a
 * bad label fails here rather than mid-training.
 *
 * Problem type, unless `problem` is given: multi-label when a training label is a list or
 * `multiLabelDelimiter` is set; regression when `numLabels` is 1, or when no label list is given and
 * every training label is a number with at least one non-integer (run_glue.py treats float labels
 * as regression); otherwise single-label classification.
 *
 * Throws a {@link DataError} naming file and line for a label that is not in the list, not a number
 * (regression) or empty; throws an Error for inconsistent options.
 */
export function resolveLabels(options: ResolveLabelsOptions): ResolvedLabels {
  const warnings: string[] = [];
  const train = options.train ?? [];
  const flag = options.fromFlag !== undefined ? checkedList(options.fromFlag, '--label_names') : undefined;
  // A regression preset (STS-B) has no labels: an empty task list means "the task does not say".
  const task = options.fromTask !== undefined && options.fromTask.length > 0 ? checkedList(options.fromTask, 'the task preset labels') : undefined;
  const config = options.fromConfig !== undefined ? configLabels(options.fromConfig) : undefined;
  const delimiter = options.multiLabelDelimiter;
  if (delimiter !== undefined && delimiter.length === 0) throw new Error('multiLabelDelimiter must not be empty');

  let problem = options.problem;
  if (problem === undefined) {
    if (delimiter !== undefined || train.some((e) => Array.isArray(e.label))) problem = 'multi_label_classification';
    else if (options.numLabels === 1) problem = 'regression';
    else if (flag === undefined && task === undefined && (config === undefined || config.isDefault) && looksLikeRealNumbers(train)) {
      problem = 'regression';
      warnings.push(
        'every training label is a number and some are not integers, so this is treated as regression (num_labels 1); ' +
          'pass the problem type single_label_classification to treat them as classes',
      );
    } else problem = 'single_label_classification';
  }

  if (problem === 'regression') {
    if (options.numLabels !== undefined && options.numLabels !== 1) {
      throw new Error(
        `regression predicts one number, but num_labels ${options.numLabels} was requested; drop num_labels or use a classification problem type`,
      );
    }
    const resolved: ResolvedLabels = {
      problem,
      labels: [],
      label2id: Object.create(null) as Record<string, number>,
      numLabels: 1,
      source: 'regression',
      ignoreCase: false,
      warnings,
    };
    for (const e of train) encodeLabel(e, resolved);
    return resolved;
  }

  const multi = problem === 'multi_label_classification';
  const splitOf = (e: LabeledExample): string[] => labelKeys(e, multi, delimiter);
  let labels: readonly string[] | undefined;
  let source: LabelSource = 'data';
  let ignoreCase = false;
  if (flag !== undefined) {
    labels = flag;
    source = 'flag';
  } else if (config !== undefined && !config.isDefault) {
    const known = new Set(config.labels.map((l) => l.toLowerCase()));
    const foreign = new Set<string>();
    for (const e of train) for (const k of splitOf(e)) if (!known.has(k.toLowerCase())) foreign.add(k);
    if (foreign.size === 0) {
      labels = config.labels;
      source = 'config';
      ignoreCase = true;
    } else {
      warnings.push(
        `the model config was trained with labels ${listed(config.labels)}, but the training data also has ${listed([...foreign].slice(0, 10))}; ` +
          'ignoring the config labels (the classifier head will be trained for the new label set)',
      );
    }
  }
  if (labels === undefined && task !== undefined) {
    labels = task;
    source = 'task';
  }
  if (labels === undefined && train.length > 0) {
    const seen = new Set<string>();
    for (const e of train) {
      for (const k of splitOf(e)) {
        if (k.length === 0) {
          throw new DataError(
            'UNKNOWN_LABEL',
            e.source.file,
            e.source.line,
            'the label is empty',
            'Give this row a label or remove it (labels are inferred from the training data, and an empty string is not a usable class name)',
          );
        }
        seen.add(k);
      }
    }
    labels = sortLabels([...seen]);
    source = 'data';
  }
  if (labels === undefined && config !== undefined) {
    labels = config.labels;
    source = 'config';
    ignoreCase = true;
  }
  if (labels === undefined || labels.length === 0) {
    throw new Error('no label list: pass --label_names, use a model whose config.json has id2label, or provide training data to infer the labels from');
  }
  if (options.numLabels !== undefined && options.numLabels !== labels.length) {
    throw new Error(
      `num_labels is ${options.numLabels} but there are ${labels.length} labels (${listed(labels)}, ${describeSource(source)}); ` +
        'make them agree or drop num_labels',
    );
  }
  const label2id = Object.create(null) as Record<string, number>;
  labels.forEach((l, i) => {
    label2id[l] = i;
  });
  const resolved: ResolvedLabels = { problem, labels, label2id, numLabels: labels.length, source, ignoreCase, warnings };
  if (delimiter !== undefined) resolved.multiLabelDelimiter = delimiter;
  for (const e of train) encodeLabel(e, resolved);
  return resolved;
}

/**
 * The training target of one example: the class id (single-label), a multi-hot vector of
 * `numLabels` zeros and ones (multi-label), or the number (regression). Throws a {@link DataError}
 * naming the file, line, the label and the known labels when the label does not fit.
 */
export function encodeLabel(example: LabeledExample, resolved: ResolvedLabels): number | number[] {
  const { file, line } = example.source;
  const raw = example.label;
  if (raw === undefined) {
    throw new DataError(
      'MISSING_LABEL',
      file,
      line,
      'this example has no label',
      'Select the label column (--label_column) when reading training or evaluation data',
    );
  }
  if (resolved.problem === 'regression') {
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' ? parseNumber(raw) : undefined;
    if (value === undefined || !Number.isFinite(value)) {
      throw new DataError(
        'UNKNOWN_LABEL',
        file,
        line,
        `the label ${JSON.stringify(raw)} is not a number, but this is a regression task (one numeric target per row)`,
        'Fix the label in this row, or use a classification problem type if the labels are classes',
      );
    }
    return value;
  }
  const multi = resolved.problem === 'multi_label_classification';
  if (!multi && Array.isArray(raw)) {
    throw new DataError(
      'UNKNOWN_LABEL',
      file,
      line,
      `the label is a list (${JSON.stringify(raw)}) but the problem is single-label classification`,
      'Use the problem type multi_label_classification for rows with several labels, or give one label per row',
    );
  }
  const keys = labelKeys(example, multi, resolved.multiLabelDelimiter);
  const ids = keys.map((k) => idOf(k, resolved, example));
  if (!multi) return ids[0];
  const hot = new Array<number>(resolved.numLabels).fill(0);
  for (const id of ids) hot[id] = 1;
  return hot;
}

function idOf(key: string, resolved: ResolvedLabels, example: LabeledExample): number {
  if (Object.prototype.hasOwnProperty.call(resolved.label2id, key)) return resolved.label2id[key];
  if (resolved.ignoreCase) {
    const folded = resolved.labels.findIndex((l) => l.toLowerCase() === key.toLowerCase());
    if (folded !== -1) return folded;
  }
  const suggestion = closest(key, resolved.labels);
  const example_ = [...resolved.labels, key].join(',');
  throw new DataError(
    'UNKNOWN_LABEL',
    example.source.file,
    example.source.line,
    `unknown label ${JSON.stringify(key)}; the known labels (${describeSource(resolved.source)}) are ${listed(resolved.labels)}`,
    `Fix the label in this row${suggestion ? ` (did you mean ${JSON.stringify(suggestion)}?)` : ''}, or pass the complete label list in id order with --label_names (for example --label_names ${example_})`,
  );
}

function labelKeys(example: LabeledExample, multi: boolean, delimiter: string | undefined): string[] {
  const raw = example.label;
  if (raw === undefined) return [];
  if (Array.isArray(raw)) return raw.map((v) => String(v));
  const key = String(raw);
  if (multi && delimiter !== undefined)
    return key
      .split(delimiter)
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  return [key];
}

/** The list when it is non-empty, of non-empty strings, without repeats; an Error naming `what` otherwise. */
export function checkedList(list: readonly string[], what: string): readonly string[] {
  if (list.length === 0) throw new Error(`${what}: the label list is empty`);
  const seen = new Set<string>();
  for (const l of list) {
    if (typeof l !== 'string' || l.length === 0) throw new Error(`${what}: labels must be non-empty strings, got ${JSON.stringify(l)}`);
    if (seen.has(l)) throw new Error(`${what}: label ${JSON.stringify(l)} appears twice`);
    seen.add(l);
  }
  return [...list];
}

/** config.json's id2label as a list in id order, and whether it is transformers' untrained LABEL_i default. */
export function configLabels(id2label: Readonly<Record<string, string>>): { labels: string[]; isDefault: boolean } {
  const entries = Object.entries(id2label);
  const labels = new Array<string>(entries.length);
  for (const [id, name] of entries) {
    const i = /^\d+$/.test(id) ? Number(id) : -1;
    if (i < 0 || i >= entries.length || labels[i] !== undefined) {
      throw new Error(`config.json id2label must map the ids 0..${entries.length - 1} to names, got key ${JSON.stringify(id)}`);
    }
    labels[i] = String(name);
  }
  checkedList(labels, 'config.json id2label');
  return { labels, isDefault: labels.every((l, i) => l === `LABEL_${i}`) };
}

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

function parseNumber(s: string): number | undefined {
  return NUMBER.test(s) ? Number(s) : undefined;
}

function looksLikeRealNumbers(train: readonly LabeledExample[]): boolean {
  if (train.length === 0) return false;
  let fractional = false;
  for (const { label } of train) {
    if (typeof label === 'number') {
      if (!Number.isFinite(label)) return false;
      if (!Number.isInteger(label)) fractional = true;
    } else if (typeof label === 'string' && parseNumber(label) !== undefined) {
      if (/[.eE]/.test(label)) fractional = true;
    } else return false;
  }
  return fractional;
}

/** Numeric order when every label is a number, else Unicode code point order (Python's `sorted`). */
function sortLabels(labels: string[]): string[] {
  if (labels.every((l) => parseNumber(l) !== undefined)) return labels.sort((a, b) => Number(a) - Number(b) || compareCodePoints(a, b));
  return labels.sort(compareCodePoints);
}

function describeSource(source: LabelSource): string {
  switch (source) {
    case 'flag':
      return 'from --label_names';
    case 'config':
      return "from the model config's id2label";
    case 'task':
      return 'from the task preset';
    case 'data':
      return 'inferred from the training data';
    case 'regression':
      return 'regression';
  }
}

function listed(labels: readonly string[]): string {
  return labels.map((l) => JSON.stringify(l)).join(', ');
}

/** A label close enough to `key` to be a likely typo, if exactly one is. */
function closest(key: string, labels: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const l of labels) {
    const d = l.toLowerCase() === lower ? 0 : editDistance(lower, l.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = l;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}
