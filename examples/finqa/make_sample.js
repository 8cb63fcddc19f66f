#!/usr/bin/env node
// Writes a small FinQA-format sample (train.json, dev.json, test.json next to this script, or in
// --out DIR): generated financial-report entries with a table (a header row of years, rows such as
// "net revenue" with cells like "$ 1,234", "12.5%", "( 45 )"), sentences before and after it, and
// a question whose gold program, execution result and gold facts (gold_inds) match the figures.
// The question wording follows the program's shape (a percentage change is always asked as one),
// so a classifier can learn the program class from the question. A few programs are broken on
// purpose (an unknown operation, a bad #N reference, an unbalanced parenthesis), unmarked.
// Seeded: the same command writes the same bytes.
//   node examples/finqa/make_sample.js [--out DIR] [--train 240] [--dev 60] [--test 60]
'use strict';
require('../../scripts/script_usage').exitWithUsageIfAsked(__filename);
const fs = require('fs');
const path = require('path');

/** mulberry32: a small seeded PRNG, with the helpers the generator needs. */
function makeRandom(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return {
    next,
    int,
    between: (lo, hi) => lo + int(hi - lo + 1),
    pick: (list) => list[int(list.length)],
    chance: (p) => next() < p,
    shuffle: (list) => {
      const out = list.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [out[i], out[j]] = [out[j], out[i]];
      }
      return out;
    },
  };
}

// Row kinds: money (always >= 0), signed (may be negative, shown as "( 45 )"), percent ("12.5%"),
// ratio ("0.38"), count (plain "1,234").
const ROWS = [
  ...[
    'net revenue',
    'total revenues',
    'cost of sales',
    'gross profit',
    'operating income',
    'net income',
    'total operating expenses',
    'interest expense',
    'capital expenditures',
    'depreciation and amortization',
    'long-term debt',
    'total debt',
    'accounts receivable',
    'inventories',
    'cash and cash equivalents',
    'cash , end of year',
    'research and development',
    'selling , general and administrative',
    'total assets',
    'goodwill',
  ].map((name) => ({ name, kind: 'money' })),
  ...[
    'operating income ( loss )',
    'other income ( expense ) net',
    'net cash used in investing activities',
    'foreign currency translation adjustments',
    'income ( loss ) from discontinued operations',
  ].map((name) => ({ name, kind: 'signed' })),
  ...['gross margin', 'operating margin', 'effective tax rate', 'return on equity'].map((name) => ({ name, kind: 'percent' })),
  ...['dividend payout ratio', 'debt-to-capital ratio'].map((name) => ({ name, kind: 'ratio' })),
  ...['weighted average shares outstanding', 'number of stores', 'backlog units'].map((name) => ({ name, kind: 'count' })),
];
const HEADER_LABELS = ['', '', '( in millions )', '( dollars in millions )', 'year ended december 31', '( in thousands )'];
const COMPANIES =
  'ADI AAL ABMD ACN AES AIZ ALLE AMT AON APD AWK BLL CDNS CE CME COO DVA ETR FIS GIS HIG HUM IPG JKHY K LKQ MAS MMC MRO NTAP PNC RSG SLB SWKS TSCO UNP VTR WRK XEL ZBH'.split(
    ' ',
  );

/** "1,234.5" for 1234.5; negative values as "( 45 )" (the accounting style FinQA tables keep). */
function formatNumber(value, decimals) {
  const [whole, fraction] = Math.abs(value).toFixed(decimals).split('.');
  const text = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',') + (fraction ? `.${fraction}` : '');
  return value < 0 ? `( ${text} )` : text;
}

/** The number as a program argument writes it: no "$", no thousands separators, a minus sign. */
function argument(value, decimals) {
  return value.toFixed(decimals);
}

// FinQA's evaluate.py rounds results to 5 decimals.
const round5 = (x) => Number(x.toFixed(5));

