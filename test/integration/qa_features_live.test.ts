// SQuAD windows and targets against transformers' BertTokenizerFast + run_qa.py's target rule on
// generated long contexts (several windows each), answers anywhere, some questions impossible.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildQaFeatures } from '../../lib/data/question_answering/qa_features';
import type { SquadExample } from '../../lib/data/question_answering/squad_reader';
import { SeededRandom } from '../../lib/data/loader/seeded_random';
import { BertTokenizer } from '../../lib/tokenization/bert_tokenizer';
import { runPythonScript } from '../helpers/python_script';

const VOCAB = path.join(__dirname, '..', 'fixtures', 'tokenizer', 'vocab-uncased.txt');
const WORDS = [
  'the',
  'river',
  'flows',
  'north',
  'into',
  'a',
  'lake',
  'unaffable',
  'café',
  'naïve',
  'Zürich',
  'in',
  '1987',
  ',',
  '.',
  '(',
  ')',
  'x-ray',
  "don't",
  '東京',
  'über',
  'photosynthesis',
];

interface Reference {
  example: number;
  input_ids: number[];
  token_type_ids: number[];
  offsets: Array<[number, number] | null>;
  start: number;
  end: number;
}

function makeExamples(count: number): SquadExample[] {
  const random = new SeededRandom(2024);
  return Array.from({ length: count }, (_, i) => {
    const words = Array.from({ length: 40 + random.below(120) }, () => WORDS[random.below(WORDS.length)]);
    const context = words.join(' ');
    const question = `${i % 5 === 0 ? '   ' : ''}what ${WORDS[random.below(WORDS.length)]} is it ?`;
    if (i % 4 === 3) return { id: `q${i}`, title: undefined, question, context, answers: { text: [], answerStart: [] }, isImpossible: true, line: 1 };
    const from = random.below(words.length - 3);
    const span = words.slice(from, from + 1 + random.below(3)).join(' ');
    const start = words.slice(0, from).join(' ').length + (from > 0 ? 1 : 0);
    return { id: `q${i}`, title: undefined, question, context, answers: { text: [span], answerStart: [start] }, isImpossible: false, line: 1 };
  });
}

test('windows, offsets and answer targets equal transformers (run_qa rule) on 60 long contexts', async () => {
  const examples = makeExamples(60);
  const options = { maxSeqLength: 48, docStride: 12, maxQueryLength: 16 };
  const tokenizer = await BertTokenizer.fromVocab(VOCAB);
  const features = await buildQaFeatures(examples, tokenizer, options, true);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-qa-live-'));
  try {
    const cases = {
      vocab: VOCAB,
      max_seq_length: options.maxSeqLength,
      doc_stride: options.docStride,
      // No astral characters in these contexts: UTF-16 and Python character indices agree.
      examples: examples.map((e) => ({ question: e.question, context: e.context, answer_start: e.answers.answerStart, text: e.answers.text })),
    };
    fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(cases));
    runPythonScript('qa_features_reference.py', [path.join(dir, 'cases.json'), path.join(dir, 'out.json')]);
    const reference = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8')) as Reference[];

    expect(features.length).toBe(reference.length);
    expect(features.length).toBeGreaterThan(examples.length * 2); // several windows per example
    let answered = 0;
    let runQaQuirk = 0;
    features.forEach((f, i) => {
      const r = reference[i];
      expect({ i, example: f.exampleIndex, ids: f.inputIds, types: f.tokenTypeIds, offsets: f.offsets }).toEqual({
        i,
        example: r.example,
        ids: r.input_ids,
        types: r.token_type_ids,
        offsets: r.offsets,
      });
      if (r.start !== 0 && r.offsets[r.start] === null) {
        // run_qa's loop stepped past the context onto [SEP]: the answer starts at the window's
        // last context token, which is where bertrun points.
        runQaQuirk++;
        expect(f.startPosition).toBe(r.start - 1);
        expect(f.endPosition).toBe(r.end);
        return;
      }
      expect({ i, start: f.startPosition, end: f.endPosition }).toEqual({ i, start: r.start, end: r.end });
      if (r.start !== 0) answered++;
    });
    expect(answered).toBeGreaterThan(30);
    expect(runQaQuirk).toBeLessThan(features.length / 10);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
