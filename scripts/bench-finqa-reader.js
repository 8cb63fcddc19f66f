#!/usr/bin/env node
// Reading a large FinQA file: a whole-file JSON.parse (what FinQA's own code and most notebooks
// do, json.load) against bertrun's streaming reader (finqaEntries, which also checks every entry),
// on a generated FinQA-format file of --size-mb MiB (entries from examples/finqa/make_sample.js,
// laid out as FinQA's json.dump(indent=4) writes them). Each method runs in its own child process,
// so its peak RSS (VmHWM of /proc/<pid>/status) is its own; both count the entries and the
// characters of their programs, and must agree. Prints wall seconds, entries/s and peak RSS per
// method and the streaming / JSON.parse speed ratio. A method that dies (V8 out of heap, string too
// long) is reported with the peak RSS it had reached. Needs `npx tsc -p tsconfig.build.json` first.
//   node scripts/bench-finqa-reader.js [--size-mb 500] [--keep FILE (write the file there and keep
//     it; an existing FILE is reused as is)]
'use strict';
require('./script_usage').exitWithUsageIfAsked(__filename);
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..');
const READER = path.join(ROOT, 'dist', 'lib', 'data', 'finqa', 'finqa_reader.js');
const argv = process.argv.slice(2);
const option = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const MiB = 1 << 20;

function peakRssKiB(pid = 'self') {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
}

// Child side: one method, reported as one JSON line.
async function child(method, file) {
  const t0 = process.hrtime.bigint();
  let entries = 0;
  let programChars = 0;
  if (method === 'json-parse') {
    for (const entry of JSON.parse(fs.readFileSync(file, 'utf8'))) {
      entries++;
      programChars += entry.qa.program.length;
    }
  } else {
    const { finqaEntries } = require(READER);
    for await (const entry of finqaEntries(file)) {
      entries++;
      programChars += entry.qa.program.length;
    }
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  console.log(JSON.stringify({ entries, programChars, seconds, peakKiB: peakRssKiB() }));
}

function generate(file, bytes) {
  const { makeRandom, makeEntry } = require(path.join(ROOT, 'examples', 'finqa', 'make_sample.js'));
  const random = makeRandom(7);
  const fd = fs.openSync(file, 'w');
  let written = 0;
  let count = 0;
  const write = (text) => {
    fs.writeSync(fd, text);
    written += Buffer.byteLength(text);
  };
  write('[\n');
  while (written < bytes) {
    const batch = [];
    for (let k = 0; k < 1000; k++) batch.push(`${count++ === 0 ? '' : ',\n'}    ${JSON.stringify(makeEntry(random, count), null, 4).replace(/\n/g, '\n    ')}`);
    write(batch.join(''));
  }
  write('\n]\n');
  fs.closeSync(fd);
  return count;
}

// Runs a method in a child process; its VmHWM is also polled from here in case it dies.
function measure(method, file) {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [__filename, '--child', method, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let polledKiB = 0;
    const poll = setInterval(() => {
      try {
        polledKiB = Math.max(polledKiB, peakRssKiB(proc.pid));
      } catch {
        // The process is gone; its last reading stands.
      }
    }, 50);
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    proc.on('close', (code, signal) => {
      clearInterval(poll);
      if (code === 0) resolve({ ok: true, ...JSON.parse(stdout.trim().split('\n').pop()) });
      else {
        const why =
          stderr.split('\n').find((l) => /heap out of memory|Invalid string length|Cannot create a string|Error/.test(l)) ?? stderr.trim().split('\n').pop();
        resolve({ ok: false, why: `${signal ?? `exit ${code}`}: ${(why ?? '').trim().slice(0, 200)}`, peakKiB: polledKiB });
      }
    });
  });
}

async function main() {
  if (!fs.existsSync(READER)) {
    console.error(`bench-finqa-reader: ${path.relative(ROOT, READER)} is missing; build it first: npx tsc -p tsconfig.build.json`);
    process.exit(2);
  }
  const sizeMb = Number(option('size-mb', '500'));
  const keep = option('keep');
  const dir = keep ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-bench-finqa-'));
  const file = keep ?? path.join(dir, `finqa-${sizeMb}mb.json`);
  try {
    if (keep && fs.existsSync(file)) console.log(`reusing ${file}`);
    else {
      const t0 = Date.now();
      const count = generate(file, sizeMb * MiB);
      console.log(`generated ${file}: ${count} entries in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    console.log(
      `file: ${(fs.statSync(file).size / MiB).toFixed(1)} MiB; node ${process.version}, ${os.cpus()[0].model}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB RAM\n`,
    );

    const results = {};
    console.log(`${'method'.padEnd(30)}${'wall s'.padStart(10)}${'entries/s'.padStart(12)}${'peak RSS MiB'.padStart(14)}`);
    for (const [method, label] of [
      ['json-parse', 'JSON.parse (whole file)'],
      ['stream', 'finqaEntries (streaming)'],
    ]) {
      const r = await measure(method, file);
      results[method] = r;
      const rss = (r.peakKiB / 1024).toFixed(0).padStart(14);
      if (r.ok)
        console.log(
          `${label.padEnd(30)}${r.seconds.toFixed(2).padStart(10)}${Math.round(r.entries / r.seconds)
            .toString()
            .padStart(12)}${rss}`,
        );
      else console.log(`${label.padEnd(30)}${'failed'.padStart(10)}${''.padStart(12)}${rss}   (${r.why})`);
    }
    const { 'json-parse': whole, stream } = results;
    if (whole.ok && stream.ok) {
      if (whole.entries !== stream.entries || whole.programChars !== stream.programChars) {
        console.error(
          `\nthe methods disagree: JSON.parse ${whole.entries} entries / ${whole.programChars} program characters, streaming ${stream.entries} / ${stream.programChars}`,
        );
        process.exitCode = 1;
      }
      console.log(`\nstreaming / JSON.parse speed: ${(whole.seconds / stream.seconds).toFixed(2)}x; peak RSS: ${(stream.peakKiB / whole.peakKiB).toFixed(3)}x`);
    }
    if (!stream.ok) process.exitCode = 1;
  } finally {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (argv[0] === '--child') {
  child(argv[1], argv[2]).catch((err) => {
    console.error(err.stack || String(err));
    process.exit(1);
  });
} else {
  main().catch((err) => {
    console.error(err.stack || String(err));
    process.exit(1);
  });
}
