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
const { findAllLibtorch, SUPPORTED_TORCH } = require('./find-libtorch.js');

const ROOT = path.resolve(__dirname, '..');
const say = (line) => console.log(`bertrun: ${line}`);

function sourceBuild(reason) {
  say(`building the native addon from source (${reason}): cmake-js, a few minutes`);
  execFileSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'rebuild', '--out', 'build'], { cwd: ROOT, stdio: 'inherit' });
  say('built build/Release/bertrun.node');
}

function main() {
  const { found, looked } = findAllLibtorch();
  if (process.argv.includes('--build')) {
    if (found.length === 0) throw new Error(`no libtorch to build against. Run \`npx bertrun setup\` first, or set LIBTORCH.`);
    return sourceBuild(`requested; libtorch ${found[0].version} at ${found[0].root}`);
  }
  const loaderPath = path.join(ROOT, 'dist', 'lib', 'addon_loader.js');
  if (!fs.existsSync(loaderPath)) {
    say('a checkout without a build: `npm run setup` installs libtorch into .venv and builds everything');
    return;
  }
  // The runtime loader's own choice, so this step and require('bertrun') never disagree.
  const { addonCandidates, chooseAddon } = require(loaderPath);
  const present = addonCandidates(ROOT);
  const shipped = present.map((b) => `${b.kind} ${path.relative(ROOT, b.path)}`).join(', ') || 'none';
  if (found.length === 0) {
    say(`addon: ${shipped}. No libtorch found yet (bertrun loads it at run time).`);
    if (process.env.LIBTORCH) say(`LIBTORCH is set but unusable: ${looked[0].reason}`);
    say(`Run \`npx bertrun setup\` to install torch==${present[0]?.torchVersion ?? SUPPORTED_TORCH} from PyPI into bertrun's cache (a few GB, once),`);
    say('or set LIBTORCH to an existing torch installation. `npx bertrun env` checks the result.');
    return;
  }
  try {
    const { binary, libtorch } = chooseAddon(ROOT);
    say(`ready: ${binary.kind} ${path.relative(ROOT, binary.path)} with libtorch ${libtorch.version} from ${libtorch.source} (${libtorch.root})`);
  } catch {
    if (fs.existsSync(path.join(ROOT, '.git'))) return say('a checkout: `npm run setup` builds the addon');
    sourceBuild(`no prebuild for ${process.platform}-${process.arch} with libtorch ${found[0].version}; shipped: ${shipped}`);
  }
}

try {
  main();
} catch (e) {
  console.error(`bertrun: ${e.message}`);
  console.error(
    'Fixes: install cmake and a C++17 compiler and run `npx bertrun build`, or use torch ' +
      SUPPORTED_TORCH +
      ' (`npx bertrun setup`) with the prebuilt addon.',
  );
  process.exit(1);
}
