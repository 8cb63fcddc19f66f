// Hugging Face model names on the command line, against a loopback stand-in of the hub: train with
// --model_name_or_path / --tokenizer_name / --config_name naming three repos, eval and serve a name
// (results never written into the cache), --offline, and the download / cache / convert commands,
// each checked on files, exit codes and message text.
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readSafetensors } from '../../lib/io/safetensors';
import { BertModel } from '../../lib/models/bert_model';
import { pipeline } from '../../lib/serving/pipeline';
import { CLI, freePort, requireCompiledCli, waitFor, writeSentenceTask, writeTinyModel } from '../helpers/ddp_run';
import { startHubStandIn, type HubStandIn } from '../helpers/hub_stand_in';
import { runPythonScript } from '../helpers/python_script';
import { LABELS, get, maxDifference, post, writeClassifier } from '../helpers/served_models';
import { maxAbsDiff } from '../helpers/tensors';

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  stderr: () => string;
  done: Promise<Finished>;
}

interface RunOptions {
  /** HF_HUB_CACHE of the run. */
  cache: string;
  cwd?: string;
  env?: Record<string, string>;
}

interface ConvertFixture {
  input_ids: number[][];
  logits: number[];
}

interface LabelScore {
  label: string;
  score: number;
}

interface CacheListing {
  cacheDir: string;
  repos: Array<{ repoId: string; dir: string; bytesOnDisk: number; revisions: Array<{ commit: string; refs: string[]; files: string[]; bytes: number }> }>;
}

// What a test run inherits must not decide where models come from: its own hub, cache and token.
const INHERITED_OUT =
  /^(HF_TOKEN|HF_TOKEN_PATH|HUGGING_FACE_HUB_TOKEN|HF_HUB_OFFLINE|TRANSFORMERS_OFFLINE|HF_ENDPOINT|HF_HOME|HF_HUB_CACHE|HUGGINGFACE_HUB_CACHE|RANK|LOCAL_RANK|WORLD_SIZE|LOCAL_WORLD_SIZE|GROUP_RANK|MASTER_ADDR|MASTER_PORT|TORCHELASTIC_.*)$/;
const MODEL_SET = ['config.json', 'model.safetensors', 'tokenizer_config.json', 'vocab.txt'];
const TRAIN_FLAGS = [
  '--text_column',
  'sentence',
  '--text_pair_column',
  'none',
  '--per_device_train_batch_size',
  '16',
  '--save_strategy',
  'no',
  '--report_to',
  'none',
];

let hub: HubStandIn;
let root: string;
/** The cache train, eval, serve and the offline runs share. */
let sharedCache: string;
let tinyFiles: Record<string, Buffer>;
let tinyCommit: string;
let tokVocab: Buffer;
let clsDir: string;
let clsCommit: string;
let trainedDir: string;
let trainRun: Finished;
let trainRequests: string[];
let convertFixture: ConvertFixture;
let binOnlyFiles: string[];
let trainFile: string;
let devFile: string;

function start(args: readonly string[], options: RunOptions): Running {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !INHERITED_OUT.test(name)));
  const env = {
    ...inherited,
    HF_ENDPOINT: hub.url,
    HF_HUB_CACHE: options.cache,
    HF_HOME: path.join(root, 'hf-home'),
    HF_HUB_DISABLE_PROGRESS_BARS: '1',
    BERTRUN_NUM_THREADS: '1',
    ...options.env,
  };
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<Finished>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, stderr: () => stderr, done };
}

const bertrun = (args: readonly string[], options: RunOptions): Promise<Finished> => start(args, options).done;

/** The exit code with the output, so a failure shows what the command said. */
const outcome = (run: Finished): { code: number | null; output: string } => ({ code: run.code, output: `${run.stdout}\n${run.stderr}`.slice(-3000) });
const succeeded = { code: 0, output: expect.any(String) as string };

/** Files under dir, relative with '/', sorted (symlinks listed, not followed). */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (sub: string): void => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  walk('');
  return out.sort();
}

const filesOf = (dir: string): Record<string, Buffer> => Object.fromEntries(listFiles(dir).map((f) => [f, fs.readFileSync(path.join(dir, f))]));
const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const snapshotDir = (cache: string, repoId: string, commit: string): string => path.join(cache, `models--${repoId.replace('/', '--')}`, 'snapshots', commit);
const lfsGets = (from: number): string[] =>
  hub.requests
    .slice(from)
    .filter((r) => r.method === 'GET' && r.path.startsWith('/lfs-host/'))
    .map((r) => r.path);
