import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import * as vm from 'vm';
import { readRecords } from '../../lib/data/readers/read_records';

const COUNT = 200_000;

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-json-stream-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const PADDING = ' and a few more words to make the record about three hundred bytes long'.repeat(3);

function objectText(i: number): string {
  return JSON.stringify({ id: i, text: `sentence number ${i}${PADDING}`, label: ['neutral', 'entailment', 'contradiction'][i % 3] });
}

test('records of a JSON array arrive while the file is still being written (streamed, not read whole)', async () => {
  // A FIFO has no end until the writer closes it: a reader that waited for the whole file would
  // never yield the first record, and the writer below would wait forever for it.
  const fifo = path.join(dir, 'stream.json');
  execFileSync('mkfifo', [fifo]);
  const half = COUNT / 2;
  const writer = fs.createWriteStream(fifo);
  const writeRange = async (from: number, to: number): Promise<void> => {
    for (let start = from; start < to; start += 500) {
      let batch = '';
      for (let i = start; i < Math.min(start + 500, to); i++) batch += `${i === 0 ? '[' : ','}\n${objectText(i)}`;
      if (!writer.write(batch)) await new Promise<void>((resolve) => writer.once('drain', () => resolve()));
    }
  };
  const firstHalf = writeRange(0, half);

  let seen = 0;
  let misplaced = 0;
  let secondHalfStarted = false;
  const deadline = setTimeout(() => writer.destroy(new Error('reader produced no records while the file was incomplete')), 60_000);
  try {
    for await (const record of readRecords(fifo)) {
      if (record.line !== 2 + seen || (record.values as { id: number }).id !== seen) misplaced++;
      seen++;
      if (seen === 1000 && !secondHalfStarted) {
        secondHalfStarted = true;
        void firstHalf.then(() => writeRange(half, COUNT)).then(() => writer.end('\n]\n'));
      }
    }
  } finally {
    clearTimeout(deadline);
  }
  expect(secondHalfStarted).toBe(true);
  expect(seen).toBe(COUNT);
  expect(misplaced).toBe(0);
});

test('reading a large JSON array keeps heap growth far below the file size', async () => {
  const file = path.join(dir, 'large.json');
  const fd = fs.openSync(file, 'w');
  const parts: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    parts.push(`${i === 0 ? '[' : ','}\n  ${objectText(i)}`);
    if (parts.length === 10_000) {
      fs.writeSync(fd, parts.join(''));
      parts.length = 0;
    }
  }
  fs.writeSync(fd, `${parts.join('')}\n]\n`);
  fs.closeSync(fd);
  const fileSize = fs.statSync(file).size;

  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let peakGrowth = 0;
  let count = 0;
  let labelChars = 0;
  for await (const record of readRecords(file)) {
    labelChars += String((record.values as { label: string }).label).length;
    if (++count % 20_000 === 0) {
      gc();
      peakGrowth = Math.max(peakGrowth, process.memoryUsage().heapUsed - baseline);
    }
  }
  expect(count).toBe(COUNT);
  expect(labelChars).toBeGreaterThan(0);
  // Holding all parsed records would take about the file size (measured: 0.95x); streaming holds
  // one read chunk (1 MiB) and the records parsed from it, a few MB whatever the file size.
  expect(fileSize).toBeGreaterThan(50e6);
  expect(peakGrowth).toBeLessThan(fileSize / 5);
});
