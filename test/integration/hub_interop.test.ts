// bertrun and Python's huggingface_hub / transformers sharing one Hugging Face cache, against the
// loopback hub stand-in: what bertrun downloads, transformers loads by name offline (same outputs,
// same token ids), and what huggingface_hub downloads, bertrun loads by name offline without a
// request; `cache list` reads a cache both wrote. Then two `bertrun download` processes racing for
// one blob (one GET, one lock, nothing left over), and download progress only on a terminal.
import { execFile, spawn } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { repoFolderName } from '../../lib/hub/cache_layout';
import type { HubOptions } from '../../lib/hub/hub_settings';
import { resolveModelDir } from '../../lib/hub/resolve_model';
import { BertModel } from '../../lib/models/bert_model';
import type { NativeBatch } from '../../lib/native';
import { BertTokenizer } from '../../lib/tokenization';
import { CLI, freePort, requireCompiledCli, waitFor } from '../helpers/ddp_run';
import { startHubStandIn, type HubStandIn } from '../helpers/hub_stand_in';
import { writeTinyModel } from '../helpers/pipeline_models';
import { pythonPath } from '../helpers/python';

const execFileAsync = promisify(execFile);

const TEXT = 'The cats runs, very big! zebra';
const sha256 = (data: Buffer): string => crypto.createHash('sha256').update(data).digest('hex');

// transformers by name from the cache only: HF_HUB_OFFLINE=1 and an endpoint nobody listens on.
const TRANSFORMERS_LOAD = `
import json, sys
import torch
from transformers import AutoModel, AutoTokenizer
name, text = sys.argv[1], sys.argv[2]
tokenizer = AutoTokenizer.from_pretrained(name)
model = AutoModel.from_pretrained(name).eval()
encoded = tokenizer(text, return_tensors='pt')
with torch.no_grad():
    out = model(**encoded)
print(json.dumps({
    'tokenizer_class': type(tokenizer).__name__,
    'model_class': type(model).__name__,
    'input_ids': encoded['input_ids'][0].tolist(),
    'token_type_ids': encoded['token_type_ids'][0].tolist(),
    'shape': list(out.last_hidden_state.shape),
    'last_hidden_state': out.last_hidden_state.flatten().tolist(),
    'pooler_output': out.pooler_output.flatten().tolist(),
}))
`;

const SNAPSHOT_DOWNLOAD = `
import sys
from huggingface_hub import snapshot_download
print(snapshot_download(sys.argv[1]))
`;

interface TransformersResult {
  tokenizer_class: string;
  model_class: string;
  input_ids: number[];
  token_type_ids: number[];
  shape: number[];
  last_hidden_state: number[];
  pooler_output: number[];
}

interface CacheListing {
  cacheDir: string;
  repos: Array<{ repoId: string; dir: string; bytesOnDisk: number; revisions: Array<{ commit: string; refs: string[]; files: string[]; bytes: number }> }>;
}

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

let hub: HubStandIn;
let tmp: string;
let closedEndpoint: string;
const commits = { tiny: '', other: '', big: '' };
const sources = { tiny: '', other: '' };
const bigWeights = crypto.randomBytes(6 * 1024 * 1024);
let transformers: TransformersResult;
let pythonSnapshot: string;

/** The environment of the developer minus hub settings, tokens and proxies, plus `extra`. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(HF_|HUGGING_FACE_|TRANSFORMERS_)|_proxy$/i.test(k)));
  return { ...env, HF_HOME: path.join(tmp, 'hf-home'), HF_HUB_DISABLE_TELEMETRY: '1', NO_PROXY: '127.0.0.1,localhost', ...extra };
}

/** Python asynchronously: the stand-in answers on this process's event loop. */
async function python(code: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  try {
    const { stdout } = await execFileAsync(pythonPath(), ['-c', code, ...args], { env, timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    throw new Error(`python failed:\n${(err as { stderr?: string }).stderr ?? ''}`, { cause: err });
  }
}

/** A program with stdout and stderr kept apart (neither is a terminal). */
function run(program: string, args: string[], env: NodeJS.ProcessEnv): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const cli = (args: string[], env: NodeJS.ProcessEnv): Promise<Exit> => run(process.execPath, [CLI, ...args], env);

function hubOptions(cacheDir: string, extra: HubOptions = {}): HubOptions {
  return { endpoint: hub.url, cacheDir, token: false, offline: false, progress: false, retry: { attempts: 2, baseDelayMs: 5 }, ...extra };
}

function batchOf(inputIds: number[], tokenTypeIds: number[]): NativeBatch {
  return {
    shape: [1, inputIds.length],
    inputIds: Int32Array.from(inputIds),
    tokenTypeIds: Int32Array.from(tokenTypeIds),
    attentionMask: new Int32Array(inputIds.length).fill(1),
  };
}

function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

/** Every file under `dir`, relative, with '/'. */
function listTree(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true }) as string[]).map((p) => p.split(path.sep).join('/')).sort();
}

