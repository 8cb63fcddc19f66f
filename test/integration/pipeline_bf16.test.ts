// pipeline(..., { bf16: true }): forwards under bfloat16 autocast give the float32 answers up to
// bfloat16's precision (8 bits of mantissa), on the real all-MiniLM-L6-v2 weights.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { pipeline } from '../../lib/serving/pipeline';
import { writeMiniLmWithHead } from '../helpers/pipeline_models';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS script without types
const { findMiniLM } = require('../../scripts/find-minilm.js') as { findMiniLM: () => string };

const TEXTS = ['The hotel was wonderful.', 'I hated every minute of the film.', 'The train leaves at nine.', 'Fine.'];

let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-pipeline-bf16-'));
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('text-classification with bf16: the model runs under bfloat16 autocast; labels agree with float32, scores within 2e-2', async () => {
  const id2label = { 0: 'negative', 1: 'neutral', 2: 'positive' };
  const modelDir = await writeMiniLmWithHead(path.join(dir, 'classifier'), 'sequence-classification', 5, { num_labels: 3, id2label, initializer_range: 0.5 });
  const fp32 = await pipeline('text-classification', modelDir);
  const bf16 = await pipeline('text-classification', modelDir, { bf16: true });
  try {
    expect(fp32.engine.model.info().mixedPrecision).toBeNull();
    expect(bf16.engine.model.info().mixedPrecision).toBe('bfloat16');
    const full = (await fp32(TEXTS, { top_k: null })) as Array<Array<{ label: string; score: number }>>;
    const half = (await bf16(TEXTS, { top_k: null })) as Array<Array<{ label: string; score: number }>>;
    let largest = 0;
    full.forEach((ranked, i) => {
      expect(half[i][0].label).toBe(ranked[0].label);
      for (const { label, score } of ranked) largest = Math.max(largest, Math.abs(half[i].find((r) => r.label === label)!.score - score));
    });
    expect(largest).toBeLessThan(2e-2);
    // bfloat16 does change the numbers: the two runs are not the same computation.
    expect(largest).toBeGreaterThan(0);
  } finally {
    await fp32.dispose();
    await bf16.dispose();
  }
});

test('sentence-embeddings with bf16: cosine to the float32 vectors >= 0.999', async () => {
  const fp32 = await pipeline('sentence-embeddings', findMiniLM());
  const bf16 = await pipeline('sentence-embeddings', findMiniLM(), { bf16: true });
  try {
    const a = (await fp32(TEXTS)) as number[][];
    const b = (await bf16(TEXTS)) as number[][];
    a.forEach((vector, i) => {
      const dot = vector.reduce((sum, x, j) => sum + x * b[i][j], 0);
      const norms = Math.hypot(...vector) * Math.hypot(...b[i]);
      expect(dot / norms).toBeGreaterThan(0.999);
    });
  } finally {
    await fp32.dispose();
    await bf16.dispose();
  }
});
