#!/usr/bin/env node
// Generates the demo's sentence-pair data in the layout of ORIGIN.md's seed 001: train.tsv and
// dev.tsv with a header and four columns (id, sentence1, sentence2, label), labels positive /
// negtive [sic, as in the seed] / neutral. Deterministic: same files on every run.
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
];
const GOOD = ['excellent', 'wonderful', 'great', 'fantastic', 'superb', 'delightful', 'impressive', 'enjoyable'];
const BAD = ['terrible', 'awful', 'disappointing', 'horrible', 'dreadful', 'poor', 'unpleasant', 'mediocre'];
const GOOD_VERBS = ['I loved', 'we really enjoyed', 'everyone praised', 'my friends recommended'];
const BAD_VERBS = ['I hated', 'we regretted', 'everyone complained about', 'my friends warned me about'];
const NEUTRAL = [
  'opened in {year}',
  'is located near the station',
  'was discussed in the newspaper',
  'had its price listed online',
  'took place on a {day}',
  'attracted many people',
  'is run by a small company',
  'was mentioned on the radio',
];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

function rng(seed) {
  let x = seed >>> 0;
  return (n) => {
    x = (x * 1664525 + 1013904223) >>> 0;
    return Math.floor((x / 4294967296) * n);
  };
}
const cap = (s) => s[0].toUpperCase() + s.slice(1);

function opinion(pick, subject, good) {
  return pick(2) === 0 ? `${cap(subject)} was ${(good ? GOOD : BAD)[pick(8)]}.` : `${cap((good ? GOOD_VERBS : BAD_VERBS)[pick(4)])} ${subject}.`;
}

function makePair(pick) {
  const subject = SUBJECTS[pick(SUBJECTS.length)];
  const good = pick(2) === 0;
  const label = ['positive', 'negtive', 'neutral'][pick(3)];
  const s1 = opinion(pick, subject, good);
  let s2;
  if (label === 'positive')
    s2 = opinion(pick, subject, good); // agrees
  else if (label === 'negtive')
    s2 = opinion(pick, subject, !good); // contradicts
  else s2 = `${cap(subject)} ${NEUTRAL[pick(NEUTRAL.length)].replace('{year}', String(1950 + pick(70))).replace('{day}', DAYS[pick(7)])}.`;
  return pick(2) === 0 || label === 'neutral' ? [s1, s2, label] : [s2, s1, label];
}

function writeSplit(file, count, seed) {
  const pick = rng(seed);
  const lines = ['id\tsentence1\tsentence2\tlabel'];
  for (let i = 0; i < count; i++) lines.push([i, ...makePair(pick)].join('\t'));
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

const out = process.argv[2] || path.join(__dirname, '..', 'examples', 'data', 'sentence-pairs');
fs.mkdirSync(out, { recursive: true });
writeSplit(path.join(out, 'train.tsv'), 1200, 1);
writeSplit(path.join(out, 'dev.tsv'), 300, 2);
console.log(`wrote ${out}/train.tsv (1200 pairs) and dev.tsv (300 pairs)`);
