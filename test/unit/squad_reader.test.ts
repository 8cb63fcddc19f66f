import * as fs from 'fs';
import * as path from 'path';
import { SquadJsonScanner } from '../../lib/data/question_answering/squad_json_scanner';
import { readSquad } from '../../lib/data/question_answering/squad_reader';
import { tempDirPerTest } from '../helpers/temp_dir';

const { dir: tmpDir, write } = tempDirPerTest('bertrun-squad-');

// The independent reading: the whole file through JSON.parse, walked by hand.
function expectedExamples(text: string) {
  const doc = JSON.parse(text) as { data: Array<{ title?: string; paragraphs: Array<{ context: string; qas: Array<Record<string, unknown>> }> }> };
  return doc.data.flatMap((article) =>
    article.paragraphs.flatMap((p) =>
      p.qas.map((qa) => {
        const impossible = qa.is_impossible === true;
        const answers = impossible ? [] : (qa.answers as Array<{ text: string; answer_start: number }>);
        return {
          id: String(qa.id),
          title: article.title,
          question: qa.question,
          context: p.context,
          isImpossible: impossible,
          answers: { text: answers.map((a) => a.text), answerStart: answers.map((a) => a.answer_start) },
        };
      }),
    ),
  );
}

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'squad-metrics');

test.each(['dev-v1.1.json', 'dev-v2.0.json'])('%s: the streamed examples equal a whole-file JSON.parse walk', async (name) => {
  const text = fs.readFileSync(path.join(FIXTURES, name), 'utf8');
  const { examples, unrecoverable } = await readSquad(path.join(FIXTURES, name));
  const expected = expectedExamples(text);
  expect(examples.length).toBeGreaterThanOrEqual(30);
  expect(examples.map(({ line: _line, ...rest }) => rest)).toEqual(expected);
  expect(unrecoverable.count).toBe(0);
  if (name === 'dev-v2.0.json') expect(examples.filter((e) => e.isImpossible)).toHaveLength(15);
});

const TRICKY = `{"version": "x", "data": [
 {"title": "T\\u00e9 \\"q\\" {[", "paragraphs": [
  {"context": "A {b} [c] \\"d\\" \\\\ e", "qas": [{"id": "q1", "question": "Q?", "answers": [{"text": "{b}", "answer_start": 2}], "extra": {"nested": [1, {"x": "}"}]}}]},
  {"qas": [{"id": 7, "question": " lead", "answers": []}], "context": "ctx"}
 ]},
 {"paragraphs": [{"context": "no title yet", "qas": [{"id": "q3", "question": "?", "answers": [{"text": "title", "answer_start": 3}]}]}], "title": "late"},
 {"title": "empty article", "paragraphs": []}
], "n": -1.5e3, "ok": [true, false, null]}`;

test('chunk boundaries anywhere (every split point, then 1-character chunks) give the same paragraphs', () => {
  const whole = new SquadJsonScanner();
  const reference = whole.push(TRICKY);
  whole.end();
  expect(reference.map((p) => [p.article, p.paragraph, p.title])).toEqual([
    [0, 0, 'Té "q" {['],
    [0, 1, 'Té "q" {['],
    [1, 0, undefined],
  ]);
  expect(JSON.parse(reference[0].json).qas[0].extra).toEqual({ nested: [1, { x: '}' }] });
  for (let cut = 1; cut < TRICKY.length; cut++) {
    const scanner = new SquadJsonScanner();
    const got = [...scanner.push(TRICKY.slice(0, cut)), ...scanner.push(TRICKY.slice(cut))];
    scanner.end();
    expect(got).toEqual(reference);
  }
  const scanner = new SquadJsonScanner();
  const got = [...TRICKY].flatMap((ch) => scanner.push(ch));
  scanner.end();
  expect(got).toEqual(reference);
});

test('answer_start counts code points (as Python does) and becomes a JavaScript string index', async () => {
  const context = 'I 💙 emoji 𝐀nd math';
  const file = write(
    'astral.json',
    JSON.stringify({ data: [{ paragraphs: [{ context, qas: [{ id: 'a', question: 'what?', answers: [{ text: 'math', answer_start: 14 }] }] }] }] }),
  );
  const [example] = (await readSquad(file)).examples;
  expect(example.answers.answerStart).toEqual([16]);
  expect(context.slice(16, 20)).toBe('math');
});

