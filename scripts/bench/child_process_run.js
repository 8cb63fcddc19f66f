// Shared by the compare-* scripts: reading `--name value` options and running a child process
// that must succeed (its stderr tail in the error otherwise), timed.
'use strict';
const { spawnSync } = require('child_process');
const path = require('path');

/** `option(name, fallback)`: the value after `--name` in argv, else fallback. */
function optionReader(argv) {
  return (name, fallback) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : fallback;
  };
}

/** Runs program with args (env added to this process's); returns stdout, stderr and wall seconds. */
function runChecked(program, args, env = {}) {
  const t0 = process.hrtime.bigint();
  const result = spawnSync(program, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 256 * 1024 * 1024 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (result.status !== 0)
    throw new Error(`${path.basename(program)} ${args.slice(0, 3).join(' ')} ... failed (${result.status}):\n${(result.stderr || '').slice(-3000)}`);
  return { stdout: result.stdout, stderr: result.stderr, wall };
}

module.exports = { optionReader, runChecked };
