#!/usr/bin/env node
// `npm run prebuild`: the prebuilt addon that the npm package ships, made by prebuildify (N-API 8,
// stripped, libc-tagged) into prebuilds/<platform>-<arch>/, named for the libtorch it needs
// (scripts/find-libtorch.js prebuildBaseName). prebuildify drives the build through its node-gyp
// hook; this file is that hook too (`prebuild.js rebuild ...`): it builds with cmake-js into
// build/ (the normal, incremental build) and hands prebuildify a copy, so the local build stays.
// Then it checks what a user's machine will need: no build-machine path inside, and a glibc /
// libstdc++ floor no higher than libtorch's own.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { findLibtorch, prebuildBaseName } = require('./find-libtorch.js');

const ROOT = path.resolve(__dirname, '..');

function run(cmd, args, options = {}) {
  execFileSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...options });
}

/** prebuildify's build step, run with cwd = the staging directory. */
function buildForPrebuildify() {
  const configured = fs.existsSync(path.join(ROOT, 'build', 'build.ninja')) || fs.existsSync(path.join(ROOT, 'build', 'Makefile'));
  if (!configured) run(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'configure', '--out', 'build', '--log-level', 'error']);
  run('cmake', ['--build', 'build', '--config', 'Release', '--target', 'bertrun', '--parallel', String(require('os').availableParallelism())]);
  const staged = path.join(process.cwd(), 'build', 'Release');
  fs.mkdirSync(staged, { recursive: true });
  fs.copyFileSync(path.join(ROOT, 'build', 'Release', 'bertrun.node'), path.join(staged, 'bertrun.node'));
}

/** Highest symbol version with this prefix (GLIBC_, GLIBCXX_) that a shared object needs. */
function floor(file, prefix) {
  const dump = execFileSync('objdump', ['-T', file], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const versions = [...dump.matchAll(new RegExp(`\\(${prefix}_([0-9.]+)\\)`, 'g'))].map((m) => m[1]);
  return versions.length ? versions.sort(compareVersions).pop() : null;
}

/** Orders dotted versions numerically (2.14 after 2.2). */
function compareVersions(a, b) {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

const newer = (a, b) => compareVersions(a, b) > 0;

function checkPrebuild(file, libtorch) {
  const problems = [];
  const bytes = fs.readFileSync(file).toString('latin1');
  for (const local of [ROOT, libtorch.root, process.env.HOME].filter(Boolean)) {
    if (bytes.includes(local)) problems.push(`it contains the build-machine path ${local}`);
  }
  const rows = [];
  for (const prefix of ['GLIBC', 'GLIBCXX']) {
    const ours = floor(file, prefix);
    const libs = ['libc10.so', 'libtorch_cpu.so', 'libtorch_cuda.so'].map((l) => path.join(libtorch.libDir, l)).filter((l) => fs.existsSync(l));
    const theirs = libs
      .map((l) => floor(l, prefix))
      .filter(Boolean)
      .reduce((a, b) => (newer(b, a) ? b : a));
    rows.push(`${prefix} floor: prebuild ${ours}, libtorch ${libtorch.version} ${theirs}`);
    if (ours && newer(ours, theirs)) problems.push(`it needs ${prefix}_${ours}, newer than libtorch's ${prefix}_${theirs} (see native/common/glibc_floor.h)`);
  }
  return { rows, problems };
}

function main() {
  if (process.argv[2] === 'rebuild') return buildForPrebuildify();
  const libtorch = findLibtorch();
  if (!libtorch.ok) throw new Error(libtorch.reason);
  const platformDir = path.join(ROOT, 'prebuilds', `${process.platform}-${process.arch}`);
  // One prebuild per libtorch ABI: an older one for this platform would be stale.
  fs.rmSync(platformDir, { recursive: true, force: true });
  const staging = fs.mkdtempSync(path.join(require('os').tmpdir(), 'bertrun-prebuild-'));
  try {
    const name = prebuildBaseName(libtorch.version, libtorch.cuda);
    run(process.execPath, [require.resolve('prebuildify/bin.js'), '--napi', '--strip', '--tag-libc', '--name', name, '--cwd', staging, '--out', ROOT], {
      env: { ...process.env, PREBUILD_NODE_GYP: __filename },
    });
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
  const [file] = fs.readdirSync(platformDir).map((f) => path.join(platformDir, f));
  const { rows, problems } = checkPrebuild(file, libtorch);
  console.log(
    `prebuild: ${path.relative(ROOT, file)} (${(fs.statSync(file).size / 2 ** 20).toFixed(1)} MiB, libtorch ${libtorch.version}${libtorch.cuda ? ' with CUDA' : ''})`,
  );
  for (const row of rows) console.log(`  ${row}`);
  if (problems.length) {
    fs.rmSync(file);
    throw new Error(`the prebuild is not portable: ${problems.join('; ')}. Removed it.`);
  }
}

try {
  main();
} catch (e) {
  console.error(`bertrun prebuild: ${e.message}`);
  process.exit(1);
}
