#!/usr/bin/env node
// npm's install hook (without it npm would run `node-gyp rebuild` for binding.gyp). It never
// downloads libtorch and never fails because libtorch is missing: it says what it found and the
// one command to run. It compiles only when no prebuild and no local build fits the libtorch
// found (another torch version, another platform), saying so; a failed compile fails the install.
// `node scripts/install.js --build` (what `bertrun build` runs) always builds from source.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const { findAllLibtorch, parsePrebuildName, SUPPORTED_TORCH } = require('./find-libtorch.js');

const ROOT = path.resolve(__dirname, '..');
const say = (line) => console.log(`bertrun: ${line}`);

/** The addon binaries here: [{ kind, file, torchVersion, cuda }]. */
function binaries() {
  const list = [];
  const record = path.join(ROOT, 'build', 'bertrun-build.json');
  if (fs.existsSync(path.join(ROOT, 'build', 'Release', 'bertrun.node')) && fs.existsSync(record)) {
    const info = JSON.parse(fs.readFileSync(record, 'utf8'));
    list.push({ kind: 'local build', file: 'build/Release/bertrun.node', torchVersion: info.version, cuda: info.cuda });
  }
  const dir = path.join('prebuilds', `${process.platform}-${process.arch}`);
  if (fs.existsSync(path.join(ROOT, dir))) {
    for (const file of fs.readdirSync(path.join(ROOT, dir))) {
      const tags = parsePrebuildName(file);
      if (tags) list.push({ kind: 'prebuild', file: path.join(dir, file), ...tags });
    }
  }
  return list;
}

function sourceBuild(reason) {
  say(`building the native addon from source (${reason}): cmake-js, a few minutes`);
  execFileSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'rebuild', '--out', 'build'], { cwd: ROOT, stdio: 'inherit' });
  say('built build/Release/bertrun.node');
}

function main() {
  const { found } = findAllLibtorch();
  const present = binaries();
  if (process.argv.includes('--build')) {
    if (found.length === 0) throw new Error(`no libtorch to build against. Run \`npx bertrun setup\` first, or set LIBTORCH.`);
    return sourceBuild(`requested; libtorch ${found[0].version} at ${found[0].root}`);
  }
  const shipped = present.map((b) => `${b.kind} ${b.file}`).join(', ') || 'none';
  if (found.length === 0) {
    say(`addon: ${shipped}. No libtorch found yet (bertrun loads it at run time).`);
    say(`Run \`npx bertrun setup\` to install torch==${present[0]?.torchVersion ?? SUPPORTED_TORCH} from PyPI into bertrun's cache (a few GB, once),`);
    say('or set LIBTORCH to an existing torch installation. `npx bertrun env` checks the result.');
    return;
  }
  const fitting = found.flatMap((lib) => present.filter((b) => b.torchVersion === lib.version && (!b.cuda || lib.cuda)).map((b) => [b, lib]));
  if (fitting.length > 0) {
    const [binary, lib] = fitting[0];
    say(`ready: ${binary.kind} ${binary.file} with libtorch ${lib.version} from ${lib.source} (${lib.root})`);
    return;
  }
  const isCheckout = fs.existsSync(path.join(ROOT, '.git'));
  if (isCheckout) {
    say('a checkout: `npm run setup` builds the addon');
    return;
  }
  sourceBuild(`no prebuild for ${process.platform}-${process.arch} with libtorch ${found[0].version}; shipped: ${shipped}`);
}

try {
  main();
} catch (e) {
  console.error(`bertrun: ${e.message}`);
  console.error('Fixes: install cmake and a C++17 compiler and run `npx bertrun build`, or use torch ' + SUPPORTED_TORCH + ' (`npx bertrun setup`) with the prebuilt addon.');
  process.exit(1);
}