function makeRow(random, spec, years) {
  const decimals = spec.kind === 'ratio' ? 2 : spec.kind === 'percent' ? 1 : random.chance(0.3) ? 1 : 0;
  const dollar = spec.kind === 'money' || spec.kind === 'signed' ? random.chance(0.5) : false;
  let base =
    spec.kind === 'percent'
      ? 5 + random.next() * 40
      : spec.kind === 'ratio'
        ? 0.1 + random.next() * 0.7
        : spec.kind === 'count'
          ? random.between(200, 90000)
          : random.between(40, 25000);
  const values = [];
  for (let y = 0; y < years.length; y++) {
    let v = Number(base.toFixed(decimals));
    if (spec.kind === 'signed' && random.chance(0.35)) v = -v;
    if (v === 0) v = 1;
    values.push(v);
    base = base * (0.8 + random.next() * 0.35);
  }
  const cells = values.map((v) => {
    if (spec.kind === 'percent') return `${formatNumber(v, decimals)}%`;
    return `${dollar ? '$ ' : ''}${formatNumber(v, decimals)}`;
  });
  return { name: spec.name, kind: spec.kind, decimals, values, cells };
}

/** FinQA's table-row template (code/utils/general_utils.py), the same rule as lib/data/finqa/model_input.ts. */
function rowText(header, cells) {
  const parts = header[0] ? [header[0]] : [];
  for (let c = 1; c < Math.min(header.length, cells.length); c++) parts.push(`the ${cells[0]} of ${header[c]} is ${cells[c]} ;`);
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

const FILLERS_PRE = [
  ({ company }) => `${company.toLowerCase()} is a global provider of products and services to industrial and commercial customers .`,
  ({ year }) => `the following table summarizes our results of operations for the years ended december 31 , ${year} and ${year - 1} :`,
  () => `management 's discussion and analysis of financial condition and results of operations ( continued )`,
  ({ year }) =>
    `as of december 31 , ${year} , we had $ ${(1 + (year % 7) * 0.3).toFixed(1)} billion of unused borrowing capacity under our revolving credit facility .`,
  ({ year }) => `results for ${year} include the effect of acquisitions completed during the year .`,
  () => `the company operates in three reportable segments : industrial , healthcare and consumer .`,
];
const FILLERS_POST = [
  ({ year }) => `see note ${3 + (year % 11)} to the consolidated financial statements for additional information .`,
  () => `we believe that our existing cash and cash equivalents will be sufficient to fund operations for at least the next twelve months .`,
  () => `amounts may not add due to rounding .`,
  ({ year }) => `the decrease in ${year} was primarily due to lower volumes and unfavorable foreign currency exchange rates .`,
  ({ year }) => `( a ) includes restructuring charges recorded in ${year - 1} . . . . . .`,
  () => `* * * * * * no other matters were reported for the period .`,
];

// The question templates, by program class; the wording alone tells the classes apart.
const WORDING = {
  pctChange: [
    (r, a, b) => `what was the percentage change in ${r} from ${a} to ${b}?`,
    (r, a, b) => `what is the percent change in ${r} from ${a} to ${b}?`,
    (r, a, b) => `by what percentage did ${r} change from ${a} to ${b}?`,
  ],
  change: [
    (r, a, b) => `what was the change in ${r} between ${a} and ${b}?`,
    (r, a, b) => `what is the net change in ${r} from ${a} to ${b}?`,
    (r, a, b) => `by how much did ${r} change from ${a} to ${b}?`,
  ],
  ratio: [(r1, r2, y) => `what is the ratio of ${r1} to ${r2} in ${y}?`, (r1, r2, y) => `in ${y} , what was the ratio of ${r1} to ${r2}?`],
  sum: [(r, a, b) => `what was the combined ${r} in ${a} and ${b}?`, (r, a, b) => `what is the sum of ${r} in ${a} and ${b}?`],
  sumRows: [(r1, r2, y) => `what is the sum of ${r1} and ${r2} in ${y}?`, (r1, r2, y) => `what was the combined ${r1} and ${r2} in ${y}?`],
  average2: [(r, a, b) => `what was the average ${r} for ${a} and ${b}?`, (r, a, b) => `what is the average of ${r} in ${a} and ${b}?`],
  greater: [(r, a, b) => `was ${r} greater in ${a} than in ${b}?`, (r, a, b) => `is the ${r} in ${a} greater than in ${b}?`],
  tableAverage: [(r) => `what was the average ${r} over the years shown in the table?`, (r) => `what is the mean ${r} across all years presented?`],
  tableSum: [(r) => `what was the total ${r} over all the years shown in the table?`, (r) => `what is the total ${r} across all years presented?`],
  tableMax: [(r) => `what was the highest ${r} over the years shown in the table?`, (r) => `what is the maximum ${r} across all years presented?`],
  asPercent: [(r, y) => `what was the ${r} in ${y} expressed as a percentage?`, (r, y) => `what is the ${r} for ${y} in percentage terms?`],
  repurchaseCost: [(y) => `what was the total cost of the shares repurchased in ${y} , in millions?`],
  employeesPortion: [(y) => `what portion of the employees were located outside the united states at the end of ${y}?`],
};

const CLASSES = [
  ['pctChange', 5],
  ['change', 3],
  ['ratio', 2],
  ['sum', 2],
  ['sumRows', 1],
  ['average2', 2],
  ['greater', 2],
  ['tableAverage', 2],
  ['tableSum', 1],
  ['tableMax', 1],
  ['asPercent', 1],
  ['repurchaseCost', 1],
  ['employeesPortion', 1],
  ['textPctChange', 1],
];

function pickClass(random) {
  const total = CLASSES.reduce((n, [, w]) => n + w, 0);
  let r = random.int(total);
  for (const [name, w] of CLASSES) {
    if ((r -= w) < 0) return name;
  }
  return CLASSES[0][0];
}

const IS = {
  money: (r) => r.kind === 'money',
  growing: (r) => r.kind === 'money' || r.kind === 'count',
  amount: (r) => r.kind === 'money' || r.kind === 'count' || r.kind === 'signed',
  notRatio: (r) => r.kind !== 'ratio',
  ratio: (r) => r.kind === 'ratio',
  // FinQA's evaluator reads a row's cells dropping "$" and everything from "(", so only rows
  // without negative cells (and, for its ", " program split, without commas in the name) fit.
  tableOperand: (r) => r.kind !== 'signed' && r.kind !== 'ratio' && !r.name.includes(','),
};

// The rows each question class needs in the table: [which, how many].
const NEEDS = {
  pctChange: [[IS.growing, 1]],
  change: [[IS.notRatio, 1]],
  ratio: [[IS.money, 2]],
  sumRows: [[IS.money, 2]],
  sum: [[IS.amount, 1]],
  average2: [[IS.amount, 1]],
  greater: [[IS.notRatio, 1]],
  tableAverage: [[IS.tableOperand, 1]],
  tableSum: [[IS.tableOperand, 1]],
  tableMax: [[IS.tableOperand, 1]],
  asPercent: [[IS.ratio, 1]],
};

/** Replaces rows (from the last) by new ones until `count` rows satisfy `pred`. */
function ensureRows(random, rows, years, pred, count) {
  for (let k = rows.length - 1; k >= 0 && rows.filter(pred).length < count; k--) {
    if (pred(rows[k])) continue;
    const spare = ROWS.filter((spec) => pred(spec) && !rows.some((r) => r.name === spec.name));
    rows[k] = makeRow(random, random.pick(spare), years);
  }
}

/**
 * One entry. `broken` (one of 'unknownOp', 'badRef', 'unbalanced') writes a percentage-change
 * question whose program is broken that way (its exe_ans stays the intended result).
 */
function makeEntry(random, index, broken) {
  const company = random.pick(COMPANIES);
  const year = random.between(2008, 2020);
  const page = random.between(20, 110);
  const filename = `${company}/${year}/page_${page}.pdf`;
  const years = Array.from({ length: random.chance(0.6) ? 3 : 2 }, (_, k) => String(year - k));
  const header = [random.pick(HEADER_LABELS), ...years];
  const kind = broken ? 'pctChange' : pickClass(random);

  const rows = random
    .shuffle(ROWS)
    .slice(0, random.between(3, 7))
    .map((spec) => makeRow(random, spec, years));
  for (const [pred, count] of NEEDS[kind] ?? []) ensureRows(random, rows, years, pred, count);
  const table = [header, ...rows.map((row) => [row.name, ...row.cells])];

  const pre = random
    .shuffle(FILLERS_PRE)
    .slice(0, random.between(2, 4))
    .map((f) => f({ company, year }));
  const post = random
    .shuffle(FILLERS_POST)
    .slice(0, random.between(1, 3))
    .map((f) => f({ company, year }));
  // A sentence about a figure of the table, as reports have them (a distractor unless asked about).
  const described = rows.find((row) => row.kind === 'money');
  if (described) {
    const diff = described.values[0] - described.values[1];
    const change = formatNumber(Math.abs(diff), described.decimals);
    pre.push(`${described.name} ${diff >= 0 ? 'increased' : 'decreased'} $ ${change} million in ${years[0]} compared to ${years[1]} .`);
  }

  const tableRef = (row) => {
    const k = rows.indexOf(row) + 1;
    return { key: `table_${k}`, index: k, text: rowText(header, table[k]) };
  };
  // The question's own sentence goes at a random place in pre_text or post_text.
  const placeText = (sentence) => {
    const list = random.chance(0.5) ? pre : post;
    list.splice(random.int(list.length + 1), 0, sentence);
    return sentence;
  };
  const textRef = (sentence) => {
    const i = [...pre, ...post].indexOf(sentence);
    return { key: `text_${i}`, index: i, text: sentence };
  };
  const q = buildQuestion(kind, { random, rows, years, tableRef, placeText, textRef });
  // Text references resolve after every sentence is placed.
  const refs = q.refs.map((ref) => (typeof ref === 'function' ? ref() : ref));
  const goldInds = {};
  for (const ref of refs) goldInds[ref.key] = ref.text;

  let program = q.program;
  if (broken === 'unknownOp') program = program.replace('divide(', 'percent_change(');
  if (broken === 'badRef') program = program.replace('#0', '#1');
  if (broken === 'unbalanced') program = program.replace(/\)$/, '');

  return {
    pre_text: pre,
    post_text: post,
    filename,
    table,
    qa: {
      question: q.question,
      answer: q.answer,
      program,
      gold_inds: goldInds,
      exe_ans: q.exeAns,
      program_re: q.programRe,
      ann_table_rows: refs.filter((r) => r.key.startsWith('table_')).map((r) => r.index),
      ann_text_rows: refs.filter((r) => r.key.startsWith('text_')).map((r) => r.index),
    },
    id: `${filename}-${1 + (index % 4)}`,
  };
}