beforeAll(async () => {
  requireCompiledCli();
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-interop-')));
  hub = await startHubStandIn();
  closedEndpoint = `http://127.0.0.1:${await freePort()}`;
  sources.tiny = await writeTinyModel(path.join(tmp, 'src-tiny'), 'sequence-classification', { num_labels: 2 }, 1);
  sources.other = await writeTinyModel(path.join(tmp, 'src-other'), 'base', {}, 2);
  commits.tiny = hub.addRepoFromDir('org/tiny-bert', sources.tiny);
  commits.other = hub.addRepo('org/other', {
    ...Object.fromEntries(fs.readdirSync(sources.other).map((f) => [f, fs.readFileSync(path.join(sources.other, f))])),
    'README.md': '# other\n',
  });
  commits.big = hub.addRepo('org/big', { 'config.json': '{"model_type": "bert"}\n', 'vocab.txt': '[PAD]\n[UNK]\n', 'model.safetensors': bigWeights });

  // bertrun → Python: bertrun fills cache A, then transformers reads it offline. Meanwhile, Python →
  // bertrun: huggingface_hub fills cache B from the stand-in. Two Python processes because their
  // environments contradict each other (offline with a dead endpoint, online with the stand-in).
  const pythonToBertrun = python(
    SNAPSHOT_DOWNLOAD,
    ['org/other'],
    cleanEnv({ HF_ENDPOINT: hub.url, HF_HUB_CACHE: path.join(tmp, 'cache-b'), HF_HUB_DISABLE_PROGRESS_BARS: '1' }),
  );
  const bertrunToPython = (async () => {
    await resolveModelDir('org/tiny-bert', hubOptions(path.join(tmp, 'cache-a')));
    const env = cleanEnv({ HF_ENDPOINT: closedEndpoint, HF_HUB_CACHE: path.join(tmp, 'cache-a'), HF_HUB_OFFLINE: '1', HF_HUB_DISABLE_PROGRESS_BARS: '1' });
    return python(TRANSFORMERS_LOAD, ['org/tiny-bert', TEXT], env);
  })();
  const [snapshotOut, transformersOut] = await Promise.all([pythonToBertrun, bertrunToPython]);
  pythonSnapshot = snapshotOut.trim();
  transformers = JSON.parse(transformersOut) as TransformersResult;
});

