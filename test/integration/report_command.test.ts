// `bertrun report`: a self-contained HTML page from a real tiny training run and a second run
// directory written in the trainer's format; the embedded chart data must be exactly the logged
// points, names escaped, the differing arguments listed, bad directories named in the error.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../lib/cli/main';
import { runReport } from '../../lib/cli/report_command';
import { BertModel } from '../../lib/models/bert_model';
import type { LogEntry, TrainerState } from '../../lib/training/checkpoint';

const WORDS = ['cat', 'dog', 'bird', 'fish', 'red', 'blue', 'green', 'big', 'small', 'runs', 'sleeps', 'eats', 'the', 'a', 'not', 'very'];
const NASTY = '<b>&"';

interface EmbeddedChart {
  id: string;
  kind: string;
  series: Array<{ name: string; color: string; points: Array<[number, number | null]> }>;
}

let root: string;
let realRun: string;
let otherRun: string;
let logs: string[];
const realLog = console.log;
const realWarn = console.warn;
const realError = console.error;

function chartsOf(html: string): EmbeddedChart[] {
  const match = /<script type="application\/json" id="chart-data">([\s\S]*?)<\/script>/.exec(html);
  expect(match).not.toBeNull();
  return (JSON.parse((match as RegExpExecArray)[1]) as { charts: EmbeddedChart[] }).charts;
}

function stateOf(dir: string): TrainerState {
  return JSON.parse(fs.readFileSync(path.join(dir, 'trainer_state.json'), 'utf8')) as TrainerState;
}

function pointsOf(state: TrainerState, key: string): Array<[number, number]> {
  return state.log_history.filter((e) => key in e).map((e) => [e.step, e[key]]);
}

/** A run directory as the trainer leaves it, with learning rate 3e-4 and hand-made numbers. */
function writeSyntheticRun(dir: string, realArgs: Record<string, unknown>): void {
  const log_history: LogEntry[] = [];
  for (let step = 2; step <= 12; step += 2) {
    log_history.push({
      loss: 0.7 - step * 0.01,
      learning_rate: 3e-4 * (1 - step / 12),
      grad_norm: 0.5 + step / 100,
      samples_per_second: 100,
      epoch: step / 10,
      step,
    });
    if (step % 6 === 0)
      log_history.push({
        eval_loss: 0.69 - step * 0.005,
        eval_accuracy: 0.5 + step / 100,
        eval_runtime: 0.01,
        eval_samples_per_second: 1000,
        epoch: step / 10,
        step,
      });
  }
  const state: TrainerState = {
    global_step: 12,
    epoch: 1.2,
    max_steps: 12,
    num_train_epochs: 2,
    logging_steps: 2,
    eval_steps: 6,
    save_steps: 1000,
    train_batch_size: 4,
    log_history,
    best_metric: null,
    best_model_checkpoint: null,
    data_position: { epoch: 1, batches_done: 2 },
    pending_loss: { sum: 0, count: 0 },
    skipped_steps: 0,
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'trainer_state.json'), JSON.stringify(state, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'training_args.json'), JSON.stringify({ ...realArgs, learning_rate: 3e-4, output_dir: dir }, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'all_results.json'), JSON.stringify({ train_loss: 0.65, eval_accuracy: 0.62, eval_loss: 0.63 }, null, 2) + '\n');
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-report-'));
  const modelDir = path.join(root, 'tiny-bert');
  const model = BertModel.fromConfig(
    { vocab_size: 5 + WORDS.length, hidden_size: 32, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 48, max_position_embeddings: 64 },
    'base',
    { seed: 1 },
  );
  await model.savePretrained(modelDir);
  fs.writeFileSync(path.join(modelDir, 'vocab.txt'), ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', ...WORDS].join('\n') + '\n');
  fs.writeFileSync(path.join(modelDir, 'tokenizer_config.json'), JSON.stringify({ do_lower_case: true }));
  const rows = (n: number, seed: number) =>
    [
      'sentence1\tlabel',
      ...Array.from({ length: n }, (_, i) => `${WORDS[(i * seed) % WORDS.length]} ${WORDS[(i * 7 + seed) % WORDS.length]}\t${i % 3 === 0 ? 'pos' : 'neg'}`),
    ].join('\n') + '\n';
  fs.writeFileSync(path.join(root, 'train.tsv'), rows(40, 3));
  fs.writeFileSync(path.join(root, 'dev.tsv'), rows(12, 5));
  realRun = path.join(root, 'lr-1e-3');
  // The training's log lines go to the console and straight to stderr; only its result matters here.
  const quiet = [console.log, console.warn, console.error];
  console.log = console.warn = console.error = () => undefined;
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  let code: number;
  try {
    code = await main(
      ['train', '--model_name_or_path', modelDir, '--train_file', path.join(root, 'train.tsv'), '--validation_file', path.join(root, 'dev.tsv'), '--do_eval']
        .concat(['--output_dir', realRun, '--max_seq_length', '32', '--per_device_train_batch_size', '4', '--learning_rate', '1e-3', '--num_train_epochs', '2'])
        .concat(['--disable_tqdm', '--logging_steps', '2', '--eval_strategy', 'steps', '--eval_steps', '5', '--save_steps', '10']),
    );
  } finally {
    [console.log, console.warn, console.error] = quiet;
    stderr.mockRestore();
  }
  expect(code).toBe(0);
  otherRun = path.join(root, NASTY);
  writeSyntheticRun(otherRun, JSON.parse(fs.readFileSync(path.join(realRun, 'training_args.json'), 'utf8')) as Record<string, unknown>);
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  logs = [];
  console.log = (...a: unknown[]) => void logs.push(a.join(' '));
  console.warn = (...a: unknown[]) => void logs.push(a.join(' '));
  console.error = (...a: unknown[]) => void logs.push(a.join(' '));
});
afterEach(() => {
  console.log = realLog;
  console.warn = realWarn;
  console.error = realError;
});