function buildQuestion(kind, ctx) {
  const { random, rows, years, tableRef, placeText, textRef } = ctx;
  const wording = (k, ...args) => random.pick(WORDING[k])(...args);
  // Two different years, older first (questions go forward in time).
  const twoYears = () => {
    const [i, j] = random.shuffle(years.map((_, k) => k)).slice(0, 2);
    return i > j ? [i, j] : [j, i];
  };
  const anyRow = (pred) => random.pick(rows.filter(pred));

  switch (kind) {
    case 'pctChange': {
      const row = anyRow(IS.growing);
      const [o, n] = twoYears();
      const a = argument(row.values[n], row.decimals);
      const b = argument(row.values[o], row.decimals);
      const result = (Number(a) - Number(b)) / Number(b);
      return {
        question: wording('pctChange', row.name, years[o], years[n]),
        program: `subtract(${a}, ${b}), divide(#0, ${b})`,
        programRe: `divide(subtract(${a}, ${b}), ${b})`,
        exeAns: round5(result),
        answer: `${(result * 100).toFixed(1)}%`,
        refs: [tableRef(row)],
      };
    }
    case 'textPctChange': {
      const metric = random.pick(['segment revenue', 'backlog', 'free cash flow', 'net sales in europe']);
      const [y0, y1] = [Number(years[0]) - 1, Number(years[0])];
      const before = random.between(100, 5000);
      const after = Math.round(before * (0.7 + random.next() * 0.6));
      const sentence = placeText(
        `${metric} ${after >= before ? 'increased' : 'decreased'} from $ ${formatNumber(before, 0)} million in ${y0} to $ ${formatNumber(after, 0)} million in ${y1} .`,
      );
      const result = (after - before) / before;
      return {
        question: wording('pctChange', metric, y0, y1),
        program: `subtract(${after}, ${before}), divide(#0, ${before})`,
        programRe: `divide(subtract(${after}, ${before}), ${before})`,
        exeAns: round5(result),
        answer: `${(result * 100).toFixed(1)}%`,
        refs: [() => textRef(sentence)],
      };
    }
    case 'change': {
      const row = anyRow(IS.notRatio);
      const [o, n] = twoYears();
      const a = argument(row.values[n], row.decimals);
      const b = argument(row.values[o], row.decimals);
      const result = Number(a) - Number(b);
      return {
        question: wording('change', row.name, years[o], years[n]),
        program: `subtract(${a}, ${b})`,
        programRe: `subtract(${a}, ${b})`,
        exeAns: round5(result),
        answer: formatNumber(round5(result), row.decimals),
        refs: [tableRef(row)],
      };
    }
    case 'ratio':
    case 'sumRows': {
      const [r1, r2] = random.shuffle(rows.filter(IS.money)).slice(0, 2);
      const y = random.int(years.length);
      const a = argument(r1.values[y], r1.decimals);
      const b = argument(r2.values[y], r2.decimals);
      const result = kind === 'ratio' ? Number(a) / Number(b) : Number(a) + Number(b);
      const op = kind === 'ratio' ? 'divide' : 'add';
      return {
        question: wording(kind, r1.name, r2.name, years[y]),
        program: `${op}(${a}, ${b})`,
        programRe: `${op}(${a}, ${b})`,
        exeAns: round5(result),
        answer: kind === 'ratio' ? result.toFixed(2) : formatNumber(round5(result), Math.max(r1.decimals, r2.decimals)),
        refs: [tableRef(r1), tableRef(r2)],
      };
    }
    case 'sum':
    case 'average2': {
      const row = anyRow(IS.amount);
      const [o, n] = twoYears();
      const a = argument(row.values[o], row.decimals);
      const b = argument(row.values[n], row.decimals);
      const total = Number(a) + Number(b);
      const result = kind === 'sum' ? total : total / 2;
      return {
        question: wording(kind, row.name, years[o], years[n]),
        program: kind === 'sum' ? `add(${a}, ${b})` : `add(${a}, ${b}), divide(#0, const_2)`,
        programRe: kind === 'sum' ? `add(${a}, ${b})` : `divide(add(${a}, ${b}), const_2)`,
        exeAns: round5(result),
        answer: formatNumber(round5(result), row.decimals + (kind === 'sum' ? 0 : 1)),
        refs: [tableRef(row)],
      };
    }
    case 'greater': {
      const row = anyRow(IS.notRatio);
      const [o, n] = twoYears();
      const [first, second] = random.chance(0.5) ? [n, o] : [o, n];
      const a = argument(row.values[first], row.decimals);
      const b = argument(row.values[second], row.decimals);
      const result = Number(a) > Number(b) ? 'yes' : 'no';
      return {
        question: wording('greater', row.name, years[first], years[second]),
        program: `greater(${a}, ${b})`,
        programRe: `greater(${a}, ${b})`,
        exeAns: result,
        answer: result,
        refs: [tableRef(row)],
      };
    }
    case 'tableAverage':
    case 'tableSum':
    case 'tableMax': {
      const row = anyRow(IS.tableOperand);
      const cellValues = row.values.map((v) => (row.kind === 'percent' ? v / 100 : v));
      const op = { tableAverage: 'table_average', tableSum: 'table_sum', tableMax: 'table_max' }[kind];
      const result =
        kind === 'tableAverage'
          ? cellValues.reduce((s, v) => s + v, 0) / cellValues.length
          : kind === 'tableSum'
            ? cellValues.reduce((s, v) => s + v, 0)
            : Math.max(...cellValues);
      return {
        question: wording(kind, row.name),
        program: `${op}(${row.name}, none)`,
        programRe: `${op}(${row.name}, none)`,
        exeAns: round5(result),
        answer: String(round5(result)),
        refs: [tableRef(row)],
      };
    }
    case 'asPercent': {
      const row = anyRow(IS.ratio);
      const y = random.int(years.length);
      const a = argument(row.values[y], row.decimals);
      const result = Number(a) * 100;
      return {
        question: wording('asPercent', row.name, years[y]),
        program: `multiply(${a}, const_100)`,
        programRe: `multiply(${a}, const_100)`,
        exeAns: round5(result),
        answer: `${round5(result)}%`,
        refs: [tableRef(row)],
      };
    }
    case 'repurchaseCost': {
      const y = years[random.int(years.length)];
      const shares = (random.between(5, 120) / 10).toFixed(1);
      const price = (random.between(1500, 16000) / 100).toFixed(2);
      const sentence = placeText(`during ${y} , we repurchased ${shares} million shares of our common stock at an average price of $ ${price} per share .`);
      const result = Number(shares) * Number(price);
      return {
        question: wording('repurchaseCost', y),
        program: `multiply(${shares}, ${price})`,
        programRe: `multiply(${shares}, ${price})`,
        exeAns: round5(result),
        answer: `$ ${result.toFixed(1)} million`,
        refs: [() => textRef(sentence)],
      };
    }
    case 'employeesPortion': {
      const y = years[0];
      const total = random.between(2000, 90000);
      const abroad = Math.round(total * (0.1 + random.next() * 0.6));
      const sentence = placeText(
        `at december 31 , ${y} , we had approximately ${formatNumber(total, 0)} employees , of whom ${formatNumber(abroad, 0)} were located outside the united states .`,
      );
      const result = abroad / total;
      return {
        question: wording('employeesPortion', y),
        program: `divide(${abroad}, ${total})`,
        programRe: `divide(${abroad}, ${total})`,
        exeAns: round5(result),
        answer: `${(result * 100).toFixed(0)}%`,
        refs: [() => textRef(sentence)],
      };
    }
    default:
      throw new Error(`unknown question kind ${kind}`);
  }
}

