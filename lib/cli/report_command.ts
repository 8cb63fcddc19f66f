// `bertrun report OUTPUT_DIR... [--output report.html] [--title T]`: one self-contained HTML file
// with the training curves of one or more runs overlaid (a hyperparameter sweep), their final
// metrics and their arguments.
import * as path from 'path';
import { writeFileAtomic } from '../io/atomic_write';
import { renderRunReport } from '../reporting/run_report';
import { formatHelp, parseFlags, splitPositionals, type FlagSchema } from './flags';

const USAGE = `usage: bertrun report OUTPUT_DIR... [--output FILE] [--title T] [--names A,B,...]

Writes one HTML file (charts embedded: it opens offline, and can be mailed or archived) with, for each
run: training loss, learning rate, gradient norm and evaluation metrics against the step from
trainer_state.json (runs overlaid, one colour per run), the final metrics (all_results.json,
eval_results.json, train_results.json) and the arguments (training_args.json; those that differ
between runs listed first). OUTPUT_DIR: the --output_dir of a bertrun or transformers training run
(an unfinished one is read from its newest checkpoint), or a checkpoint-N directory.`;

export const REPORT_FLAGS: FlagSchema = {
  output: { type: 'string', help: 'the HTML file to write (default: OUTPUT_DIR/report.html for one run, ./report.html for several)' },
  title: { type: 'string', help: 'the page title (default: "Run report: ..." naming the run or the number of runs)' },
  names: { type: 'list', help: 'names for the runs in the charts and tables, in the order of the directories (default: the directory names)' },
};

export async function runReport(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(formatHelp(USAGE, REPORT_FLAGS));
    return;
  }
  const { positionals: dirs, flagArgs } = splitPositionals(argv, REPORT_FLAGS);
  const flags = parseFlags(flagArgs, REPORT_FLAGS);
  if (dirs.length === 0) throw new Error(`OUTPUT_DIR is missing\n${USAGE}`);
  const output = typeof flags.output === 'string' && flags.output !== '' ? flags.output : dirs.length === 1 ? path.join(dirs[0], 'report.html') : 'report.html';
  const html = renderRunReport(dirs, {
    ...(typeof flags.title === 'string' && flags.title !== '' ? { title: flags.title } : {}),
    ...(Array.isArray(flags.names) ? { names: flags.names.map(String) } : {}),
  });
  writeFileAtomic(output, Buffer.from(html, 'utf8'));
  console.log(path.resolve(output));
}