const newCache = (name: string): string => path.join(root, 'caches', name);

beforeAll(async () => {
  requireCompiledCli();
  hub = await startHubStandIn();
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-hub-cli-')));
  sharedCache = path.join(root, 'cache');

  // org/tiny: a base model plus files bertrun never loads; org/tok: a tokenizer alone, its words
  // in another order; org/cfg: config.json alone, with other labels and dropout.
  const tinyDir = path.join(root, 'src', 'tiny');
  await writeTinyModel(tinyDir);
  tinyFiles = { ...filesOf(tinyDir), 'README.md': Buffer.from('# tiny\n'), 'tf_model.h5': Buffer.alloc(2048, 1) };
  tinyCommit = hub.addRepo('org/tiny', tinyFiles);
  const vocab = String(tinyFiles['vocab.txt']).trim().split('\n');
  tokVocab = Buffer.from([...vocab.slice(0, 5), ...vocab.slice(5).reverse()].join('\n') + '\n');
  hub.addRepo('org/tok', { 'vocab.txt': tokVocab, 'tokenizer_config.json': JSON.stringify({ do_lower_case: true }) });
  const config = JSON.parse(String(tinyFiles['config.json'])) as Record<string, unknown>;
  hub.addRepo('org/cfg', {
    'config.json': JSON.stringify({ ...config, hidden_dropout_prob: 0.25, id2label: { 0: 'yes', 1: 'no' }, label2id: { yes: 0, no: 1 } }),
  });

  trainFile = path.join(root, 'train.tsv');
  devFile = path.join(root, 'dev.tsv');
  writeSentenceTask(trainFile, 64, 1);
  writeSentenceTask(devFile, 40, 2);

  // The one training run of the file; its output is org/finetuned for eval and the offline runs.
  trainedDir = path.join(root, 'trained');
  const before = hub.requests.length;
  trainRun = await bertrun(
    [
      'train',
      '--model_name_or_path',
      'org/tiny',
      '--tokenizer_name',
      'org/tok',
      '--config_name',
      'org/cfg',
      '--train_file',
      trainFile,
      '--output_dir',
      trainedDir,
      '--max_steps',
      '3',
      ...TRAIN_FLAGS,
    ],
    { cache: sharedCache },
  );
  trainRequests = hub.requests.slice(before).map((r) => `${r.method} ${r.path}`);
  if (trainRun.code === 0) hub.addRepoFromDir('org/finetuned', trainedDir);

  clsDir = path.join(root, 'src', 'cls');
  await writeClassifier(clsDir);
  clsCommit = hub.addRepoFromDir('org/tiny-cls', clsDir);

  // A repo whose only weights are a pytorch_model.bin (transformers 4's torch.save).
  const binRoot = path.join(root, 'src', 'bin');
  convertFixture = JSON.parse(runPythonScript('convert_reference.py', ['make', binRoot])) as ConvertFixture;
  hub.addRepoFromDir('org/bin-only', path.join(binRoot, 'single'));
  binOnlyFiles = listFiles(path.join(binRoot, 'single'));
}, 120_000);

afterAll(async () => {
  await hub?.close();
  if (root) fs.rmSync(root, { recursive: true, force: true });
});

