// Parity with Hugging Face transformers on the tiny-a fixture (generated with HF's own BERT code;
// see test/fixtures/hf-bert/tiny-a/README.md for what each tensor is and how to compare).
import * as path from 'path';
import { BertModel, type BertTask } from '../../lib/models/bert_model';
import { readBertConfig } from '../../lib/config/bert_config';
import { readSafetensors } from '../../lib/io/safetensors';
import type { NamedTensor } from '../../lib/io/named_tensor';
import type { NativeBatch } from '../../lib/native';
import { byName, compareSkippedPadding, maxAbsDiff, toInt64, toNumbers } from '../helpers/tensors';

const DIR = path.join(__dirname, '..', 'fixtures', 'hf-bert', 'tiny-a');
const inputs = byName(readSafetensors(path.join(DIR, 'inputs.safetensors')).tensors);
const expected = byName(readSafetensors(path.join(DIR, 'expected.safetensors')).tensors);
const config = readBertConfig(path.join(DIR, 'config.json'));
const configQa = readBertConfig(path.join(DIR, 'config_qa.json'));

function input(name: string): BigInt64Array {
  return toInt64(inputs.get(name)!.data);
}
function want(name: string): NamedTensor {
  const t = expected.get(name);
  if (!t) throw new Error(`fixture has no ${name}`);
  return t;
}

const encoder: NativeBatch = {
  shape: [3, 13],
  inputIds: input('input_ids'),
  tokenTypeIds: input('token_type_ids'),
  attentionMask: input('attention_mask'),
};

async function load(task: BertTask, file: string, cfg = config): Promise<BertModel> {
  const model = BertModel.fromConfig(cfg, task);
  const report = await model.loadWeightsFile(path.join(DIR, file), { strict: true });
  expect(report.missingKeys).toEqual([]);
  return model;
}

const FORWARD_TOL = 1e-5;
const LOSS_TOL = 1e-5;

