// The hub stand-in checked against the reference client, Python's huggingface_hub: if it downloads,
// caches and raises exactly as against huggingface.co, tests of our own hub client can trust it.
// Python runs once (in beforeAll) with every check batched; raw HTTP checks cover what Python hides.
import { execFile } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { startHubStandIn, type HubStandIn } from '../helpers/hub_stand_in';
import { pythonPath } from '../helpers/python';

const execFileAsync = promisify(execFile);

const sha256 = (data: Buffer): string => crypto.createHash('sha256').update(data).digest('hex');
const gitBlobId = (data: Buffer): string => crypto.createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');

/** Deterministic bytes that differ per seed (stand-ins for weights). */
function weights(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed * 2654435761;
  for (let i = 0; i < length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

function modelFiles(version: number): Record<string, Buffer> {
  return {
    'config.json': Buffer.from('{"model_type": "bert", "hidden_size": 32}\n'),
    'vocab.txt': Buffer.from('[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\n'),
    '1_Pooling/config.json': Buffer.from('{"pooling_mode_mean_tokens": true}\n'),
    // git hash-object of "hello\n" is this well-known id: an independent check of the blob naming.
    'README.md': Buffer.from('hello\n'),
    'model.safetensors': weights(50_000 + version, version),
  };
}
const HELLO_GIT_ID = 'ce013625030ba8dba906f756967f9e9ca394464a';

// Each check returns a value or the exception's class, whether it is the expected one, and the status.
const PYTHON = `
import json, sys
from huggingface_hub import hf_hub_download, model_info, snapshot_download
from huggingface_hub.errors import EntryNotFoundError, GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError

a = json.loads(sys.argv[1])

def attempt(fn, expected):
    try:
        return {'returned': str(fn())}
    except Exception as e:
        response = getattr(e, 'response', None)
        return {'error': type(e).__name__, 'expected': isinstance(e, expected), 'status': getattr(response, 'status_code', None)}

out = {}
out['snapshot'] = snapshot_download('org/tiny-bert')
out['tagged'] = hf_hub_download('org/tiny-bert', 'model.safetensors', revision='v1')
out['by_hash'] = hf_hub_download('org/tiny-bert', 'model.safetensors', revision=a['older'])
info = model_info('org/tiny-bert', revision='v1', files_metadata=True)
out['info'] = {
    'sha': info.sha,
    'siblings': {s.rfilename: {'size': s.size, 'blob_id': s.blob_id, 'sha256': s.lfs.sha256 if s.lfs else None} for s in info.siblings},
}
out['missing_repo'] = attempt(lambda: hf_hub_download('org/no-such-bert', 'config.json'), RepositoryNotFoundError)
out['missing_repo_info'] = attempt(lambda: model_info('org/no-such-bert'), RepositoryNotFoundError)
out['missing_file'] = attempt(lambda: hf_hub_download('org/tiny-bert', 'no-such-file.json'), EntryNotFoundError)
out['missing_revision'] = attempt(lambda: hf_hub_download('org/tiny-bert', 'config.json', revision='no-such-branch'), RevisionNotFoundError)
out['gated_no_token'] = attempt(lambda: hf_hub_download('org/gated-bert', 'model.safetensors'), GatedRepoError)
out['gated_wrong_token'] = attempt(lambda: hf_hub_download('org/gated-bert', 'model.safetensors', token='hf_wrong'), GatedRepoError)
out['gated_info_no_token'] = model_info('org/gated-bert').gated
out['gated_token'] = hf_hub_download('org/gated-bert', 'model.safetensors', token=a['token'])
out['private_no_token'] = attempt(lambda: hf_hub_download('org/private-bert', 'config.json'), RepositoryNotFoundError)
out['private_wrong_token'] = attempt(lambda: model_info('org/private-bert', token='hf_wrong'), RepositoryNotFoundError)
out['private_token'] = hf_hub_download('org/private-bert', 'config.json', token=a['token'])
out['alias_config'] = hf_hub_download('org/old-bert', 'config.json')
out['alias_weights'] = hf_hub_download('org/old-bert', 'model.safetensors')
out['flaky'] = hf_hub_download('org/flaky-bert', 'model.safetensors')
print(json.dumps(out))
`;

interface Attempt {
  returned?: string;
  error?: string;
  expected?: boolean;
  status?: number | null;
}

interface PythonResult {
  snapshot: string;
  tagged: string;
  by_hash: string;
  info: { sha: string; siblings: Record<string, { size: number; blob_id: string; sha256: string | null }> };
  missing_repo: Attempt;
  missing_repo_info: Attempt;
  missing_file: Attempt;
  missing_revision: Attempt;
  gated_no_token: Attempt;
  gated_wrong_token: Attempt;
  gated_info_no_token: string | boolean;
  gated_token: string;
  private_no_token: Attempt;
  private_wrong_token: Attempt;
  private_token: string;
  alias_config: string;
  alias_weights: string;
  flaky: string;
}

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** False when the connection closed before the promised Content-Length arrived. */
  complete: boolean;
}

/** One request on its own connection (so a dropped one cannot affect the next), keeping a partial body. */
function request(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', () => undefined);
      res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete: res.complete }));
    });
    req.on('error', (err) => {
      if (!answered) reject(err);
    });
    req.end();
  });
}

