// Model directories in and out: savePretrained -> fromPretrained is bit-exact, files follow the
// safetensors rules, pytorch_model.bin directories load, and damaged weight files never crash.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BertModel } from '../../lib/models/bert_model';
import { BertTokenizer } from '../../lib/tokenization/bert_tokenizer';
import { runPython } from '../helpers/python';
import { byName, maxAbsDiff } from '../helpers/tensors';

const CONFIG = {
  vocab_size: 40,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 24,
  max_position_embeddings: 16,
  num_labels: 2,
  hidden_dropout_prob: 0,
  attention_probs_dropout_prob: 0,
};
const BATCH = {
  shape: [2, 5] as [number, number],
  inputIds: new Int32Array([2, 7, 9, 11, 3, 2, 8, 3, 0, 0]),
  attentionMask: new Int32Array([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]),
};

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-ckpt-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

test('savePretrained writes the tokenizer given; fromPretrained loads it back (and none when the directory has none)', async () => {
  const tokenizer = await BertTokenizer.fromVocab(path.join(__dirname, '..', 'fixtures', 'tokenizer', 'vocab-uncased.txt'));
  const vocabSize = tokenizer.vocabSize;
  const model = BertModel.fromConfig({ ...CONFIG, vocab_size: vocabSize }, 'sequence-classification', { seed: 3 });
  await model.savePretrained(tmp, { tokenizer });
  expect(fs.readdirSync(tmp).sort()).toEqual([
    'config.json',
    'model.safetensors',
    'special_tokens_map.json',
    'tokenizer.json',
    'tokenizer_config.json',
    'vocab.txt',
  ]);
  const loaded = await BertModel.fromPretrained(tmp, 'sequence-classification');
  expect(loaded.tokenizer).toBeDefined();
  const text = 'Héllo, WORLD! unaffable';
  expect((await loaded.tokenizer!.encode(text)).inputIds).toEqual((await tokenizer.encode(text)).inputIds);
  expect((await tokenizer.encode(text)).inputIds.length).toBeGreaterThan(4);
  expect((await BertModel.fromPretrained(tmp, 'sequence-classification', { tokenizer: false })).tokenizer).toBeUndefined();

  const bare = path.join(tmp, 'bare');
  await model.savePretrained(bare);
  expect((await BertModel.fromPretrained(bare, 'sequence-classification')).tokenizer).toBeUndefined();
});

test('savePretrained -> fromPretrained round trip is bit-exact, with HF config.json and file layout', async () => {
  const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 3 });
  await model.savePretrained(tmp);
  expect(fs.readdirSync(tmp).sort()).toEqual(['config.json', 'model.safetensors']);
  const config = JSON.parse(fs.readFileSync(path.join(tmp, 'config.json'), 'utf8'));
  expect(config).toMatchObject({
    model_type: 'bert',
    architectures: ['BertForSequenceClassification'],
    hidden_size: 16,
    id2label: { 0: 'LABEL_0', 1: 'LABEL_1' },
  });

  const bytes = fs.readFileSync(path.join(tmp, 'model.safetensors'));
  const headerLength = Number(bytes.readBigUInt64LE(0));
  expect((8 + headerLength) % 8).toBe(0);
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8'));
  expect(header['bert.encoder.layer.1.attention.self.query.weight']).toMatchObject({ dtype: 'F32', shape: [16, 16] });

  const { model: loaded, report } = await BertModel.fromPretrained(tmp, 'sequence-classification', { strict: true });
  expect(report).toEqual({ missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
  const a = byName(await model.stateDict());
  const b = byName(await loaded.stateDict());
  expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
  for (const [name, t] of a)
    expect(
      Buffer.from(b.get(name)!.data.buffer, b.get(name)!.data.byteOffset, b.get(name)!.data.byteLength).equals(
        Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
      ),
    ).toBe(true);
  const [x, y] = [await model.forward(BATCH), await loaded.forward(BATCH)];
  expect(maxAbsDiff(x.outputs.logits.data, y.outputs.logits.data)).toBe(0);
});

