#!/usr/bin/env node
// DistributedDataParallel on CPU (Gloo): samples/s of the small shape (L4 H256, seq 128) with the
// same global batch on 1 process and on N processes of one node, and how much of the gradient
// all-reduce backward hides.
//   node scripts/bench-ddp.js [--procs 2] [--steps 10] [--warmup 2] [--batch 32] [--seq 128]
//
// Ratio: N-process samples/s over 1-process samples/s, measured in this run. Cores are split
// between the processes (OMP_NUM_THREADS), as `bertrun launch` does, so on a small machine the
// ratio shows the cost of DDP rather than a gain. "all-reduce alone" is the same number of bytes
// reduced with nothing to overlap; "exposed" is what was left to wait for after backward.
require('./script_usage').exitWithUsageIfAsked(__filename);
const { spawn } = require('child_process');
const os = require('os');
const path = require('path');

const option = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const procs = Number(option('procs', '2'));
const args = [option('steps', '10'), option('warmup', '2'), option('batch', '32'), option('seq', '128')];
const worker = path.join(__dirname, 'bench', 'ddp_worker.js');
const { freePort } = require('../dist/lib/distributed/free_port');

async function run(world) {
  const port = await freePort();
  const threads = Math.max(1, Math.floor(os.availableParallelism() / world));
  const reports = await Promise.all(
    Array.from(
      { length: world },
      (_, rank) =>
        new Promise((resolve, reject) => {
          const env = { ...process.env, OMP_NUM_THREADS: String(threads) };
          if (world > 1)
            Object.assign(env, {
              RANK: String(rank),
              LOCAL_RANK: String(rank),
              WORLD_SIZE: String(world),
              LOCAL_WORLD_SIZE: String(world),
              MASTER_ADDR: '127.0.0.1',
              MASTER_PORT: String(port),
            });
          const child = spawn(process.execPath, [worker, ...args], { env, stdio: ['ignore', 'pipe', 'inherit'] });
          let out = '';
          child.stdout.on('data', (d) => (out += d));
          child.on('close', (code) => {
            const line = out.split('\n').find((l) => l.startsWith('BENCH '));
            if (code !== 0 || !line) reject(new Error(`rank ${rank} of ${world} failed (exit ${code}):\n${out}`));
            else resolve(JSON.parse(line.slice(6)));
          });
        }),
    ),
  );
  return reports[0];
}

(async () => {
  console.log(
    `bench-ddp: small shape (L4 H256), global batch ${args[2]}, seq ${args[3]}, ${args[0]} steps after ${args[1]} warm-up, ${os.availableParallelism()} cores`,
  );
  const one = await run(1);
  const many = await run(procs);
  const fmt = (x) => x.toFixed(2);
  console.log(`  1 process  (${one.threads} threads): ${fmt(one.samplesPerSecond)} samples/s`);
  console.log(
    `  ${procs} processes (${many.threads} thread(s) each): ${fmt(many.samplesPerSecond)} samples/s; ratio to 1 process ${(many.samplesPerSecond / one.samplesPerSecond).toFixed(3)}`,
  );
  const hidden = Math.max(0, many.allreduceMsPerStep - many.exposedWaitMsPerStep);
  console.log(
    `  gradient all-reduce (${many.buckets} bucket(s) of 25 MiB max): alone ${fmt(many.allreduceMsPerStep)} ms/step, exposed after backward ${fmt(many.exposedWaitMsPerStep)} ms/step, ` +
      `hidden behind backward ${fmt(hidden)} ms/step (${((100 * hidden) / many.allreduceMsPerStep).toFixed(0)}%)`,
  );
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