let hub: HubStandIn;
let tmp: string;
let cache: string;
let py: PythonResult;
const commits = { v1: '', older: '', main: '', gated: '', flaky: '' };
const versions = { v1: modelFiles(1), older: modelFiles(2), main: modelFiles(3) };
const gatedWeights = weights(3000, 7);
// huggingface_hub keeps what it received only in whole 10 MiB chunks (DOWNLOAD_CHUNK_SIZE): to see it
// resume with a Range request, the connection must drop after the first chunk.
const PYTHON_CHUNK = 10 * 1024 * 1024;
const flakyWeights = weights(PYTHON_CHUNK + 5000, 8);
const flakyOid = sha256(flakyWeights);

beforeAll(async () => {
  tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-hub-')));
  cache = path.join(tmp, 'cache');
  hub = await startHubStandIn();
  commits.v1 = hub.addRepo('org/tiny-bert', versions.v1, { tag: 'v1' });
  commits.older = hub.addRepo('org/tiny-bert', versions.older);
  commits.main = hub.addRepo('org/tiny-bert', versions.main);
  commits.gated = hub.addRepo('org/gated-bert', { 'config.json': '{}', 'model.safetensors': gatedWeights }, { gated: true });
  hub.addRepo('org/private-bert', { 'config.json': '{"private": true}' }, { private: true });
  commits.flaky = hub.addRepo('org/flaky-bert', { 'model.safetensors': flakyWeights });
  hub.addAlias('org/old-bert', 'org/tiny-bert');
  hub.fault({ method: 'GET', path: new RegExp(`^/lfs-host/.*/${flakyOid}`) }, { dropAfterBytes: PYTHON_CHUNK });

  // Not a token or proxy from the developer's environment: only the stand-in, as configured here.
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(HF_|HUGGING_FACE_)|_proxy$/i.test(k)));
  Object.assign(env, {
    HF_ENDPOINT: hub.url,
    HF_HOME: path.join(tmp, 'home'),
    HF_HUB_CACHE: cache,
    HF_HUB_DISABLE_TELEMETRY: '1',
    HF_HUB_DISABLE_PROGRESS_BARS: '1',
    NO_PROXY: '127.0.0.1,localhost',
  });
  // Asynchronously: the stand-in answers on this process's event loop.
  try {
    const { stdout } = await execFileAsync(pythonPath(), ['-c', PYTHON, JSON.stringify({ older: commits.older, token: hub.token })], { env, timeout: 60_000 });
    py = JSON.parse(stdout) as PythonResult;
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(`huggingface_hub against the stand-in failed:\n${stderr}`, { cause: err });
  }
});