test('two runs: one self-contained page with both runs\u2019 logged points, the differing arguments and escaped names', async () => {
  const output = path.join(root, 'sweep.html');
  await runReport([realRun, otherRun, '--output', output, '--title', 'lr sweep']);
  expect(logs).toEqual([path.resolve(output)]);
  const html = fs.readFileSync(output, 'utf8');
  // The chart library is inside the file, and nothing is loaded from the network.
  expect(html).toContain('Chart.js v4.');
  expect(html).toMatch(/window\.Chart=/);
  expect(html).not.toMatch(/<script[^>]*\ssrc=/i);
  expect(html).not.toMatch(/<link[^>]*href=["']?https?:/i);
  expect(html).toContain('<title>lr sweep</title>');

  const charts = chartsOf(html);
  const real = stateOf(realRun);
  const other = stateOf(otherRun);
  expect(pointsOf(real, 'loss').length).toBeGreaterThan(3);
  for (const key of ['loss', 'learning_rate', 'grad_norm', 'eval_loss', 'eval_accuracy']) {
    const chart = charts.find((c) => c.id === key);
    expect(chart?.kind).toBe('line');
    expect(chart?.series.map((s) => s.name)).toEqual(['lr-1e-3', NASTY]);
    expect(chart?.series[0].points).toEqual(pointsOf(real, key));
    expect(chart?.series[1].points).toEqual(pointsOf(other, key));
  }
  // Speed figures are not charted; each run keeps its colour on every chart.
  expect(charts.map((c) => c.id)).not.toContain('eval_runtime');
  const colors = (name: string) => new Set(charts.flatMap((c) => c.series.filter((s) => s.name === name).map((s) => s.color)));
  expect(colors('lr-1e-3').size).toBe(1);
  expect(colors(NASTY).size).toBe(1);
  expect([...colors(NASTY)]).not.toEqual([...colors('lr-1e-3')]);

  // The name is escaped in the HTML (the JSON block holds it \u-escaped) and never appears raw.
  expect(html).not.toContain(NASTY);
  expect(html).toContain('&#60;b&#62;&#38;&#34;');

  // The learning rate is the one argument that differs (output_dir is left out of that table).
  const differ = /Arguments that differ between runs[^<]*<\/h3>\s*<div class="table"><table>[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(html);
  expect(differ).not.toBeNull();
  const rows = [...(differ as RegExpExecArray)[1].matchAll(/<tr>(<th>[^<]*<\/th>)(.*?)<\/tr>/g)].map((m) => m[0]);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatch(/<th>learning_rate<\/th><td[^>]*>0\.001<\/td><td[^>]*>0\.0003<\/td>/);
  // All arguments, folded away, with the differing one highlighted.
  expect(html).toMatch(/<details><summary>All arguments[^<]*<\/summary>[\s\S]*<tr class="highlight"><th>learning_rate<\/th>/);
  // Final metrics from the results files of both runs.
  const realResults = JSON.parse(fs.readFileSync(path.join(realRun, 'all_results.json'), 'utf8')) as Record<string, number>;
  expect(html).toMatch(
    new RegExp(`<th>eval_accuracy</th><td class="num"[^>]*>${String(Number(realResults.eval_accuracy.toPrecision(6)))}</td><td class="num"[^>]*>0.62</td>`),
  );
});

test('one run: report.html in its directory; a checkpoint-N directory and an unfinished run are read too', async () => {
  await runReport([realRun]);
  const html = fs.readFileSync(path.join(realRun, 'report.html'), 'utf8');
  expect(html).toContain('<title>Run report: lr-1e-3</title>');
  expect(chartsOf(html).find((c) => c.id === 'loss')?.series[0].points).toEqual(pointsOf(stateOf(realRun), 'loss'));

  const checkpoint = path.join(realRun, 'checkpoint-10');
  const output = path.join(root, 'checkpoint.html');
  await runReport([checkpoint, '--output', output]);
  const fromCheckpoint = chartsOf(fs.readFileSync(output, 'utf8')).find((c) => c.id === 'loss');
  expect(fromCheckpoint?.series[0].points).toEqual(pointsOf(stateOf(checkpoint), 'loss'));
  expect(fromCheckpoint?.series[0].points.every(([step]) => step <= 10)).toBe(true);

  // A run stopped before its end has only checkpoints: the newest one is read, and the page says so.
  const unfinished = path.join(root, 'unfinished');
  fs.mkdirSync(unfinished);
  fs.cpSync(checkpoint, path.join(unfinished, 'checkpoint-10'), { recursive: true });
  await runReport([unfinished, '--output', output]);
  expect(fs.readFileSync(output, 'utf8')).toMatch(/has no trainer_state\.json \(the run did not finish\): its newest checkpoint, checkpoint-10, was read/);
});

test('--names: a name that could close the script element stays inside the JSON block', async () => {
  const output = path.join(root, 'names.html');
  const evil = '</script><!--<script>x';
  await runReport([realRun, otherRun, '--output', output, '--names', `plain,${evil}`]);
  const html = fs.readFileSync(output, 'utf8');
  expect(html).not.toContain('</script><!--');
  expect(chartsOf(html)[0].series.map((s) => s.name)).toEqual(['plain', evil]);
});

test('a directory without trainer_state.json, or with a broken one, is named in the error with the fix', async () => {
  const empty = path.join(root, 'not-a-run');
  fs.mkdirSync(empty);
  await expect(runReport([realRun, empty])).rejects.toThrow(
    `no trainer_state.json in ${empty}: is it a bertrun/transformers output_dir? Fix: pass the --output_dir of a finished or checkpointed run (or a checkpoint-N directory)`,
  );
  await expect(runReport([path.join(root, 'missing')])).rejects.toThrow(`${path.join(root, 'missing')} does not exist`);
  const broken = path.join(root, 'broken');
  fs.mkdirSync(broken);
  fs.writeFileSync(path.join(broken, 'trainer_state.json'), '{"global_step": 3, "log_hist');
  await expect(runReport([broken])).rejects.toThrow(`${path.join(broken, 'trainer_state.json')} is not valid JSON`);
  fs.writeFileSync(path.join(broken, 'trainer_state.json'), '{"global_step": 3}');
  await expect(runReport([broken])).rejects.toThrow(/has no log_history list/);
  await expect(runReport([])).rejects.toThrow(/OUTPUT_DIR is missing/);
  expect(fs.existsSync(path.join(empty, 'report.html'))).toBe(false);
});