test('answers whose text is not at answer_start are counted and listed, not dropped', async () => {
  const qas = Array.from({ length: 8 }, (_, i) => ({ id: `q${i}`, question: '?', answers: [{ text: 'cat', answer_start: i % 2 === 0 ? 4 : 0 }] }));
  const file = write('bad-answers.json', JSON.stringify({ data: [{ paragraphs: [{ context: 'the cat sat', qas }] }] }));
  const { examples, unrecoverable } = await readSquad(file);
  expect(examples).toHaveLength(8);
  expect(unrecoverable).toEqual({ count: 4, firstIds: ['q1', 'q3', 'q5', 'q7'] });
});

test.each([
  ['truncated.json', '{"data": [{"paragraphs": [{"context": "abc", "qas": [', /truncated\.json:1: the file ends inside a paragraph \(truncated\?\)/],
  ['array-root.json', '[{"data": []}]', /array-root\.json:1: the file must hold one JSON object with a "data" array/],
  ['data-object.json', '{\n"data": {}}', /data-object\.json:2: "data" must be an array of articles/],
  ['paragraphs-object.json', '{"data": [{"paragraphs": {}}]}', /data\[0\]\.paragraphs must be an array/],
  ['no-context.json', '{"data": [{"paragraphs": [\n{"qas": []}]}]}', /no-context\.json:2: data\[0\]\.paragraphs\[0\]\.context: missing or not a string/],
  [
    'bad-start.json',
    '{"data": [{"paragraphs": [{"context": "abc", "qas": [{"id": "x", "question": "q", "answers": [{"text": "a", "answer_start": "0"}]}]}]}]}',
    /paragraphs\[0\]\.qas\[0\]\.answers\[0\]\.answer_start: must be a non-negative integer/,
  ],
  [
    'past-end.json',
    '{"data": [{"paragraphs": [{"context": "abc", "qas": [{"id": "x", "question": "q", "answers": [{"text": "a", "answer_start": 9}]}]}]}]}',
    /answer_start: 9 is past the end of the context \(3 characters\)/,
  ],
  ['no-id.json', '{"data": [{"paragraphs": [{"context": "abc", "qas": [{"question": "q"}]}]}]}', /qas\[0\]\.id: missing/],
  [
    'duplicate.json',
    '{"data": [{"paragraphs": [{"context": "abc", "qas": [{"id": "x", "question": "q"}]},\n{"context": "d", "qas": [{"id": "x", "question": "q"}]}]}]}',
    /duplicate\.json:2: question id "x" appears twice \(first at line 1\)/,
  ],
  ['garbage.json', '{"data": [], ]}', /garbage\.json:1: unexpected "]" \(invalid JSON\)/],
  ['trailing.json', '{"data": []} x', /after the end of the JSON document/],
  ['no-data.json', '{"version": "1.1"}', /no-data\.json:1: no top-level "data" array/],
  ['empty.json', '{"data": [{"paragraphs": []}]}', /empty\.json: no questions found/],
])('%s is refused with file, line and problem', async (name, text, message) => {
  await expect(readSquad(write(name, text))).rejects.toThrow(message);
});

test('a large file streams through (20,000 paragraphs, about 12 MB)', async () => {
  const file = path.join(tmpDir(), 'large.json');
  const out = fs.createWriteStream(file);
  out.write('{"version": "1.1", "data": [{"title": "big", "paragraphs": [');
  const context = 'lorem ipsum dolor sit amet '.repeat(20);
  for (let i = 0; i < 20_000; i++) {
    out.write(
      `${i ? ',' : ''}\n{"context": ${JSON.stringify(`${i} ${context}`)}, "qas": [{"id": "q${i}", "question": "which?", "answers": [{"text": "${i}", "answer_start": 0}]}]}`,
    );
  }
  out.write(']}]}');
  await new Promise((resolve) => out.end(resolve));
  const { examples, unrecoverable } = await readSquad(file);
  expect(examples).toHaveLength(20_000);
  expect(examples[19_999]).toMatchObject({ id: 'q19999', line: 20_001, answers: { text: ['19999'], answerStart: [0] } });
  expect(unrecoverable.count).toBe(0);
});