afterAll(async () => {
  await hub?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

const storage = (repo: string): string => path.join(cache, `models--${repo.replace('/', '--')}`);

test('snapshot_download builds the standard cache: refs/main, snapshot symlinks into blobs named by git sha1 or LFS sha256', () => {
  const repo = storage('org/tiny-bert');
  expect(fs.readFileSync(path.join(repo, 'refs', 'main'), 'utf8')).toBe(commits.main);
  expect(py.snapshot).toBe(path.join(repo, 'snapshots', commits.main));
  for (const [name, content] of Object.entries(versions.main)) {
    const link = path.join(repo, 'snapshots', commits.main, ...name.split('/'));
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    const blob = name === 'model.safetensors' ? sha256(content) : gitBlobId(content);
    expect(path.resolve(path.dirname(link), fs.readlinkSync(link))).toBe(path.join(repo, 'blobs', blob));
    expect(fs.readFileSync(link).equals(content)).toBe(true);
  }
  expect(fs.existsSync(path.join(repo, 'blobs', HELLO_GIT_ID))).toBe(true);

  // The LFS file came from the storage origin, without the token; the small ones straight from resolve.
  const weightsGet = hub.requests.find((r) => r.method === 'GET' && r.path.includes(sha256(versions.main['model.safetensors'])));
  expect(weightsGet).toEqual({
    method: 'GET',
    path: expect.stringMatching(/^\/lfs-host\/repos\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{64}\?download=true$/),
    status: 200,
  });
  const configGet = hub.requests.find((r) => r.method === 'GET' && r.path === `/org/tiny-bert/resolve/${commits.main}/1_Pooling/config.json`);
  expect(configGet?.status).toBe(200);
  expect(hub.requests.some((r) => r.path === `/api/models/org/tiny-bert/revision/main`)).toBe(true);
  expect(hub.requests.some((r) => r.path.startsWith(`/api/models/org/tiny-bert/tree/${commits.main}?recursive=`))).toBe(true);
});

test('hf_hub_download by tag and by the full hash of an older commit; model_info at a tag', () => {
  const repo = storage('org/tiny-bert');
  expect(py.tagged).toBe(path.join(repo, 'snapshots', commits.v1, 'model.safetensors'));
  expect(fs.readFileSync(py.tagged).equals(versions.v1['model.safetensors'])).toBe(true);
  expect(fs.readFileSync(path.join(repo, 'refs', 'v1'), 'utf8')).toBe(commits.v1);

  expect(py.by_hash).toBe(path.join(repo, 'snapshots', commits.older, 'model.safetensors'));
  expect(fs.readFileSync(py.by_hash).equals(versions.older['model.safetensors'])).toBe(true);
  expect(hub.requests.find((r) => r.method === 'HEAD' && r.path === `/org/tiny-bert/resolve/${commits.older}/model.safetensors`)?.status).toBe(302);
  expect(new Set([commits.v1, commits.older, commits.main]).size).toBe(3);

  expect(py.info.sha).toBe(commits.v1);
  const v1Weights = versions.v1['model.safetensors'];
  expect(py.info.siblings['model.safetensors']).toEqual({
    size: v1Weights.length,
    blob_id: expect.stringMatching(/^[0-9a-f]{40}$/),
    sha256: sha256(v1Weights),
  });
  expect(py.info.siblings['README.md']).toEqual({ size: 6, blob_id: HELLO_GIT_ID, sha256: null });
  expect(Object.keys(py.info.siblings).sort()).toEqual(Object.keys(versions.v1).sort());
});

test('errors raise the huggingface_hub exception classes; the token opens gated and private repos', () => {
  expect(py.missing_repo).toEqual({ error: 'RepositoryNotFoundError', expected: true, status: 404 });
  expect(py.missing_repo_info).toEqual({ error: 'RepositoryNotFoundError', expected: true, status: 404 });
  expect(py.missing_file).toEqual({ error: 'RemoteEntryNotFoundError', expected: true, status: 404 });
  expect(py.missing_revision).toEqual({ error: 'RevisionNotFoundError', expected: true, status: 404 });
  expect(py.gated_no_token).toEqual({ error: 'GatedRepoError', expected: true, status: 401 });
  expect(py.gated_wrong_token).toEqual({ error: 'GatedRepoError', expected: true, status: 403 });
  expect(py.private_no_token).toEqual({ error: 'RepositoryNotFoundError', expected: true, status: 401 });
  expect(py.private_wrong_token).toEqual({ error: 'RepositoryNotFoundError', expected: true, status: 401 });
  // As on huggingface.co, a gated repo's metadata is public; only its files need access.
  expect(py.gated_info_no_token).toBe('auto');

  expect(fs.readFileSync(py.gated_token).equals(gatedWeights)).toBe(true);
  expect(fs.readFileSync(py.private_token, 'utf8')).toBe('{"private": true}');
  // The missing file is remembered as such for the commit, as huggingface_hub does against the hub.
  expect(fs.existsSync(path.join(storage('org/tiny-bert'), '.no_exist', commits.main, 'no-such-file.json'))).toBe(true);

  // The token went to the hub's origin, never to storage.
  const gatedHead = hub.requests.filter((r) => r.method === 'HEAD' && r.path === '/org/gated-bert/resolve/main/model.safetensors');
  expect(gatedHead.map((r) => [r.authorization, r.status])).toEqual([
    [undefined, 401],
    ['Bearer hf_wrong', 403],
    [`Bearer ${hub.token}`, 302],
  ]);
  const gatedBlob = hub.requests.filter((r) => r.path.includes(sha256(gatedWeights)));
  expect(gatedBlob).toEqual([{ method: 'GET', path: expect.stringContaining('/lfs-host/'), status: 200 }]);
});

test('resolve answers: git files with ETag, X-Repo-Commit and ranges; LFS files as a 302 with X-Linked-*; API error codes', async () => {
  const readme = await request(`${hub.url}/org/tiny-bert/resolve/main/README.md`, { method: 'HEAD' });
  expect(readme.status).toBe(200);
  expect(readme.headers).toMatchObject({ etag: `"${HELLO_GIT_ID}"`, 'x-repo-commit': commits.main, 'content-length': '6', 'accept-ranges': 'bytes' });
  expect(readme.body.length).toBe(0);
  const vocab = await request(`${hub.url}/org/tiny-bert/resolve/v1/vocab.txt`, { headers: { Range: 'bytes=6-' } });
  expect(vocab.status).toBe(206);
  expect(vocab.headers['content-range']).toBe(`bytes 6-${versions.v1['vocab.txt'].length - 1}/${versions.v1['vocab.txt'].length}`);
  expect(vocab.body.equals(versions.v1['vocab.txt'].subarray(6))).toBe(true);

  const lfs = await request(`${hub.url}/org/tiny-bert/resolve/${commits.v1}/model.safetensors`, { method: 'HEAD' });
  const oid = sha256(versions.v1['model.safetensors']);
  expect(lfs.status).toBe(302);
  expect(lfs.headers).toMatchObject({
    location: `${hub.cdnUrl}/lfs-host/repos/${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}?download=true`,
    'x-linked-etag': `"${oid}"`,
    'x-linked-size': String(versions.v1['model.safetensors'].length),
    'x-repo-commit': commits.v1,
    'content-length': '0',
  });
  expect(lfs.headers.etag).toMatch(/^"[0-9a-f]{40}"$/);
  expect(Object.keys(lfs.headers).filter((h) => h.startsWith('x-xet'))).toEqual([]);

  const missing = await request(`${hub.url}/org/tiny-bert/resolve/main/nope.txt`);
  expect([missing.status, missing.headers['x-error-code'], missing.headers['x-repo-commit']]).toEqual([404, 'EntryNotFound', commits.main]);
  const noRepo = await request(`${hub.url}/api/models/org/nope`);
  expect([noRepo.status, noRepo.headers['x-error-code'], JSON.parse(noRepo.body.toString())]).toEqual([404, 'RepoNotFound', { error: 'Repository Not Found' }]);
  const noRev = await request(`${hub.url}/api/models/org/tiny-bert/revision/refs%2Fpr%2F1`);
  expect([noRev.status, noRev.headers['x-error-code']]).toEqual([404, 'RevisionNotFound']);
  const byHash = await request(`${hub.url}/api/models/org/tiny-bert/revision/${commits.older}?expand=sha`);
  expect(JSON.parse(byHash.body.toString())).toMatchObject({
    id: 'org/tiny-bert',
    modelId: 'org/tiny-bert',
    sha: commits.older,
    private: false,
    disabled: false,
  });
});

test('dropAfterBytes cuts a storage GET short; a Range request then gets the rest', async () => {
  const content = versions.older['model.safetensors'];
  const head = await request(`${hub.url}/org/tiny-bert/resolve/${commits.older}/model.safetensors`, { method: 'HEAD' });
  const location = String(head.headers.location);
  hub.fault({ method: 'GET', path: /^\/lfs-host\// }, { dropAfterBytes: 4096 });

  const cut = await request(location);
  expect(cut.status).toBe(200);
  expect(cut.headers['content-length']).toBe(String(content.length));
  expect(cut.complete).toBe(false);
  expect(cut.body.length).toBe(4096);

  const rest = await request(location, { headers: { Range: `bytes=${cut.body.length}-` } });
  expect(rest.status).toBe(206);
  expect(rest.headers['content-range']).toBe(`bytes 4096-${content.length - 1}/${content.length}`);
  expect(rest.headers).toMatchObject({ etag: `"${sha256(content)}"`, 'accept-ranges': 'bytes' });
  expect(rest.headers['x-repo-commit']).toBeUndefined();
  expect(sha256(Buffer.concat([cut.body, rest.body]))).toBe(sha256(content));

  const middle = await request(location, { headers: { Range: 'bytes=10-19' } });
  expect([middle.status, middle.headers['content-range'], middle.body.equals(content.subarray(10, 20))]).toEqual([206, `bytes 10-19/${content.length}`, true]);

  // huggingface_hub resumed its own cut download the same way.
  const flaky = hub.requests.filter((r) => r.path.includes(flakyOid));
  expect(flaky.map((r) => [r.method, r.range, r.status])).toEqual([
    ['GET', undefined, 200],
    ['GET', `bytes=${PYTHON_CHUNK}-`, 206],
  ]);
  expect(fs.readFileSync(py.flaky).equals(flakyWeights)).toBe(true);
});

test('a 429 fault with Retry-After answers once, then the normal answer; corrupt and delay faults', async () => {
  const info = `${hub.url}/api/models/org/tiny-bert`;
  hub.fault({ path: /^\/api\/models\/org\/tiny-bert$/ }, { status: 429, retryAfter: 2 });
  const limited = await request(info);
  expect([limited.status, limited.headers['retry-after']]).toEqual([429, '2']);
  expect(JSON.parse(limited.body.toString())).toEqual({ error: expect.stringContaining('429') });
  const normal = await request(info);
  expect(normal.status).toBe(200);
  expect(JSON.parse(normal.body.toString()).sha).toBe(commits.main);

  const url = `${hub.url}/org/tiny-bert/resolve/main/vocab.txt`;
  hub.fault({ method: 'GET', path: /vocab\.txt/ }, { corrupt: true });
  const bad = await request(url);
  expect(bad.status).toBe(200);
  expect(bad.body.length).toBe(versions.main['vocab.txt'].length);
  expect(bad.body.equals(versions.main['vocab.txt'])).toBe(false);
  expect((await request(url)).body.equals(versions.main['vocab.txt'])).toBe(true);

  hub.fault({ path: /vocab\.txt/ }, { delayMs: 300 }, 2);
  const started = Date.now();
  const [a, b] = await Promise.all([request(url, { method: 'HEAD' }), request(url, { method: 'HEAD' })]);
  expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  expect([a.status, b.status]).toEqual([200, 200]);
});

test('a renamed repo: resolve answers a relative 307, huggingface_hub follows it; the API answers for the new name', async () => {
  expect(fs.readFileSync(py.alias_config).equals(versions.main['config.json'])).toBe(true);
  expect(fs.readFileSync(py.alias_weights).equals(versions.main['model.safetensors'])).toBe(true);
  expect(py.alias_weights).toBe(path.join(storage('org/old-bert'), 'snapshots', commits.main, 'model.safetensors'));
  expect(hub.requests.find((r) => r.method === 'HEAD' && r.path === '/org/old-bert/resolve/main/config.json')?.status).toBe(307);

  const moved = await request(`${hub.url}/org/old-bert/resolve/refs%2Fpr%2F1/1_Pooling/config.json`, { method: 'HEAD' });
  expect([moved.status, moved.headers.location]).toEqual([307, '/org/tiny-bert/resolve/refs%2Fpr%2F1/1_Pooling/config.json']);
  const info = await request(`${hub.url}/api/models/org/old-bert`);
  expect(JSON.parse(info.body.toString())).toMatchObject({ id: 'org/tiny-bert', sha: commits.main });
});

test('addRepoFromDir takes nested files; other branches; the tree listing, flat and recursive', async () => {
  const dir = path.join(tmp, 'from-dir');
  fs.mkdirSync(path.join(dir, '1_Pooling'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config.json'), '{"a": 1}');
  fs.writeFileSync(path.join(dir, '1_Pooling', 'config.json'), '{"b": 2}');
  const main = hub.addRepoFromDir('org/from-dir', dir);
  const dev = hub.addRepo('org/from-dir', { 'config.json': '{"a": 2}' }, { branch: 'dev/next' });

  const nested = await request(`${hub.url}/org/from-dir/resolve/main/1_Pooling/config.json`);
  expect([nested.status, nested.body.toString(), nested.headers['x-repo-commit']]).toEqual([200, '{"b": 2}', main]);
  const onBranch = await request(`${hub.url}/org/from-dir/resolve/dev%2Fnext/config.json`);
  expect([onBranch.status, onBranch.body.toString(), onBranch.headers['x-repo-commit']]).toEqual([200, '{"a": 2}', dev]);

  const flat = JSON.parse((await request(`${hub.url}/api/models/org/from-dir/tree/main`)).body.toString()) as Array<{ type: string; path: string }>;
  expect(flat.map((e) => [e.type, e.path])).toEqual([
    ['directory', '1_Pooling'],
    ['file', 'config.json'],
  ]);
  const deep = JSON.parse((await request(`${hub.url}/api/models/org/from-dir/tree/main?recursive=true`)).body.toString()) as Array<{
    type: string;
    path: string;
    oid: string;
  }>;
  expect(deep.map((e) => [e.type, e.path])).toEqual([
    ['directory', '1_Pooling'],
    ['file', '1_Pooling/config.json'],
    ['file', 'config.json'],
  ]);
  expect(deep[2].oid).toBe(gitBlobId(Buffer.from('{"a": 1}')));
});
