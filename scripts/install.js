#!/usr/bin/env node
// npm's install hook. Without it npm would run `node-gyp rebuild` implicitly (binding.gyp is at
// the top level) and fail the whole install on a machine that has no libtorch yet.
// Builds the addon when libtorch can be found and no build exists; otherwise says what to run.
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const { findLibtorch } = require('./find-libtorch.js');

if (fs.existsSync(path.join(root, 'build', 'Release', 'bertrun.node'))) process.exit(0);
const libtorch = findLibtorch();
if (!libtorch.ok) {
  console.log(`bertrun: native addon not built yet (${libtorch.reason})`);
  process.exit(0);
}
console.log(`bertrun: building the native addon against libtorch ${libtorch.version} at ${libtorch.root}`);
execFileSync(process.execPath, [require.resolve('cmake-js/bin/cmake-js'), 'compile', '--out', 'build'], { cwd: root, stdio: 'inherit' });
