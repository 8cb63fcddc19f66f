// `bertrun finqa stats FILE... [--format table|json|csv|md] [--chart FILE.html] [--top N]`: the program
// statistics of FinQA dataset files (lib/data/finqa/program_stats.ts) as terminal tables, JSON, CSV or
// Markdown, and optionally as a chart page. Files are streamed, so a train.json too big to load whole is fine.
import * as path from 'path';
import { finqaEntries } from '../data/finqa/finqa_reader';
import { ProgramStats, type EntryExample, type ProgramStatsResult, type ProgramStatsSummary, type ReasonCount } from '../data/finqa/program_stats';
import { writeFileAtomic } from '../io/atomic_write';
import { renderChartPage, type BarChartSpec, type TableSpec } from '../reporting/chart_page';
import { formatHelp, parseFlags, splitPositionals, type FlagSchema } from './flags';

const USAGE = `usage: bertrun finqa <command> [flags]

commands:
  stats     program statistics of FinQA dataset files: concat programs, ops, lengths, invalid programs, execution accuracy

bertrun finqa <command> --help shows the flags.`;

const STATS_USAGE = `usage: bertrun finqa stats FILE... [--format table|json|csv|md] [--chart FILE.html] [--top N]

Reads FinQA files (github.com/czyssrs/FinQA dataset/*.json, .json.gz too) one entry at a time, so memory does
not grow with the file, and reports per file and in total: the entries; the programs that parse and, by reason,
those that do not (with the entries at fault); the concat programs (each step's op and index joined by "_", e.g.
divide0_divide1) with their counts; op keys (divide1) and op names (divide) by steps; program length in steps
and in tokens; and whether each valid gold program executes to its exe_ans (FinQA's evaluate.py rule: the
result rounded to 5 decimals equals exe_ans), with the failures by reason.
json is the whole result; csv has one row per concat program (program,count,share, then a count per file);
--top limits the table and md formats and the chart, json and csv are complete.`;

export const FINQA_STATS_FLAGS: FlagSchema = {
  format: { type: 'string', default: 'table', choices: ['table', 'json', 'csv', 'md'], help: 'the output on stdout' },
  chart: { type: 'string', help: 'also write an HTML page (viewable offline) charting the concat programs, ops and lengths' },
  top: { type: 'integer', default: 10, help: 'concat programs shown in table, md and chart (0: all)' },
};

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<void>> = { stats: runStats };

export async function runFinqa(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    console.log(USAGE);
    return;
  }
  const known = Object.keys(SUBCOMMANDS).join(', ');
  if (sub === undefined) throw new Error(`a finqa command is missing; the finqa commands are: ${known}\n${USAGE}`);
  const command = Object.hasOwn(SUBCOMMANDS, sub) ? SUBCOMMANDS[sub] : undefined;
  if (!command) throw new Error(`unknown finqa command "${sub}"; the finqa commands are: ${known}\n${USAGE}`);
  await command(rest);
}

async function runStats(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(formatHelp(STATS_USAGE, FINQA_STATS_FLAGS));
    return;
  }
  const { positionals: files, flagArgs } = splitPositionals(argv, FINQA_STATS_FLAGS);
  const flags = parseFlags(flagArgs, FINQA_STATS_FLAGS);
  if (files.length === 0) throw new Error(`FILE is missing\n${STATS_USAGE}`);
  const twice = files.find((f, i) => files.indexOf(f) !== i);
  if (twice !== undefined) throw new Error(`${twice} is given twice; each file is counted once`);
  const top = flags.top as number;
  if (top < 0) throw new Error(`--top must be 0 (all) or more, got ${top}`);

  const stats = new ProgramStats();
  for (const file of files) for await (const entry of finqaEntries(file)) stats.add(entry, file);
  const result = stats.result();

  const format = flags.format as string;
  if (format === 'json') console.log(JSON.stringify(result, null, 2));
  else if (format === 'csv') console.log(csv(result));
  else
    console.log(
      sections(result, top, format === 'md' ? { table: markdownTable, reasons: reasonMarkdown } : { table: alignedTable, reasons: reasonList }).join('\n\n'),
    );

  if (typeof flags.chart === 'string' && flags.chart !== '') {
    writeFileAtomic(flags.chart, Buffer.from(chartPage(result, top), 'utf8'));
    // stderr, so that json and csv on stdout stay parseable.
    console.error(`chart: ${path.resolve(flags.chart)}`);
  }
}

/** A table of header and rows: `right[i]` right-aligns column i (numbers). */
type Table = (title: string, header: string[], rows: string[][], right: boolean[]) => string;
/** Counts by reason with the first entries of each. */
type Reasons = (title: string, byReason: Partial<Record<string, ReasonCount>>) => string;
interface Style {
  table: Table;
  reasons: Reasons;
}