test('Python safetensors reads what bertrun wrote, with the same values', async () => {
  const model = BertModel.fromConfig(CONFIG, 'masked-lm', { seed: 5 });
  await model.savePretrained(tmp);
  const out = runPython(
    'import sys, json\nfrom safetensors.numpy import load_file\nd = load_file(sys.argv[1])\nprint(json.dumps({k: [float(v.sum()), list(v.shape)] for k, v in d.items()}))',
    [path.join(tmp, 'model.safetensors')],
  );
  const python = JSON.parse(out) as Record<string, [number, number[]]>;
  const ours = await model.stateDict();
  expect(Object.keys(python).sort()).toEqual(ours.map((t) => t.name).sort());
  for (const t of ours) {
    const sum = Array.from(t.data as Float32Array).reduce((s, v) => s + v, 0);
    expect(python[t.name][1]).toEqual(t.shape);
    expect(Math.abs(python[t.name][0] - sum)).toBeLessThan(1e-3);
  }
});

test('a directory with only pytorch_model.bin (torch.save) loads, tensors only', async () => {
  const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 9 });
  await model.savePretrained(tmp);
  runPython(
    'import sys, os, torch\nfrom safetensors.torch import load_file\nd = load_file(os.path.join(sys.argv[1], "model.safetensors"))\n' +
      'd["bert.embeddings.position_ids"] = torch.arange(16).unsqueeze(0)\n' +
      'torch.save(d, os.path.join(sys.argv[1], "pytorch_model.bin"))\nos.remove(os.path.join(sys.argv[1], "model.safetensors"))',
    [tmp],
  );
  const { model: loaded, report } = await BertModel.fromPretrained(tmp, 'sequence-classification');
  expect(report.missingKeys).toEqual([]);
  expect(report.unexpectedKeys).toEqual([]);
  const [x, y] = [await model.forward(BATCH), await loaded.forward(BATCH)];
  expect(maxAbsDiff(x.outputs.logits.data, y.outputs.logits.data)).toBe(0);
});

test('a pretraining checkpoint into a classifier: new head initialised and reported like HF', async () => {
  const mlm = BertModel.fromConfig(CONFIG, 'masked-lm', { seed: 1 });
  await mlm.savePretrained(tmp);
  const warnings: string[] = [];
  const { report } = await BertModel.fromPretrained(tmp, 'sequence-classification', { warn: (m) => warnings.push(m) });
  expect(report.missingKeys.sort()).toEqual(['bert.pooler.dense.bias', 'bert.pooler.dense.weight', 'classifier.bias', 'classifier.weight']);
  expect(report.unexpectedKeys.every((k) => k.startsWith('cls.predictions.'))).toBe(true);
  expect(warnings[0]).toMatch(/newly initialized: \[.*classifier\.weight/);
  await expect(BertModel.fromPretrained(tmp, 'sequence-classification', { strict: true, warn: () => undefined })).rejects.toThrow(/strict loading failed/);
});

test('missing directory and missing weights give actionable errors', async () => {
  await expect(BertModel.fromPretrained(path.join(tmp, 'nope'), 'base')).rejects.toThrow(/does not exist/);
  fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(CONFIG));
  await expect(BertModel.fromPretrained(tmp, 'base')).rejects.toThrow(/no model weights in .*model\.safetensors/);
  fs.writeFileSync(path.join(tmp, 'config.json'), '{"hidden_size": 16,');
  await expect(BertModel.fromPretrained(tmp, 'base')).rejects.toThrow(/config\.json: not valid JSON/);
});

test('fuzz: truncated or bit-flipped weight files never crash the process', async () => {
  const model = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 2 });
  await model.savePretrained(tmp);
  const file = path.join(tmp, 'model.safetensors');
  const original = fs.readFileSync(file);
  const target = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 4 });
  let seed = 12345;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  let rejected = 0;
  let accepted = 0;
  for (let i = 0; i < 150; i++) {
    const damaged = Buffer.from(original);
    let bytes: Buffer;
    if (i % 2 === 0) {
      bytes = damaged.subarray(0, next() % original.length); // truncation: always an error
    } else {
      // Flips land in the header half the time, where they break structure.
      const pos = i % 4 === 1 ? next() % Math.min(original.length, 8 + Number(original.readBigUInt64LE(0))) : next() % original.length;
      damaged[pos] ^= 1 << (next() % 8);
      bytes = damaged;
    }
    fs.writeFileSync(file, bytes);
    try {
      await target.loadWeightsFile(file, { strict: true });
      accepted++;
      expect(i % 2).toBe(1);
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
      expect((e as Error).message).toMatch(/model\.safetensors|strict loading|shapes do not match|none of its/);
      rejected++;
    }
  }
  expect(rejected).toBeGreaterThanOrEqual(75);
  expect(accepted + rejected).toBe(150);
  // The model is still usable after all of it.
  const out = await target.forward(BATCH);
  expect(out.outputs.logits.shape).toEqual([2, 2]);
});
