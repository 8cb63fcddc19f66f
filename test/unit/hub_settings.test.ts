// Where the hub client looks, by huggingface_hub's precedence of environment variables, and how it
// tells a hub name from a path.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { hubSettings } from '../../lib/hub/hub_settings';
import { isRepoId, looksLikePath } from '../../lib/hub/repo_id';
import { retryDelay } from '../../lib/hub/hub_http';
import { splitPositionals } from '../../lib/cli/flags';
import { DOWNLOAD_FLAGS } from '../../lib/cli/download_command';

describe('hubSettings', () => {
  test('cache: HF_HUB_CACHE, else HUGGINGFACE_HUB_CACHE, else HF_HOME/hub, else XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub', () => {
    expect(hubSettings({}, { HF_HUB_CACHE: '/a', HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' }).cacheDir).toBe('/a');
    expect(hubSettings({}, { HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' }).cacheDir).toBe('/b');
    expect(hubSettings({}, { HF_HOME: '/c', XDG_CACHE_HOME: '/x' }).cacheDir).toBe('/c/hub');
    expect(hubSettings({}, { XDG_CACHE_HOME: '/x' }).cacheDir).toBe('/x/huggingface/hub');
    expect(hubSettings({}, {}).cacheDir).toBe(path.join(os.homedir(), '.cache', 'huggingface', 'hub'));
    expect(hubSettings({}, { HF_HOME: '~/hf' }).cacheDir).toBe(path.join(os.homedir(), 'hf', 'hub'));
    expect(hubSettings({ cacheDir: '/opt/cache' }, { HF_HUB_CACHE: '/a' }).cacheDir).toBe('/opt/cache');
  });

  test('endpoint: option, HF_ENDPOINT, default; trailing slashes dropped', () => {
    expect(hubSettings({}, {}).endpoint).toBe('https://huggingface.co');
    expect(hubSettings({}, { HF_ENDPOINT: 'https://hf-mirror.com/' }).endpoint).toBe('https://hf-mirror.com');
    expect(hubSettings({ endpoint: 'http://127.0.0.1:1234//' }, { HF_ENDPOINT: 'https://x' }).endpoint).toBe('http://127.0.0.1:1234');
  });

  test('offline: HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE with 1/ON/YES/TRUE, the option first; the reason is kept for messages', () => {
    expect(hubSettings({}, { HF_HUB_OFFLINE: '1' })).toMatchObject({ offline: true, offlineReason: 'HF_HUB_OFFLINE=1' });
    expect(hubSettings({}, { TRANSFORMERS_OFFLINE: 'yes' })).toMatchObject({ offline: true, offlineReason: 'TRANSFORMERS_OFFLINE=yes' });
    expect(hubSettings({}, { HF_HUB_OFFLINE: '0' }).offline).toBe(false);
    expect(hubSettings({}, { HF_HUB_OFFLINE: 'maybe' }).offline).toBe(false);
    expect(hubSettings({ offline: true }, {})).toMatchObject({ offline: true, offlineReason: '--offline' });
    expect(hubSettings({ offline: false }, { HF_HUB_OFFLINE: '1' }).offline).toBe(false);
  });

  test('token: option, HF_TOKEN, HUGGING_FACE_HUB_TOKEN, then the saved token file; false sends none', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-hf-home-'));
    try {
      fs.writeFileSync(path.join(home, 'token'), 'hf_saved\n');
      expect(hubSettings({}, { HF_HOME: home }).token).toBe('hf_saved');
      expect(hubSettings({}, { HF_HOME: home, HUGGING_FACE_HUB_TOKEN: 'hf_old' }).token).toBe('hf_old');
      expect(hubSettings({}, { HF_HOME: home, HF_TOKEN: 'hf_env', HUGGING_FACE_HUB_TOKEN: 'hf_old' }).token).toBe('hf_env');
      expect(hubSettings({ token: 'hf_opt' }, { HF_TOKEN: 'hf_env' }).token).toBe('hf_opt');
      expect(hubSettings({ token: false }, { HF_HOME: home, HF_TOKEN: 'hf_env' }).token).toBeUndefined();
      expect(hubSettings({}, { HF_HOME: path.join(home, 'none') }).token).toBeUndefined();
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });

  test('timeouts from HF_HUB_ETAG_TIMEOUT / HF_HUB_DOWNLOAD_TIMEOUT in seconds (default 10)', () => {
    expect(hubSettings({}, {})).toMatchObject({ metadataTimeoutMs: 10_000, downloadTimeoutMs: 10_000, revision: 'main' });
    expect(hubSettings({}, { HF_HUB_ETAG_TIMEOUT: '2.5', HF_HUB_DOWNLOAD_TIMEOUT: '60' })).toMatchObject({
      metadataTimeoutMs: 2500,
      downloadTimeoutMs: 60_000,
    });
  });
});

test('retry delays: exponential from the base, capped at 8x; Retry-After wins, capped at 60 s', () => {
  const settings = hubSettings({ retry: { baseDelayMs: 100 } }, {});
  expect([0, 1, 2, 3, 4, 5].map((attempt) => retryDelay(attempt, settings))).toEqual([100, 200, 400, 800, 800, 800]);
  expect(retryDelay(0, settings, '3')).toBe(3000);
  expect(retryDelay(0, settings, '600')).toBe(60_000);
  expect(retryDelay(2, settings, 'soon')).toBe(400);
});

test('hub names and paths', () => {
  for (const name of ['bert-base-uncased', 'google-bert/bert-base-uncased', 'sentence-transformers/all-MiniLM-L6-v2', 'org/model.v2_x']) {
    expect([name, isRepoId(name), looksLikePath(name)]).toEqual([name, true, false]);
  }
  for (const name of ['org/a/b', 'org--x/y', 'a..b', 'org/x.git', '-lead', 'with space', '']) expect([name, isRepoId(name)]).toEqual([name, false]);
  for (const p of ['./bert', '../bert', '/abs/bert', '~/bert', 'out/checkpoint-500/model', 'C:\\models\\bert', '.'])
    expect([p, looksLikePath(p)]).toEqual([p, true]);
});

test('splitPositionals: positionals anywhere; values of flags and explicit booleans stay with their flag', () => {
  expect(splitPositionals(['org/x', '--revision', 'v1', 'a.txt', '--all', 'b.txt'], DOWNLOAD_FLAGS)).toEqual({
    positionals: ['org/x', 'a.txt', 'b.txt'],
    flagArgs: ['--revision', 'v1', '--all'],
  });
  expect(splitPositionals(['--all', 'false', 'org/x', '--cache-dir=/c'], DOWNLOAD_FLAGS)).toEqual({
    positionals: ['org/x'],
    flagArgs: ['--all', 'false', '--cache-dir=/c'],
  });
  expect(splitPositionals(['--unknown', 'v', 'org/x'], DOWNLOAD_FLAGS)).toEqual({ positionals: ['org/x'], flagArgs: ['--unknown', 'v'] });
});