const alignedTable: Table = (title, header, rows, right) => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (row: string[]): string =>
    row
      .map((cell, i) => (right[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [title, line(header), ...rows.map(line)].join('\n');
};

const markdownTable: Table = (title, header, rows, right) => {
  const cell = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|');
  const line = (row: string[]): string => `| ${row.map(cell).join(' | ')} |`;
  return [`### ${title}`, '', line(header), `|${right.map((r) => (r ? ' ---: ' : ' --- ')).join('|')}|`, ...rows.map(line)].join('\n');
};

function percent(part: number, whole: number): string {
  return whole === 0 ? '-' : `${((100 * part) / whole).toFixed(2)}%`;
}

function fixed(x: number): string {
  return x.toFixed(2);
}

/** The top `top` entries of a most-frequent-first record (all for 0), and what the rest add up to. */
function topOf(counts: Record<string, number>, top: number): { shown: Array<[string, number]>; others: number; othersCount: number } {
  const all = Object.entries(counts);
  const shown = top === 0 ? all : all.slice(0, top);
  const rest = all.slice(shown.length);
  return { shown, others: rest.length, othersCount: rest.reduce((sum, [, n]) => sum + n, 0) };
}

function where(e: EntryExample): string {
  return `${e.file} entry ${e.index} (id ${e.id})${e.line === undefined ? '' : `, line ${e.line}`}`;
}

function sections(result: ProgramStatsResult, top: number, { table, reasons }: Style): string[] {
  const { total, files } = result;
  const several = files.length > 1;
  const perFile = (pick: (s: ProgramStatsSummary) => Record<string, number>, key: string): string[] =>
    several ? files.map((f) => String(pick(f)[key] ?? 0)) : [];
  const fileColumns = several ? files.map((f) => f.file) : [];
  const fileRight = fileColumns.map(() => true);
  const out: string[] = [];

  const summaryRow = (name: string, s: ProgramStatsSummary): string[] => [
    name,
    String(s.entries),
    String(s.validPrograms),
    String(s.invalidPrograms),
    `${s.execution.correct}/${s.execution.total}`,
    percent(s.execution.correct, s.execution.total),
    fixed(s.steps.mean),
    String(s.steps.max),
    fixed(s.tokens.mean),
    String(s.tokens.max),
  ];
  out.push(
    table(
      'FinQA programs',
      ['FILE', 'ENTRIES', 'VALID', 'INVALID', 'EXECUTES TO EXE_ANS', 'EXEC ACC', 'MEAN STEPS', 'MAX STEPS', 'MEAN TOKENS', 'MAX TOKENS'],
      [...files.map((f) => summaryRow(f.file, f)), summaryRow('total', total)],
      [false, true, true, true, true, true, true, true, true, true],
    ),
  );

  const concat = topOf(total.concatPrograms, top);
  const concatRows = concat.shown.map(([program, n]) => [program, String(n), percent(n, total.validPrograms), ...perFile((s) => s.concatPrograms, program)]);
  if (concat.others > 0) {
    const restOf = (s: ProgramStatsSummary): number => concat.shown.reduce((rest, [program]) => rest - (s.concatPrograms[program] ?? 0), s.validPrograms);
    concatRows.push([
      `(${concat.others} other programs)`,
      String(concat.othersCount),
      percent(concat.othersCount, total.validPrograms),
      ...(several ? files.map((f) => String(restOf(f))) : []),
    ]);
  }
  out.push(
    table(
      `Concat programs (${concat.shown.length} most frequent of ${Object.keys(total.concatPrograms).length}; share of ${total.validPrograms} valid programs)`,
      ['PROGRAM', 'COUNT', 'SHARE', ...fileColumns],
      concatRows,
      [false, true, true, ...fileRight],
    ),
  );

  const totalSteps = Object.values(total.ops).reduce((sum, n) => sum + n, 0);
  out.push(
    table(
      `Ops (steps using each op, of ${totalSteps} steps)`,
      ['OP', 'STEPS', 'SHARE', ...fileColumns],
      Object.entries(total.ops).map(([op, n]) => [op, String(n), percent(n, totalSteps), ...perFile((s) => s.ops, op)]),
      [false, true, true, ...fileRight],
    ),
  );
  out.push(
    table(
      'Op keys (op and step index)',
      ['OP KEY', 'STEPS', ...fileColumns],
      Object.entries(total.opKeys).map(([key, n]) => [key, String(n), ...perFile((s) => s.opKeys, key)]),
      [false, true, ...fileRight],
    ),
  );
  out.push(
    table(
      'Program length (valid programs by number of steps)',
      ['STEPS', 'PROGRAMS', 'SHARE', ...fileColumns],
      Object.entries(total.steps.histogram).map(([steps, n]) => [
        steps,
        String(n),
        percent(n, total.validPrograms),
        ...perFile((s) => s.steps.histogram, steps),
      ]),
      [true, true, true, ...fileRight],
    ),
  );
  out.push(reasons(`Invalid programs: ${total.invalidPrograms} of ${total.entries} entries`, total.invalidByReason));
  out.push(
    reasons(
      `Valid gold programs not executing to exe_ans: ${total.execution.total - total.execution.correct} of ${total.execution.total}`,
      total.execution.failures,
    ),
  );
  return out;
}

/** Terminal: each reason with its count, then its first entries one a line (the messages are too long for a table column). */
const reasonList: Reasons = (title, byReason) => {
  const lines = [title];
  for (const [reason, counted] of Object.entries(byReason)) {
    if (counted === undefined) continue;
    lines.push(`  ${reason}: ${counted.count}`);
    for (const e of counted.examples) lines.push(`    ${where(e)}: ${e.message}`);
    if (counted.count > counted.examples.length) lines.push(`    (${counted.count - counted.examples.length} more)`);
  }
  return lines.join('\n');
};

const reasonMarkdown: Reasons = (title, byReason) => {
  const rows: string[][] = [];
  for (const [reason, counted] of Object.entries(byReason)) {
    if (counted === undefined) continue;
    counted.examples.forEach((e, i) => rows.push([i === 0 ? reason : '', i === 0 ? String(counted.count) : '', where(e), e.message]));
    if (counted.count > counted.examples.length) rows.push(['', '', `(${counted.count - counted.examples.length} more)`, '']);
  }
  return rows.length === 0 ? `### ${title}` : markdownTable(title, ['reason', 'count', 'first entries', 'problem'], rows, [false, true, false, false]);
};

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csv(result: ProgramStatsResult): string {
  const { total, files } = result;
  const lines = [['program', 'count', 'share', ...files.map((f) => f.file)]];
  for (const [program, n] of Object.entries(total.concatPrograms)) {
    lines.push([program, String(n), (n / total.validPrograms).toFixed(6), ...files.map((f) => String(f.concatPrograms[program] ?? 0))]);
  }
  return lines.map((row) => row.map(csvField).join(',')).join('\n');
}

function chartPage(result: ProgramStatsResult, top: number): string {
  const { total, files } = result;
  const bars = (
    id: string,
    title: string,
    xLabel: string,
    yLabel: string,
    labels: string[],
    pick: (s: ProgramStatsSummary) => Record<string, number>,
  ): BarChartSpec => ({
    id,
    title,
    kind: 'bar',
    xLabel,
    yLabel,
    labels,
    series: files.map((f) => ({ name: f.file, values: labels.map((label) => pick(f)[label] ?? 0) })),
  });
  const concat = topOf(total.concatPrograms, top).shown.map(([program]) => program);
  const summary: TableSpec = {
    caption: 'Per file',
    columns: ['file', 'entries', 'valid', 'invalid', 'executes to exe_ans', 'mean steps', 'max steps', 'mean tokens', 'max tokens'],
    rows: [...files, { file: 'total', ...total }].map((s) => [
      s.file,
      s.entries,
      s.validPrograms,
      s.invalidPrograms,
      s.execution.correct,
      s.steps.mean,
      s.steps.max,
      s.tokens.mean,
      s.tokens.max,
    ]),
    highlightRows: [files.length],
  };
  const problems = (byReason: Partial<Record<string, ReasonCount>>, caption: string): TableSpec => ({
    caption,
    columns: ['reason', 'count', 'file', 'entry', 'id', 'problem'],
    rows: Object.entries(byReason).flatMap(([reason, counted]) =>
      (counted?.examples ?? []).map((e) => [reason, counted?.count ?? 0, e.file, e.index, e.id, e.message]),
    ),
  });
  return renderChartPage({
    title: 'FinQA program statistics',
    subtitle: `${files.map((f) => f.file).join(', ')}: ${total.entries} entries, ${total.validPrograms} valid programs; made ${new Date().toISOString()}`,
    sections: [
      { heading: 'Summary', tables: [summary] },
      {
        heading: 'Concat programs',
        notes: ['Each step’s op and index joined by "_", e.g. divide0_divide1; valid programs only.'],
        charts: [
          bars('concat-programs', `Concat programs (${concat.length} most frequent)`, 'concat program', 'programs', concat, (s) => s.concatPrograms),
          bars('ops', 'Ops', 'op', 'steps', Object.keys(total.ops), (s) => s.ops),
          bars('steps', 'Program length', 'steps', 'programs', Object.keys(total.steps.histogram), (s) => s.steps.histogram),
        ],
      },
      {
        heading: 'Problems',
        tables: [
          problems(total.invalidByReason, `Invalid programs: ${total.invalidPrograms}`),
          problems(total.execution.failures, `Valid gold programs not executing to exe_ans: ${total.execution.total - total.execution.correct}`),
        ],
      },
    ],
  });
}
