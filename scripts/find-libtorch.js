#!/usr/bin/env node
// Finds libtorch for CMake, node-gyp, the install step and the runtime loader. Order: $LIBTORCH
// (alone, when set) -> bertrun's cache ($BERTRUN_HOME, filled by `bertrun setup`) -> a Python
// `torch` importable by python3 on PATH -> a .venv in this package or the current directory.
// Usage: node scripts/find-libtorch.js [--json | --root | --lib-dir | --include-dirs | --cuda | --version | --cxx-flags]
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const MIN_VERSION = [2, 4];
// The torch release the prebuilt addons are built against and `bertrun setup` installs (the same
// pin as scripts/python-requirements.txt).
const SUPPORTED_TORCH = '2.11.0';
const REPO_ROOT = path.resolve(__dirname, '..');

function readVersion(root) {
  // 2.9+ keeps the numbers in headeronly/version.h; older releases in the C++ API header.
  const headers = [
    path.join(root, 'include', 'torch', 'headeronly', 'version.h'),
    path.join(root, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'version.h'),
  ].filter((h) => fs.existsSync(h));
  if (headers.length === 0) return null;
  const text = headers.map((h) => fs.readFileSync(h, 'utf8')).join('\n');
  const field = (name) => {
    const m = text.match(new RegExp(`#define TORCH_VERSION_${name}\\s+(\\d+)`));
    return m ? Number(m[1]) : null;
  };
  const major = field('MAJOR');
  const minor = field('MINOR');
  const patch = field('PATCH');
  if (major === null || minor === null) return null;
  return { major, minor, patch: patch ?? 0, text: `${major}.${minor}.${patch ?? 0}` };
}

function describe(root, source) {
  const libDir = path.join(root, 'lib');
  const version = readVersion(root);
  if (!version || (!fs.existsSync(path.join(libDir, 'libtorch_cpu.so')) && !fs.existsSync(path.join(libDir, 'libtorch_cpu.dylib')))) {
    return { ok: false, reason: `${source} at ${root} does not look like libtorch (no include/torch/.../version.h or lib/libtorch_cpu)` };
  }
  const tooOld = version.major < MIN_VERSION[0] || (version.major === MIN_VERSION[0] && version.minor < MIN_VERSION[1]);
  if (tooOld) {
    return { ok: false, reason: `${source} at ${root} is libtorch ${version.text}; bertrun needs >= ${MIN_VERSION.join('.')}` };
  }
  const cuda = fs.existsSync(path.join(libDir, 'libtorch_cuda.so'));
  const config = path.join(root, 'share', 'cmake', 'Torch', 'TorchConfig.cmake');
  let cxxFlags = [];
  if (fs.existsSync(config)) {
    const m = fs.readFileSync(config, 'utf8').match(/-D_GLIBCXX_USE_CXX11_ABI=(\d)/);
    if (m) cxxFlags.push(`-D_GLIBCXX_USE_CXX11_ABI=${m[1]}`);
  }
  return {
    ok: true,
    source,
    root,
    libDir,
    includeDirs: [path.join(root, 'include'), path.join(root, 'include', 'torch', 'csrc', 'api', 'include')],
    version: version.text,
    cuda,
    cxxFlags,
  };
}

function pythonTorchRoot(python, env) {
  // find_spec locates the package without importing it (importing torch takes seconds).
  const code = "import importlib.util as u; s = u.find_spec('torch'); print(s.submodule_search_locations[0] if s else '')";
  try {
    const out = execFileSync(python, ['-c', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 30000, env });
    return out.trim().split('\n').pop() || null;
  } catch {
    return null;
  }
}