/** `count` entries from `seed`; entries at the positions of `brokenAt` (position -> kind) get a broken program. */
function makeSplit(seed, count, brokenAt = {}) {
  const random = makeRandom(seed);
  const ids = new Set();
  const entries = [];
  for (let i = 0; i < count; i++) {
    let entry = makeEntry(random, i, brokenAt[i]);
    while (ids.has(entry.id)) entry = makeEntry(random, i, brokenAt[i]);
    ids.add(entry.id);
    entries.push(entry);
  }
  return entries;
}

/** FinQA's layout: an array of entries, 4-space indented as its json.dump(indent=4) writes them. */
function toFinqaJson(entries) {
  return `${JSON.stringify(entries, null, 4)}\n`;
}

const SPLITS = [
  // name, seed, default count, broken programs (entry index -> how)
  ['train', 20211, 240, { 17: 'unknownOp', 88: 'badRef', 203: 'unbalanced' }],
  ['dev', 20212, 60, { 41: 'badRef' }],
  ['test', 20213, 60, { 9: 'unknownOp' }],
];

if (require.main === module) {
  const argv = process.argv.slice(2);
  const option = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
  const out = option('out', __dirname);
  fs.mkdirSync(out, { recursive: true });
  for (const [name, seed, count, broken] of SPLITS) {
    const n = Number(option(name, count));
    const file = path.join(out, `${name}.json`);
    fs.writeFileSync(file, toFinqaJson(makeSplit(seed, n, broken)));
    console.log(`${file}: ${n} entries, ${(fs.statSync(file).size / 1024).toFixed(0)} KiB`);
  }
}

module.exports = { makeRandom, makeEntry, makeSplit, toFinqaJson };
