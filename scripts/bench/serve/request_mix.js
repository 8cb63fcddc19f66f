// Deterministic request bodies for scripts/bench-serve.js: sentence pairs whose encoded length
// ([CLS] a [SEP] b [SEP]) is 8..128 tokens, skewed short (log-normal, median ~28 tokens), made of
// real English words, and single sentences of the same kind for the embeddings comparison.
//
// The words are the model's own WordPiece vocabulary (vocab.txt): after its special and
// single-character entries, BERT's vocabulary lists whole words roughly by frequency ("the",
// "of", "and", ...), so drawing ranks Zipf-style gives plausible English word frequencies, and
// every word is exactly one token: the token count of a sentence is known without a tokenizer
// (the bench still measures it with bertrun's tokenizer and prints the distribution).
'use strict';
const fs = require('fs');

const MIN_TOKENS = 8;
const MAX_TOKENS = 128;
const MEDIAN_TOKENS = 28;
const SIGMA = 0.65; // log-normal spread: ~p90 64 tokens, ~p99 126 before clamping
const WORDS = 6000; // most frequent whole words of the vocabulary

/** mulberry32: a small seeded PRNG, so the mix is identical on every run and for every server. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Whole lowercase words of vocab.txt in vocabulary order (frequency order for BERT's). */
function vocabularyWords(vocabFile) {
  const lines = fs.readFileSync(vocabFile, 'utf8').split('\n');
  const words = [];
  // Entries before "the" are [PAD], [unused*], [CLS]..., punctuation and single characters.
  const start = lines.indexOf('the');
  if (start < 0) throw new Error(`${vocabFile} does not look like a BERT uncased vocabulary (no "the")`);
  for (const w of lines.slice(start)) {
    if (/^[a-z]{2,}$/.test(w) || w === 'a' || w === 'i') words.push(w);
    if (words.length === WORDS) break;
  }
  return words;
}

class WordSampler {
  constructor(words, random) {
    this.words = words;
    this.random = random;
    // Zipf(s=1) with an offset of 10 ranks, so the very top words do not dominate.
    this.cumulative = [];
    let sum = 0;
    for (let r = 0; r < words.length; r++) this.cumulative.push((sum += 1 / (r + 10)));
  }
  next() {
    const u = this.random() * this.cumulative[this.cumulative.length - 1];
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return this.words[lo];
  }
  sentence(count) {
    const w = Array.from({ length: count }, () => this.next());
    w[0] = w[0][0].toUpperCase() + w[0].slice(1);
    return `${w.join(' ')}.`; // the period is one more token
  }
}

function normal(random) {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function drawLength(random) {
  const t = Math.round(MEDIAN_TOKENS * Math.exp(SIGMA * normal(random)));
  return Math.min(MAX_TOKENS, Math.max(MIN_TOKENS, t));
}

/** `count` {sentence1, sentence2} bodies; each pair encodes to `tokens` tokens (also returned, for checking). */
function sentencePairs(vocabFile, count, seed) {
  const random = rng(seed);
  const sampler = new WordSampler(vocabularyWords(vocabFile), random);
  const pairs = [];
  for (let i = 0; i < count; i++) {
    const tokens = drawLength(random);
    const words = tokens - 5; // [CLS], [SEP] x2 and the two periods
    const first = Math.min(words - 1, Math.max(1, Math.round(words * (0.3 + 0.4 * random()))));
    pairs.push({ sentence1: sampler.sentence(first), sentence2: sampler.sentence(words - first), tokens });
  }
  return pairs;
}

/** `count` single sentences of 8..128 tokens ([CLS] s [SEP]), same length distribution. */
function sentences(vocabFile, count, seed) {
  const random = rng(seed ^ 0x5eed);
  const sampler = new WordSampler(vocabularyWords(vocabFile), random);
  return Array.from({ length: count }, () => sampler.sentence(drawLength(random) - 3));
}

module.exports = { sentencePairs, sentences, MIN_TOKENS, MAX_TOKENS };