describe('HF parity, tiny-a fixture (fp32, CPU)', () => {
  test('base model: last hidden state, pooler, every layer and attention', async () => {
    const model = await load('base', 'base.safetensors');
    const out = await model.forward(encoder, { outputHiddenStates: true, outputAttentions: true });
    const pairs: Array<[string, string]> = [
      ['last_hidden_state', 'base.last_hidden_state'],
      ['pooler_output', 'base.pooler_output'],
      ['hidden_states.0', 'base.hidden_states.0'],
      ['hidden_states.1', 'base.hidden_states.1'],
      ['hidden_states.2', 'base.hidden_states.2'],
      ['attentions.0', 'base.attentions.0'],
      ['attentions.1', 'base.attentions.1'],
    ];
    for (const [ours, theirs] of pairs) {
      expect(out.outputs[ours].shape).toEqual(want(theirs).shape);
      expect(maxAbsDiff(out.outputs[ours].data, want(theirs).data)).toBeLessThanOrEqual(FORWARD_TOL);
    }
  });

  // The default skipPadding: logits equal HF's at real positions (and position 0), 0 elsewhere; same loss.
  async function expectSameWithSkippedPadding(model: BertModel, batch: NativeBatch, prefix: string): Promise<void> {
    const packed = await model.forward(batch);
    const logits = want(`${prefix}.logits`);
    const { kept, skipped } = compareSkippedPadding(packed.outputs.logits.data, logits.data, logits.shape, batch.attentionMask!);
    expect(kept).toBeLessThanOrEqual(FORWARD_TOL);
    expect(skipped).toBe(0);
    expect(Math.abs(packed.loss! - toNumbers(want(`${prefix}.loss`).data)[0])).toBeLessThanOrEqual(LOSS_TOL);
  }

  test('sequence classification logits and cross-entropy loss', async () => {
    const model = await load('sequence-classification', 'seqcls.safetensors');
    const out = await model.forward({ ...encoder, labels: input('seqcls_labels') });
    expect(maxAbsDiff(out.outputs.logits.data, want('seqcls.logits').data)).toBeLessThanOrEqual(FORWARD_TOL);
    expect(Math.abs(out.loss! - toNumbers(want('seqcls.loss').data)[0])).toBeLessThanOrEqual(LOSS_TOL);
  });

  test('question answering start/end logits and clamped-position loss', async () => {
    const model = await load('question-answering', 'qa.safetensors', configQa);
    const out = await model.forward({ ...encoder, startPositions: input('qa_start_positions'), endPositions: input('qa_end_positions') });
    expect(maxAbsDiff(out.outputs.start_logits.data, want('qa.start_logits').data)).toBeLessThanOrEqual(FORWARD_TOL);
    expect(maxAbsDiff(out.outputs.end_logits.data, want('qa.end_logits').data)).toBeLessThanOrEqual(FORWARD_TOL);
    expect(Math.abs(out.loss! - toNumbers(want('qa.loss').data)[0])).toBeLessThanOrEqual(LOSS_TOL);
  });

  test('token classification logits and loss ignoring -100', async () => {
    const model = await load('token-classification', 'tokcls.safetensors');
    const out = await model.forward({ ...encoder, labels: input('tokcls_labels') }, { skipPadding: false });
    expect(maxAbsDiff(out.outputs.logits.data, want('tokcls.logits').data)).toBeLessThanOrEqual(FORWARD_TOL);
    expect(Math.abs(out.loss! - toNumbers(want('tokcls.loss').data)[0])).toBeLessThanOrEqual(LOSS_TOL);
    await expectSameWithSkippedPadding(model, { ...encoder, labels: input('tokcls_labels') }, 'tokcls');
  });

  test.each(['mlm.safetensors', 'mlm_hf_saved.safetensors'])('masked LM from %s (decoder tied to word embeddings)', async (file) => {
    const model = await load('masked-lm', file);
    const out = await model.forward({ ...encoder, labels: input('mlm_labels') }, { skipPadding: false });
    expect(out.outputs.logits.shape).toEqual([3, 13, 99]);
    expect(maxAbsDiff(out.outputs.logits.data, want('mlm.logits').data)).toBeLessThanOrEqual(FORWARD_TOL);
    expect(Math.abs(out.loss! - toNumbers(want('mlm.loss').data)[0])).toBeLessThanOrEqual(LOSS_TOL);
    await expectSameWithSkippedPadding(model, { ...encoder, labels: input('mlm_labels') }, 'mlm');
  });

  test('a QA checkpoint with a pooler-less encoder loads into a base model and reports the missing pooler', async () => {
    const model = BertModel.fromConfig(configQa, 'base');
    const report = await model.loadWeightsFile(path.join(DIR, 'qa.safetensors'));
    expect(report.missingKeys.sort()).toEqual(['pooler.dense.bias', 'pooler.dense.weight']);
    expect(report.unexpectedKeys.sort()).toEqual(['qa_outputs.bias', 'qa_outputs.weight']);
  });

  describe('training step (sequence classification)', () => {
    const seqBatch: NativeBatch = { ...encoder, labels: input('seqcls_labels') };
    const paramNames = [...expected.keys()].filter((k) => k.startsWith('grad.')).map((k) => k.slice('grad.'.length));

    test('gradients of every parameter and the total grad norm', async () => {
      const model = await load('sequence-classification', 'seqcls.safetensors');
      await model.train();
      const loss = await model.forwardBackward(seqBatch, { returnLoss: true });
      expect(Math.abs(loss! - toNumbers(want('seqcls.loss').data)[0])).toBeLessThanOrEqual(LOSS_TOL);
      const grads = byName(await model.gradients());
      expect(paramNames.length).toBe(41);
      expect([...grads.keys()].sort()).toEqual([...paramNames].sort());
      for (const name of paramNames) {
        expect(maxAbsDiff(grads.get(name)!.data, want(`grad.${name}`).data)).toBeLessThanOrEqual(1e-5);
      }
      // padding_idx = 0: the padding row of the word-embedding gradient is exactly zero.
      expect(
        toNumbers(grads.get('bert.embeddings.word_embeddings.weight')!.data)
          .slice(0, 32)
          .every((v) => v === 0),
      ).toBe(true);
      const norm = await model.clipGradNorm(0);
      expect(Math.abs(norm - toNumbers(want('grad_norm').data)[0])).toBeLessThanOrEqual(1e-5);
    });

    test('optimizer alone: fixture gradients, clip 1.0, AdamW step equal torch.optim.AdamW', async () => {
      const model = await load('sequence-classification', 'seqcls.safetensors');
      await model.configureOptimizer({ beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
      await model.setGradients(paramNames.map((name) => ({ ...want(`grad.${name}`), name })));
      const { gradNorm: norm, skipped } = await model.step({ lr: 1e-3, maxGradNorm: 1.0 });
      expect(skipped).toBe(false);
      expect(Math.abs(norm! - toNumbers(want('grad_norm').data)[0])).toBeLessThanOrEqual(1e-5);
      const after = byName(await model.stateDict());
      for (const name of paramNames) {
        expect(maxAbsDiff(after.get(name)!.data, want(`step1.${name}`).data)).toBeLessThanOrEqual(1e-6);
      }
    });

    test('end-to-end step: own gradients, clip, AdamW (README rule for tiny gradients)', async () => {
      const model = await load('sequence-classification', 'seqcls.safetensors');
      await model.train();
      await model.configureOptimizer({ weightDecay: 0.01 });
      await model.forwardBackward(seqBatch);
      await model.step({ lr: 1e-3, maxGradNorm: 1.0, zeroGrad: true });
      const after = byName(await model.stateDict());
      const clip = 1.0 / (toNumbers(want('grad_norm').data)[0] + 1e-6);
      for (const name of paramNames) {
        const ours = after.get(name)!.data;
        const theirs = want(`step1.${name}`).data;
        if (name.endsWith('attention.self.key.bias')) {
          // Its true gradient is exactly 0; the fixture's value is rounding noise.
          expect(maxAbsDiff(ours, theirs)).toBeLessThanOrEqual(2e-3);
          continue;
        }
        const g = toNumbers(want(`grad.${name}`).data);
        expect(maxAbsDiff(ours, theirs, (i) => Math.abs(g[i] * clip) >= 1e-6)).toBeLessThanOrEqual(1e-6);
        expect(maxAbsDiff(ours, theirs)).toBeLessThan(2e-3);
      }
      expect(await model.gradients()).toEqual([]);
    });
  });
});
