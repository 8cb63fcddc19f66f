// `bertrun sweep` without training: --grid and --seeds parsing and errors, combinations, run names
// and command lines, run directory states, the cores per run, and the results (Markdown mean ± std
// worked out by hand, CSV).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { threadsPerRun } from '../../lib/cli/sweep_command';
import { TEXT_CLASSIFICATION_FLAGS } from '../../lib/cli/text_classification_flags';
import { combinations, parseGrid, parseGridSpec, parseSeeds, planRuns, runName, type GridAxis, type SweepRun } from '../../lib/sweep/grid';
import { identityDifferences, runIdentity, runState, writeSweepRun } from '../../lib/sweep/run_state';
import { chooseMetric, meanStd, resultsCsv, resultsMarkdown, summarize, type RunOutcome } from '../../lib/sweep/sweep_results';

const SCHEMA = TEXT_CLASSIFICATION_FLAGS;

describe('--grid', () => {
  test('the values of the seed: numbers written one way, in the order given', () => {
    expect(parseGridSpec('weight_decay=0,1e-1,1e-2,1e-3,1e-4', SCHEMA)).toEqual({ name: 'weight_decay', values: ['0', '0.1', '0.01', '0.001', '0.0001'] });
  });

  test('kebab-case names and aliases give the flag name; booleans, integers and choices are read as train reads them', () => {
    expect(parseGridSpec('learning-rate=2e-5, 5e-5', SCHEMA)).toEqual({ name: 'learning_rate', values: ['0.00002', '0.00005'] });
    expect(parseGridSpec('evaluation_strategy=steps,epoch', SCHEMA)).toEqual({ name: 'eval_strategy', values: ['steps', 'epoch'] });
    expect(parseGridSpec('group_by_length=True,0', SCHEMA)).toEqual({ name: 'group_by_length', values: ['true', 'false'] });
    expect(parseGridSpec('max_steps=10,2e1', SCHEMA)).toEqual({ name: 'max_steps', values: ['10', '20'] });
  });

  test('an unknown name is an error listing the close names', () => {
    expect(() => parseGridSpec('weight_dacay=0,0.1', SCHEMA)).toThrow('--grid weight_dacay: not a flag of bertrun train; close names: weight_decay');
    expect(() => parseGridSpec('decay=0,0.1', SCHEMA)).toThrow(/close names: weight_decay\b/);
    expect(() => parseGridSpec('zzzzzzzzzzzz=1', SCHEMA)).toThrow(/^--grid zzzzzzzzzzzz: not a flag of bertrun train \(see bertrun train --help\)$/);
  });

  test('empty, duplicated and mistyped values are errors naming the flag', () => {
    expect(() => parseGridSpec('weight_decay=', SCHEMA)).toThrow('--grid weight_decay: no values');
    expect(() => parseGridSpec('weight_decay=0,,0.1', SCHEMA)).toThrow('--grid weight_decay: an empty value');
    expect(() => parseGridSpec('weight_decay=0.1,1e-1', SCHEMA)).toThrow('--grid weight_decay: 0.1 and 1e-1 are the same value (0.1)');
    expect(() => parseGridSpec('weight_decay=0,0', SCHEMA)).toThrow('--grid weight_decay: 0 is listed twice');
    expect(() => parseGridSpec('weight_decay=0,abc', SCHEMA)).toThrow('--grid weight_decay: expects numbers, got "abc"');
    expect(() => parseGridSpec('max_steps=10,1.5', SCHEMA)).toThrow('--grid max_steps: expects integers, got "1.5"');
    expect(() => parseGridSpec('weight_decay=0,-1', SCHEMA)).toThrow('--grid weight_decay: -1 must be a number >= 0');
    expect(() => parseGridSpec('lr_scheduler_type=linear,cosinus', SCHEMA)).toThrow('--grid lr_scheduler_type: must be one of');
    expect(() => parseGridSpec('weight_decay', SCHEMA)).toThrow('--grid expects NAME=V1,V2,...');
  });

  test('flags the sweep sets per run cannot be swept; a flag swept twice and no --grid at all are errors', () => {
    expect(() => parseGridSpec('seed=1,2', SCHEMA)).toThrow('--grid seed: cannot be swept (use --seeds)');
    expect(() => parseGridSpec('output_dir=a,b', SCHEMA)).toThrow('--grid output_dir: cannot be swept');
    expect(() => parseGrid(['weight_decay=0', 'weight-decay=0.1'], SCHEMA)).toThrow('--grid weight_decay is given twice');
    expect(() => parseGrid([], SCHEMA)).toThrow('give at least one --grid');
  });
});

