#!/usr/bin/env node
// Finds the libtorch that bertrun builds against, for CMake, node-gyp and the runtime loader.
// Order: $LIBTORCH (official C++ zip layout) -> a Python `torch` on PATH -> the project's .venv.
// Usage: node scripts/find-libtorch.js [--json | --root | --lib-dir | --include-dirs | --cuda | --version | --cxx-flags]
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');

const MIN_VERSION = [2, 4];
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

function pythonTorchRoot(python) {
  try {
    const out = execFileSync(python, ['-c', 'import os, torch; print(os.path.dirname(torch.__file__))'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 60000,
    });
    return out.trim().split('\n').pop();
  } catch {
    return null;
  }
}

function venvTorchRoot() {
  const libRoot = path.join(REPO_ROOT, '.venv', 'lib');
  if (!fs.existsSync(libRoot)) return null;
  for (const entry of fs.readdirSync(libRoot)) {
    const candidate = path.join(libRoot, entry, 'site-packages', 'torch');
    if (fs.existsSync(candidate)) return candidate;
  }
  return null;
}

function findLibtorch() {
  const tried = [];
  if (process.env.LIBTORCH) {
    const found = describe(path.resolve(process.env.LIBTORCH), '$LIBTORCH');
    if (found.ok) return found;
    // An explicit choice that fails is an error, not something to silently replace.
    return { ok: false, reason: found.reason, tried: [found.reason] };
  }
  const skipPath = process.env.BERTRUN_SKIP_PATH_PYTHON === '1';
  if (!skipPath) {
    for (const python of ['python3', 'python']) {
      const root = pythonTorchRoot(python);
      if (!root) continue;
      const found = describe(root, `Python torch (${python} on PATH)`);
      if (found.ok) return found;
      tried.push(found.reason);
      break;
    }
  }
  const venv = venvTorchRoot();
  if (venv) {
    const found = describe(venv, 'project .venv');
    if (found.ok) return found;
    tried.push(found.reason);
  }
  return {
    ok: false,
    reason:
      'no libtorch found. Fix: run `npm run setup` (installs torch==2.11.0 into ./.venv), ' +
      'or set LIBTORCH=/path/to/libtorch (the official C++ zip), or install torch>=2.4 for python3 on PATH.',
    tried,
  };
}

module.exports = { findLibtorch, readVersion };

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