afterAll(async () => {
  await hub?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

test('bertrun → Python: transformers loads what bertrun downloaded by name, offline, with the same token ids and outputs', async () => {
  const cacheA = path.join(tmp, 'cache-a');
  const snapshot = path.join(cacheA, repoFolderName('org/tiny-bert'), 'snapshots', commits.tiny);
  expect(fs.readFileSync(path.join(cacheA, repoFolderName('org/tiny-bert'), 'refs', 'main'), 'utf8')).toBe(commits.tiny);
  expect(fs.readdirSync(snapshot).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer_config.json', 'vocab.txt']);
  expect(transformers.model_class).toBe('BertModel');
  expect(transformers.tokenizer_class).toBe('BertTokenizer');

  const requestsBefore = hub.requests.length;
  const warnings: string[] = [];
  const offline = hubOptions(cacheA, { offline: true, endpoint: closedEndpoint, warn: (m) => warnings.push(m) });
  const { model, tokenizer } = await BertModel.fromPretrained('org/tiny-bert', 'base', offline);
  try {
    const encoding = await tokenizer!.encode(TEXT);
    // [CLS] the cat ##s runs , very big ! [UNK] [SEP]
    expect(encoding.inputIds).toEqual(transformers.input_ids);
    expect(encoding.inputIds).toHaveLength(11);
    expect(encoding.inputIds.filter((id) => id === 1)).toHaveLength(1); // zebra is [UNK]
    expect(encoding.tokenTypeIds).toEqual(transformers.token_type_ids);

    const { outputs } = await model.forward(batchOf(encoding.inputIds, encoding.tokenTypeIds));
    expect(outputs.last_hidden_state.shape).toEqual(transformers.shape);
    expect(transformers.shape).toEqual([1, 11, 32]);
    expect(maxDifference(outputs.last_hidden_state.data, transformers.last_hidden_state)).toBeLessThan(1e-5);
    expect(maxDifference(outputs.pooler_output.data, transformers.pooler_output)).toBeLessThan(1e-5);
  } finally {
    await model.dispose();
  }
  // The sequence-classification head is not part of a base model (transformers drops it too); nothing about the hub.
  expect(warnings).toEqual([`Some weights of the checkpoint at ${snapshot} were not used when initializing BertModel: [classifier.weight, classifier.bias]`]);
  expect(hub.requests.length).toBe(requestsBefore);
});

test('Python → bertrun: bertrun loads what snapshot_download cached by name, offline, with zero requests; cache list reads the shared cache', async () => {
  const cacheB = path.join(tmp, 'cache-b');
  const repoDir = path.join(cacheB, repoFolderName('org/other'));
  expect(pythonSnapshot).toBe(path.join(repoDir, 'snapshots', commits.other));
  expect(fs.readdirSync(path.join(repoDir, 'trees'))).toEqual([`${commits.other}.json`]); // huggingface_hub's own addition

  const requestsBefore = hub.requests.length;
  const offline = hubOptions(cacheB, { offline: true, endpoint: closedEndpoint });
  const [cached, original] = await Promise.all([BertModel.fromPretrained('org/other', 'base', offline), BertModel.fromPretrained(sources.other, 'base')]);
  const tokenizer = await BertTokenizer.fromPretrained('org/other', offline);
  expect(hub.requests.length).toBe(requestsBefore);
  try {
    expect(fs.readFileSync(path.join(pythonSnapshot, 'model.safetensors')).equals(fs.readFileSync(path.join(sources.other, 'model.safetensors')))).toBe(true);
    const encoding = await tokenizer.encode(TEXT);
    expect(encoding.inputIds).toEqual((await original.tokenizer!.encode(TEXT)).inputIds);
    expect(encoding.inputIds).toEqual((await cached.tokenizer!.encode(TEXT)).inputIds);
    const batch = batchOf(encoding.inputIds, encoding.tokenTypeIds);
    const [fromCache, fromSource] = [(await cached.model.forward(batch)).outputs, (await original.model.forward(batch)).outputs];
    expect(cached.report).toEqual(original.report);
    expect(maxDifference(fromCache.last_hidden_state.data, fromSource.last_hidden_state.data)).toBe(0);
    expect(maxDifference(fromCache.pooler_output.data, fromSource.pooler_output.data)).toBe(0);
  } finally {
    await Promise.all([cached.model.dispose(), original.model.dispose()]);
  }

  // bertrun adds a repo of its own beside Python's, then lists the cache both wrote.
  await resolveModelDir('org/tiny-bert', hubOptions(cacheB));
  const listed = await cli(['cache', 'list', '--cache_dir', cacheB, '--json'], cleanEnv({}));
  expect(listed.stderr).toBe('');
  expect(listed.code).toBe(0);
  const listing = JSON.parse(listed.stdout) as CacheListing;
  expect(listing.cacheDir).toBe(cacheB);
  const summary = listing.repos
    .map((r) => ({ repo: r.repoId, revisions: r.revisions.map((v) => ({ commit: v.commit, refs: v.refs, files: v.files.length })) }))
    .sort((a, b) => a.repo.localeCompare(b.repo));
  expect(summary).toEqual([
    { repo: 'org/other', revisions: [{ commit: commits.other, refs: ['main'], files: 5 }] },
    { repo: 'org/tiny-bert', revisions: [{ commit: commits.tiny, refs: ['main'], files: 4 }] },
  ]);
  const other = listing.repos.find((r) => r.repoId === 'org/other')!;
  const otherBytes = fs.readdirSync(sources.other).reduce((sum, f) => sum + fs.statSync(path.join(sources.other, f)).size, 0) + '# other\n'.length;
  expect(other.bytesOnDisk).toBe(otherBytes);
  expect(other.revisions[0].bytes).toBe(otherBytes);
});

test('two `bertrun download` processes at once: one GET of the blob, the same snapshot, no partial file or held lock left', async () => {
  const cacheDir = path.join(tmp, 'cache-race');
  hub.requests.length = 0;
  // The first blob GET waits, so the second process arrives while the first one downloads.
  hub.fault({ method: 'GET', path: /^\/lfs-host\// }, { delayMs: 1500 });
  const env = cleanEnv({ HF_ENDPOINT: hub.url, HF_HUB_DISABLE_PROGRESS_BARS: '1' });
  const runs = [cli(['download', 'org/big', '--cache_dir', cacheDir], env), cli(['download', 'org/big', '--cache_dir', cacheDir], env)];
  const blobGets = (): typeof hub.requests => hub.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/lfs-host/'));
  const weightHeads = (): number => hub.requests.filter((r) => r.method === 'HEAD' && r.path.endsWith('/model.safetensors')).length;
  const locks = path.join(cacheDir, '.locks', repoFolderName('org/big'));
  const weightsLock = path.join(locks, `${sha256(bigWeights)}.bertrun-lock`);
  // Both processes asked for the weights while the one GET was held back (and its lock held): they overlapped.
  const overlapped = waitFor(
    () => weightHeads() === 2 && blobGets().length === 1 && blobGets()[0].status === 0 && fs.existsSync(weightsLock),
    10,
    'both processes to reach the weights during the delayed GET',
  );
  const [, a, b] = await Promise.all([overlapped, ...runs]);

  const snapshot = path.join(cacheDir, repoFolderName('org/big'), 'snapshots', commits.big);
  for (const result of [a, b]) {
    expect({ code: result.code, stdout: result.stdout }).toEqual({ code: 0, stdout: `${snapshot}\n` });
    expect(result.stderr).toBe(`bertrun download: org/big at ${commits.big}: 3 file(s) in ${snapshot}\n`);
  }
  expect(sha256(fs.readFileSync(path.join(snapshot, 'model.safetensors')))).toBe(sha256(bigWeights));
  expect(blobGets().map((r) => r.status)).toEqual([200]);
  // Every file was fetched once, whichever process got there first.
  const resolveGets = hub.requests.filter((r) => r.method === 'GET' && r.path.includes('/resolve/')).map((r) => r.path.replace(/.*\//, ''));
  expect(resolveGets.sort()).toEqual(['config.json', 'vocab.txt']);

  const repoDir = path.join(cacheDir, repoFolderName('org/big'));
  expect(fs.readdirSync(path.join(repoDir, 'blobs')).filter((f) => f.endsWith('.incomplete'))).toEqual([]);
  expect(fs.readdirSync(path.join(repoDir, 'blobs'))).toHaveLength(3);
  expect(listTree(path.join(repoDir, 'snapshots', commits.big))).toEqual(['config.json', 'model.safetensors', 'vocab.txt']);
  // The lock folder is there; every <etag>.bertrun-lock directory (the weights' one seen held above) was removed on release.
  expect(fs.statSync(locks).isDirectory()).toBe(true);
  expect(listTree(locks)).toEqual([]);
});

describe('download progress', () => {
  test('stderr not a terminal: the one summary line, no bar', async () => {
    const cacheDir = path.join(tmp, 'cache-quiet');
    const result = await cli(['download', 'org/big', '--cache_dir', cacheDir], cleanEnv({ HF_ENDPOINT: hub.url }));
    const snapshot = path.join(cacheDir, repoFolderName('org/big'), 'snapshots', commits.big);
    expect(result).toEqual({ code: 0, stdout: `${snapshot}\n`, stderr: `bertrun download: org/big at ${commits.big}: 3 file(s) in ${snapshot}\n` });
  });

  test('on a pseudo-terminal (util-linux script): the bar for the weights', async () => {
    const cacheDir = path.join(tmp, 'cache-tty');
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const command = [process.execPath, CLI, 'download', 'org/big', '--cache_dir', cacheDir].map(quote).join(' ');
    const result = await run('script', ['-qec', command, '/dev/null'], cleanEnv({ HF_ENDPOINT: hub.url, TERM: 'xterm' }));
    expect(result.code).toBe(0);
    const snapshot = path.join(cacheDir, repoFolderName('org/big'), 'snapshots', commits.big);
    expect(result.stdout).toContain('model.safetensors |');
    expect(result.stdout).toMatch(/model\.safetensors \|[^|]*\| 100% 6\.3\/6\.3 MB/);
    expect(result.stdout).toContain(`bertrun download: org/big at ${commits.big}: 3 file(s) in ${snapshot}`);
    expect(sha256(fs.readFileSync(path.join(snapshot, 'model.safetensors')))).toBe(sha256(bigWeights));
  });
});