describe('--seeds', () => {
  test('a count, a list, a one-seed list, and the default', () => {
    expect(parseSeeds('3', 42)).toEqual([1, 2, 3]);
    expect(parseSeeds('1,2,3', 42)).toEqual([1, 2, 3]);
    expect(parseSeeds('7,', 42)).toEqual([7]);
    expect(parseSeeds(' 5 , 11 ', 42)).toEqual([5, 11]);
    expect(parseSeeds(undefined, 42)).toEqual([42]);
  });

  test('errors', () => {
    expect(() => parseSeeds('0', 42)).toThrow('--seeds N needs N >= 1');
    expect(() => parseSeeds('1,1', 42)).toThrow('--seeds: seed 1 is listed twice');
    expect(() => parseSeeds('1,x', 42)).toThrow('--seeds expects a count N or a list of integers');
    expect(() => parseSeeds(',', 42)).toThrow('--seeds expects a count N or a list of integers');
  });
});

describe('combinations, run names and command lines', () => {
  const axes: GridAxis[] = [
    { name: 'learning_rate', values: ['0.00002', '0.00005'] },
    { name: 'weight_decay', values: ['0', '0.1', '0.01'] },
  ];

  test('every combination, the first axis varying slowest', () => {
    expect(combinations(axes).map((p) => p.map((v) => v.value).join(' '))).toEqual([
      '0.00002 0',
      '0.00002 0.1',
      '0.00002 0.01',
      '0.00005 0',
      '0.00005 0.1',
      '0.00005 0.01',
    ]);
  });

  test('names: name=value per axis, then the seed; unsafe characters replaced and a hash keeps distinct values apart', () => {
    expect(runName([{ name: 'weight_decay', value: '0.1' }], 1)).toBe('weight_decay=0.1_seed=1');
    expect(runName(combinations(axes)[4], 3)).toBe('learning_rate=0.00005_weight_decay=0.1_seed=3');
    const a = runName([{ name: 'label_names', value: 'a/b' }], 1);
    const b = runName([{ name: 'label_names', value: 'a:b' }], 1);
    expect(a).toMatch(/^label_names=a_b~[0-9a-f]{8}_seed=1$/);
    expect(b).toMatch(/^label_names=a_b~[0-9a-f]{8}_seed=1$/);
    expect(a).not.toBe(b);
    expect(runName([{ name: 'label_names', value: 'a/b' }], 1)).toBe(a);
  });

  test("planRuns: each combination once per seed, with the train flags, the values, the seed and the run's directory", () => {
    const runs = planRuns([axes[1]], [1, 2], ['--model_name_or_path', 'm', '--do_eval'], 'sweep');
    expect(runs.map((r) => [r.index, r.name])).toEqual([
      [1, 'weight_decay=0_seed=1'],
      [2, 'weight_decay=0_seed=2'],
      [3, 'weight_decay=0.1_seed=1'],
      [4, 'weight_decay=0.1_seed=2'],
      [5, 'weight_decay=0.01_seed=1'],
      [6, 'weight_decay=0.01_seed=2'],
    ]);
    expect(runs[3].argv).toEqual([
      'train',
      '--model_name_or_path',
      'm',
      '--do_eval',
      '--weight_decay',
      '0.1',
      '--seed',
      '2',
      '--output_dir',
      path.join('sweep', 'weight_decay=0.1_seed=2'),
    ]);
    expect(runs[3].dir).toBe(path.join('sweep', 'weight_decay=0.1_seed=2'));
  });

  test('cores: split between the runs at once, at least one each; BERTRUN_NUM_THREADS is the budget when set', () => {
    expect(threadsPerRun(1, {}, 16)).toBe(16);
    expect(threadsPerRun(3, {}, 16)).toBe(5);
    expect(threadsPerRun(4, {}, 2)).toBe(1);
    expect(threadsPerRun(2, { BERTRUN_NUM_THREADS: '6' }, 16)).toBe(3);
    expect(threadsPerRun(2, { BERTRUN_NUM_THREADS: 'lots' }, 16)).toBe(8);
  });
});

