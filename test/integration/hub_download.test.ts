// Model names resolved through the hub client against a loopback stand-in of huggingface.co:
// the cache layout huggingface_hub writes, only the needed files fetched, revisions, tokens,
// faults (dropped connections, corrupt bytes, 401/403/404/429/500, a full disk, an unwritable
// cache), offline mode and seed 000's failure, each error naming what was tried and the fix.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BertModel } from '../../lib/models/bert_model';
import { BertTokenizer } from '../../lib/tokenization';
import { repoFolderName } from '../../lib/hub/cache_layout';
import type { HubOptions } from '../../lib/hub/hub_settings';
import { resolveModelDir } from '../../lib/hub/resolve_model';
import { startHubStandIn, type HubStandIn } from '../helpers/hub_stand_in';
import { writeTinyModel } from '../helpers/pipeline_models';
import { tempDirPerTest } from '../helpers/temp_dir';
import { freePort } from '../helpers/ddp_run';

const sha256 = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

let hub: HubStandIn;
let modelSource: string;
let modelFiles: Record<string, Buffer>;
const temp = tempDirPerTest('bertrun-hub-');
let warnings: string[] = [];

function options(extra: HubOptions = {}): HubOptions {
  return {
    endpoint: hub.url,
    cacheDir: path.join(temp.dir(), 'cache'),
    token: false,
    offline: false,
    progress: false,
    retry: { attempts: 3, baseDelayMs: 5 },
    warn: (m) => warnings.push(m),
    ...extra,
  };
}

const lfsGets = (): string[] => hub.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/lfs-host/')).map((r) => r.path);
const resolveGets = (): string[] => hub.requests.filter((r) => r.method === 'GET' && r.path.includes('/resolve/')).map((r) => r.path);

beforeAll(async () => {
  hub = await startHubStandIn();
  modelSource = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-hub-model-'));
  await writeTinyModel(modelSource, 'sequence-classification', { num_labels: 3 });
  modelFiles = Object.fromEntries(fs.readdirSync(modelSource).map((f) => [f, fs.readFileSync(path.join(modelSource, f))]));
  // Files bertrun must not fetch: other frameworks' weights, a second weights format, ONNX exports.
  const extras = {
    'tf_model.h5': Buffer.alloc(3000, 1),
    'pytorch_model.bin': Buffer.alloc(3000, 2),
    'onnx/model.onnx': Buffer.alloc(3000, 3),
    'README.md': '# tiny\n',
  };
  hub.addRepo('org/tiny-bert', { ...modelFiles, ...extras }, { tag: 'v1' });
  hub.addRepo('org/gated-bert', modelFiles, { gated: true });
  hub.addRepo('org/private-bert', modelFiles, { private: true });
});

afterAll(async () => {
  await hub.close();
  fs.rmSync(modelSource, { recursive: true, force: true });
});

beforeEach(() => {
  hub.requests.length = 0;
  warnings = [];
});

