// Multi-head models: loss, per-head logits and every gradient against reference math in Python
// (transformers' BertModel + one linear layer per head, each head's loss as the single-head HF
// model computes it, weighted sum), and against bertrun's own single-head models sharing the
// encoder: the 2-head loss and gradients are the weighted sum of the two single-head ones.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BertModel } from '../../lib/models/bert_model';
import type { NamedTensor } from '../../lib/io/named_tensor';
import { readSafetensors } from '../../lib/io/safetensors';
import type { NativeBatch } from '../../lib/native';
import { byName, maxAbsDiff, toNumbers } from '../helpers/tensors';
import { runPythonScript } from '../helpers/python_script';

const ENCODER = {
  vocab_size: 40,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 16,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
};
const HEADS = [
  { name: 'program', type: 'classification', num_labels: 5, loss_weight: 1 },
  { name: 'ops', type: 'multi-label', num_labels: 4, loss_weight: 0.5 },
  { name: 'tags', type: 'token-classification', num_labels: 3, loss_weight: 2 },
  { name: 'score', type: 'regression', num_labels: 1, loss_weight: 0.25 },
];
const INPUT_IDS = [
  [2, 11, 12, 13, 14, 3, 0, 0],
  [2, 21, 22, 3, 23, 24, 25, 3],
  [2, 31, 3, 0, 0, 0, 0, 0],
];
const MASK = INPUT_IDS.map((row) => row.map((id, c) => (c === 0 || id !== 0 ? 1 : 0)));
const TYPES = [
  [0, 0, 0, 0, 0, 0, 0, 0],
  [0, 0, 0, 0, 1, 1, 1, 1],
  [0, 0, 0, 0, 0, 0, 0, 0],
];
// -100: no label (row 1 has no program class; padding and [CLS]/[SEP] have no tag).
const LABELS = {
  program: [3, -100, 0],
  ops: [
    [1, 0, 1, 0],
    [0, 0, 0, 1],
    [1, 1, 1, 1],
  ],
  tags: [
    [-100, 0, 1, 2, 1, -100, -100, -100],
    [-100, 2, 2, -100, 0, 1, 0, -100],
    [-100, 1, -100, -100, -100, -100, -100, -100],
  ],
  score: [0.5, -1.25, 2],
};

const flat = (rows: number[][]) => Int32Array.from(rows.flat());
const shape: [number, number] = [INPUT_IDS.length, INPUT_IDS[0].length];
const inputs = { shape, inputIds: flat(INPUT_IDS), tokenTypeIds: flat(TYPES), attentionMask: flat(MASK) };
const headLabels: NonNullable<NativeBatch['headLabels']> = {
  program: { data: Int32Array.from(LABELS.program), shape: [3] },
  ops: { data: Float32Array.from(LABELS.ops.flat()), shape: [3, 4] },
  tags: { data: flat(LABELS.tags), shape },
  score: { data: Float32Array.from(LABELS.score), shape: [3] },
};

let dir: string;
let weights: NamedTensor[];
let expected: Map<string, NamedTensor>;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-multi-head-'));
  const caseFile = path.join(dir, 'case.json');
  fs.writeFileSync(
    caseFile,
    JSON.stringify({ config: ENCODER, heads: HEADS, seed: 3, input_ids: INPUT_IDS, token_type_ids: TYPES, attention_mask: MASK, head_labels: LABELS }),
  );
  runPythonScript('multi_head_reference.py', [caseFile, dir]);
  weights = readSafetensors(path.join(dir, 'weights.safetensors')).tensors;
  expected = byName(readSafetensors(path.join(dir, 'expected.safetensors')).tensors);
}, 120_000);
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function multiHead(heads = HEADS): Promise<BertModel> {
  const model = BertModel.fromConfig({ ...ENCODER, bertrun_heads: heads }, 'multi-head', { seed: 1 });
  const own = new Set(model.parameterShapes().keys());
  await model.loadWeights(
    weights.filter((w) => own.has(w.name)),
    { strict: true },
  );
  return model;
}

