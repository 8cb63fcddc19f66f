// BertTokenizer's API contracts that parity tests do not pin down on their own: offsets usable
// with String.prototype.slice, sliding windows, batches, concurrency, save/reload.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BertTokenizer, Encoding } from '../../lib/tokenization';
import { codePointToUtf16Map } from '../../lib/tokenization/char_offsets';
import { pairWindows, windowRanges } from '../../lib/tokenization/windows';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'tokenizer');
const CONTEXT =
  'The jury further said in term-end presentments that the City Executive Committee, which had over-all charge ' +
  'of the election, deserves the praise and thanks of the City of Atlanta for the manner in which the election was conducted.';

let cased: BertTokenizer;
let uncased: BertTokenizer;
let dir: string;

beforeAll(async () => {
  cased = await BertTokenizer.fromDirectory(path.join(FIXTURES, 'hf-cased'));
  uncased = await BertTokenizer.fromDirectory(path.join(FIXTURES, 'hf-uncased'));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-tokenizer-api-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Every window of an encoding, main first. */
const windowsOf = (e: Encoding): Encoding[] => [e, ...(e.overflowing ?? [])];

test('codePointToUtf16Map maps Python-style character indices to JavaScript string indices', () => {
  expect(codePointToUtf16Map('plain ascii é')).toBeNull();
  const text = 'a😀b𝐀c';
  expect(Array.from(codePointToUtf16Map(text) as Uint32Array)).toEqual([0, 1, 3, 4, 6, 7]);
  expect(text.slice(...([1, 2].map((i) => (codePointToUtf16Map(text) as Uint32Array)[i]) as [number, number]))).toBe('😀');
});

test('offsets slice each token out of the original string, astral characters included', async () => {
  // Cased: no normalization, so each token's source text is the token (without ##).
  const text = 'x😀y Zürich 𝐀𝐀 👍, Москва 北京!';
  const e = await cased.encode(text, null, { returnOffsets: true });
  const pieces = e.inputIds.map((id, i) => ({ token: cased.idToToken(id) as string, offset: (e.offsets as Array<[number, number]>)[i] }));
  const real = pieces.filter((p) => p.token !== '[CLS]' && p.token !== '[SEP]' && p.token !== '[UNK]');
  expect(real.length).toBeGreaterThan(10);
  for (const { token, offset } of real) expect(text.slice(...offset)).toBe(token.replace(/^##/, ''));
  // Word ids count whitespace- and punctuation-separated words of the text.
  expect(e.wordIds?.filter((w) => w !== null).at(-1)).toBe(8);
  expect(e.sequenceIds).toEqual(e.inputIds.map((_, i) => (i === 0 || i === e.inputIds.length - 1 ? null : 0)));
});

test('overflowing windows of a single text cover it with the stride as overlap', async () => {
  const full = (await uncased.encode(CONTEXT, null, { addSpecialTokens: false })).inputIds;
  const maxLength = 12;
  const stride = 3;
  const e = await uncased.encode(CONTEXT, null, { maxLength, stride, returnOverflowing: true });
  const bodies = windowsOf(e).map((w) => {
    expect(w.inputIds.length).toBeLessThanOrEqual(maxLength);
    expect([w.inputIds[0], w.inputIds.at(-1)]).toEqual([uncased.clsTokenId, uncased.sepTokenId]);
    return w.inputIds.slice(1, -1);
  });
  let rebuilt = bodies[0];
  for (const body of bodies.slice(1)) {
    expect(body.slice(0, stride)).toEqual(rebuilt.slice(-stride));
    rebuilt = [...rebuilt, ...body.slice(stride)];
  }
  expect(rebuilt).toEqual(full);
  expect(bodies.length).toBe(Math.ceil((full.length - stride) / (maxLength - 2 - stride)));
});

test('question + context windows (SQuAD style): the question whole in each, the context sliding', async () => {
  const question = 'Who deserves praise?';
  const q = (await uncased.encode(question, null, { addSpecialTokens: false })).inputIds;
  const c = await uncased.encode(CONTEXT, null, { addSpecialTokens: false, returnOffsets: true });
  const stride = 4;
  const e = await uncased.encode(question, CONTEXT, { maxLength: 24, truncation: 'only_second', stride, returnOverflowing: true, returnOffsets: true });
  const windows = windowsOf(e);
  expect(windows.length).toBeGreaterThan(3);
  let covered = 0;
  for (const w of windows) {
    expect(w.inputIds.length).toBeLessThanOrEqual(24);
    expect(w.inputIds.slice(0, q.length + 2)).toEqual([uncased.clsTokenId, ...q, uncased.sepTokenId]);
    const contextAt = (w.sequenceIds as Array<number | null>).flatMap((s, i) => (s === 1 ? [i] : []));
    expect(w.tokenTypeIds).toEqual(w.inputIds.map((_, i) => (i >= q.length + 2 ? 1 : 0)));
    // Context tokens carry offsets into the context string, matching the unwindowed encoding.
    const firstOffset = (w.offsets as Array<[number, number]>)[contextAt[0]];
    const start = (c.offsets as Array<[number, number]>).findIndex((o) => o[0] === firstOffset[0] && o[1] === firstOffset[1]);
    expect(contextAt.map((i) => w.inputIds[i])).toEqual(c.inputIds.slice(start, start + contextAt.length));
    if (covered > 0) expect(start).toBe(covered - stride);
    covered = start + contextAt.length;
  }
  expect(covered).toBe(c.inputIds.length);
});

test("windowRanges and pairWindows follow tokenizers' order", () => {
  expect(windowRanges(5, 10, 2)).toEqual([[0, 5]]);
  expect(windowRanges(10, 4, 1)).toEqual([
    [0, 4],
    [3, 7],
    [6, 10],
  ]);
  expect(windowRanges(10, 4, 0)).toEqual([
    [0, 4],
    [4, 8],
    [8, 10],
  ]);
  expect(windowRanges(3, 0, 0)).toEqual([
    [0, 0],
    [0, 3],
  ]);
  const a = [
    [0, 2],
    [2, 4],
  ] as const;
  const b = [
    [0, 3],
    [3, 5],
    [5, 6],
  ] as const;
  expect(pairWindows(a, b)).toEqual([
    [a[0], b[0]],
    [a[1], b[0]],
    [a[1], b[1]],
    [a[1], b[2]],
    [a[0], b[1]],
    [a[0], b[2]],
  ]);
});

test('encodeBatch equals encode per input, for mixed texts and pairs and any options', async () => {
  const inputs: Array<string | [string, string]> = ['Hello, world!', ['What?', CONTEXT], '', CONTEXT, ['', 'x'], ['a', '']];
  for (const options of [
    {},
    { maxLength: 16, returnOffsets: true },
    { maxLength: 20, truncation: 'only_second' as const, stride: 2, returnOverflowing: true },
  ]) {
    const pairsOnly = options.truncation === 'only_second';
    const list = pairsOnly ? inputs.filter((i) => Array.isArray(i) && i[1] !== '') : inputs;
    const batch = await uncased.encodeBatch(list, options);
    // encode() would treat an empty second text as none, so compare pairs through a one-item batch.
    const one = await Promise.all(list.map(async (i) => (await uncased.encodeBatch([i], options))[0]));
    expect(batch).toEqual(one);
  }
  expect(await uncased.encodeBatch([])).toEqual([]);
});

test('an empty second text counts as none in encode, as in transformers, but stays a pair in encodeBatch', async () => {
  expect(await uncased.encode('hello', '')).toEqual(await uncased.encode('hello'));
  const [pair] = await uncased.encodeBatch([['hello', '']]);
  expect(pair.inputIds).toEqual([12, 2980, 13, 13]);
  expect(pair.tokenTypeIds).toEqual([0, 0, 0, 1]);
});

test('concurrent calls with different options do not affect each other', async () => {
  const calls = Array.from({ length: 30 }, (_, i) => ({ text: CONTEXT.slice(i), maxLength: 8 + (i % 7) * 3, stride: i % 3 }));
  const sequential: Encoding[] = [];
  for (const c of calls) sequential.push(await uncased.encode(c.text, null, { maxLength: c.maxLength, stride: c.stride, returnOverflowing: true }));
  const concurrent = await Promise.all(calls.map((c) => uncased.encode(c.text, null, { maxLength: c.maxLength, stride: c.stride, returnOverflowing: true })));
  expect(concurrent).toEqual(sequential);
});

test('tokenizing runs off the main thread: timers fire while a batch is in flight', async () => {
  const texts = Array.from({ length: 3000 }, (_, i) => `${i} ${CONTEXT}`);
  let fired = false;
  setTimeout(() => (fired = true), 0);
  const result = await uncased.encodeBatch(texts);
  expect(result).toHaveLength(3000);
  expect(fired).toBe(true);
});

test('a lone surrogate is read as U+FFFD, which BERT deletes', async () => {
  const e = await uncased.encode('ab\ud800cd', null, { returnOffsets: true });
  expect(e.inputIds).toEqual((await uncased.encode('abcd')).inputIds);
  expect(e).toEqual(await uncased.encode('ab\ufffdcd', null, { returnOffsets: true }));
  const offsets = (e.offsets as Array<[number, number]>).slice(1, -1);
  expect([offsets[0][0], offsets.at(-1)?.[1]]).toEqual([0, 5]);
});

test('save then fromDirectory gives the same tokenizer; save leaves no temporary files', async () => {
  const out = path.join(dir, 'saved');
  await cased.save(out);
  expect(fs.readdirSync(out).sort()).toEqual(['special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt']);
  const again = await BertTokenizer.fromDirectory(out);
  const text = 'Héllo WORLD, こんにちは [MASK] x😀y';
  expect(await again.encode(text, 'pair text', { returnOffsets: true })).toEqual(await cased.encode(text, 'pair text', { returnOffsets: true }));
  expect([again.doLowerCase, again.stripAccents, again.tokenizeChineseChars, again.modelMaxLength]).toEqual([false, null, true, 1e30]);
  // Saving over an existing directory replaces the files.
  await uncased.save(out);
  expect((await BertTokenizer.fromDirectory(out)).doLowerCase).toBe(true);
});