describe('run directory states', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-sweep-state-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const argv = ['train', '--model_name_or_path', 'm', '--weight_decay', '0.1', '--seed', '1', '--output_dir', 'x'];
  const record = (started: string[]): void => writeSweepRun(dir, { argv: started, grid: { weight_decay: '0.1' }, seed: 1, start: 'fresh', started_at: 'now' });

  test('identity: without output_dir and the flags that differ between starts of one run', () => {
    expect(runIdentity([...argv, '--overwrite_output_dir'])).toEqual(['train', '--model_name_or_path m', '--weight_decay 0.1', '--seed 1']);
    expect(identityDifferences([...argv, '--resume_from_checkpoint', 'latest'], [...argv.slice(0, -1), 'elsewhere'])).toEqual([]);
    expect(identityDifferences(argv, [...argv, '--max_steps', '5'])).toEqual(['now: --max_steps 5']);
  });

  test('missing or empty: fresh; final files with the same command line: finished; another command line: changed', () => {
    expect(runState(path.join(dir, 'none'), argv)).toEqual({ kind: 'fresh' });
    record([...argv, '--overwrite_output_dir']);
    fs.writeFileSync(path.join(dir, 'sweep.log'), 'died early\n');
    expect(runState(dir, argv)).toEqual({ kind: 'fresh' });
    for (const name of ['model.safetensors', 'trainer_state.json', 'train_results.json']) fs.writeFileSync(path.join(dir, name), '{}');
    expect(runState(dir, argv)).toEqual({ kind: 'fresh' }); // all_results.json comes last
    fs.writeFileSync(path.join(dir, 'all_results.json'), JSON.stringify({ eval_accuracy: 0.75 }));
    expect(runState(dir, argv)).toEqual({ kind: 'finished', results: { eval_accuracy: 0.75 } });
    const other = argv.map((a) => (a === '0.1' ? '0.2' : a));
    expect(runState(dir, other)).toEqual({ kind: 'changed', differences: ['earlier: --weight_decay 0.1', 'now: --weight_decay 0.2'] });
  });

  test('a checkpoint without its manifest is not resumable; a training run without sweep_run.json is not ours', () => {
    record(argv);
    fs.mkdirSync(path.join(dir, 'checkpoint-5'));
    expect(runState(dir, argv)).toEqual({ kind: 'fresh' });
    fs.rmSync(path.join(dir, 'sweep_run.json'));
    const state = runState(dir, argv);
    expect(state.kind).toBe('changed');
    expect(state.kind === 'changed' && state.differences[0]).toContain('that this sweep did not start (no sweep_run.json)');
  });
});

