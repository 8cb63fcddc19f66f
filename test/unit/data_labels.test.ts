import { encodeLabel, resolveLabels, type LabeledExample } from '../../lib/data/examples/labels';
import type { RawLabel } from '../../lib/data/examples/text_examples';
import { dataError } from '../helpers/data_error';

const FILE = 'data/train.tsv';
const ex = (label: RawLabel | undefined, line = 2, file = FILE): LabeledExample =>
  label === undefined ? { source: { file, line } } : { label, source: { file, line } };
const train = (...labels: RawLabel[]): LabeledExample[] => labels.map((l, i) => ex(l, i + 2));

describe('resolveLabels: where the list comes from', () => {
  test('inferred from training data, sorted like run_glue (code points; numbers numerically)', () => {
    const r = resolveLabels({ train: train('positive', 'negtive', 'neutral', 'positive') });
    expect(r).toMatchObject({
      problem: 'single_label_classification',
      labels: ['negtive', 'neutral', 'positive'],
      numLabels: 3,
      source: 'data',
      ignoreCase: false,
    });
    expect({ ...r.label2id }).toEqual({ negtive: 0, neutral: 1, positive: 2 });
    expect(resolveLabels({ train: train('Z', 'a', 'é', 'B') }).labels).toEqual(['B', 'Z', 'a', 'é']);
    // UTF-16 order would put U+FF5E before the astral emoji; Python sorts by code point.
    expect(resolveLabels({ train: train('😀', '～') }).labels).toEqual(['～', '😀']);
    expect(resolveLabels({ train: train('10', '2', '1', 0) }).labels).toEqual(['0', '1', '2', '10']);
  });

  test('the flag wins over config, task and data', () => {
    const r = resolveLabels({
      fromFlag: ['negative', 'positive', 'neutral'],
      fromConfig: { 0: 'a', 1: 'b', 2: 'c' },
      fromTask: ['contradiction', 'entailment', 'neutral'],
      train: train('neutral', 'positive'),
    });
    expect(r.labels).toEqual(['negative', 'positive', 'neutral']);
    expect(r.source).toBe('flag');
    expect(() => resolveLabels({ fromFlag: ['a', 'a'] })).toThrow(/--label_names: label "a" appears twice/);
    expect(() => resolveLabels({ fromFlag: [] })).toThrow(/--label_names: the label list is empty/);
  });

  test('config id2label is used in id order, matching case-insensitively, when it covers the data', () => {
    const r = resolveLabels({ fromConfig: { 2: 'ENTAILMENT', 0: 'CONTRADICTION', 1: 'NEUTRAL' }, train: train('entailment', 'neutral') });
    expect(r).toMatchObject({ labels: ['CONTRADICTION', 'NEUTRAL', 'ENTAILMENT'], source: 'config', ignoreCase: true });
    expect(encodeLabel(ex('entailment'), r)).toBe(2);
    expect(encodeLabel(ex('CONTRADICTION'), r)).toBe(0);
  });

  test('config labels that do not cover the data are ignored with a warning; default LABEL_i names are ignored', () => {
    const r = resolveLabels({ fromConfig: { 0: 'neg', 1: 'pos' }, train: train('bad', 'good') });
    expect(r.labels).toEqual(['bad', 'good']);
    expect(r.source).toBe('data');
    expect(r.warnings.join('\n')).toMatch(/trained with labels "neg", "pos", but the training data also has "bad", "good"/);
    const d = resolveLabels({ fromConfig: { 0: 'LABEL_0', 1: 'LABEL_1' }, train: train('y', 'x') });
    expect(d.labels).toEqual(['x', 'y']);
    expect(d.warnings).toEqual([]);
    // With nothing else to go on (prediction), even default names are the labels.
    expect(resolveLabels({ fromConfig: { 0: 'LABEL_0', 1: 'LABEL_1' } }).labels).toEqual(['LABEL_0', 'LABEL_1']);
    expect(() => resolveLabels({ fromConfig: { 0: 'a', 2: 'b' } })).toThrow(/id2label must map the ids 0..1/);
  });

  test('task labels are used as given and checked against the data', () => {
    const r = resolveLabels({ fromTask: ['contradiction', 'entailment', 'neutral'], train: train('neutral', 'entailment') });
    expect(r).toMatchObject({ labels: ['contradiction', 'entailment', 'neutral'], source: 'task' });
    // The seed's data under --task_name MNLI-MM: the unknown label fails before training.
    const err = dataError(() => resolveLabels({ fromTask: ['contradiction', 'entailment', 'neutral'], train: train('neutral', 'negtive') }));
    expect(err.code).toBe('UNKNOWN_LABEL');
    expect(err.message).toBe(
      'data/train.tsv:3: unknown label "negtive"; the known labels (from the task preset) are "contradiction", "entailment", "neutral". ' +
        'Fix the label in this row, or pass the complete label list in id order with --label_names (for example --label_names contradiction,entailment,neutral,negtive)',
    );
  });

  test('no source of labels at all is an error; numLabels must agree', () => {
    expect(() => resolveLabels({})).toThrow(/no label list: pass --label_names/);
    expect(() => resolveLabels({ train: train('a', 'b'), numLabels: 3 })).toThrow(
      /num_labels is 3 but there are 2 labels \("a", "b", inferred from the training data\)/,
    );
    expect(resolveLabels({ train: train('a', 'b'), numLabels: 2 }).numLabels).toBe(2);
  });

  test('an empty label in training data cannot become a class', () => {
    const err = dataError(() => resolveLabels({ train: [ex('a', 2), ex('', 7)] }));
    expect(err.message.startsWith('data/train.tsv:7: the label is empty. Give this row a label or remove it')).toBe(true);
  });
});

