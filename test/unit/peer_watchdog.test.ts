// The JS half of the hung-worker watchdog: a check every second of what the native heartbeat
// saw, one report, and no check right after this process itself was paused.
import { performance } from 'perf_hooks';
import { DEFAULT_HEARTBEAT_TIMEOUT_SECONDS, heartbeatTimeoutProblem, watchPeers } from '../../lib/distributed/peer_watchdog';
import { resolveTrainingArguments } from '../../lib/config/training_arguments';

let now = 0;
beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ['performance'] });
  now = 0;
  jest.spyOn(performance, 'now').mockImplementation(() => now);
});
afterEach(() => {
  jest.useRealTimers();
  jest.restoreAllMocks();
});
/** One second of this process's life: the clock moves, then the interval fires. */
const second = () => {
  now += 1000;
  jest.advanceTimersByTime(1000);
};

test('asks every second with the limit in milliseconds and reports the first message once', () => {
  const answers: Array<string | null> = [null, null, 'rank 1 stopped responding (no heartbeat for 30 s)', 'again'];
  const limits: number[] = [];
  const reports: string[] = [];
  watchPeers({ unresponsivePeers: (limit) => (limits.push(limit), answers.shift() ?? null) }, 30, (m) => reports.push(m));
  for (let i = 0; i < 6; i++) second();
  expect(limits).toEqual([30000, 30000, 30000]);
  expect(reports).toEqual(['rank 1 stopped responding (no heartbeat for 30 s)']);
});

test('a check that comes late (this process was paused, e.g. Ctrl-Z) is skipped once', () => {
  let asked = 0;
  watchPeers({ unresponsivePeers: () => (asked++, null) }, 30, () => undefined);
  second();
  now += 60000; // stopped for a minute: the next tick is far behind
  second();
  expect(asked).toBe(1);
  second();
  expect(asked).toBe(2);
});

test('0 turns it off; stop() ends it; an error from the native side ends it with a warning', () => {
  expect(
    watchPeers({ unresponsivePeers: () => 'never asked' }, 0, () => {
      throw new Error('called');
    }),
  ).toBeUndefined();
  let asked = 0;
  const watchdog = watchPeers({ unresponsivePeers: () => (asked++, null) }, 10, () => undefined)!;
  second();
  watchdog.stop();
  second();
  expect(asked).toBe(1);
  const warn = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  let failing = 0;
  watchPeers(
    {
      unresponsivePeers: () => {
        failing++;
        throw new Error('not connected');
      },
    },
    10,
    () => undefined,
  );
  second();
  second();
  expect(failing).toBe(1);
  expect(String(warn.mock.calls[0][0])).toMatch(/watchdog stopped: not connected/);
});

test.each([5, -1, Number.NaN, Number.POSITIVE_INFINITY])('a timeout of %p seconds is refused, by the API and as a training argument', (seconds) => {
  expect(heartbeatTimeoutProblem(seconds)).toMatch(/must be 0 \(no watchdog\) or a number of seconds >= 10/);
  expect(() => watchPeers({ unresponsivePeers: () => null }, seconds)).toThrow(/ddp_heartbeat_timeout must be 0/);
  expect(() => resolveTrainingArguments({ output_dir: 'o', ddp_heartbeat_timeout: seconds })).toThrow(/training argument ddp_heartbeat_timeout must be 0/);
});

test('the default (30 s) stays under a minute and is the training argument default', () => {
  expect(DEFAULT_HEARTBEAT_TIMEOUT_SECONDS).toBeLessThan(60);
  expect(resolveTrainingArguments({ output_dir: 'o' }).ddp_heartbeat_timeout).toBe(DEFAULT_HEARTBEAT_TIMEOUT_SECONDS);
  expect(heartbeatTimeoutProblem(0)).toBeUndefined();
  expect(heartbeatTimeoutProblem(10)).toBeUndefined();
});