test('train: --model_name_or_path, --tokenizer_name and --config_name as hub names; each repo gives only its part', () => {
  expect(outcome(trainRun)).toEqual(succeeded);
  expect(trainRun.stderr).not.toContain('warning');
  // The weights came from org/tiny, the tokenizer from org/tok, config.json from org/cfg.
  const out = readJson<Record<string, unknown>>(path.join(trainedDir, 'config.json'));
  expect(out.hidden_dropout_prob).toBe(0.25);
  expect(out.id2label).toEqual({ 0: 'yes', 1: 'no' });
  expect(out.label2id).toEqual({ yes: 0, no: 1 });
  expect(out.architectures).toEqual(['BertForSequenceClassification']);
  expect(fs.readFileSync(path.join(trainedDir, 'vocab.txt'))).toEqual(tokVocab);
  const tensors = new Map(readSafetensors(path.join(trainedDir, 'model.safetensors')).tensors.map((t) => [t.name, t.shape]));
  expect(tensors.get('classifier.weight')).toEqual([2, 32]);
  expect(tensors.get('bert.embeddings.word_embeddings.weight')).toEqual([21, 32]);
  const history = readJson<{ log_history: Array<Record<string, number>> }>(path.join(trainedDir, 'trainer_state.json')).log_history;
  expect(history.filter((e) => 'loss' in e).map((e) => e.step)).toEqual([3]);

  // The cache holds the three repos, each with its own files only; nothing of the output.
  const commits = (id: string): string[] => fs.readdirSync(path.join(sharedCache, `models--${id.replace('/', '--')}`, 'snapshots'));
  expect(commits('org/tiny')).toEqual([tinyCommit]);
  expect(listFiles(snapshotDir(sharedCache, 'org/tiny', tinyCommit))).toEqual(MODEL_SET);
  expect(listFiles(snapshotDir(sharedCache, 'org/tok', commits('org/tok')[0]))).toEqual(['tokenizer_config.json', 'vocab.txt']);
  expect(listFiles(snapshotDir(sharedCache, 'org/cfg', commits('org/cfg')[0]))).toEqual(['config.json']);
  const fetched = trainRequests.filter((r) => r.startsWith('GET ') && r.includes('/resolve/')).map((r) => r.replace(/\/resolve\/[0-9a-f]{40}\//, ':'));
  expect(fetched.sort()).toEqual([
    'GET /org/cfg:config.json',
    'GET /org/tiny:config.json',
    'GET /org/tiny:tokenizer_config.json',
    'GET /org/tiny:vocab.txt',
    'GET /org/tok:tokenizer_config.json',
    'GET /org/tok:vocab.txt',
  ]);
  expect(trainRequests.filter((r) => r.includes('README') || r.includes('tf_model'))).toEqual([]);
});

test('eval of a hub name without --output_dir: results under ./bertrun-results/org--finetuned/eval-*/, nothing written into the cache', async () => {
  const cwd = path.join(root, 'eval-cwd');
  fs.mkdirSync(cwd);
  const run = await bertrun(['eval', '--model_name_or_path', 'org/finetuned', '--validation_file', devFile], { cache: sharedCache, cwd });
  expect(outcome(run)).toEqual(succeeded);
  const base = path.join(cwd, 'bertrun-results', 'org--finetuned');
  const [stamped, ...others] = fs.readdirSync(base);
  expect(others).toEqual([]);
  expect(stamped).toMatch(/^eval-\d{8}-\d{6}$/);
  expect(run.stderr).toContain(`no --output_dir: eval results go to ${path.join(base, stamped)}\n`);
  expect(listFiles(path.join(base, stamped))).toEqual(['all_results.json', 'eval_results.json', 'eval_results.txt']);
  const metrics = readJson<Record<string, number>>(path.join(base, stamped, 'eval_results.json'));
  expect(Object.keys(metrics).sort()).toEqual(['eval_accuracy', 'eval_loss', 'eval_macro_f1', 'eval_runtime', 'eval_samples_per_second']);
  // 40 examples: a whole number of them right.
  expect(metrics.eval_accuracy * 40).toBeCloseTo(Math.round(metrics.eval_accuracy * 40), 9);
  expect(Number.isFinite(metrics.eval_loss)).toBe(true);
  // The data settings the training run remembered came from the snapshot's config.json.
  const repo = path.join(sharedCache, 'models--org--finetuned');
  const [commit] = fs.readdirSync(path.join(repo, 'snapshots'));
  const snapshot = snapshotDir(sharedCache, 'org/finetuned', commit);
  expect(run.stderr).toContain(`settings remembered in ${path.join(snapshot, 'config.json')}`);
  // The snapshot holds the downloaded files as links into blobs/, and nothing else is in the repo folder.
  // What a trained output directory holds that bertrun loads (not trainer_state.json, training_args.json, ...).
  const loaded = ['config.json', 'model.safetensors', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'vocab.txt'];
  expect(listFiles(trainedDir)).toEqual(expect.arrayContaining([...loaded, 'trainer_state.json']));
  expect(listFiles(snapshot)).toEqual(loaded);
  for (const file of listFiles(snapshot)) expect(fs.lstatSync(path.join(snapshot, file)).isSymbolicLink()).toBe(true);
  expect(listFiles(repo).filter((f) => !f.startsWith('blobs/') && !f.startsWith('snapshots/'))).toEqual(['refs/main']);
  expect(listFiles(path.join(repo, 'blobs'))).toHaveLength(loaded.length);
  expect(listFiles(cwd).filter((f) => !f.startsWith('bertrun-results/'))).toEqual([]);
});

test('serve a hub name: answers POST / as the pipeline on the same model, /info names the snapshot, SIGTERM exits 0', async () => {
  const server = start(['serve', '--model_name_or_path', 'org/tiny-cls', '--port', '0', '--log_level', 'warn'], { cache: sharedCache });
  try {
    let url = '';
    await waitFor(
      () => {
        url = /listening on (http:\/\/\S+)/.exec(server.stderr())?.[1] ?? '';
        return url !== '' || server.child.exitCode !== null;
      },
      60,
      'bertrun serve to listen',
    );
    expect({ url, stderr: server.stderr() }).toEqual({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), stderr: expect.any(String) });
    expect(server.stderr()).toContain('task text-classification (config.json architectures[0] is BertForSequenceClassification');
    expect(server.stderr()).toContain('(text-classification from org/tiny-cls)');
    const info = JSON.parse((await get(`${url}/info`)).text) as Record<string, unknown>;
    expect(info.model_dir).toBe(snapshotDir(sharedCache, 'org/tiny-cls', clsCommit));

    const answer = await post(`${url}/`, { inputs: 'the cat eats a fish', parameters: { top_k: null } });
    expect(answer.status).toBe(200);
    const scores = answer.body as LabelScore[];
    expect(scores.map((s) => s.label).sort()).toEqual([...LABELS].sort());
    const local = await pipeline('text-classification', clsDir);
    try {
      expect(maxDifference(scores, await local('the cat eats a fish', { top_k: null }))).toBeLessThan(1e-6);
    } finally {
      await local.dispose();
    }
  } finally {
    server.child.kill('SIGTERM');
  }
  const finished = await server.done;
  expect({ code: finished.code, signal: finished.signal }).toEqual({ code: 0, signal: null });
  expect(finished.stderr).toContain('bertrun serve: stopped');
});

test('offline: a cached name runs with the hub unreachable; an uncached one exits 1 naming the cache path and `bertrun download`', async () => {
  const download = await bertrun(['download', 'org/finetuned'], { cache: sharedCache });
  expect(outcome(download)).toEqual(succeeded);
  const closed = { HF_ENDPOINT: `http://127.0.0.1:${await freePort()}` }; // nothing listens there

  const out = path.join(root, 'offline-eval');
  const cached = await bertrun(['eval', '--model_name_or_path', 'org/finetuned', '--validation_file', devFile, '--output_dir', out, '--offline'], {
    cache: sharedCache,
    env: closed,
  });
  expect(outcome(cached)).toEqual(succeeded);
  // The same model and data as an online evaluation: the same figures.
  const online = path.join(root, 'online-eval');
  expect(
    outcome(await bertrun(['eval', '--model_name_or_path', 'org/finetuned', '--validation_file', devFile, '--output_dir', online], { cache: sharedCache })),
  ).toEqual(succeeded);
  const figures = (dir: string): number[] => {
    const m = readJson<Record<string, number>>(path.join(dir, 'eval_results.json'));
    return [m.eval_loss, m.eval_accuracy];
  };
  expect(figures(out)).toEqual(figures(online));
  // Offline means not even trying: no "hub unreachable, using the cache" warning.
  expect(cached.stderr).not.toMatch(/ECONNREFUSED|using the cached snapshot/);

  const uncached = await bertrun(['eval', '--model_name_or_path', 'org/never-cached', '--validation_file', devFile, '--offline'], {
    cache: sharedCache,
    env: closed,
  });
  expect(uncached.code).toBe(1);
  expect(uncached.stderr).toContain('bertrun eval: cannot load "org/never-cached" (revision main); tried, in order:');
  expect(uncached.stderr).toContain(`Hugging Face cache: ${path.join(sharedCache, 'models--org--never-cached')} does not exist (not cached)`);
  expect(uncached.stderr).toContain('not contacted (offline: --offline)');
  expect(uncached.stderr).toContain('run `bertrun download org/never-cached`');
  expect(fs.existsSync(path.join(root, 'bertrun-results'))).toBe(false);

  // The environment variable does the same for serve.
  const served = await bertrun(['serve', '--model_name_or_path', 'org/never-cached', '--port', '0'], {
    cache: sharedCache,
    env: { ...closed, HF_HUB_OFFLINE: '1' },
  });
  expect(served.code).toBe(1);
  expect(served.stderr).toContain(`${path.join(sharedCache, 'models--org--never-cached')} does not exist (not cached)`);
  expect(served.stderr).toContain('not contacted (offline: HF_HUB_OFFLINE=1)');
  expect(served.stderr).toContain('`bertrun download org/never-cached`');
});

test('download: the snapshot path alone on stdout; --local_dir a plain copy; named files only; a missing file lists the repo; --all', async () => {
  const cache = newCache('download');
  const snapshot = snapshotDir(cache, 'org/tiny', tinyCommit);
  const plain = await bertrun(['download', 'org/tiny'], { cache });
  expect(outcome(plain)).toEqual(succeeded);
  expect(plain.stdout).toBe(`${snapshot}\n`);
  expect(plain.stderr).toContain(`bertrun download: org/tiny at ${tinyCommit}: 4 file(s) in ${snapshot}`);
  expect(listFiles(snapshot)).toEqual(MODEL_SET);
  for (const file of MODEL_SET) expect(fs.readFileSync(path.join(snapshot, file))).toEqual(tinyFiles[file]);

  // --local_dir: real files with the repo's bytes, not links into the cache, and independent of it.
  const local = path.join(root, 'local-tiny');
  const placed = await bertrun(['download', 'org/tiny', '--local_dir', local], { cache });
  expect(outcome(placed)).toEqual(succeeded);
  expect(placed.stdout).toBe(`${local}\n`);
  expect(listFiles(local)).toEqual(MODEL_SET);
  for (const file of MODEL_SET) {
    const stat = fs.lstatSync(path.join(local, file));
    expect({ file, isFile: stat.isFile(), links: stat.nlink }).toEqual({ file, isFile: true, links: 1 });
    expect(fs.readFileSync(path.join(local, file))).toEqual(tinyFiles[file]);
  }
  fs.appendFileSync(path.join(local, 'vocab.txt'), 'zebra\n');
  expect(fs.readFileSync(path.join(snapshot, 'vocab.txt'))).toEqual(tinyFiles['vocab.txt']);

  // Named files: those and nothing else (no weights fetched).
  const namedCache = newCache('named');
  const before = hub.requests.length;
  const named = await bertrun(['download', 'org/tiny', 'vocab.txt', 'config.json'], { cache: namedCache });
  expect(outcome(named)).toEqual(succeeded);
  expect(named.stdout).toBe(`${snapshotDir(namedCache, 'org/tiny', tinyCommit)}\n`);
  expect(listFiles(snapshotDir(namedCache, 'org/tiny', tinyCommit))).toEqual(['config.json', 'vocab.txt']);
  expect(lfsGets(before)).toEqual([]);

  const missing = await bertrun(['download', 'org/tiny', 'missing.txt'], { cache: namedCache });
  expect(missing.code).toBe(1);
  expect(missing.stdout).toBe('');
  expect(missing.stderr).toContain('org/tiny at main has no missing.txt; its files: ');
  const listed = /its files: ([^\n]*)/.exec(missing.stderr)?.[1].split(', ').sort();
  expect(listed).toEqual(Object.keys(tinyFiles).sort());
  expect(missing.stderr).toContain("Fix: check the file names against org/tiny's files listed above");

  const everything = await bertrun(['download', 'org/tiny', '--all'], { cache: namedCache });
  expect(outcome(everything)).toEqual(succeeded);
  expect(everything.stderr).toContain(`org/tiny at ${tinyCommit}: 6 file(s)`);
  const all = snapshotDir(namedCache, 'org/tiny', tinyCommit);
  expect(listFiles(all)).toEqual(Object.keys(tinyFiles).sort());
  for (const [file, content] of Object.entries(tinyFiles)) expect(fs.readFileSync(path.join(all, file))).toEqual(content);
});

test('cache list (table and --json bytes), remove one revision keeping shared blobs, remove a repo, an unknown name', async () => {
  const cache = newCache('list');
  const oldCommit = hub.addRepo('org/cached', tinyFiles);
  const config2 = Buffer.from(JSON.stringify({ ...JSON.parse(String(tinyFiles['config.json'])), hidden_dropout_prob: 0.5 }));
  const mainCommit = hub.addRepo('org/cached', { ...tinyFiles, 'config.json': config2 });
  for (const args of [['org/cached', '--revision', oldCommit], ['org/cached'], ['org/tiny']]) {
    expect(outcome(await bertrun(['download', ...args], { cache }))).toEqual(succeeded);
  }
  const repoDir = path.join(cache, 'models--org--cached');
  const blobOf = (commit: string, file: string): string => fs.realpathSync(path.join(snapshotDir(cache, 'org/cached', commit), file));
  const oldConfigBlob = blobOf(oldCommit, 'config.json');
  const shared = ['model.safetensors', 'tokenizer_config.json', 'vocab.txt'].map((f) => blobOf(mainCommit, f));
  expect(shared).toEqual(['model.safetensors', 'tokenizer_config.json', 'vocab.txt'].map((f) => blobOf(oldCommit, f)));
  // Five distinct blobs: two configs, the rest shared by both commits.
  const bytes = [tinyFiles['config.json'], config2, ...['model.safetensors', 'tokenizer_config.json', 'vocab.txt'].map((f) => tinyFiles[f])].reduce(
    (sum, b) => sum + b.length,
    0,
  );
  expect(fs.readdirSync(path.join(repoDir, 'blobs'))).toHaveLength(5);

  const table = await bertrun(['cache', 'list'], { cache });
  expect(outcome(table)).toEqual(succeeded);
  const lines = table.stdout.trimEnd().split('\n');
  expect(lines[0]).toMatch(/^REPO ID +SIZE ON DISK +REVISIONS +FILES +LAST MODIFIED +PATH$/);
  const row = lines.find((l) => l.startsWith('org/cached '));
  expect(row).toEqual(expect.stringMatching(/^org\/cached +\d/));
  expect(row).toContain(` ${(bytes / 1e3).toFixed(1)} kB `);
  expect(row).toContain(`${mainCommit.slice(0, 8)} (main)`);
  expect(row).toContain(`${oldCommit.slice(0, 8)}`);
  expect(row!.endsWith(repoDir)).toBe(true);
  expect(lines.some((l) => l.startsWith('org/tiny '))).toBe(true);
  expect(lines[lines.length - 1]).toMatch(new RegExp(`^2 model\\(s\\), [\\d.]+ kB in ${cache.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));

  const json = await bertrun(['cache', 'list', '--json'], { cache });
  expect(outcome(json)).toEqual(succeeded);
  const listing = JSON.parse(json.stdout) as CacheListing;
  expect(listing.cacheDir).toBe(cache);
  const cached = listing.repos.find((r) => r.repoId === 'org/cached');
  expect(cached?.bytesOnDisk).toBe(bytes);
  expect(cached?.dir).toBe(repoDir);
  const revisions = Object.fromEntries((cached?.revisions ?? []).map((r) => [r.commit, { refs: r.refs, files: [...r.files].sort() }]));
  expect(revisions).toEqual({ [mainCommit]: { refs: ['main'], files: MODEL_SET }, [oldCommit]: { refs: [], files: MODEL_SET } });
  expect(listing.repos.map((r) => r.repoId).sort()).toEqual(['org/cached', 'org/tiny']);

  const oneRevision = await bertrun(['cache', 'remove', 'org/cached', '--revision', oldCommit], { cache });
  expect(outcome(oneRevision)).toEqual(succeeded);
  expect(oneRevision.stdout).toBe(`removed org/cached at ${oldCommit}: ${tinyFiles['config.json'].length} B freed (2 path(s))\n`);
  expect(fs.existsSync(oldConfigBlob)).toBe(false);
  expect(fs.existsSync(snapshotDir(cache, 'org/cached', oldCommit))).toBe(false);
  for (const blob of shared) expect(fs.existsSync(blob)).toBe(true);
  expect(fs.readdirSync(path.join(repoDir, 'blobs'))).toHaveLength(4);
  const kept = snapshotDir(cache, 'org/cached', mainCommit);
  expect(fs.readFileSync(path.join(kept, 'config.json'))).toEqual(config2);
  for (const file of ['model.safetensors', 'tokenizer_config.json', 'vocab.txt']) expect(fs.readFileSync(path.join(kept, file))).toEqual(tinyFiles[file]);

  const whole = await bertrun(['cache', 'remove', 'org/cached'], { cache });
  expect(outcome(whole)).toEqual(succeeded);
  expect(whole.stdout).toMatch(/^removed org\/cached: [\d.]+ kB freed \(1 path\(s\)\)\n$/);
  expect(fs.existsSync(repoDir)).toBe(false);
  expect(fs.readdirSync(cache).filter((f) => f.startsWith('models--'))).toEqual(['models--org--tiny']);

  const unknown = await bertrun(['cache', 'remove', 'org/nope'], { cache });
  expect(unknown.code).toBe(1);
  expect(unknown.stderr).toContain(`bertrun cache: org/nope is not in the cache ${cache} (models--org--nope does not exist); cached: org/tiny`);
});

test('convert a hub repo holding only pytorch_model.bin: --output_dir gets model.safetensors and the other files; without it, a refusal naming --output_dir', async () => {
  const cache = newCache('convert');
  const out = path.join(root, 'converted');
  const run = await bertrun(['convert', 'org/bin-only', '--output_dir', out], { cache });
  expect(outcome(run)).toEqual(succeeded);
  expect(run.stdout).toMatch(
    new RegExp(`^bertrun convert: wrote ${path.join(out, 'model.safetensors')} \\(44 tensors, [\\d.]+ kB\\); copied 5 other model file\\(s\\)\\n$`),
  );
  expect(listFiles(out)).toEqual(['1_Pooling/config.json', 'config.json', 'model.safetensors', 'modules.json', 'tokenizer_config.json', 'vocab.txt']);
  const source = path.join(root, 'src', 'bin', 'single');
  for (const file of ['1_Pooling/config.json', 'config.json', 'modules.json', 'tokenizer_config.json', 'vocab.txt']) {
    expect(fs.lstatSync(path.join(out, file)).isFile()).toBe(true);
    expect(fs.readFileSync(path.join(out, file))).toEqual(fs.readFileSync(path.join(source, file)));
  }
  expect(readSafetensors(path.join(out, 'model.safetensors')).metadata).toEqual({ format: 'pt' });
  // The converted weights are the model Python saved: same logits.
  const { model, report } = await BertModel.fromPretrained(out, 'masked-lm', { tokenizer: false, strict: true });
  try {
    expect(report).toEqual({ missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
    const ids = convertFixture.input_ids[0];
    const { outputs } = await model.forward({ shape: [1, ids.length], inputIds: Int32Array.from(ids), attentionMask: new Int32Array(ids.length).fill(1) });
    expect(maxAbsDiff(outputs.logits.data, Float32Array.from(convertFixture.logits))).toBeLessThanOrEqual(1e-5);
  } finally {
    await model.dispose();
  }
  // The cache got the files bertrun loads (never .gitattributes), and no model.safetensors.
  const snapshots = path.join(cache, 'models--org--bin-only', 'snapshots');
  const [commit] = fs.readdirSync(snapshots);
  expect(listFiles(path.join(snapshots, commit))).toEqual(binOnlyFiles.filter((f) => f !== '.gitattributes'));

  const refused = await bertrun(['convert', 'org/bin-only'], { cache });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain('bertrun convert: org/bin-only is not a local directory');
  expect(refused.stderr).toContain('pass --output_dir');
  expect(listFiles(path.join(snapshots, commit))).not.toContain('model.safetensors');
});

test('eval of an uncached hub name picks the task its config.json remembers (only config.json fetched to choose)', async () => {
  const config = JSON.parse(String(tinyFiles['config.json'])) as Record<string, unknown>;
  const remembered = { ...config, task_specific_params: { bertrun: { task: 'token-classification', max_seq_length: 32 } } };
  hub.addRepo('org/ner-remembered', { ...tinyFiles, 'config.json': JSON.stringify(remembered) });
  const cache = newCache('task-choice');
  const before = hub.requests.length;
  const run = await bertrun(['eval', '--model_name_or_path', 'org/ner-remembered', '--help'], { cache });
  expect(outcome(run)).toEqual(succeeded);
  expect(run.stdout).toContain('usage: bertrun eval --task token-classification --model_name_or_path');
  const fetched = hub.requests.slice(before).filter((r) => r.method === 'GET' && r.path.includes('/resolve/'));
  expect(fetched.map((r) => r.path.replace(/^.*\/resolve\/[^/]+\//, ''))).toEqual(['config.json']);
});
