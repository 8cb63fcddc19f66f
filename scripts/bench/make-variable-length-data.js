#!/usr/bin/env node
// Deterministic sentence-pair data whose lengths vary widely, for scripts/bench-vs-hf.js.
// Same layout as scripts/make-demo-data.js (header; id, sentence1, sentence2, label; labels
// positive / negtive [sic] / neutral), labels read from the content (the overall opinion of the pair,
// learnable within one epoch; the demo's agree/contradict rule takes many more steps to learn):
//   positive: one sentence praises the subject; the other praises it too or states a plain fact;
//   negtive:  the same with criticism;
//   neutral:  both sentences state sentiment-free facts about the subject.
// Each sentence carries its opinion (or fact) clause at a random place among sentiment-free
// filler clauses, padded to a word count drawn from [minWords, maxWords]: 'loguniform' (the
// default: right-skewed like real text, median ~17 words for 5..60) or 'uniform'.
//   node scripts/bench/make-variable-length-data.js OUT_DIR [--train 2000] [--dev 500]
//        [--min-words 5] [--max-words 60] [--length-dist loguniform|uniform] [--seed 1]
'use strict';
const fs = require('fs');
const path = require('path');

const SUBJECTS = [
  'the movie',
  'the hotel',
  'the restaurant',
  'the new phone',
  'the book',
  'the concert',
  'the museum tour',
  'the flight',
  'the coffee',
  'the laptop',
  'the service',
  'the apartment',
  'the lecture',
  'the game',
  'the hike',
  'the camera',
  'the pizza',
  'the train ride',
  'the software update',
  'the meeting',
  'the beach',
  'the headphones',
  'the play',
  'the course',
  'the bakery',
  'the gym',
  'the dentist',
  'the car rental',
  'the festival',
  'the podcast',
  'the bike shop',
  'the spa',
];
const GOOD = ['excellent', 'wonderful', 'great', 'fantastic', 'superb', 'delightful', 'impressive', 'enjoyable', 'brilliant', 'lovely'];
const BAD = ['terrible', 'awful', 'disappointing', 'horrible', 'dreadful', 'poor', 'unpleasant', 'mediocre', 'dismal', 'annoying'];
const GOOD_VERBS = ['I loved', 'we really enjoyed', 'everyone praised', 'my friends recommended', 'I would happily repeat'];
const BAD_VERBS = ['I hated', 'we regretted', 'everyone complained about', 'my friends warned me about', 'I would never repeat'];
const FACTS = [
  'opened in {year}',
  'is located near the station',
  'was discussed in the newspaper',
  'had its price listed online',
  'took place on a {day}',
  'attracted many people',
  'is run by a small company',
  'was mentioned on the radio',
  'changed owners in {year}',
  'is open until nine on {day}s',
  'was booked by my neighbour',
  'has a page on the city website',
];
const FILLER = [
  'we got there shortly after lunch',
  'the weather was cloudy all afternoon',
  'my cousin came along with her two kids',
  'parking took about ten minutes',
  'the tickets were booked a month in advance',
  'there was a queue at the entrance',
  'it was the second time we went',
  'the staff wore blue uniforms',
  'we sat near the window',
  'it was a {day} in {month}',
  'I read about it in a magazine',
  'we left around six in the evening',
  'the bus stop is right across the street',
  'it was part of a weekend trip',
  'my sister had suggested it weeks ago',
  'there is a large clock on the wall',
  'we paid by card',
  'someone was playing music outside',
  'the building is painted yellow',
  'they also sell postcards',
  'my colleague joined us later',
  'the place was built in {year}',
  'we took the number twelve tram',
  'the menu is printed in three languages',
  'a school group arrived at the same time',
  'I wrote this note on the way home',
  'the street was being repaired',
  'we had walked there from the hotel',
  'my phone battery was almost empty',
  'the receipt listed everything twice',
  'they close for two weeks in {month}',
  'it was my first visit this year',
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTHS = ['January', 'March', 'April', 'June', 'July', 'September', 'October', 'December'];
const JOINERS = [', ', ', and ', '; ', ' while ', ', although '];
const LABELS = ['positive', 'negtive', 'neutral'];

/** mulberry32: small, fast, deterministic. Returns pick(n) -> integer in [0, n) and real() -> [0, 1). */
function rng(seed) {
  let a = seed >>> 0;
  const real = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { real, pick: (n) => Math.floor(real() * n) };
}

const words = (s) => s.split(/\s+/).filter(Boolean);
const fill = (r, s) =>
  s
    .replace('{year}', String(1950 + r.pick(70)))
    .replace('{day}', DAYS[r.pick(7)])
    .replace('{month}', MONTHS[r.pick(MONTHS.length)]);

function targetWords(r, o) {
  if (o.lengthDist === 'uniform') return o.minWords + r.pick(o.maxWords - o.minWords + 1);
  const lo = Math.log(o.minWords);
  const hi = Math.log(o.maxWords + 1);
  return Math.min(o.maxWords, Math.floor(Math.exp(lo + r.real() * (hi - lo))));
}

function opinionClause(r, subject, good) {
  return r.pick(2) === 0
    ? `${subject} was ${(good ? GOOD : BAD)[r.pick(GOOD.length)]}`
    : `${(good ? GOOD_VERBS : BAD_VERBS)[r.pick(GOOD_VERBS.length)]} ${subject}`;
}

/** One sentence of exactly max(target, core length) words: the core clause among filler clauses. */
function sentence(r, core, target) {
  const coreWords = words(core).length;
  const clauses = [];
  let budget = target - coreWords;
  while (budget > 0) {
    const w = words(fill(r, FILLER[r.pick(FILLER.length)]));
    clauses.push(w.slice(0, budget).join(' '));
    budget -= Math.min(budget, w.length);
  }
  clauses.splice(r.pick(clauses.length + 1), 0, core);
  let text = clauses[0];
  for (let i = 1; i < clauses.length; i++) text += JOINERS[r.pick(JOINERS.length)] + clauses[i];
  return text[0].toUpperCase() + text.slice(1) + '.';
}

function factClause(r, subject) {
  return `${subject} ${fill(r, FACTS[r.pick(FACTS.length)])}`;
}

function makePair(r, o) {
  const subject = SUBJECTS[r.pick(SUBJECTS.length)];
  const label = LABELS[r.pick(3)];
  let core1;
  let core2;
  if (label === 'neutral') {
    core1 = factClause(r, subject);
    core2 = factClause(r, subject);
  } else {
    const good = label === 'positive';
    core1 = opinionClause(r, subject, good);
    core2 = r.pick(2) === 0 ? opinionClause(r, subject, good) : factClause(r, subject);
  }
  const s1 = sentence(r, core1, targetWords(r, o));
  const s2 = sentence(r, core2, targetWords(r, o));
  return r.pick(2) === 0 ? [s1, s2, label] : [s2, s1, label];
}

function writeSplit(file, count, seed, o) {
  const r = rng(seed);
  const lines = ['id\tsentence1\tsentence2\tlabel'];
  for (let i = 0; i < count; i++) lines.push([i, ...makePair(r, o)].join('\t'));
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

/**
 * Writes OUT_DIR/train.tsv and OUT_DIR/dev.tsv. Same options, same files.
 * @returns {{ train: string, dev: string }} the two paths
 */
function writeVariableLengthData(outDir, options = {}) {
  const o = { train: 2000, dev: 500, minWords: 5, maxWords: 60, lengthDist: 'loguniform', seed: 1, ...options };
  if (!['loguniform', 'uniform'].includes(o.lengthDist)) throw new Error(`--length-dist must be loguniform or uniform, not ${o.lengthDist}`);
  if (!(o.minWords >= 3 && o.maxWords >= o.minWords)) throw new Error('need 3 <= min-words <= max-words');
  fs.mkdirSync(outDir, { recursive: true });
  const train = path.join(outDir, 'train.tsv');
  const dev = path.join(outDir, 'dev.tsv');
  writeSplit(train, o.train, o.seed * 2 + 1, o);
  writeSplit(dev, o.dev, o.seed * 2 + 2, o);
  return { train, dev };
}

module.exports = { writeVariableLengthData };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const out = argv[0];
  if (!out || out.startsWith('--')) {
    console.error(
      'usage: node scripts/bench/make-variable-length-data.js OUT_DIR [--train N] [--dev N] [--min-words N] [--max-words N] [--length-dist loguniform|uniform] [--seed N]',
    );
    process.exit(2);
  }
  const opt = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
  const o = {
    train: Number(opt('train', 2000)),
    dev: Number(opt('dev', 500)),
    minWords: Number(opt('min-words', 5)),
    maxWords: Number(opt('max-words', 60)),
    lengthDist: opt('length-dist', 'loguniform'),
    seed: Number(opt('seed', 1)),
  };
  const files = writeVariableLengthData(out, o);
  console.log(`wrote ${files.train} (${o.train} pairs) and ${files.dev} (${o.dev} pairs)`);
}
