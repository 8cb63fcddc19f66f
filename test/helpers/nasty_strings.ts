// Deterministic generator of awkward inputs for tokenizer parity tests.
import { SeededRandom } from '../../lib/data/loader/seeded_random';

/** The library's seeded PRNG, so every run tests the same strings. */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

const WORDS = [
  'the',
  'quick',
  'brown',
  'fox',
  'jumps',
  'over',
  'lazy',
  'dog',
  'Hello',
  'WORLD',
  'capital',
  'France',
  'Paris',
  'revenue',
  'percentage',
  'unbelievably',
  'antidisestablishmentarianism',
  'tokenization',
  'hugging',
  "don't",
  "O'Neil's",
  'e-mail',
  'U.S.A.',
  '3.14159',
  '$3.8',
  '12.5%',
  '#0',
  '2019',
  'x²',
  'H₂O',
];
const ACCENTED = [
  'café',
  'naïve',
  'Ångström',
  'résumé',
  'Zürich',
  'São',
  'Crème brûlée',
  'cafe\u0301',
  'Ǆemal',
  'İstanbul',
  'ΟΔΟΣ',
  'Σίσυφος',
  'straße',
  'STRAẞE',
  'ﬁne',
  'Ｆｕｌｌｗｉｄｔｈ',
  'Å',
  'ǅ',
  'Ωmega',
  'Ꭰ',
];
const SCRIPTS = ['Москва', 'Київ', 'שָׁלוֹם', 'مَرْحَبًا', 'नमस्ते', 'こんにちは', 'でんしゃ', 'カタカナ', '한국어', 'สวัสดี', 'ქართული', 'Ελληνικά', 'ﾊﾝｶｸ'];
const CJK = ['北京', '東京', '中国的首都', '豈', '\u{20000}\u{20001}', '\u{2B820}\u{2B8FF}', '\u{2B920}', '\u{30000}', '。', '，', '「引用」'];
const EMOJI = ['😀', '👍🏽', '👨\u200d👩\u200d👧', '❤️', '🇫🇷', '𝐀𝐁𝐂', '🤗', '☃', '€100', '25°C', '±½'];
const CONTROL = [
  '\u0000',
  '\u0007',
  '\u001f',
  '\u007f',
  '\u0085',
  '\u00ad',
  '\u200b',
  '\u200d',
  '\u200e',
  '\ufeff',
  '\ufffd',
  '\ue000',
  '\u0378',
  '\u{E0041}',
  '\u061c',
];
const SPACE = [' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u3000', '\u2028', '\u2029', '\u202f', '\u2009', ' \t \n '];
const SPECIAL = ['[CLS]', '[SEP]', '[MASK]', '[PAD]', '[UNK]', '[mask]', '[unused0]', 'x[MASK]y', '[SEP][SEP]'];
const PUNCT = ['.', ',', '!', '?', '...', '—', '–', '"', '«»', '(', ')', '/', '\\', '@', '&', '^', '`', '~', '|', '¿', '¡', '§'];

/** A long word: over, at, or under WordPiece's 100-character limit, sometimes astral. */
function longWord(rand: () => number): string {
  const kind = Math.floor(rand() * 5);
  if (kind === 0) return 'a'.repeat(100);
  if (kind === 1) return 'b'.repeat(101);
  if (kind === 2) return '𝐀'.repeat(60);
  if (kind === 3) return 'supercalifragilistic'.repeat(4);
  return 'é'.repeat(99) + 'e\u0301';
}

/** One random string of roughly `pieces` fragments. */
export function nastyString(rand: () => number, pieces: number): string {
  const pools = [WORDS, WORDS, WORDS, ACCENTED, SCRIPTS, CJK, EMOJI, CONTROL, SPECIAL, PUNCT];
  let out = '';
  for (let i = 0; i < pieces; i++) {
    const r = rand();
    if (r < 0.04) out += longWord(rand);
    else {
      const pool = pools[Math.floor(rand() * pools.length)];
      out += pool[Math.floor(rand() * pool.length)];
    }
    out += rand() < 0.15 ? '' : SPACE[Math.floor(rand() * (rand() < 0.7 ? 1 : SPACE.length))];
  }
  return out;
}

/** Hand-picked inputs that each exercise one rule. */
export const EDGE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000\u0000',
  'foo\u0000bar',
  'foo\u200bbar',
  'a\u2028b\u2029c',
  'hello[MASK]world',
  '[CLS] [SEP]',
  'ΟΔΟΣ οδός',
  'İstanbul İ',
  'ẞ ß',
  'Å Å Å',
  'ﬁ ﬂ Ｆ ² ½',
  '\u{2B820}\u{2B91F}\u{2B920}',
  'a'.repeat(100),
  'a'.repeat(101),
  '𝐀'.repeat(60),
  '𝐀'.repeat(101),
  'x😀y 😀😀 👨\u200d👩\u200d👧!',
  'で ぱ が',
  'नमस्ते',
  '\t\n\r \u00a0\u3000end',
  "rock 'n' roll don't",
  'price: €100, 25°C ± 0.5',
  '͸x͹y',
];