describe('results', () => {
  const axes: GridAxis[] = [{ name: 'weight_decay', values: ['0', '0.1'] }];
  const points = combinations(axes);
  const run = (value: string, seed: number): SweepRun => ({
    index: 0,
    name: runName([{ name: 'weight_decay', value }], seed),
    dir: `/nowhere/${value}-${seed}`,
    point: [{ name: 'weight_decay', value }],
    seed,
    argv: [],
  });
  const outcome = (value: string, seed: number, metrics: Record<string, number>, status: RunOutcome['status'] = 'finished'): RunOutcome => ({
    run: run(value, seed),
    status,
    metrics,
  });
  const outcomes: RunOutcome[] = [
    outcome('0', 1, { train_loss: 0.5, eval_loss: 0.4, eval_runtime: 1, eval_accuracy: 0.8 }),
    outcome('0', 2, { train_loss: 0.7, eval_loss: 0.6, eval_runtime: 1, eval_accuracy: 0.9 }),
    outcome('0', 3, { train_loss: 0.6, eval_loss: 0.5, eval_runtime: 1, eval_accuracy: 1.0 }),
    outcome('0.1', 1, { train_loss: 0.3, eval_loss: 0.2, eval_runtime: 1, eval_accuracy: 0.5 }),
    outcome('0.1', 2, { train_loss: 0.5, eval_loss: 0.4, eval_runtime: 1, eval_accuracy: 0.7 }),
    outcome('0.1', 3, {}, 'failed'),
  ];

  test('mean and sample standard deviation', () => {
    const s = meanStd([0.8, 0.9, 1.0]);
    expect(s.n).toBe(3);
    expect(s.mean).toBeCloseTo(0.9, 12);
    expect(s.std).toBeCloseTo(0.1, 12); // sqrt((0.01 + 0 + 0.01) / 2)
    expect(meanStd([0.5]).std).toBeNaN();
    expect(meanStd([]).n).toBe(0);
  });

  test('the metric: the first eval_ metric that is not a loss or a speed; a requested one, with or without eval_', () => {
    expect(chooseMetric(outcomes)).toBe('eval_accuracy');
    expect(chooseMetric([outcome('0', 1, { train_loss: 1, eval_loss: 1, eval_runtime: 1, eval_samples_per_second: 3 })])).toBe('eval_loss');
    expect(chooseMetric(outcomes, 'accuracy')).toBe('eval_accuracy');
    expect(chooseMetric(outcomes, 'train_loss')).toBe('train_loss');
  });

  test('Markdown: mean ± std over seeds per combination, worked out by hand', () => {
    const md = resultsMarkdown(axes, summarize(points, outcomes, 'eval_accuracy'), 'eval_accuracy');
    // weight_decay 0: accuracy 0.8, 0.9, 1.0 -> 0.9 ± 0.1; eval_loss 0.4, 0.6, 0.5 -> 0.5 ± 0.1; train_loss 0.5, 0.7, 0.6 -> 0.6 ± 0.1.
    // weight_decay 0.1: accuracy 0.5, 0.7 -> 0.6 ± sqrt(0.02) = 0.1414; eval_loss 0.2, 0.4 -> 0.3 ± 0.1414; train_loss 0.3, 0.5 -> 0.4 ± 0.1414.
    expect(md.split('\n').slice(0, 4)).toEqual([
      '| weight_decay | eval_accuracy | eval_loss | train_loss | n |',
      '| --- | ---: | ---: | ---: | ---: |',
      '| 0 | 0.9000 ± 0.1000 | 0.5000 ± 0.1000 | 0.6000 ± 0.1000 | 3 |',
      '| 0.1 | 0.6000 ± 0.1414 | 0.3000 ± 0.1414 | 0.4000 ± 0.1414 | 2 of 3 |',
    ]);
    expect(md).toContain('best eval_accuracy (highest mean): weight_decay=0, 0.9000 ± 0.1000');
    const byLoss = resultsMarkdown(axes, summarize(points, outcomes, 'eval_loss'), 'eval_loss');
    expect(byLoss.split('\n')[0]).toBe('| weight_decay | eval_loss | train_loss | n |');
    expect(byLoss).toContain('best eval_loss (lowest mean): weight_decay=0.1, 0.3000 ± 0.1414');
  });

  test('CSV: a row per run with its grid values, seed, status and every metric; blanks where a run has none', () => {
    const csv = resultsCsv(axes, outcomes);
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe('run,weight_decay,seed,status,train_loss,eval_loss,eval_runtime,eval_accuracy');
    expect(lines[1]).toBe('weight_decay=0_seed=1,0,1,finished,0.5,0.4,1,0.8');
    expect(lines[6]).toBe('weight_decay=0.1_seed=3,0.1,3,failed,,,,');
    expect(lines).toHaveLength(7);
    const quoted = resultsCsv(
      [{ name: 'label_names', values: ['a,b'] }],
      [{ run: { ...run('0', 1), point: [{ name: 'label_names', value: 'a,"b"' }] }, status: 'finished', metrics: {} }],
    );
    expect(quoted.split('\n')[1]).toBe('weight_decay=0_seed=1,"a,""b""",1,finished');
  });
});
