// Live parity: random configs (sizes, activations, padding patterns) run through Hugging Face
// transformers in .venv (test/helpers/hf_reference.py), then through bertrun, compared as the
// fixture test does: forward and losses <= 1e-5, every gradient <= 1e-5.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BertModel, type BertTask } from '../../lib/models/bert_model';
import { readSafetensors } from '../../lib/io/safetensors';
import { runPythonScript } from '../helpers/python_script';
import { byName, compareSkippedPadding, maxAbsDiff } from '../helpers/tensors';
import { SeededRandom } from '../../lib/data/loader/seeded_random';

// The library's seeded PRNG, so every run builds the same cases.
function prng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

interface Case {
  name: string;
  task: BertTask;
  config: Record<string, unknown>;
  seed: number;
  input_ids: number[][];
  token_type_ids: number[][];
  attention_mask: number[][];
  labels?: number[] | number[][];
  float_labels?: boolean;
  start_positions?: number[];
  end_positions?: number[];
  // bertrun must compute padded positions too (skipPadding would change an output or the loss).
  computes_padding?: boolean;
}

const SIZES = [
  { hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 37, vocab_size: 120, type_vocab_size: 2, hidden_act: 'gelu' },
  { hidden_size: 48, num_hidden_layers: 3, num_attention_heads: 6, intermediate_size: 64, vocab_size: 200, type_vocab_size: 3, hidden_act: 'gelu_new' },
  {
    hidden_size: 64,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 128,
    vocab_size: 150,
    type_vocab_size: 2,
    hidden_act: 'relu',
    layer_norm_eps: 1e-7,
  },
];
// left: padding before the tokens (position 0 is padding).
type Padding = 'none' | 'mixed' | 'single-token' | 'left';

function makeCase(index: number, task: BertTask, size: (typeof SIZES)[number], padding: Padding, variant = ''): Case {
  const rand = prng(1000 + index);
  const batch = 3;
  const seq = 11;
  const lengths = Array.from({ length: batch }, (_, i) =>
    padding === 'none' ? seq : padding === 'single-token' && i === 1 ? 1 : 2 + Math.floor(rand() * (seq - 1)),
  );
  const real = (len: number, col: number) => (padding === 'left' ? col >= seq - len : col < len);
  const grid = (f: (row: number, col: number) => number) => lengths.map((len, r) => Array.from({ length: seq }, (_, c) => (real(len, c) ? f(r, c) : 0)));
  const config: Record<string, unknown> = {
    ...size,
    max_position_embeddings: 32,
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
    pad_token_id: 0,
  };
  const c: Case = {
    name: `case${index}`,
    task,
    config,
    seed: 7 + index,
    input_ids: grid(() => 1 + Math.floor(rand() * (size.vocab_size - 1))),
    token_type_ids: grid((r, col) => (col >= lengths[r] / 2 ? Math.floor(rand() * size.type_vocab_size) : 0)),
    attention_mask: grid(() => 1),
  };
  const randInt = (n: number) => Math.floor(rand() * n);
  if (task === 'sequence-classification') {
    if (variant === 'regression') {
      config.num_labels = 1;
      c.labels = lengths.map(() => rand() * 4 - 2);
      c.float_labels = true;
    } else if (variant === 'multi-label') {
      config.num_labels = 4;
      config.problem_type = 'multi_label_classification';
      c.labels = lengths.map(() => Array.from({ length: 4 }, () => (rand() < 0.5 ? 1 : 0)));
      c.float_labels = true;
    } else {
      config.num_labels = 3;
      c.labels = lengths.map(() => randInt(3));
    }
  } else if (task === 'token-classification') {
    config.num_labels = 5;
    // labels-on-padding: HF's loss reads them (it ignores only -100), so bertrun must compute padding.
    const labelled = (len: number, col: number) => variant === 'labels-on-padding' || real(len, col);
    c.labels = lengths.map((len) => Array.from({ length: seq }, (_, col) => (labelled(len, col) && rand() < 0.8 ? randInt(5) : -100)));
    c.computes_padding = variant === 'labels-on-padding' && padding !== 'none';
  } else if (task === 'masked-lm') {
    c.labels = lengths.map((len) => Array.from({ length: seq }, (_, col) => (real(len, col) && rand() < 0.3 ? 1 + randInt(size.vocab_size - 1) : -100)));
  } else if (task === 'question-answering') {
    c.start_positions = lengths.map((len) => randInt(len));
    c.end_positions = lengths.map((len, i) => (i === 2 ? seq + 5 : Math.min(len - 1, randInt(len) + 1))); // one clamped
    c.computes_padding = true; // HF's QA loss is a softmax over padded positions too
  }
  return c;
}

const CASES: Case[] = [
  makeCase(0, 'base', SIZES[0], 'mixed'),
  makeCase(1, 'base', SIZES[1], 'none'),
  makeCase(2, 'sequence-classification', SIZES[0], 'mixed'),
  makeCase(3, 'sequence-classification', SIZES[1], 'single-token', 'regression'),
  makeCase(4, 'sequence-classification', SIZES[2], 'mixed', 'multi-label'),
  makeCase(5, 'question-answering', SIZES[1], 'mixed'),
  makeCase(6, 'token-classification', SIZES[2], 'single-token'),
  makeCase(7, 'masked-lm', SIZES[0], 'none'),
  makeCase(8, 'masked-lm', SIZES[2], 'mixed'),
  makeCase(9, 'token-classification', SIZES[0], 'mixed', 'labels-on-padding'),
  makeCase(10, 'sequence-classification', SIZES[1], 'left'),
  makeCase(11, 'base', SIZES[0], 'left'),
];

