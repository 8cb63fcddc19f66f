import { bToILabel, resolveTokenLabels, tagIds, type TaggedSentence } from '../../lib/data/token_classification';
import { dataError } from '../helpers/data_error';

const conll = (line: number, tokens: string[], tags: string[]): TaggedSentence => ({ tokens, tags, source: { file: 'train.txt', line, tokenPerLine: true } });
const jsonl = (line: number, tokens: string[], tags: string[]): TaggedSentence => ({
  tokens,
  tags,
  source: { file: 'train.jsonl', line, tokenPerLine: false },
});

const TRAIN = [conll(3, ['EU', 'rejects', 'German', 'call'], ['B-ORG', 'O', 'B-MISC', 'O']), conll(9, ['Peter', 'Blackburn'], ['B-PER', 'I-PER'])];

describe('resolveTokenLabels', () => {
  test('inferred from the training tags, sorted like Python (run_ner.py get_label_list)', () => {
    const r = resolveTokenLabels({ train: TRAIN });
    expect(r.labels).toEqual(['B-MISC', 'B-ORG', 'B-PER', 'I-PER', 'O']);
    expect({ ...r.label2id }).toEqual({ 'B-MISC': 0, 'B-ORG': 1, 'B-PER': 2, 'I-PER': 3, O: 4 });
    expect(r.source).toBe('data');
    expect(r.bToI).toEqual([0, 1, 3, 3, 4]);
    expect(r.warnings).toEqual([]);
    // Code point order: upper case before lower case, é after z, the astral emoji after U+FF5E.
    expect(resolveTokenLabels({ train: [jsonl(1, ['a', 'b', 'c', 'd', 'e'], ['o', 'O', 'é', 'z', '😀']), jsonl(2, ['f'], ['～'])] }).labels).toEqual([
      'O',
      'o',
      'z',
      'é',
      '～',
      '😀',
    ]);
  });

  test('the flag gives the list in id order; training tags must be in it', () => {
    const r = resolveTokenLabels({ fromFlag: ['O', 'B-PER', 'I-PER', 'B-ORG', 'I-ORG', 'B-MISC', 'I-MISC'], train: TRAIN, fromConfig: { 0: 'O', 1: 'X' } });
    expect([r.source, r.labels.length, r.label2id.O, r.label2id['B-MISC']]).toEqual(['flag', 7, 0, 5]);
    expect(r.bToI).toEqual([0, 2, 2, 4, 4, 6, 6]);
    const err = dataError(() => resolveTokenLabels({ fromFlag: ['O', 'B-PER', 'I-PER'], train: TRAIN }));
    expect(err.code).toBe('UNKNOWN_LABEL');
    // "EU" is word 0 of the sentence starting at line 3 of a CoNLL file.
    expect(err.message).toBe(
      'train.txt:3: unknown label "B-ORG" (word 0 ("EU")); the known labels (from --label_names) are "O", "B-PER", "I-PER". ' +
        'Fix the tag, or pass the complete label list in id order with --label_names',
    );
    expect(() => resolveTokenLabels({ fromFlag: [] })).toThrow('--label_names: the label list is empty');
    expect(() => resolveTokenLabels({ fromFlag: ['O', 'O'] })).toThrow('--label_names: label "O" appears twice');
  });

  test("the model config's order when it holds exactly the training labels (run_ner.py), else a warning", () => {
    const id2label = { 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'B-ORG', 4: 'B-MISC' };
    const same = resolveTokenLabels({ fromConfig: id2label, train: TRAIN });
    expect([same.source, same.labels]).toEqual(['config', ['O', 'B-PER', 'I-PER', 'B-ORG', 'B-MISC']]);
    expect(same.bToI).toEqual([0, 2, 2, 3, 4]);
    const other = resolveTokenLabels({ fromConfig: { 0: 'O', 1: 'B-PER', 2: 'I-PER', 3: 'B-LOC', 4: 'I-LOC', 5: 'B-ORG', 6: 'B-MISC' }, train: TRAIN });
    expect([other.source, other.labels]).toEqual(['data', ['B-MISC', 'B-ORG', 'B-PER', 'I-PER', 'O']]);
    expect(other.warnings).toEqual([
      'the model config was trained with labels "B-LOC", "B-MISC", "B-ORG", "B-PER", "I-LOC", "I-PER", "O", but the training data has ' +
        '"B-MISC", "B-ORG", "B-PER", "I-PER", "O"; ignoring the config labels (the classifier head will be trained for the data\'s label set)',
    ]);
    // The untrained default (LABEL_0, ...) says nothing.
    const untrained = resolveTokenLabels({ fromConfig: { 0: 'LABEL_0', 1: 'LABEL_1' }, train: TRAIN });
    expect([untrained.source, untrained.warnings]).toEqual(['data', []]);
  });

  test('without training data: the config, else an error', () => {
    const r = resolveTokenLabels({ fromConfig: { 1: 'B-PER', 0: 'O' } });
    expect([r.source, r.labels]).toEqual(['config', ['O', 'B-PER']]);
    expect(() => resolveTokenLabels({})).toThrow(/^no label list: pass --label_names/);
    expect(() => resolveTokenLabels({ fromConfig: { 0: 'O', 2: 'B-PER' } })).toThrow('config.json id2label must map the ids 0..1 to names, got key "2"');
  });
});

describe('tagIds', () => {
  const labels = resolveTokenLabels({ fromFlag: ['O', 'B-LOC'] });

  test('maps tags to ids; an unknown tag names the line of its word (CoNLL) or of its record (JSON Lines)', () => {
    expect(tagIds(conll(5, ['in', 'Paris'], ['O', 'B-LOC']), labels)).toEqual([0, 1]);
    expect(dataError(() => tagIds(conll(5, ['in', 'Paris', '.'], ['O', 'B-LCO', 'O']), labels)).message).toBe(
      'train.txt:6: unknown label "B-LCO" (word 1 ("Paris")); the known labels (from --label_names) are "O", "B-LOC". ' +
        'Fix the tag, or pass the complete label list in id order with --label_names',
    );
    expect(dataError(() => tagIds(jsonl(5, ['in', 'Paris'], ['O', 'I-LOC']), labels)).message).toMatch(/^train\.jsonl:5: unknown label "I-LOC" \(word 1/);
    expect(dataError(() => tagIds({ tokens: ['x'], tags: ['?'] }, labels, 'sentence 4')).message).toMatch(/^sentence 4: unknown label "\?"/);
    // Label names are data: "__proto__" or "constructor" are only labels when listed.
    expect(() => tagIds(jsonl(1, ['x'], ['constructor']), labels)).toThrow(/unknown label "constructor"/);
  });
});

describe('bToILabel (run_ner.py b_to_i_label)', () => {
  test('B-X goes to I-X when I-X is a label, everything else to itself', () => {
    expect(bToILabel(['B-LOC', 'B-PER', 'I-LOC', 'O'])).toEqual([2, 1, 2, 3]);
    expect(bToILabel(['O', 'I-X', 'B-X', 'b-y', 'i-y', 'XB-Y', 'I-Y'])).toEqual([0, 1, 1, 3, 4, 5, 6]);
  });

  test("every B- in the name is replaced, as Python's str.replace does", () => {
    // "B-X-B-Y" -> "I-X-I-Y", not "I-X-B-Y".
    expect(bToILabel(['B-X-B-Y', 'I-X-B-Y', 'I-X-I-Y'])).toEqual([2, 1, 2]);
    expect(bToILabel(['B-X-B-Y', 'I-X-B-Y'])).toEqual([0, 1]);
  });
});
