// The caching CPU allocator (native/common/memory_release.cc): training steps reuse freed blocks
// instead of asking the system for fresh pages each step, the cache stays within 1.25x the peak of
// live bytes, dispose empties it, and results are bitwise those of libtorch's own allocator.
import { execFileSync } from 'child_process';
import * as path from 'path';

const DIST = path.join(__dirname, '..', '..', 'dist', 'lib', 'index.js');

// A QA model at seq 256: attention probabilities of 8 x 4 x 256 x 256 floats are 8 MiB per layer.
const SCRIPT = `
const { BertModel, buildInfo } = require(${JSON.stringify(DIST)});
(async () => {
  const model = BertModel.fromConfig({ vocab_size: 500, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128, max_position_embeddings: 256 }, 'question-answering', { seed: 3 });
  await model.configureOptimizer({ weightDecay: 0.01 });
  await model.train();
  const n = 8 * 256;
  const batch = { shape: [8, 256], inputIds: Int32Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 499)), tokenTypeIds: new Int32Array(n),
    startPositions: Int32Array.from([3, 10, 50, 200, 0, 7, 99, 255]), endPositions: Int32Array.from([5, 12, 60, 210, 0, 9, 120, 255]) };
  const losses = [];
  const stats = [];
  for (let i = 0; i < 4; i++) {
    await model.forwardBackward(batch);
    await model.step({ lr: 1e-3, maxGradNorm: 1, zeroGrad: true });
    losses.push((await model.takeLoss()).mean);
    stats.push(buildInfo().hostAllocator);
  }
  const logits = (await model.forward(batch)).outputs.start_logits.data;
  await model.dispose();
  console.log(JSON.stringify({ losses, logits: Array.from(logits.slice(0, 64)), stats, afterDispose: buildInfo().hostAllocator }));
})();
`;

interface Stats {
  caching: boolean;
  liveBytes: number;
  cachedBytes: number;
  peakLiveBytes: number;
  hits: number;
  misses: number;
}
interface Run {
  losses: number[];
  logits: number[];
  stats: Stats[];
  afterDispose: Stats;
}

function run(env: Record<string, string | undefined>): Run {
  const base: NodeJS.ProcessEnv = { ...process.env, BERTRUN_NUM_THREADS: '1' };
  delete base.BERTRUN_CPU_ALLOCATOR;
  const out = execFileSync(process.execPath, ['-e', SCRIPT], { encoding: 'utf8', env: { ...base, ...env } });
  return JSON.parse(out.trim().split('\n').pop()!) as Run;
}

test('training steps reuse cached blocks; the cache stays within the live peak; dispose empties it; results equal the system allocator bit for bit', () => {
  const caching = run({});
  const system = run({ BERTRUN_CPU_ALLOCATOR: 'system' });
  expect(caching.stats[0].caching).toBe(true);
  expect(system.stats.every((s) => !s.caching && s.hits === 0 && s.misses === 0)).toBe(true);

  // The first step asks the system; each later step is served from the cache.
  const [first, ...later] = caching.stats;
  expect(first.misses).toBeGreaterThan(10);
  for (let i = 1; i < caching.stats.length; i++) {
    const newHits = caching.stats[i].hits - caching.stats[i - 1].hits;
    const newMisses = caching.stats[i].misses - caching.stats[i - 1].misses;
    expect({ step: i, newMisses }).toEqual({ step: i, newMisses: 0 });
    expect(newHits).toBeGreaterThanOrEqual(first.misses);
  }
  for (const s of [first, ...later]) {
    expect(s.cachedBytes).toBeLessThanOrEqual(1.25 * s.peakLiveBytes);
    expect(s.cachedBytes + s.liveBytes).toBeGreaterThan(8 * 2 ** 20);
  }
  expect(caching.afterDispose).toMatchObject({ cachedBytes: 0, liveBytes: 0 });

  expect(caching.losses).toEqual(system.losses);
  expect(caching.logits).toEqual(system.logits);
  expect(new Set(caching.losses).size).toBe(4); // the steps trained
});