const flatInt = (rows: number[][]) => BigInt64Array.from(rows.flat(), (v) => BigInt(v));

function labelArray(c: Case): Float32Array | BigInt64Array {
  const flat = (c.labels as Array<number | number[]>).flat();
  return c.float_labels ? Float32Array.from(flat) : BigInt64Array.from(flat, (v) => BigInt(v));
}
const TOL = 1e-5;

/** Outputs with one row per position ([batch, seq, ...]), which skipPadding zeroes at padding. */
function isPerTokenOutput(task: string, name: string): boolean {
  if (name === 'last_hidden_state' || name.startsWith('hidden_states.')) return true;
  if (name === 'start_logits' || name === 'end_logits') return true;
  return name === 'logits' && (task === 'token-classification' || task === 'masked-lm');
}

describe('live parity with Hugging Face transformers', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-live-'));
    fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify(CASES));
    runPythonScript('hf_reference.py', [path.join(dir, 'cases.json'), dir]);
  }, 300000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test.each(CASES.map((c) => [`${c.name} ${c.task} ${String(c.config.hidden_act)} ${c.float_labels ? 'float labels' : ''}`, c] as const))(
    '%s',
    async (_label, c) => {
      const model = BertModel.fromConfig(c.config, c.task);
      await model.loadWeightsFile(path.join(dir, `${c.name}.weights.safetensors`), { strict: true });
      const expected = byName(readSafetensors(path.join(dir, `${c.name}.expected.safetensors`)).tensors);
      const rows = c.input_ids.length;
      const cols = c.input_ids[0].length;
      const batch = {
        shape: [rows, cols] as [number, number],
        inputIds: flatInt(c.input_ids),
        tokenTypeIds: flatInt(c.token_type_ids),
        attentionMask: flatInt(c.attention_mask),
        ...(c.labels ? { labels: labelArray(c) } : {}),
        ...(c.start_positions
          ? { startPositions: BigInt64Array.from(c.start_positions.map(BigInt)), endPositions: BigInt64Array.from(c.end_positions!.map(BigInt)) }
          : {}),
      };
      // Every position, as HF computes it.
      const out = await model.forward(batch, { outputHiddenStates: true, skipPadding: false });
      // The default skips padded positions: real positions and position 0 unchanged, the rest 0.
      const packed = await model.forward(batch, { outputHiddenStates: true });
      let compared = 0;
      for (const [name, tensor] of expected) {
        if (name.startsWith('grad.') || name === 'loss') continue;
        expect({ name, diff: maxAbsDiff(out.outputs[name].data, tensor.data) <= TOL }).toEqual({ name, diff: true });
        const perToken = isPerTokenOutput(c.task, name) && !c.computes_padding;
        const { kept, skipped } = perToken
          ? compareSkippedPadding(packed.outputs[name].data, tensor.data, tensor.shape, batch.attentionMask)
          : { kept: maxAbsDiff(packed.outputs[name].data, tensor.data), skipped: 0 };
        expect({ name, kept: kept <= TOL, skipped }).toEqual({ name, kept: true, skipped: 0 });
        compared++;
      }
      expect(compared).toBeGreaterThanOrEqual((c.config.num_hidden_layers as number) + 2);
      if (!expected.has('loss')) return;
      expect(Math.abs(out.loss! - Number(expected.get('loss')!.data[0]))).toBeLessThanOrEqual(TOL);
      expect(Math.abs(packed.loss! - Number(expected.get('loss')!.data[0]))).toBeLessThanOrEqual(TOL);
      if (c.task === 'masked-lm') {
        // Loss-only evaluation: decoder logits at the labelled positions only, no logits returned.
        const lossOnly = await model.forward(batch, { maskedLmLogits: false });
        expect(Object.keys(lossOnly.outputs)).toEqual([]);
        expect(Math.abs(lossOnly.loss! - Number(expected.get('loss')!.data[0]))).toBeLessThanOrEqual(TOL);
      }
      await model.train();
      // Training computes a masked LM's logits at labelled positions only: the same loss and gradients.
      const trainLoss = await model.forwardBackward(batch, { returnLoss: true });
      expect(Math.abs(trainLoss! - Number(expected.get('loss')!.data[0]))).toBeLessThanOrEqual(TOL);
      const grads = byName(await model.gradients());
      const expectedGrads = [...expected.keys()].filter((k) => k.startsWith('grad.'));
      expect(expectedGrads.length).toBe(grads.size);
      for (const key of expectedGrads) {
        const name = key.slice('grad.'.length);
        expect({ name, ok: maxAbsDiff(grads.get(name)!.data, expected.get(key)!.data) <= TOL }).toEqual({ name, ok: true });
      }
    },
  );
});
