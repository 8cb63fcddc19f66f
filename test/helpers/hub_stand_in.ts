// A stand-in for the Hugging Face Hub (huggingface.co) as model downloads see it, on loopback, so
// hub clients (ours in lib/hub/, and Python's huggingface_hub as the reference) can be tested
// without the network: repos with branches, tags and older commits, LFS files behind a redirect to
// a storage host, the hub's error codes, renamed repos, and injectable faults.
//
// The contract mirrors what huggingface_hub 2.4 relies on (file_download.py, hf_api.py,
// utils/_http.py). Two points shape the design:
// - huggingface_hub follows a redirect on its HEAD /resolve call when it stays on the hub's own
//   origin, and then needs X-Repo-Commit on the final answer. LFS storage therefore lives on a
//   second server (another port, so another origin), as cdn-lfs/xet hosts do for huggingface.co:
//   the client stops at the 302, reads X-Linked-Etag/X-Linked-Size there, and fetches the blob
//   from storage without the token.
// - snapshot_download lists files with GET /api/models/{id}/tree/{commit}?recursive=..., not from
//   the siblings of the model info, so that endpoint is served too.
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import * as path from 'path';

export interface RepoOptions {
  /** Only the valid token sees it; without it the hub answers as if the repo did not exist. */
  private?: boolean;
  /** Model info and file listing are public, file downloads need the valid token. */
  gated?: boolean;
  /** A tag naming the commit this call makes (moved there when it already exists). */
  tag?: string;
  /** The branch the commit goes on; default 'main'. */
  branch?: string;
}

export type Fault = { status: number; retryAfter?: number } | { dropAfterBytes: number } | { corrupt: true } | { delayMs: number };

export interface FaultMatch {
  /** HTTP method to match (any when left out). */
  method?: string;
  /** Tested against the request's path with its query string. */
  path: RegExp;
}

export interface RequestRecord {
  method: string;
  /** Path with query string, as sent. */
  path: string;
  authorization?: string;
  range?: string;
  /** The status answered; 0 while the request is still waiting (delayMs). */
  status: number;
}

export interface HubStandIn {
  /** http://127.0.0.1:PORT, for HF_ENDPOINT. */
  url: string;
  /** The LFS storage host (another port, hence another origin): where resolve's 302s point. */
  cdnUrl: string;
  /** The one token the stand-in accepts (as `Authorization: Bearer <token>`). */
  token: string;
  /**
   * Commits `files` (the whole tree of the new commit) on the branch and returns the 40-hex
   * commit hash. Earlier commits stay reachable by hash; `private`/`gated`, when given, change
   * the repo's visibility from now on.
   */
  addRepo(repoId: string, files: Record<string, Buffer | string>, options?: RepoOptions): string;
  /** addRepo with every file under `dir` (paths relative to it, with '/'). */
  addRepoFromDir(repoId: string, dir: string, options?: RepoOptions): string;
  /** A renamed repo: `oldId` answers for `newId` (resolve URLs with a 307 to the new name). */
  addAlias(oldId: string, newId: string): void;
  /** The next `times` (default 1, Infinity allowed) matching requests get `kind` instead of a normal answer. */
  fault(match: FaultMatch, kind: Fault, times?: number): void;
  /** Every request to either server, in arrival order. */
  requests: RequestRecord[];
  close(): Promise<void>;
}

const TOKEN = 'hf_standin_token';
// The extensions huggingface.co repos track with LFS by default (.gitattributes of a new repo), and
// the size above which the hub refuses plain git files.
const LFS_EXTENSIONS = new Set(['.safetensors', '.bin', '.h5', '.ot', '.onnx', '.msgpack', '.pt', '.pth']);
const LFS_MIN_SIZE = 10 * 1024 * 1024;
const TEXT_EXTENSIONS = new Set(['.json', '.txt', '.md', '.py', '.yaml', '.yml', '.csv', '.model', '.gitattributes']);
const COMMIT_HASH = /^[0-9a-f]{40}$/;
const REPO_ID = /^[\w.-]+(\/[\w.-]+)?$/;

interface StoredFile {
  size: number;
  content: Buffer;
  /** Git blob id: of the content, or of the LFS pointer for LFS files (what the hub's tree shows as oid). */
  blobId: string;
  lfs?: { sha256: string; pointerSize: number };
}

interface Commit {
  sha: string;
  date: Date;
  files: Map<string, StoredFile>;
}

interface Repo {
  id: string;
  private: boolean;
  gated: boolean;
  createdAt: Date;
  branches: Map<string, string>;
  tags: Map<string, string>;
  commits: Map<string, Commit>;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  /** The full body; HEAD answers carry its length but not the bytes. */
  body: Buffer;
}