describe('resolution and the cache layout', () => {
  test('a name downloads config, safetensors and tokenizer files only, into huggingface_hub layout', async () => {
    const dir = await resolveModelDir('org/tiny-bert', options());
    const cache = path.join(temp.dir(), 'cache', repoFolderName('org/tiny-bert'));
    const commit = fs.readFileSync(path.join(cache, 'refs', 'main'), 'utf8');
    expect(commit).toMatch(/^[0-9a-f]{40}$/);
    expect(dir).toBe(path.join(cache, 'snapshots', commit));
    expect(fs.readdirSync(dir).sort()).toEqual(['config.json', 'model.safetensors', 'tokenizer_config.json', 'vocab.txt']);
    // Snapshot entries are relative symlinks into blobs/; the LFS file's blob is named by its sha256.
    const link = fs.readlinkSync(path.join(dir, 'model.safetensors'));
    const expectedSha = crypto.createHash('sha256').update(modelFiles['model.safetensors']).digest('hex');
    expect(link).toBe(path.join('..', '..', 'blobs', expectedSha));
    expect(sha256(path.join(dir, 'model.safetensors'))).toBe(expectedSha);
    expect(fs.readFileSync(path.join(dir, 'vocab.txt'))).toEqual(modelFiles['vocab.txt']);
    expect(fs.readdirSync(path.join(cache, 'blobs')).filter((b) => b.endsWith('.incomplete'))).toEqual([]);
    const fetched = resolveGets().map((p) => p.split('/resolve/')[1].replace(/^[^/]+\//, ''));
    expect(fetched.sort()).toEqual(['config.json', 'tokenizer_config.json', 'vocab.txt']);
    expect(lfsGets()).toHaveLength(1);

    // The model loads from the name, and the second time no file is fetched again.
    hub.requests.length = 0;
    const { model, tokenizer } = await BertModel.fromPretrained('org/tiny-bert', 'sequence-classification', options());
    expect(model.config.num_labels).toBe(3);
    expect((await tokenizer!.encode('the cat')).inputIds.length).toBe(4);
    await model.dispose();
    expect(resolveGets()).toEqual([]);
    expect(lfsGets()).toEqual([]);
  });

  test('revision: a tag, then an older commit by hash after the branch moved', async () => {
    const config = JSON.parse(String(modelFiles['config.json'])) as Record<string, unknown>;
    const first = hub.addRepo('org/moving', modelFiles);
    const renamed = { ...config, id2label: { 0: 'neg', 1: 'neutral', 2: 'pos' }, label2id: { neg: 0, neutral: 1, pos: 2 } };
    const second = hub.addRepo('org/moving', { ...modelFiles, 'config.json': JSON.stringify(renamed) }, { tag: 'release' });
    const latest = await resolveModelDir('org/moving', options());
    expect(path.basename(latest)).toBe(second);
    const tagged = await resolveModelDir('org/moving', options({ revision: 'release' }));
    expect(tagged).toBe(latest);
    const old = await resolveModelDir('org/moving', options({ revision: first }));
    expect(path.basename(old)).toBe(first);
    expect(JSON.parse(fs.readFileSync(path.join(old, 'config.json'), 'utf8')).id2label).toEqual(config.id2label);
    expect(JSON.parse(fs.readFileSync(path.join(latest, 'config.json'), 'utf8')).id2label).toEqual(renamed.id2label);
    // The weights did not change between the commits: one blob serves both snapshots.
    expect(fs.realpathSync(path.join(old, 'model.safetensors'))).toBe(fs.realpathSync(path.join(latest, 'model.safetensors')));
    const cache = path.join(temp.dir(), 'cache', repoFolderName('org/moving'));
    expect(fs.readFileSync(path.join(cache, 'refs', 'release'), 'utf8')).toBe(second);
    // A cached commit hash needs no request at all.
    hub.requests.length = 0;
    await resolveModelDir('org/moving', options({ revision: first }));
    expect(hub.requests).toEqual([]);
  });

  test('a renamed repo is followed (relative redirect)', async () => {
    hub.addAlias('old-org/tiny-bert', 'org/tiny-bert');
    const dir = await resolveModelDir('old-org/tiny-bert', options());
    expect(fs.readFileSync(path.join(dir, 'config.json'))).toEqual(modelFiles['config.json']);
  });

  test('sharded safetensors: the index and every shard', async () => {
    const shards = { 'model-00001-of-00002.safetensors': Buffer.alloc(2000, 7), 'model-00002-of-00002.safetensors': Buffer.alloc(1000, 8) };
    const index = { metadata: {}, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } };
    hub.addRepo('org/sharded', {
      'config.json': modelFiles['config.json'],
      'model.safetensors.index.json': JSON.stringify(index),
      ...shards,
      'vocab.txt': modelFiles['vocab.txt'],
    });
    const dir = await resolveModelDir('org/sharded', options());
    expect(fs.readdirSync(dir).sort()).toEqual([
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
      'vocab.txt',
    ]);
  });

  test('tokenizer and config names fetch only their files', async () => {
    const tokenizer = await BertTokenizer.fromPretrained('org/tiny-bert', options({ cacheDir: path.join(temp.dir(), 'tok-cache') }));
    expect((await tokenizer.encode('the dog')).inputIds.length).toBe(4);
    expect(lfsGets()).toEqual([]);
    const snapshot = path.join(temp.dir(), 'tok-cache', repoFolderName('org/tiny-bert'), 'snapshots');
    expect(fs.readdirSync(path.join(snapshot, fs.readdirSync(snapshot)[0])).sort()).toEqual(['tokenizer_config.json', 'vocab.txt']);
  });

  test('a path that does not exist names the nearest existing directory', async () => {
    fs.mkdirSync(path.join(temp.dir(), 'models', 'bert-a'), { recursive: true });
    const missing = path.join(temp.dir(), 'models', 'bert-b', 'final');
    await expect(resolveModelDir(missing, options())).rejects.toThrow(
      `model directory ${missing} does not exist; the nearest existing directory is ${path.join(temp.dir(), 'models')} (it holds: bert-a)`,
    );
    expect(hub.requests).toEqual([]);
  });
});

describe('authentication', () => {
  test('gated: 401 without a token says to set HF_TOKEN; a wrong token gets 403; the right one works and stays off the storage host', async () => {
    await expect(resolveModelDir('org/gated-bert', options())).rejects.toThrow(/HTTP 401[\s\S]*Fix: the repo is private or gated[\s\S]*HF_TOKEN/);
    await expect(resolveModelDir('org/gated-bert', options({ token: 'hf_wrong' }))).rejects.toThrow(/HTTP 403[\s\S]*Fix: this token has no access/);
    hub.requests.length = 0;
    const dir = await resolveModelDir('org/gated-bert', options({ token: hub.token }));
    expect(fs.existsSync(path.join(dir, 'model.safetensors'))).toBe(true);
    expect(hub.requests.filter((r) => !r.path.startsWith('/lfs-host/')).every((r) => r.authorization === `Bearer ${hub.token}`)).toBe(true);
    expect(hub.requests.filter((r) => r.path.startsWith('/lfs-host/')).map((r) => r.authorization)).toEqual([undefined]);
  });

  test('private repo: 404-like answer without a token, downloads with HF_TOKEN from the environment', async () => {
    await expect(resolveModelDir('org/private-bert', options())).rejects.toThrow(/HTTP 401/);
    const saved = process.env.HF_TOKEN;
    process.env.HF_TOKEN = hub.token;
    try {
      const { token: _omit, ...fromEnv } = options();
      const dir = await resolveModelDir('org/private-bert', fromEnv);
      expect(fs.readFileSync(path.join(dir, 'config.json'))).toEqual(modelFiles['config.json']);
    } finally {
      if (saved === undefined) delete process.env.HF_TOKEN;
      else process.env.HF_TOKEN = saved;
    }
  });
});

describe('faults', () => {
  test('a connection dropped mid-file (2 of 3 MB sent) is resumed with Range; the blob is whole', async () => {
    // Large enough that the reader has written part of it when the connection drops (fetch's queue is bounded).
    const big = crypto.randomBytes(3_000_000);
    hub.addRepo('org/flaky', { 'config.json': modelFiles['config.json'], 'model.safetensors': big });
    hub.fault({ method: 'GET', path: /^\/lfs-host\// }, { dropAfterBytes: 2_000_000 });
    const dir = await resolveModelDir('org/flaky', options());
    expect(sha256(path.join(dir, 'model.safetensors'))).toBe(crypto.createHash('sha256').update(big).digest('hex'));
    const gets = hub.requests.filter((r) => r.path.startsWith('/lfs-host/'));
    expect(gets.map((r) => r.range)).toEqual([undefined, expect.stringMatching(/^bytes=\d+-$/)]);
    expect(Number(gets[1].range!.slice(6, -1))).toBeGreaterThan(0);
    expect(gets[1].status).toBe(206);
  });

  test('corrupt bytes are refused (sha256) and leave nothing in the cache', async () => {
    hub.addRepo('org/corrupt', { 'config.json': modelFiles['config.json'], 'model.safetensors': crypto.randomBytes(5000) });
    hub.fault({ method: 'GET', path: /^\/lfs-host\// }, { corrupt: true });
    await expect(resolveModelDir('org/corrupt', options())).rejects.toThrow(
      /model\.safetensors[^]*is corrupt \(its sha256 is [0-9a-f]{64}, the hub says [0-9a-f]{64}\)[^]*nothing of it is kept/,
    );
    const blobs = path.join(temp.dir(), 'cache', repoFolderName('org/corrupt'), 'blobs');
    expect(fs.readdirSync(blobs).filter((b) => b.length === 64 || b.endsWith('.incomplete'))).toEqual([]);
    // The next attempt (no fault) succeeds.
    const dir = await resolveModelDir('org/corrupt', options());
    expect(fs.statSync(path.join(dir, 'model.safetensors')).size).toBe(5000);
  });

  test('429 then 200 is retried (Retry-After honoured); 500 on every try fails naming the status and a mirror', async () => {
    hub.fault({ path: /^\/api\/models\/org\/tiny-bert/ }, { status: 429, retryAfter: 0 });
    await resolveModelDir('org/tiny-bert', options());
    expect(hub.requests.filter((r) => r.path.startsWith('/api/')).map((r) => r.status)).toEqual([429, 200]);

    hub.addRepo('org/down', modelFiles);
    hub.fault({ path: /^\/api\/models\/org\/down/ }, { status: 500 }, Infinity);
    await expect(resolveModelDir('org/down', options())).rejects.toThrow(
      /hub http:\/\/127\.0\.0\.1:\d+: .*HTTP 500[\s\S]*Fix: set HF_ENDPOINT to a reachable mirror, or run with --offline/,
    );
    expect(hub.requests.filter((r) => r.path.startsWith('/api/models/org/down')).map((r) => r.status)).toEqual([500, 500, 500]);
  });

  test('404: the error lists what was tried and cached names close to the one given', async () => {
    await resolveModelDir('org/tiny-bert', options());
    let message = '';
    try {
      await resolveModelDir('org/tiny-bertt', options());
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('cannot load "org/tiny-bertt" (revision main); tried, in order:');
    expect(message).toContain(`1. local directory ${path.resolve('org/tiny-bertt')}: does not exist`);
    expect(message).toContain(`2. Hugging Face cache: ${path.join(temp.dir(), 'cache', 'models--org--tiny-bertt')} does not exist (not cached)`);
    expect(message).toMatch(/3\. hub http:\/\/127\.0\.0\.1:\d+: .*HTTP 404 \(RepoNotFound/);
    expect(message).toContain('cached models with close names: org/tiny-bert');
  });

  test('a full disk and an unwritable cache give a clear error', async () => {
    hub.addRepo('org/full-disk', { 'config.json': modelFiles['config.json'], 'model.safetensors': crypto.randomBytes(4000) });
    // The partial download of the weights is /dev/full: every write fails with ENOSPC.
    const blobs = path.join(temp.dir(), 'cache', repoFolderName('org/full-disk'), 'blobs');
    fs.mkdirSync(blobs, { recursive: true });
    const files = hub.addRepo('org/full-disk', { 'config.json': modelFiles['config.json'], 'model.safetensors': Buffer.alloc(4000, 9) });
    expect(files).toMatch(/^[0-9a-f]{40}$/);
    const sha = crypto.createHash('sha256').update(Buffer.alloc(4000, 9)).digest('hex');
    fs.symlinkSync('/dev/full', path.join(blobs, `${sha}.incomplete`));
    await expect(resolveModelDir('org/full-disk', options())).rejects.toThrow(
      /ENOSPC[\s\S]*free space on that disk, or set HF_HUB_CACHE \(or --cache_dir\) to a disk with room/,
    );

    const notADirectory = temp.write('a-file', 'x');
    await expect(resolveModelDir('org/tiny-bert', options({ cacheDir: path.join(notADirectory, 'cache') }))).rejects.toThrow(
      /cannot write the Hugging Face cache .*a-file\/cache: ENOTDIR[\s\S]*set HF_HUB_CACHE \(or --cache_dir\) to a writable directory/,
    );
  });
});

describe('offline (seed 000)', () => {
  test('not cached: the error names the cache path and the fixes, and nothing is requested', async () => {
    let message = '';
    try {
      await resolveModelDir('bert-base-uncased', options({ offline: true }));
    } catch (err) {
      message = (err as Error).message;
    }
    const cacheDir = path.join(temp.dir(), 'cache');
    expect(message).toContain(`2. Hugging Face cache: ${path.join(cacheDir, 'models--bert-base-uncased')} does not exist (not cached)`);
    expect(message).toContain('3. hub');
    expect(message).toContain('not contacted (offline: --offline)');
    expect(message).toContain('run `bertrun download bert-base-uncased` (with HF_ENDPOINT=<mirror> where the hub is blocked)');
    expect(hub.requests).toEqual([]);
  });

  test('cached: works with HF_HUB_OFFLINE=1 and no network at all; a missing file is listed', async () => {
    const online = await resolveModelDir('org/tiny-bert', options());
    hub.requests.length = 0;
    const saved = { offline: process.env.HF_HUB_OFFLINE, endpoint: process.env.HF_ENDPOINT };
    process.env.HF_HUB_OFFLINE = '1';
    process.env.HF_ENDPOINT = `http://127.0.0.1:${await freePort()}`; // nothing listens there
    try {
      const { offline: _o, endpoint: _e, ...fromEnv } = options();
      const { model } = await BertModel.fromPretrained('org/tiny-bert', 'sequence-classification', fromEnv);
      await model.dispose();
      expect(hub.requests).toEqual([]);
      fs.rmSync(path.join(online, 'vocab.txt'));
      await expect(BertTokenizer.fromPretrained('org/tiny-bert', fromEnv)).rejects.toThrow(
        /snapshot .* lacks tokenizer\.json or vocab\.txt[\s\S]*not contacted \(offline: HF_HUB_OFFLINE=1\)/,
      );
    } finally {
      for (const [name, value] of [
        ['HF_HUB_OFFLINE', saved.offline],
        ['HF_ENDPOINT', saved.endpoint],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  test('the hub unreachable: the cached snapshot is used with a one-line warning', async () => {
    const cached = await resolveModelDir('org/tiny-bert', options());
    const closedPort = await freePort(); // nothing listens there
    const dir = await resolveModelDir('org/tiny-bert', options({ endpoint: `http://127.0.0.1:${closedPort}` }));
    expect(dir).toBe(cached);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(
      /^bertrun: http:\/\/127\.0\.0\.1:\d+\/api\/models\/org\/tiny-bert\/revision\/main: ECONNREFUSED; using the cached snapshot [0-9a-f]{40} of org\/tiny-bert/,
    );
    expect(warnings[0]).not.toContain('\n');
  });
});