describe('resolveLabels: problem type', () => {
  test('regression when num_labels=1 is requested or the task says so (STS-B); every label must be a number', () => {
    const r = resolveLabels({ train: train('3.8', '0', 5), numLabels: 1 });
    expect(r).toMatchObject({ problem: 'regression', labels: [], numLabels: 1, source: 'regression' });
    expect(resolveLabels({ problem: 'regression', train: train('1', '2') }).problem).toBe('regression');
    const err = dataError(() => resolveLabels({ problem: 'regression', train: [ex('1.5', 2), ex('high', 9, 'stsb/train.tsv')] }));
    expect(err.code).toBe('UNKNOWN_LABEL');
    expect(err.message.startsWith('stsb/train.tsv:9: the label "high" is not a number, but this is a regression task')).toBe(true);
    expect(() => resolveLabels({ problem: 'regression', numLabels: 3 })).toThrow(/regression predicts one number/);
  });

  test('float labels with no label list are regression (as run_glue decides); integers stay classes', () => {
    const r = resolveLabels({ train: train('0.0', '2.4', '5.0') });
    expect(r.problem).toBe('regression');
    expect(r.warnings.join()).toMatch(/treated as regression/);
    expect(resolveLabels({ train: train('0', '1', '2') }).problem).toBe('single_label_classification');
    expect(resolveLabels({ train: train('1.5', '2.5'), problem: 'single_label_classification' }).labels).toEqual(['1.5', '2.5']);
  });

  test('multi-label from JSON lists, and from delimited strings with a delimiter', () => {
    const r = resolveLabels({ train: train(['sports', 'news'], [], ['arts']) });
    expect(r).toMatchObject({ problem: 'multi_label_classification', labels: ['arts', 'news', 'sports'], numLabels: 3 });
    expect(encodeLabel(ex(['news', 'sports']), r)).toEqual([0, 1, 1]);
    expect(encodeLabel(ex([]), r)).toEqual([0, 0, 0]);
    const d = resolveLabels({ train: train('b|a', 'c', ''), multiLabelDelimiter: '|' });
    expect(d).toMatchObject({ problem: 'multi_label_classification', labels: ['a', 'b', 'c'], multiLabelDelimiter: '|' });
    expect(encodeLabel(ex(' c | a '), d)).toEqual([1, 0, 1]);
    expect(encodeLabel(ex(''), d)).toEqual([0, 0, 0]);
    const err = dataError(() => encodeLabel(ex('a|zz', 11), d));
    expect(err.message).toContain('data/train.tsv:11: unknown label "zz"');
  });
});

describe('encodeLabel', () => {
  const mnli = resolveLabels({ fromTask: ['contradiction', 'entailment', 'neutral'] });

  test('single-label ids, regression numbers', () => {
    expect(encodeLabel(ex('neutral'), mnli)).toBe(2);
    const bin = resolveLabels({ train: train(0, 1) });
    expect(encodeLabel(ex(1), bin)).toBe(1);
    expect(encodeLabel(ex('0'), bin)).toBe(0);
    const bool = resolveLabels({ train: train(true, false) });
    expect(bool.labels).toEqual(['false', 'true']);
    expect(encodeLabel(ex(true), bool)).toBe(1);
    const reg = resolveLabels({ problem: 'regression' });
    expect(encodeLabel(ex(' 4.25 '), reg)).toBe(4.25);
    expect(encodeLabel(ex(3), reg)).toBe(3);
    expect(() => encodeLabel(ex(''), reg)).toThrow(/data\/train\.tsv:2: the label "" is not a number/);
  });

  test('an unknown label names file, line, label, known labels, a likely typo and the fix', () => {
    const labels = resolveLabels({ fromFlag: ['negative', 'positive', 'neutral'] });
    const err = dataError(() => encodeLabel(ex('negtive', 41, 'data/dev.tsv'), labels));
    expect(err.code).toBe('UNKNOWN_LABEL');
    expect(err.file).toBe('data/dev.tsv');
    expect(err.line).toBe(41);
    expect(err.message).toBe(
      'data/dev.tsv:41: unknown label "negtive"; the known labels (from --label_names) are "negative", "positive", "neutral". ' +
        'Fix the label in this row (did you mean "negative"?), or pass the complete label list in id order with --label_names ' +
        '(for example --label_names negative,positive,neutral,negtive)',
    );
  });

  test('label names are matched exactly unless they came from a config; prototype names are not labels', () => {
    const labels = resolveLabels({ fromFlag: ['pos', 'neg'] });
    expect(() => encodeLabel(ex('POS'), labels)).toThrow(/unknown label "POS".*did you mean "pos"/);
    expect(() => encodeLabel(ex('constructor'), labels)).toThrow(/unknown label "constructor"/);
    expect(() => encodeLabel(ex('__proto__'), labels)).toThrow(/unknown label "__proto__"/);
  });

  test('a missing label and a list for a single-label problem are errors with the location', () => {
    expect(() => encodeLabel(ex(undefined, 5), mnli)).toThrow(/^data\/train\.tsv:5: this example has no label\. Select the label column/);
    expect(() => encodeLabel(ex(['neutral'], 6), mnli)).toThrow(/^data\/train\.tsv:6: the label is a list .* multi_label_classification/);
  });
});
