// `bertrun finqa stats` on the sample train.json and on small hand-written files: the counts must equal
// an independent count made here from the raw text with regular expressions (not the program parser),
// the sample's 3 broken programs must be named by entry and reason, every format and the chart must
// carry the numbers, and unreadable files must stop the command naming the file.
import * as fs from 'fs';
import * as path from 'path';
import { runFinqa } from '../../lib/cli/finqa_command';
import { main } from '../../lib/cli/main';
import type { ProgramStatsResult } from '../../lib/data/finqa/program_stats';
import { DataError } from '../../lib/data/readers/data_error';
import { tempDirPerTest } from '../helpers/temp_dir';

const TRAIN = path.join(__dirname, '../../examples/finqa/train.json');
const TRAIN_TEXT = fs.readFileSync(TRAIN, 'utf8');
const TRAIN_IDS = (JSON.parse(TRAIN_TEXT) as Array<{ id: string }>).map((e) => e.id);
/** The sample's deliberately broken programs (examples/finqa/README.md), and why each does not parse. */
const BROKEN: Record<number, string> = { 17: 'unknown-op', 88: 'bad-step-ref', 203: 'unbalanced' };

const { dir, write } = tempDirPerTest('bertrun-finqa-stats-');

let logs: string[] = [];
let errors: string[] = [];
beforeEach(() => {
  logs = [];
  errors = [];
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void logs.push(args.map(String).join(' ')));
  jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args.map(String).join(' ')));
});
afterEach(() => jest.restoreAllMocks());

async function stdoutOf(...argv: string[]): Promise<string> {
  await runFinqa(['stats', ...argv]);
  return logs.join('\n');
}

async function jsonOf(...files: string[]): Promise<ProgramStatsResult> {
  return JSON.parse(await stdoutOf(...files, '--format', 'json')) as ProgramStatsResult;
}

interface IndependentCount {
  programs: number;
  concat: Record<string, number>;
  ops: Record<string, number>;
  keys: Record<string, number>;
  steps: Record<string, number>;
  stepSum: number;
}

