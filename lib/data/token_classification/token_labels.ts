// The label list of a token-classification task, decided as run_ner.py decides it.
import { DataError } from '../readers/data_error';
import { checkedList, configLabels } from '../examples/labels';
import { compareCodePoints } from '../../evaluation/python_strings';
import { describeWord, wordLine, type SentenceSource, type TaggedSentence } from './tagged_sentence';

/** Where the label list came from. */
export type TokenLabelSource = 'flag' | 'config' | 'data';

export interface TokenLabelOptions {
  /** Label names in id order (`--label_names`); wins over everything else. */
  fromFlag?: readonly string[];
  /**
   * `id2label` of the model's config.json. As in run_ner.py it is used, for its id order, only when
   * it is not the untrained default (`LABEL_0`, ...) and holds exactly the training labels;
   * otherwise it is ignored with a warning. Without training data it is the list.
   */
  fromConfig?: Readonly<Record<string, string>>;
  /** Training sentences: the labels are inferred from their tags (sorted) and every tag is checked. */
  train?: readonly TaggedSentence[];
}

export interface TokenLabels {
  /** Label names in id order. */
  labels: readonly string[];
  /** Name to id (own properties only). */
  label2id: Readonly<Record<string, number>>;
  /**
   * Per label id, the id that the later sub-tokens of a word get with `labelAllTokens`: that of
   * `I-X` for `B-X` when `I-X` is a label, else the id itself (run_ner.py's `b_to_i_label`).
   */
  bToI: readonly number[];
  source: TokenLabelSource;
  /** Things worth telling the user (config labels ignored); the caller logs them. */
  warnings: string[];
}

/**
 * Decides the label list: `fromFlag`; else the config's when it holds exactly the training labels;
 * else the training tags' unique values sorted by code point (Python's `sorted`, as run_ner.py's
 * `get_label_list`); else, without training data, the config's. Throws a {@link DataError} naming
 * file and line for a training tag not in the list, and an Error when there is no list at all.
 */
export function resolveTokenLabels(options: TokenLabelOptions): TokenLabels {
  const warnings: string[] = [];
  const train = options.train ?? [];
  const config = options.fromConfig !== undefined ? configLabels(options.fromConfig) : undefined;
  let labels: readonly string[] | undefined;
  let source: TokenLabelSource = 'data';
  if (options.fromFlag !== undefined) {
    labels = checkedList(options.fromFlag, '--label_names');
    source = 'flag';
  } else if (train.length > 0) {
    const inferred = [...new Set(train.flatMap((s) => s.tags))].sort(compareCodePoints);
    labels = inferred;
    if (config !== undefined && !config.isDefault) {
      const same = config.labels.length === inferred.length && [...config.labels].sort(compareCodePoints).every((l, i) => l === inferred[i]);
      if (same) {
        labels = config.labels;
        source = 'config';
      } else {
        warnings.push(
          `the model config was trained with labels ${listed([...config.labels].sort(compareCodePoints))}, but the training data has ` +
            `${listed(inferred)}; ignoring the config labels (the classifier head will be trained for the data's label set)`,
        );
      }
    }
  } else if (config !== undefined) {
    labels = config.labels;
    source = 'config';
  }
  if (labels === undefined) {
    throw new Error('no label list: pass --label_names, use a model whose config.json has id2label, or provide training data to infer the labels from');
  }
  const label2id = Object.create(null) as Record<string, number>;
  labels.forEach((l, i) => {
    label2id[l] = i;
  });
  const resolved: TokenLabels = { labels, label2id, bToI: bToILabel(labels), source, warnings };
  for (const sentence of train) tagIds(sentence, resolved);
  return resolved;
}

/** Words with their tags, and where they came from when read from a file. */
export interface LabeledWords {
  readonly tokens: readonly string[];
  readonly tags: readonly string[];
  readonly source?: SentenceSource;
}

/**
 * The label ids of a sentence's tags. Throws a {@link DataError} for an unknown tag, naming the
 * word's file and line, or `name` for a sentence without a source.
 */
export function tagIds(sentence: LabeledWords, labels: TokenLabels, name = 'a sentence'): number[] {
  return sentence.tags.map((tag, i) => {
    if (Object.prototype.hasOwnProperty.call(labels.label2id, tag)) return labels.label2id[tag];
    const { source } = sentence;
    throw new DataError(
      'UNKNOWN_LABEL',
      source ? source.file : name,
      source ? wordLine(source, i) : undefined,
      `unknown label ${JSON.stringify(tag)} (${describeWord(sentence.tokens, i)}); the known labels (${describeSource(labels.source)}) are ${listed(labels.labels)}`,
      'Fix the tag, or pass the complete label list in id order with --label_names',
    );
  });
}

/** run_ner.py's b_to_i_label: every `B-` in the name becomes `I-` (Python's str.replace), first match wins. */
export function bToILabel(labels: readonly string[]): number[] {
  return labels.map((label, id) => {
    if (!label.startsWith('B-')) return id;
    const inside = labels.indexOf(label.split('B-').join('I-'));
    return inside === -1 ? id : inside;
  });
}

function describeSource(source: TokenLabelSource): string {
  switch (source) {
    case 'flag':
      return 'from --label_names';
    case 'config':
      return "from the model config's id2label";
    case 'data':
      return 'inferred from the training data';
  }
}

function listed(labels: readonly string[]): string {
  return labels.map((l) => JSON.stringify(l)).join(', ');
}
