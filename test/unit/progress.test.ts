import { createProgress } from '../../lib/training/progress';

function recorder() {
  const out: string[] = [];
  return { out, write: (s: string) => void out.push(s) };
}

test('on a TTY: one redrawn bar line with step, total, info and ETA; log lines start below the bar', () => {
  const { out, write } = recorder();
  let clock = 1000;
  const progress = createProgress({ enabled: true, isTTY: true, write, now: () => clock });
  clock += 10_000; // 10 s for 5 of 20 steps -> 30 s left
  progress.update(5, 20, 'epoch 0.25');
  expect(out).toEqual([`\r[${'#'.repeat(8)}${'.'.repeat(22)}] 5/20 epoch 0.25 eta 30s   `]);
  progress.log("{'loss': 0.5}");
  expect(out.slice(1)).toEqual(['\n', "{'loss': 0.5}\n"]);
  progress.update(20, 20, 'epoch 1.00');
  expect(out[3]).toBe(`\r[${'#'.repeat(30)}] 20/20 epoch 1.00 eta 0s   `);
  progress.done();
  expect(out[4]).toBe('\n');
  progress.done(); // nothing drawn since: no extra newline
  expect(out).toHaveLength(5);
});

test('not a TTY (CI, pipes, files): no bar, plain log lines only', () => {
  const { out, write } = recorder();
  const progress = createProgress({ enabled: true, isTTY: false, write });
  progress.update(1, 10, 'epoch 0.10');
  progress.log('line one');
  progress.done();
  expect(out).toEqual(['line one\n']);
});

test('disable_tqdm on a TTY: no bar either', () => {
  const { out, write } = recorder();
  const progress = createProgress({ enabled: false, isTTY: true, write });
  progress.update(3, 10, 'x');
  progress.log('only this');
  expect(out).toEqual(['only this\n']);
});
