import { PassThrough } from 'stream';
import { createProgress, describeProgress, formatDuration, progressIntervalSeconds, type ProgressStream } from '../../lib/training/progress';
import { formatMetrics, trainMetrics } from '../../lib/training/metrics_summary';

/** A stream that records what is written; a terminal when `tty`. */
function recorder(tty: boolean): { stream: ProgressStream; text: () => string } {
  const chunks: string[] = [];
  const stream = Object.assign(new PassThrough(), { isTTY: tty, columns: 200 });
  stream.on('data', (d: Buffer) => chunks.push(d.toString()));
  return { stream, text: () => chunks.join('') };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

test('not a TTY: a line every interval (checked at each update, so at most one per step) and one at the end', async () => {
  const { stream, text } = recorder(false);
  let clock = 0;
  const progress = createProgress({ enabled: true, stream, intervalSeconds: 30, now: () => clock });
  progress.begin({ name: 'train', unit: 'step', total: 100 });
  clock = 10_000;
  progress.update(10, { epoch: 0.1, samples: 80 }); // 10 s: before the interval, nothing
  clock = 31_000;
  progress.update(31, { epoch: 0.31, samples: 248, loss: { value: 0.69314, step: 30 } });
  progress.update(32, { epoch: 0.32, samples: 256 }); // same instant: not again
  progress.log('{"loss":0.5}');
  clock = 50_000;
  progress.update(50, { epoch: 0.5, samples: 400 });
  clock = 100_000;
  progress.update(100, { epoch: 1, samples: 800 });
  progress.done();
  await flush();
  expect(text().split('\n')).toEqual([
    'train: step 31/100 (31%) | elapsed 0:00:31 | eta 0:01:09 | 8.0 samples/s | epoch 0.31 | loss 0.6931 (step 30)',
    '{"loss":0.5}',
    'train: step 100/100 (100%) | elapsed 0:01:40 | 8.0 samples/s | epoch 1.00',
    '',
  ]);
});

test('not a TTY: a nested evaluation has its own lines; a resumed run counts rate and ETA from where it started', async () => {
  const { stream, text } = recorder(false);
  let clock = 0;
  const progress = createProgress({ enabled: true, stream, intervalSeconds: 1, now: () => clock });
  progress.begin({ name: 'train', unit: 'step', total: 200, startAt: 100 });
  clock = 2000;
  progress.update(110, {});
  progress.begin({ name: 'eval', unit: 'batch', total: 4 });
  clock = 3500;
  progress.update(2, { samples: 16 });
  progress.update(4, { samples: 30 });
  progress.done();
  clock = 4000;
  progress.update(111, {});
  progress.done();
  await flush();
  expect(text().split('\n')).toEqual([
    'train: step 110/200 (55%) | elapsed 0:00:02 | eta 0:00:18',
    'eval: batch 2/4 (50%) | elapsed 0:00:02 | eta 0:00:02 | 10.7 samples/s',
    'eval: batch 4/4 (100%) | elapsed 0:00:02 | 20.0 samples/s',
    'train: step 111/200 (55%) | elapsed 0:00:04 | eta 0:00:32',
    '',
  ]);
});

test('on a TTY: a cli-progress bar with step, ETA and loss; log lines print above it; done leaves the last state', async () => {
  const { stream, text } = recorder(true);
  const progress = createProgress({ enabled: true, stream, intervalSeconds: 0 });
  progress.begin({ name: 'train', unit: 'step', total: 20 });
  progress.update(5, { epoch: 0.25, loss: { value: 0.5, step: 5 } });
  progress.log('{"loss":0.5}');
  progress.update(20, { epoch: 1 });
  progress.done();
  await flush();
  const out = text();
  expect(out).toContain('{"loss":0.5}\n');
  expect(out).toMatch(/train \[=+-+\] step 5\/20 \(25%\) \| elapsed 0:00:00 \| eta 0:00:00 \| epoch 0\.25 \| loss 0\.5000 \(step 5\)/);
  // The last state stays on its own line (cli-progress ends it with "clear to the right" and a newline).
  expect(out.split('\u001b[0K').join('')).toMatch(/train \[={20}\] step 20\/20 \(100%\) \| elapsed 0:00:00 \| epoch 1\.00\n$/);
  // Stopped: no timer left to redraw (jest would report an open handle), nothing more written.
  await new Promise((resolve) => setTimeout(resolve, 250));
  expect(text()).toBe(out);
});

test('disabled (disable_tqdm, ranks other than 0): log lines only, on a TTY or not', async () => {
  for (const tty of [true, false]) {
    const { stream, text } = recorder(tty);
    const progress = createProgress({ enabled: false, stream, intervalSeconds: 0 });
    progress.begin({ name: 'eval', unit: 'batch', total: 10 });
    progress.update(3, { samples: 24 });
    progress.log('only this');
    progress.done();
    progress.close();
    await flush();
    expect(text()).toBe('only this\n');
  }
});

test('close() after an error ends every open phase without a last line', async () => {
  const { stream, text } = recorder(true);
  const progress = createProgress({ enabled: true, stream, intervalSeconds: 0 });
  progress.begin({ name: 'train', unit: 'step', total: 10 });
  progress.begin({ name: 'eval', unit: 'batch', total: 10 });
  progress.update(1, {});
  progress.close();
  progress.update(2, {}); // nothing open: ignored
  progress.done();
  await flush();
  const out = text();
  await new Promise((resolve) => setTimeout(resolve, 250));
  expect(text()).toBe(out);
});

test('BERTRUN_PROGRESS_INTERVAL: seconds >= 0, default 30, anything else is an error saying how to fix it', () => {
  expect(progressIntervalSeconds({})).toBe(30);
  expect(progressIntervalSeconds({ BERTRUN_PROGRESS_INTERVAL: '0.2' })).toBe(0.2);
  expect(progressIntervalSeconds({ BERTRUN_PROGRESS_INTERVAL: '0' })).toBe(0);
  expect(() => progressIntervalSeconds({ BERTRUN_PROGRESS_INTERVAL: 'fast' })).toThrow(/BERTRUN_PROGRESS_INTERVAL="fast" is not a number of seconds >= 0/);
  expect(() => progressIntervalSeconds({ BERTRUN_PROGRESS_INTERVAL: '-1' })).toThrow(/Fix:/);
});

test('progress text: percent, unknown ETA before the first unit, h:mm:ss durations', () => {
  expect(describeProgress({ name: 'predict', unit: 'batch', total: 3 }, 0, {}, 0)).toBe('batch 0/3 (0%) | elapsed 0:00:00 | eta ?');
  expect(formatDuration(3725.4)).toBe('1:02:05');
});

test('the train metrics block as Hugging Face prints it: sorted, aligned, runtime as h:mm:ss.cc', () => {
  const metrics = trainMetrics(
    { global_step: 30, train_loss: 0.412345, train_runtime: 62.456, train_samples_per_second: 176.1123, train_steps_per_second: 5.509, epoch: 3 },
    3668,
  );
  expect(formatMetrics('train', metrics).split('\n')).toEqual([
    '***** train metrics *****',
    '  epoch                    =          3',
    '  train_loss               =     0.4123',
    '  train_runtime            = 0:01:02.45',
    '  train_samples            =       3668',
    '  train_samples_per_second =   176.1123',
    '  train_steps_per_second   =      5.509',
  ]);
});