test('4 heads (classification, multi-label, token, regression): loss, logits and every gradient equal the reference (<= 1e-5)', async () => {
  const model = await multiHead();
  const { outputs } = await model.forward(inputs, { skipPadding: false });
  expect(Object.keys(outputs).sort()).toEqual(['logits.ops', 'logits.program', 'logits.score', 'logits.tags']);
  for (const head of HEADS) {
    const want = expected.get(`logits.${head.name}`)!;
    expect(outputs[`logits.${head.name}`].shape).toEqual(want.shape);
    expect(maxAbsDiff(outputs[`logits.${head.name}`].data, want.data)).toBeLessThanOrEqual(1e-5);
  }
  const loss = await model.forwardBackward({ ...inputs, headLabels }, { returnLoss: true });
  const reference = toNumbers(expected.get('loss')!.data)[0];
  expect(Math.abs(loss! - reference)).toBeLessThanOrEqual(1e-5);
  // The weighted sum of the heads' own losses, each non-trivial.
  const parts = HEADS.map((h) => h.loss_weight * toNumbers(expected.get(`loss.${h.name}`)!.data)[0]);
  for (const part of parts) expect(part).toBeGreaterThan(0.01);
  expect(Math.abs(parts.reduce((a, b) => a + b) - reference)).toBeLessThanOrEqual(1e-5);

  const grads = await model.gradients();
  expect(grads.length).toBe(model.parameterShapes().size);
  for (const g of grads) {
    const want = expected.get(`grad.${g.name}`);
    expect({ name: g.name, found: want !== undefined }).toEqual({ name: g.name, found: true });
    expect(maxAbsDiff(g.data, want!.data)).toBeLessThanOrEqual(1e-5);
  }
  // Computing the padding too changes nothing the loss reads (token labels on padding are -100).
  await model.zeroGrad();
  const padded = await model.forwardBackward({ ...inputs, headLabels }, { returnLoss: true, skipPadding: false });
  expect(Math.abs(padded! - loss!)).toBeLessThanOrEqual(1e-6);
});

test('a head without targets in the batch adds nothing; a class head whose rows are all -100 adds 0 (not NaN)', async () => {
  const model = await multiHead();
  const part = (name: string) => HEADS.find((h) => h.name === name)!.loss_weight * toNumbers(expected.get(`loss.${name}`)!.data)[0];
  const { program: _program, ...others } = headLabels;
  const without = await model.forwardBackward({ ...inputs, headLabels: others }, { returnLoss: true });
  expect(Math.abs(without! - (part('ops') + part('tags') + part('score')))).toBeLessThanOrEqual(1e-5);
  const grads = byName(await model.gradients());
  expect(grads.has('heads.program.weight')).toBe(false);
  await model.zeroGrad();
  const unlabelled = { ...headLabels, program: { data: Int32Array.from([-100, -100, -100]), shape: [3] } };
  const zero = await model.forwardBackward({ ...inputs, headLabels: unlabelled }, { returnLoss: true });
  expect(Math.abs(zero! - (part('ops') + part('tags') + part('score')))).toBeLessThanOrEqual(1e-5);
  expect(toNumbers(byName(await model.gradients()).get('heads.program.weight')!.data).every((v) => v === 0)).toBe(true);
});

test('token labels on padded positions are computed with the padding (as HF reads them)', async () => {
  const model = await multiHead(HEADS.filter((h) => h.name === 'tags'));
  const onPadding = LABELS.tags.map((row) => row.map((v, c) => (v === -100 && c > 0 ? c % 3 : v)));
  const batch = { ...inputs, headLabels: { tags: { data: flat(onPadding), shape } } };
  const packedByDefault = await model.forwardBackward(batch, { returnLoss: true });
  await model.zeroGrad();
  const padded = await model.forwardBackward(batch, { returnLoss: true, skipPadding: false });
  expect(Math.abs(packedByDefault! - padded!)).toBeLessThanOrEqual(1e-6);
});

