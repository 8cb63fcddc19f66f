// A soak of the `bertrun serve` process: 5,000 requests over loopback, 16 at a time, one in ten
// malformed in one of several ways. No valid request gets a 5xx, every malformed one gets a 4xx,
// and the server's resident memory does not grow between the first and the last thousand.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { requireCompiledCli, startCli, waitFor, type Started } from '../helpers/ddp_run';
import { sentence, writeClassifier } from '../helpers/served_models';

const TOTAL = 5000;
const CONCURRENCY = 16;

let root: string;
let started: Started | undefined;

beforeAll(async () => {
  requireCompiledCli();
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-serve-soak-'));
  await writeClassifier(path.join(root, 'classifier'));
});

afterAll(() => {
  if (started && started.child.exitCode === null) started.child.kill('SIGKILL');
  fs.rmSync(root, { recursive: true, force: true });
});

interface Request {
  route: string;
  body: string;
  contentType?: string;
  malformed: boolean;
}

/** Request `i`: every tenth malformed (bad JSON, wrong type, empty string, missing field, unknown route, too many inputs, ...). */
function request(i: number): Request {
  const text = sentence(2 + (i % 14), i);
  if (i % 10 === 9) {
    const kinds: Array<[string, string, string?]> = [
      ['/', `{"inputs": "${text}"`],
      ['/predict', JSON.stringify({ inputs: 42 })],
      ['/', JSON.stringify({ inputs: '' })],
      ['/v1/model_prediction/', JSON.stringify({ sentence2: text })],
      ['/predictions', JSON.stringify({ inputs: text })],
      ['/', JSON.stringify({ inputs: Array.from({ length: 33 }, () => text) })],
      ['/', JSON.stringify({ inputs: text, parameters: { top_k: -1 } })],
      ['/embed', JSON.stringify({ inputs: text })],
      ['/', JSON.stringify({ inputs: 'x'.repeat(70_000) })],
      ['/predict', text, 'text/plain'],
      ['/', ''],
    ];
    const [route, body, contentType] = kinds[Math.floor(i / 10) % kinds.length];
    return { route, body, contentType, malformed: true };
  }
  switch (i % 4) {
    case 0:
      return { route: '/predict', body: JSON.stringify({ inputs: text }), malformed: false };
    case 1:
      return { route: '/', body: JSON.stringify({ inputs: [text, sentence(3, i + 1)], parameters: { top_k: 2 } }), malformed: false };
    case 2:
      return { route: '/v1/model_prediction/', body: JSON.stringify({ sentence1: text, sentence2: sentence(4, i + 2) }), malformed: false };
    default:
      return { route: '/predict', body: JSON.stringify({ inputs: [[text], [text, sentence(5, i)]] }), malformed: false };
  }
}

function residentKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]);
}

test('5,000 requests, 10% malformed: no 5xx for the valid ones, a 4xx for every malformed one, RSS growth under 10% from the first to the last thousand', async () => {
  started = startCli(['serve', '--model_name_or_path', path.join(root, 'classifier'), '--port', '0', '--log_level', 'warn', '--max_body_bytes', '65536']);
  const server = started;
  let url = '';
  await waitFor(
    () => {
      url = /listening on (http:\/\/\S+)/.exec(server.output())?.[1] ?? '';
      return url !== '' || server.child.exitCode !== null;
    },
    60,
    'bertrun serve to listen',
  );
  expect(url).not.toBe('');
  const pid = server.child.pid as number;

  const statuses = new Map<string, number>();
  const failures: string[] = [];
  let next = 0;
  const runUntil = async (end: number): Promise<void> => {
    const worker = async (): Promise<void> => {
      while (next < end) {
        const i = next++;
        const { route, body, contentType, malformed } = request(i);
        let status: number;
        try {
          const response = await fetch(`${url}${route}`, { method: 'POST', headers: { 'content-type': contentType ?? 'application/json' }, body });
          status = response.status;
          const answer = (await response.json()) as unknown;
          if (status >= 400 && (typeof answer !== 'object' || answer === null || !('error' in answer) || !('error_type' in answer))) {
            failures.push(`request ${i}: ${status} without an error body`);
          }
        } catch (e) {
          failures.push(`request ${i} (${route}): ${(e as Error).message}`);
          continue;
        }
        const key = `${malformed ? 'malformed' : 'valid'} ${status}`;
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (malformed ? status < 400 || status >= 500 : status !== 200)
          failures.push(`request ${i} (${route}, ${malformed ? 'malformed' : 'valid'}): ${status}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  };

  const began = Date.now();
  await runUntil(1000);
  const afterFirst = residentKiB(pid);
  await runUntil(TOTAL - 1000);
  await runUntil(TOTAL);
  const afterLast = residentKiB(pid);
  const seconds = (Date.now() - began) / 1000;

  expect(failures.slice(0, 10)).toEqual([]);
  const count = (prefix: string): number => [...statuses].filter(([k]) => k.startsWith(prefix)).reduce((sum, [, n]) => sum + n, 0);
  expect(count('valid')).toBe(TOTAL * 0.9);
  expect(statuses.get('valid 200')).toBe(TOTAL * 0.9);
  expect(count('malformed 4')).toBe(TOTAL * 0.1);
  // Every kind of malformed request came up.
  for (const status of [400, 404, 413, 415]) expect(statuses.get(`malformed ${status}`) ?? 0).toBeGreaterThan(0);
  expect(afterLast / afterFirst).toBeLessThan(1.1);
  expect(seconds).toBeLessThan(60);

  const metrics = await (await fetch(`${url}/metrics`)).text();
  expect(metrics).toMatch(/^bertrun_requests_in_flight 0$/m);
  server.child.kill('SIGTERM');
  const finished = await server.done;
  expect(finished.code).toBe(0);
  process.stderr.write(
    `soak: ${TOTAL} requests in ${seconds.toFixed(1)} s; RSS ${afterFirst} -> ${afterLast} KiB; ${JSON.stringify(Object.fromEntries(statuses))}\n`,
  );
}, 120_000);