function sha1(data: Buffer | string): string {
  return crypto.createHash('sha1').update(data).digest('hex');
}

function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Git's blob id, which the hub sends as ETag for non-LFS files and huggingface_hub names blobs by. */
function gitBlobId(content: Buffer): string {
  return sha1(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]));
}

function storeFile(filePath: string, content: Buffer): StoredFile {
  const isLfs = LFS_EXTENSIONS.has(path.posix.extname(filePath).toLowerCase()) || content.length >= LFS_MIN_SIZE;
  if (!isLfs) return { size: content.length, content, blobId: gitBlobId(content) };
  const oid = sha256(content);
  const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${content.length}\n`);
  return { size: content.length, content, blobId: gitBlobId(pointer), lfs: { sha256: oid, pointerSize: pointer.length } };
}

function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): Reply {
  return { status, headers: { 'Content-Type': 'application/json; charset=utf-8', ...headers }, body: Buffer.from(JSON.stringify(value)) };
}

/** huggingface_hub picks its exception class from X-Error-Code; the message is what the hub shows a user. */
function hubError(status: number, code: string | undefined, message: string, headers: Record<string, string> = {}): Reply {
  const codeHeaders: Record<string, string> = code ? { 'X-Error-Code': code, 'X-Error-Message': message } : { 'X-Error-Message': message };
  return jsonReply(status, { error: message }, { ...codeHeaders, ...headers });
}

function contentType(filePath: string): string {
  const ext = path.posix.extname(filePath).toLowerCase() || path.posix.basename(filePath);
  return TEXT_EXTENSIONS.has(ext) ? 'text/plain; charset=utf-8' : 'application/octet-stream';
}

/**
 * The content, or the part a single `Range: bytes=...` asks for. Resuming clients send `bytes=N-`;
 * several ranges are answered with the whole content, which HTTP allows.
 */
function contentReply(content: Buffer, range: string | undefined, headers: Record<string, string>): Reply {
  const base = { ...headers, 'Accept-Ranges': 'bytes' };
  const match = range === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  if (!match || (match[1] === '' && match[2] === '')) return { status: 200, headers: base, body: content };
  const size = content.length;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start >= size || start > end) {
    return { status: 416, headers: { ...base, 'Content-Range': `bytes */${size}` }, body: Buffer.alloc(0) };
  }
  return { status: 206, headers: { ...base, 'Content-Range': `bytes ${start}-${end}/${size}` }, body: content.subarray(start, end + 1) };
}

/** Path segments, still percent-encoded (a revision like refs%2Fpr%2F1 is one segment). */
function rawSegments(pathname: string): string[] {
  return pathname.split('/').slice(1);
}

function decodeSegments(segments: string[]): string[] | undefined {
  try {
    return segments.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function isTrue(value: string | null): boolean {
  return value !== null && ['1', 'true'].includes(value.toLowerCase());
}

/** Flips every 1000th byte (from the first), so the length stays and any checksum breaks. */
function corrupted(body: Buffer): Buffer {
  const copy = Buffer.from(body);
  for (let i = 0; i < copy.length; i += 1000) copy[i] ^= 0xff;
  return copy;
}

export async function startHubStandIn(): Promise<HubStandIn> {
  const repos = new Map<string, Repo>();
  const aliases = new Map<string, string>();
  // Content-addressed like the real storage: a blob shared by repos or commits is stored once.
  const lfsBlobs = new Map<string, Buffer>();
  const faults: Array<{ match: FaultMatch; kind: Fault; left: number }> = [];
  const requests: RequestRecord[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let commitCounter = 0;

  const hubServer = http.createServer((req, res) => handle(req, res, routeHub));
  const cdnServer = http.createServer((req, res) => handle(req, res, routeCdn));
  const [hubPort, cdnPort] = await Promise.all([listen(hubServer), listen(cdnServer)]);
  const url = `http://127.0.0.1:${hubPort}`;
  const cdnUrl = `http://127.0.0.1:${cdnPort}`;

  function addRepo(repoId: string, files: Record<string, Buffer | string>, options: RepoOptions = {}): string {
    if (!REPO_ID.test(repoId)) throw new Error(`invalid repo id ${JSON.stringify(repoId)}`);
    if (aliases.has(repoId)) throw new Error(`${repoId} is an alias of ${aliases.get(repoId)}`);
    const branch = options.branch ?? 'main';
    let repo = repos.get(repoId);
    if (!repo) {
      repo = { id: repoId, private: false, gated: false, createdAt: new Date(), branches: new Map(), tags: new Map(), commits: new Map() };
      repos.set(repoId, repo);
    }
    if (options.private !== undefined) repo.private = options.private;
    if (options.gated !== undefined) repo.gated = options.gated;

    const stored = new Map<string, StoredFile>();
    for (const [filePath, content] of Object.entries(files)) {
      const parts = filePath.split('/');
      if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new Error(`invalid file path ${JSON.stringify(filePath)}`);
      const file = storeFile(filePath, Buffer.isBuffer(content) ? content : Buffer.from(content));
      if (file.lfs) lfsBlobs.set(file.lfs.sha256, file.content);
      stored.set(filePath, file);
    }
    // Unique per call (the counter), so identical trees committed twice still get distinct commits.
    const parent = repo.branches.get(branch) ?? '';
    const tree = [...stored.entries()].map(([p, f]) => `${p}:${f.blobId}`).sort();
    const sha = sha1(`commit ${repoId}\nbranch ${branch}\nparent ${parent}\n#${++commitCounter}\n${tree.join('\n')}`);
    repo.commits.set(sha, { sha, date: new Date(), files: stored });
    repo.branches.set(branch, sha);
    if (options.tag !== undefined) repo.tags.set(options.tag, sha);
    return sha;
  }

  function addRepoFromDir(repoId: string, dir: string, options?: RepoOptions): string {
    const files: Record<string, Buffer> = {};
    const walk = (sub: string): void => {
      for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
        const rel = sub ? `${sub}/${entry.name}` : entry.name;
        if (entry.isDirectory()) walk(rel);
        else files[rel] = fs.readFileSync(path.join(dir, rel));
      }
    };
    walk('');
    return addRepo(repoId, files, options);
  }

  function addAlias(oldId: string, newId: string): void {
    if (!repos.has(newId)) throw new Error(`alias target ${newId} is not a repo`);
    if (repos.has(oldId)) throw new Error(`${oldId} is a repo, it cannot also be an alias`);
    aliases.set(oldId, newId);
  }

  function fault(match: FaultMatch, kind: Fault, times = 1): void {
    faults.push({ match, kind, left: times });
  }

  /** Takes one use of the first fault that matches the request. */
  function takeFault(method: string, pathAndQuery: string): Fault | undefined {
    const found = faults.find(
      (f) => f.left > 0 && (f.match.method === undefined || f.match.method.toUpperCase() === method) && f.match.path.test(pathAndQuery),
    );
    if (!found) return undefined;
    found.left -= 1;
    return found.kind;
  }

  function resolveRevision(repo: Repo, revision: string): Commit | undefined {
    const sha = repo.branches.get(revision) ?? repo.tags.get(revision) ?? (COMMIT_HASH.test(revision) ? revision : undefined);
    return sha === undefined ? undefined : repo.commits.get(sha);
  }

  /**
   * The hub hides private repos from anyone without access (401 RepoNotFound, like a missing repo).
   * Gated repos show their metadata to everyone; their files need the token: 401 without one,
   * 403 with a token that is not allowed in.
   */
  function accessError(repo: Repo, authorization: string | undefined, forFiles: boolean): Reply | undefined {
    const authorized = authorization === `Bearer ${TOKEN}`;
    if (repo.private && !authorized) return hubError(401, 'RepoNotFound', 'Repository Not Found');
    if (repo.gated && forFiles && !authorized) {
      return authorization === undefined
        ? hubError(401, 'GatedRepo', `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`)
        : hubError(
            403,
            'GatedRepo',
            `Access to model ${repo.id} is restricted and you are not in the authorized list. Visit ${url}/${repo.id} to ask for access.`,
          );
    }
    return undefined;
  }

  function routeHub(req: http.IncomingMessage, target: URL): Reply {
    const raw = rawSegments(target.pathname);
    const segments = decodeSegments(raw);
    if (!segments) return hubError(400, undefined, 'Invalid percent-encoding in path');
    if (segments[0] === 'api' && segments[1] === 'models' && segments.length > 2) return routeApi(req, segments.slice(2), target.searchParams);
    // /{org}/{name}/resolve/{revision}/{path...}, or /{name}/resolve/... for the old unnamespaced ids.
    const at = segments[2] === 'resolve' && segments.length > 4 ? 2 : segments[1] === 'resolve' && segments.length > 3 ? 1 : -1;
    if (at < 0 || (req.method !== 'GET' && req.method !== 'HEAD')) return hubError(404, undefined, 'Not Found');
    const repoId = segments.slice(0, at).join('/');
    const renamed = aliases.get(repoId);
    if (renamed !== undefined) {
      // Relative, as huggingface.co sends it: clients follow it on the hub's origin, with the token.
      return { status: 307, headers: { Location: `/${renamed}/${raw.slice(at).join('/')}${target.search}` }, body: Buffer.alloc(0) };
    }
    return resolveFile(req, repoId, segments[at + 1], segments.slice(at + 2).join('/'));
  }

  function resolveFile(req: http.IncomingMessage, repoId: string, revision: string, filePath: string): Reply {
    const repo = repos.get(repoId);
    if (!repo) return hubError(404, 'RepoNotFound', 'Repository Not Found');
    const denied = accessError(repo, req.headers.authorization, true);
    if (denied) return denied;
    const commit = resolveRevision(repo, revision);
    if (!commit) return hubError(404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    const file = commit.files.get(filePath);
    // X-Repo-Commit lets huggingface_hub cache the absence under .no_exist/<commit>/.
    if (!file) return hubError(404, 'EntryNotFound', 'Entry not found', { 'X-Repo-Commit': commit.sha });
    if (file.lfs) {
      // huggingface_hub's HEAD stops at this (cross-origin) redirect and takes the file's identity
      // and size from the X-Linked-* headers; ETag stays the pointer's git id, as on the hub.
      const { sha256: oid } = file.lfs;
      return {
        status: 302,
        headers: {
          Location: `${cdnUrl}/lfs-host/repos/${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}?download=true`,
          ETag: `"${file.blobId}"`,
          'X-Linked-Etag': `"${oid}"`,
          'X-Linked-Size': String(file.size),
          'X-Repo-Commit': commit.sha,
        },
        body: Buffer.alloc(0),
      };
    }
    return contentReply(file.content, req.headers.range, {
      'Content-Type': contentType(filePath),
      ETag: `"${file.blobId}"`,
      'X-Repo-Commit': commit.sha,
    });
  }

  /** /api/models/{id}, /api/models/{id}/revision/{rev}, /api/models/{id}/tree/{rev}[/{path}]. */
  function routeApi(req: http.IncomingMessage, rest: string[], query: URLSearchParams): Reply {
    if (req.method !== 'GET') return hubError(405, undefined, 'Method Not Allowed');
    const namespaced = rest.length >= 2 && rest[1] !== 'revision' && rest[1] !== 'tree';
    const requestedId = namespaced ? `${rest[0]}/${rest[1]}` : rest[0];
    const tail = rest.slice(namespaced ? 2 : 1);
    const repo = repos.get(aliases.get(requestedId) ?? requestedId);
    if (!repo) return hubError(404, 'RepoNotFound', 'Repository Not Found');
    const isInfo = tail.length === 0 || (tail[0] === 'revision' && tail.length === 2);
    if (!isInfo && !(tail[0] === 'tree' && tail.length >= 2)) return hubError(404, undefined, 'Not Found');
    const denied = accessError(repo, req.headers.authorization, false);
    if (denied) return denied;
    const revision = tail.length === 0 ? 'main' : tail[1];
    const commit = resolveRevision(repo, revision);
    if (!commit) return hubError(404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
    if (tail[0] === 'tree') return treeReply(commit, tail.slice(2).join('/'), isTrue(query.get('recursive')));
    return jsonReply(200, modelInfo(repo, commit, isTrue(query.get('blobs'))));
  }

  function modelInfo(repo: Repo, commit: Commit, blobs: boolean): Record<string, unknown> {
    const siblings = [...commit.files.entries()]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([rfilename, f]) =>
        blobs
          ? { rfilename, size: f.size, blobId: f.blobId, ...(f.lfs ? { lfs: { sha256: f.lfs.sha256, size: f.size, pointerSize: f.lfs.pointerSize } } : {}) }
          : { rfilename },
      );
    return {
      _id: sha1(repo.id).slice(0, 24),
      id: repo.id,
      modelId: repo.id,
      author: repo.id.includes('/') ? repo.id.split('/')[0] : undefined,
      sha: commit.sha,
      lastModified: commit.date.toISOString(),
      createdAt: repo.createdAt.toISOString(),
      private: repo.private,
      // The hub sends 'auto' or 'manual' for gated repos, false otherwise.
      gated: repo.gated ? 'auto' : false,
      disabled: false,
      downloads: 0,
      likes: 0,
      tags: [],
      siblings,
      spaces: [],
    };
  }

  /** The hub's tree listing (what snapshot_download downloads from): files and folders, LFS details included. */
  function treeReply(commit: Commit, folder: string, recursive: boolean): Reply {
    const prefix = folder === '' ? '' : `${folder}/`;
    const inFolder = [...commit.files.entries()].filter(([p]) => p.startsWith(prefix));
    if (inFolder.length === 0 && folder !== '') return hubError(404, 'EntryNotFound', `Entry not found: ${folder}`, { 'X-Repo-Commit': commit.sha });
    const entries = new Map<string, Record<string, unknown>>();
    const addFolder = (dirPath: string): void => {
      if (entries.has(dirPath)) return;
      // A stable stand-in for git's tree id: the hub's clients only display it.
      const children = inFolder.filter(([p]) => p.startsWith(`${dirPath}/`)).map(([p, f]) => `${p}:${f.blobId}`);
      entries.set(dirPath, { type: 'directory', oid: sha1(`tree\n${children.join('\n')}`), size: 0, path: dirPath });
    };
    for (const [filePath, file] of inFolder) {
      const parts = filePath.slice(prefix.length).split('/');
      if (!recursive && parts.length > 1) {
        addFolder(prefix + parts[0]);
        continue;
      }
      for (let depth = 1; depth < parts.length; depth++) addFolder(prefix + parts.slice(0, depth).join('/'));
      entries.set(filePath, {
        type: 'file',
        oid: file.blobId,
        size: file.size,
        path: filePath,
        ...(file.lfs ? { lfs: { oid: file.lfs.sha256, size: file.size, pointerSize: file.lfs.pointerSize } } : {}),
      });
    }
    return jsonReply(
      200,
      [...entries.values()].sort((a, b) => (String(a.path) < String(b.path) ? -1 : 1)),
    );
  }

  /** Storage: content-addressed blobs, no auth (on huggingface.co the URLs are signed instead), no X-Repo-Commit. */
  function routeCdn(req: http.IncomingMessage, target: URL): Reply {
    const match = /^\/lfs-host\/repos\/[0-9a-f]{2}\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(target.pathname);
    const blob = match ? lfsBlobs.get(match[1]) : undefined;
    if (!match || !blob || (req.method !== 'GET' && req.method !== 'HEAD')) return jsonReply(404, { error: 'NoSuchKey' });
    return contentReply(blob, req.headers.range, { 'Content-Type': 'application/octet-stream', ETag: `"${match[1]}"` });
  }

  function handle(req: http.IncomingMessage, res: http.ServerResponse, route: (req: http.IncomingMessage, target: URL) => Reply): void {
    const method = req.method ?? 'GET';
    const pathAndQuery = req.url ?? '/';
    const record: RequestRecord = { method, path: pathAndQuery, status: 0 };
    if (req.headers.authorization !== undefined) record.authorization = req.headers.authorization;
    if (req.headers.range !== undefined) record.range = req.headers.range;
    requests.push(record);

    const kind = takeFault(method, pathAndQuery);
    const answer = (): void => {
      let reply: Reply;
      if (kind && 'status' in kind) {
        reply = hubError(
          kind.status,
          undefined,
          `Stand-in fault: HTTP ${kind.status}`,
          kind.retryAfter === undefined ? {} : { 'Retry-After': String(kind.retryAfter) },
        );
      } else {
        try {
          reply = route(req, new URL(pathAndQuery, 'http://stand-in'));
        } catch (err) {
          // A bug here should fail the test that hit it, not crash the test process.
          reply = jsonReply(500, { error: `stand-in failure: ${err instanceof Error ? err.stack : String(err)}` });
        }
        if (kind && 'corrupt' in kind) reply = { ...reply, body: corrupted(reply.body) };
      }
      record.status = reply.status;
      res.writeHead(reply.status, { ...reply.headers, 'Content-Length': String(reply.body.length) });
      const body = method === 'HEAD' ? Buffer.alloc(0) : reply.body;
      if (kind && 'dropAfterBytes' in kind) {
        // Headers promise the whole body; closing after part of it is what a broken connection looks like.
        res.flushHeaders();
        if (kind.dropAfterBytes > 0) res.write(body.subarray(0, kind.dropAfterBytes));
        res.socket?.end();
        return;
      }
      res.end(body);
    };
    if (kind && 'delayMs' in kind) {
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, kind.delayMs);
      timers.add(timer);
    } else {
      answer();
    }
  }

  async function close(): Promise<void> {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    await Promise.all(
      [hubServer, cdnServer].map(
        (server) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            // Clients keep connections alive; without this close() would wait for them.
            server.closeAllConnections();
          }),
      ),
    );
  }

  return { url, cdnUrl, token: TOKEN, addRepo, addRepoFromDir, addAlias, fault, requests, close };
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}