/** Counts ops in the `"program": "..."` strings of the raw text: an op is a name followed by "(" at the start of a step. */
function independentCount(text: string, skip: ReadonlySet<number>): IndependentCount {
  const programs = [...text.matchAll(/"program": "((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
  const count: IndependentCount = { programs: programs.length, concat: {}, ops: {}, keys: {}, steps: {}, stepSum: 0 };
  const bump = (record: Record<string, number>, key: string): void => {
    record[key] = (record[key] ?? 0) + 1;
  };
  programs.forEach((program, index) => {
    if (skip.has(index)) return;
    const ops = [...program.matchAll(/(?:^|\), )([a-z_]+)\(/g)].map((m) => m[1]);
    bump(count.concat, ops.map((op, i) => `${op}${i}`).join('_'));
    ops.forEach((op, i) => {
      bump(count.ops, op);
      bump(count.keys, `${op}${i}`);
    });
    bump(count.steps, String(ops.length));
    count.stepSum += ops.length;
  });
  return count;
}

const BROKEN_INDEXES = new Set(Object.keys(BROKEN).map(Number));
const EXPECTED = independentCount(TRAIN_TEXT, BROKEN_INDEXES);
const VALID = EXPECTED.programs - BROKEN_INDEXES.size;

function finqaFile(programs: Array<[string, number | string]>): string {
  const entries = programs.map(([program, exeAns], i) => ({
    pre_text: ['the table shows results .'],
    post_text: [],
    filename: `SMALL/2020/page_${i}.pdf`,
    table: [
      ['', '2020', '2019'],
      ['revenue', '$ 5,829', '$ 5,735'],
    ],
    qa: { question: `question ${i}?`, program, gold_inds: {}, exe_ans: exeAns },
    id: `SMALL/2020/page_${i}.pdf-1`,
  }));
  return JSON.stringify(entries, null, 4);
}

/** The seed's example twice, a percentage change, and a gold program whose exe_ans is wrong (1 + 2 is 3). */
function writeSmall(): string {
  return write(
    'small.json',
    finqaFile([
      ['divide(100, 100), divide(3.8, #0)', 3.8],
      ['divide(100, 100), divide(3.8, #0)', 3.8],
      ['subtract(5829, 5735), divide(#0, 5735)', 0.01639],
      ['add(1, 2)', 4],
    ]),
  );
}

describe('bertrun finqa stats --format json', () => {
  it('counts what an independent regex count of the raw train.json finds', async () => {
    expect(EXPECTED.programs).toBe(240);
    const { files, total } = await jsonOf(TRAIN);
    expect(files.map((f) => f.file)).toEqual([TRAIN]);
    expect([total.entries, total.validPrograms, total.invalidPrograms]).toEqual([240, VALID, 3]);
    expect(total.concatPrograms).toEqual(EXPECTED.concat);
    expect(total.opKeys).toEqual(EXPECTED.keys);
    expect(Object.fromEntries(Object.entries(total.ops).filter(([, n]) => n > 0))).toEqual(EXPECTED.ops);
    expect(total.steps.histogram).toEqual(EXPECTED.steps);
    expect(total.steps.mean).toBeCloseTo(EXPECTED.stepSum / VALID, 12);
    // Each step is `op(`, two arguments and `)`; the sequence ends in EOF.
    expect(total.tokens.mean).toBeCloseTo((4 * EXPECTED.stepSum + VALID) / VALID, 12);
    expect(total.tokens.max).toBe(4 * Math.max(...Object.keys(EXPECTED.steps).map(Number)) + 1);
    const counts = Object.values(total.concatPrograms);
    expect(counts).toEqual([...counts].sort((a, b) => b - a));
  });

  it('reports the 3 broken train programs with their entry index, id and reason', async () => {
    const { total } = await jsonOf(TRAIN);
    const found = Object.entries(total.invalidByReason).flatMap(([reason, counted]) => (counted?.examples ?? []).map((e) => [e.index, e.id, reason, e.file]));
    expect(found.sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(
      Object.entries(BROKEN).map(([index, reason]) => [Number(index), TRAIN_IDS[Number(index)], reason, TRAIN]),
    );
  });

  it('executes every valid gold program of the sample to its exe_ans', async () => {
    const { total } = await jsonOf(TRAIN);
    expect(total.execution).toEqual({ correct: VALID, total: VALID, accuracy: 1, failures: {} });
  });

  it("counts the seed's divide(100, 100), divide(3.8, #0) as divide0_divide1, and reports a wrong exe_ans", async () => {
    const small = writeSmall();
    const { files, total } = await jsonOf(TRAIN, small);
    expect(files[1].concatPrograms).toEqual({ divide0_divide1: 2, add0: 1, subtract0_divide1: 1 });
    expect(total.concatPrograms.divide0_divide1).toBe(2);
    expect(total.concatPrograms.subtract0_divide1).toBe(EXPECTED.concat.subtract0_divide1 + 1);
    expect(files[1].execution.failures).toEqual({
      'wrong-answer': {
        count: 1,
        examples: [
          expect.objectContaining({
            file: small,
            index: 3,
            id: 'SMALL/2020/page_3.pdf-1',
            message: 'FinQA program "add(1, 2)": executes to 3, but exe_ans is 4',
          }),
        ],
      },
    });
    expect([total.entries, total.validPrograms, total.execution.correct]).toEqual([244, VALID + 4, VALID + 3]);
  });
});

describe('bertrun finqa stats: table, csv and md', () => {
  it('prints aligned tables: summary, concat programs, ops, lengths, invalid entries', async () => {
    const out = await stdoutOf(TRAIN, '--top', '3');
    const [first, second, third] = Object.entries(EXPECTED.concat).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
    const pct = (n: number): string => `${((100 * n) / VALID).toFixed(2)}%`;
    expect(out).toMatch(new RegExp(`^total +240 +${VALID} +3 +${VALID}/${VALID} +100\\.00%`, 'm'));
    expect(out).toMatch(new RegExp(`^${first[0]} +${first[1]} +${pct(first[1]).replace('.', '\\.')}$`, 'm'));
    expect(out).toMatch(new RegExp(`^${third[0]} +${third[1]} +`, 'm'));
    expect(out.indexOf(`\n${first[0]} `)).toBeLessThan(out.indexOf(`\n${second[0]} `));
    const others = Object.keys(EXPECTED.concat).length - 3;
    expect(out).toMatch(new RegExp(`^\\(${others} other programs\\) +${VALID - first[1] - second[1] - third[1]} `, 'm'));
    expect(out).toMatch(new RegExp(`^divide +${EXPECTED.ops.divide} `, 'm'));
    expect(out).toMatch(new RegExp(`^ +2 +${EXPECTED.steps['2']} `, 'm'));
    expect(out).toContain('Invalid programs: 3 of 240 entries');
    for (const [index, reason] of Object.entries(BROKEN)) {
      const at = out.indexOf(`${TRAIN} entry ${index} (id ${TRAIN_IDS[Number(index)]})`);
      expect(at).toBeGreaterThan(out.lastIndexOf(`  ${reason}: 1`, at));
      expect(out.lastIndexOf(`  ${reason}: 1`, at)).toBeGreaterThan(-1);
    }
    expect(out).toContain(`Valid gold programs not executing to exe_ans: 0 of ${VALID}`);
  });

  it('shows the wrong exe_ans of the small file in the table', async () => {
    const small = writeSmall();
    const out = await stdoutOf(small);
    expect(out).toMatch(/^divide0_divide1 +2 +50\.00%$/m);
    expect(out).toMatch(/^total +4 +4 +0 +3\/4 +75\.00%/m);
    expect(out).toContain(`  wrong-answer: 1\n    ${small} entry 3 (id SMALL/2020/page_3.pdf-1), line `);
  });

  it('writes one csv row per concat program with the count per file', async () => {
    const small = writeSmall();
    const lines = (await stdoutOf(TRAIN, small, '--format', 'csv')).split('\n');
    const all = VALID + 4;
    expect(lines[0]).toBe(`program,count,share,${TRAIN},${small}`);
    expect(lines).toContain(`divide0_divide1,2,${(2 / all).toFixed(6)},0,2`);
    const sd = EXPECTED.concat.subtract0_divide1;
    expect(lines).toContain(`subtract0_divide1,${sd + 1},${((sd + 1) / all).toFixed(6)},${sd},1`);
    expect(lines).toHaveLength(1 + Object.keys({ ...EXPECTED.concat, divide0_divide1: 0 }).length);
  });

  it('writes Markdown tables', async () => {
    const small = writeSmall();
    const out = await stdoutOf(small, '--format', 'md');
    expect(out).toContain('### Concat programs');
    expect(out).toContain(
      '| PROGRAM | COUNT | SHARE |\n| --- | ---: | ---: |\n| divide0_divide1 | 2 | 50.00% |\n| add0 | 1 | 25.00% |\n| subtract0_divide1 | 1 | 25.00% |',
    );
    expect(out).toContain(`| wrong-answer | 1 | ${small} entry 3 (id SMALL/2020/page_3.pdf-1), line `);
  });
});

describe('bertrun finqa stats --chart', () => {
  it('writes a page whose chart data are the counts', async () => {
    const chart = path.join(dir(), 'stats.html');
    await stdoutOf(TRAIN, '--chart', chart, '--top', '4', '--format', 'json');
    expect(() => JSON.parse(logs.join('\n')) as unknown).not.toThrow();
    expect(errors).toEqual([`chart: ${chart}`]);
    const html = fs.readFileSync(chart, 'utf8');
    const match = /<script type="application\/json" id="chart-data">([\s\S]*?)<\/script>/.exec(html);
    expect(match).not.toBeNull();
    const charts = (
      JSON.parse((match as RegExpExecArray)[1]) as { charts: Array<{ id: string; labels: string[]; series: Array<{ name: string; values: number[] }> }> }
    ).charts;
    const byId = Object.fromEntries(charts.map((c) => [c.id, c]));
    const concat = byId['concat-programs'];
    expect(concat.labels).toHaveLength(4);
    expect(concat.series.map((s) => s.name)).toEqual([TRAIN]);
    expect(concat.series[0].values).toEqual(concat.labels.map((label) => EXPECTED.concat[label]));
    expect(Math.min(...concat.series[0].values)).toBeGreaterThanOrEqual(
      Math.max(
        0,
        ...Object.values(EXPECTED.concat)
          .sort((a, b) => b - a)
          .slice(4),
      ),
    );
    const ops = byId.ops;
    expect(ops.series[0].values).toEqual(ops.labels.map((op) => EXPECTED.ops[op] ?? 0));
    expect(byId.steps.labels).toEqual(Object.keys(EXPECTED.steps));
    expect(byId.steps.series[0].values).toEqual(Object.values(EXPECTED.steps));
    expect(html).toContain('HUM/2020/page_46.pdf-2');
  });
});

describe('bertrun finqa: errors', () => {
  async function failure(...argv: string[]): Promise<Error> {
    try {
      await runFinqa(argv);
    } catch (err) {
      return err as Error;
    }
    throw new Error('expected runFinqa to fail');
  }

  it('stops at a missing file, naming it', async () => {
    const missing = path.join(dir(), 'no-such-train.json');
    const err = await failure('stats', TRAIN, missing);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(new RegExp(`^${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: file not found`));
    expect(logs).toEqual([]);
  });

  it('through the bertrun command line: exit status 1 and the file named on stderr', async () => {
    const missing = path.join(dir(), 'no-such-train.json');
    const errors: string[] = [];
    jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void errors.push(args.map(String).join(' ')));
    expect(await main(['finqa', 'stats', missing])).toBe(1);
    expect(errors.join('\n')).toMatch(new RegExp(`^bertrun finqa: ${missing.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: file not found`));
  });

  it('stops at an empty file, naming it', async () => {
    const empty = write('empty.json', '');
    const err = await failure('stats', empty);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toContain(`${empty}: no FinQA entries found`);
  });

  it('stops at a malformed entry with the file, line and entry', async () => {
    const text = finqaFile([['add(1, 2)', 3]]).replace('"exe_ans": 3', '"exe_ans": null');
    const bad = write('bad.json', text);
    const err = await failure('stats', bad);
    expect(err).toBeInstanceOf(DataError);
    expect(err.message).toMatch(/^.*bad\.json:2: entry 0 \(id "SMALL\/2020\/page_0\.pdf-1"\): qa\.exe_ans: /);
  });

  it('lists the known subcommands for an unknown one', async () => {
    expect((await failure('count', TRAIN)).message).toMatch(/^unknown finqa command "count"; the finqa commands are: stats\n/);
    expect((await failure()).message).toMatch(/^a finqa command is missing; the finqa commands are: stats\n/);
  });

  it('rejects a bad --format and a file given twice', async () => {
    expect((await failure('stats', TRAIN, '--format', 'xml')).message).toMatch(/--format must be one of table, json, csv, md/);
    expect((await failure('stats', TRAIN, TRAIN)).message).toBe(`${TRAIN} is given twice; each file is counted once`);
  });

  it('prints help without reading files', async () => {
    await runFinqa(['stats', '--help']);
    expect(logs.join('\n')).toMatch(/^usage: bertrun finqa stats FILE\.\.\./);
    expect(logs.join('\n')).toContain('--top <integer>');
  });
});