test('2 heads = the weighted sum of two single-head models sharing the encoder (loss and gradients)', async () => {
  const heads = HEADS.slice(0, 2); // program (classification, weight 1) + ops (multi-label, weight 0.5)
  const model = await multiHead(heads);
  // Every row labelled: bertrun's single-head classifier refuses -100 class ids.
  const program = Int32Array.from([3, 1, 0]);
  const labels = { program: { data: program, shape: [3] }, ops: headLabels.ops };
  const loss = (await model.forwardBackward({ ...inputs, headLabels: labels }, { returnLoss: true }))!;
  const grads = byName(await model.gradients());

  const single = async (head: (typeof heads)[number], extra: Record<string, unknown>, batchLabels: NativeBatch) => {
    const m = BertModel.fromConfig({ ...ENCODER, num_labels: head.num_labels, ...extra }, 'sequence-classification', { seed: 1 });
    const renamed = weights
      .filter((w) => w.name.startsWith('bert.') || w.name.startsWith(`heads.${head.name}.`))
      .map((w) => ({ ...w, name: w.name.replace(`heads.${head.name}.`, 'classifier.') }));
    await m.loadWeights(renamed, { strict: true });
    const l = (await m.forwardBackward({ ...inputs, ...batchLabels }, { returnLoss: true }))!;
    return { loss: l, grads: byName(await m.gradients()) };
  };
  const a = await single(heads[0], {}, { ...inputs, labels: program });
  const b = await single(
    heads[1],
    { problem_type: 'multi_label_classification' },
    { ...inputs, labels: Float32Array.from(LABELS.ops.flat()), labelShape: [3, 4] },
  );
  expect(Math.abs(loss - (a.loss + 0.5 * b.loss))).toBeLessThanOrEqual(1e-5);
  for (const [name, g] of grads) {
    if (name.startsWith('bert.')) {
      const sum = toNumbers(a.grads.get(name)!.data).map((v, i) => v + 0.5 * toNumbers(b.grads.get(name)!.data)[i]);
      expect(maxAbsDiff(g.data, Float32Array.from(sum))).toBeLessThanOrEqual(1e-5);
    } else {
      const [source, scale] = name.startsWith('heads.program.') ? [a, 1] : [b, 0.5];
      const want = toNumbers(source.grads.get(name.replace(/^heads\.\w+\./, 'classifier.'))!.data).map((v) => v * scale);
      expect(maxAbsDiff(g.data, Float32Array.from(want))).toBeLessThanOrEqual(1e-6);
    }
  }
});

test('an unknown label field names the field and the heads the model has', async () => {
  const model = await multiHead();
  const bad = { ...inputs, headLabels: { ...headLabels, concat_prog_ids: { data: Int32Array.from([1, 2, 3]), shape: [3] } } };
  await expect(model.forwardBackward(bad)).rejects.toThrow(/unexpected label field 'concat_prog_ids': this model's heads are program, ops, tags, score/);
});

test('wrong shapes, out-of-range classes and a single-head model given headLabels are refused with the head named', async () => {
  const model = await multiHead();
  await expect(model.forwardBackward({ ...inputs, headLabels: { program: { data: Int32Array.from([1, 2]), shape: [2] } } })).rejects.toThrow(
    /labels of head 'program' \(classification\) have shape \[2\] but need \[3\]/,
  );
  await expect(model.forwardBackward({ ...inputs, headLabels: { program: { data: Int32Array.from([1, 7, 0]), shape: [3] } } })).rejects.toThrow(
    /labels of head 'program' \(classification\) has 7 at \[1\], but num_labels is 5/,
  );
  await expect(model.forwardBackward(inputs)).rejects.toThrow(/forwardBackward needs labels .*headLabels for a multi-head model/);
  const classifier = BertModel.fromConfig(ENCODER, 'sequence-classification');
  await expect(classifier.forwardBackward({ ...inputs, headLabels })).rejects.toThrow(/headLabels is for multi-head models/);
  expect(() => BertModel.fromConfig(ENCODER, 'multi-head')).toThrow(/a multi-head model needs its heads in the config: "bertrun_heads"/);
  expect(() => BertModel.fromConfig({ ...ENCODER, bertrun_heads: [{ name: 'a b', type: 'classification', num_labels: 2 }] }, 'multi-head')).toThrow(
    /bertrun_heads\[0\]\.name" must be letters, digits and _/,
  );
});

test('save and load keep heads.<name>.* names and the heads in config.json', async () => {
  const model = await multiHead();
  const out = path.join(dir, 'saved');
  await model.savePretrained(out);
  const config = JSON.parse(fs.readFileSync(path.join(out, 'config.json'), 'utf8'));
  expect(config.bertrun_heads.map((h: { name: string; type: string }) => `${h.name}:${h.type}`)).toEqual([
    'program:classification',
    'ops:multi-label',
    'tags:token-classification',
    'score:regression',
  ]);
  const names = readSafetensors(path.join(out, 'model.safetensors')).tensors.map((t) => t.name);
  expect(names.filter((n) => n.startsWith('heads.')).sort()).toEqual(HEADS.flatMap((h) => [`heads.${h.name}.bias`, `heads.${h.name}.weight`]).sort());
  const { model: again, report } = await BertModel.fromPretrained(out, 'multi-head', { tokenizer: false });
  expect(report.missingKeys).toEqual([]);
  const before = (await model.forward(inputs)).outputs;
  const after = (await again.forward(inputs)).outputs;
  for (const head of HEADS) expect(maxAbsDiff(after[`logits.${head.name}`].data, before[`logits.${head.name}`].data)).toBe(0);
});