// site-packages/torch inside a venv (or a pip --prefix tree) at dir, if any.
function venvTorchRoot(dir) {
  const libRoot = path.join(dir, 'lib');
  if (!fs.existsSync(libRoot)) return null;
  for (const entry of fs.readdirSync(libRoot).sort()) {
    const candidate = path.join(libRoot, entry, 'site-packages', 'torch');
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

/** bertrun's own cache, where `bertrun setup` installs torch: $BERTRUN_HOME, else ~/.cache/bertrun. */
function bertrunHome(env = process.env) {
  if (env.BERTRUN_HOME) return path.resolve(env.BERTRUN_HOME);
  return path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache'), 'bertrun');
}

/** Where `bertrun setup` puts torch==version (a venv). */
function cachedTorchDir(version, env = process.env) {
  return path.join(bertrunHome(env), `torch-${version}`);
}

/**
 * Every place bertrun looks for libtorch, in order, each with what it found: `looked` lists
 * `{ where, found?, reason? }`; `found` the usable ones (described). An explicit $LIBTORCH is the
 * only place looked at: a choice that fails is an error, not something to silently replace.
 * options.projectDirs: directories whose .venv counts (default: this package and the cwd).
 */
function findAllLibtorch(env = process.env, options = {}) {
  const looked = [];
  const consider = (where, root, source) => {
    if (!root) {
      looked.push({ where, reason: 'nothing there' });
      return;
    }
    const described = describe(root, source);
    looked.push(described.ok ? { where, found: described } : { where, reason: described.reason });
  };
  if (env.LIBTORCH) {
    consider(`$LIBTORCH (${env.LIBTORCH})`, path.resolve(env.LIBTORCH), '$LIBTORCH');
  } else {
    const home = bertrunHome(env);
    const cached = fs.existsSync(home)
      ? fs
          .readdirSync(home)
          .filter((d) => d.startsWith('torch-') && !d.includes('.partial'))
          .sort()
          .reverse()
      : [];
    if (cached.length === 0) looked.push({ where: `bertrun's cache (${home}, filled by \`npx bertrun setup\`)`, reason: 'empty' });
    for (const dir of cached) consider(`bertrun's cache (${path.join(home, dir)})`, venvTorchRoot(path.join(home, dir)), `bertrun cache (${home})`);
    if (env.BERTRUN_SKIP_PATH_PYTHON !== '1') {
      consider('a Python torch importable by python3 on PATH', pythonTorchRoot('python3', env), 'Python torch (python3 on PATH)');
    }
    const projectDirs = options.projectDirs || [REPO_ROOT, process.cwd()];
    for (const dir of [...new Set(projectDirs.map((d) => path.resolve(d)))]) {
      consider(`${path.join(dir, '.venv')}`, venvTorchRoot(path.join(dir, '.venv')), 'project .venv');
    }
  }
  return { looked, found: looked.filter((l) => l.found).map((l) => l.found) };
}

/** The first usable libtorch (what CMake and node-gyp build against), or { ok: false, reason, tried }. */
function findLibtorch(env = process.env) {
  const { looked, found } = findAllLibtorch(env);
  if (found.length > 0) return found[0];
  if (env.LIBTORCH) return { ok: false, reason: looked[0].reason, tried: [looked[0].reason] };
  return {
    ok: false,
    reason:
      `no libtorch found. Fix: run \`npx bertrun setup\` (installs torch==${SUPPORTED_TORCH} into ${bertrunHome(env)}), ` +
      "or `npm run setup` in a bertrun checkout, or set LIBTORCH=/path/to/libtorch (a torch install's site-packages/torch or the C++ zip).",
    tried: looked.map((l) => `${l.where}: ${l.reason}`),
  };
}

/**
 * Prebuilt addons are named for the libtorch they need, because libtorch has no stable C++ ABI:
 * `bertrun.torch-2.11.0-cuda.napi` (prebuildify appends the libc tag and `.node`). A `cuda` one
 * links libtorch_cuda (PyPI's default wheel, which also runs on machines without a GPU); a `cpu`
 * one any libtorch of that version.
 */
function prebuildBaseName(torchVersion, cuda) {
  return `bertrun.torch-${torchVersion}-${cuda ? 'cuda' : 'cpu'}.napi`;
}

function parsePrebuildName(file) {
  const m = /^bertrun\.torch-(\d+\.\d+\.\d+)-(cuda|cpu)\.napi(?:\.(glibc|musl))?\.node$/.exec(file);
  return m ? { torchVersion: m[1], cuda: m[2] === 'cuda', libc: m[3] || null } : null;
}

module.exports = {
  SUPPORTED_TORCH,
  findLibtorch,
  findAllLibtorch,
  readVersion,
  bertrunHome,
  cachedTorchDir,
  prebuildBaseName,
  parsePrebuildName,
};

if (require.main === module) {
  const info = findLibtorch();
  const mode = process.argv[2] || '--json';
  if (mode === '--json') {
    process.stdout.write(JSON.stringify(info, null, 2) + '\n');
    process.exit(info.ok ? 0 : 1);
  }
  if (!info.ok) {
    process.stderr.write(`bertrun: ${info.reason}\n${(info.tried || []).map((t) => `  tried: ${t}\n`).join('')}`);
    process.exit(1);
  }
  const outputs = {
    '--root': info.root,
    '--lib-dir': info.libDir,
    '--include-dirs': info.includeDirs.join(' '),
    '--cuda': info.cuda ? '1' : '0',
    '--version': info.version,
    '--cxx-flags': info.cxxFlags.join(' '),
  };
  if (!(mode in outputs)) {
    process.stderr.write(`unknown option ${mode}\n`);
    process.exit(2);
  }
  process.stdout.write(outputs[mode] + '\n');
}
