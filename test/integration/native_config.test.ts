// BertConfig has one home per fact: the defaults in TypeScript (the native model takes every field
// from nativeConfig() and has none of its own), the hidden_act names in native (its activation
// table, exported as `activations`, which parseBertConfig validates against).
import { BERT_DEFAULTS, nativeConfig, parseBertConfig } from '../../lib/config/bert_config';
import { BertModel } from '../../lib/models/bert_model';
import { native } from '../../lib/native';
import { TINY_BATCH } from '../helpers/tiny_batch';

const INPUTS = { shape: TINY_BATCH.shape, inputIds: TINY_BATCH.inputIds, attentionMask: TINY_BATCH.attentionMask };

const SMALL = {
  vocab_size: 300,
  hidden_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 4,
  intermediate_size: 48,
  max_position_embeddings: 32,
  num_labels: 3,
};

function build(config: Record<string, unknown>): void {
  new (native().NativeModel)(config, 'sequence-classification', { device: 'cpu', seed: 1 });
}

test('native exports its activation table, frozen, in the order of its dispatch', () => {
  const activations = native().activations;
  expect(activations).toEqual(['gelu', 'gelu_new', 'gelu_pytorch_tanh', 'gelu_fast', 'relu', 'silu', 'swish', 'tanh']);
  expect(Object.isFrozen(activations)).toBe(true);
});

test('parseBertConfig accepts every native activation, and each one builds and runs', async () => {
  for (const act of native().activations) {
    const config = parseBertConfig({ ...SMALL, hidden_act: act });
    expect(config.hidden_act).toBe(act);
    for (const task of ['sequence-classification', 'masked-lm'] as const) {
      const { outputs } = await BertModel.fromConfig(config, task).forward(INPUTS);
      expect(Object.values(outputs)[0].data.every(Number.isFinite)).toBe(true);
    }
  }
});

test('an unknown hidden_act is refused with the list native supports', () => {
  expect(() => parseBertConfig({ ...SMALL, hidden_act: 'mish' })).toThrow(
    'config: field "hidden_act" must be one of gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu, swish, tanh, got "mish"',
  );
  // Native checks against the same table.
  const fields = nativeConfig(parseBertConfig(SMALL));
  expect(() => build({ ...fields, hidden_act: 'mish' })).toThrow(
    "invalid BERT config: hidden_act 'mish' is not supported (use one of gelu, gelu_new, gelu_pytorch_tanh, gelu_fast, relu, silu, swish, tanh)",
  );
});

test('nativeConfig sends every field, defaults from BERT_DEFAULTS; native refuses a config lacking any, naming it', () => {
  const fields = nativeConfig(parseBertConfig({}));
  expect(fields).toMatchObject(BERT_DEFAULTS);
  expect(fields).toMatchObject({ num_labels: 2, classifier_dropout: null, problem_type: null });
  const small = nativeConfig(parseBertConfig(SMALL));
  expect(() => build(small)).not.toThrow();
  for (const key of Object.keys(small)) {
    const lacking = { ...small };
    delete lacking[key];
    expect(() => build(lacking)).toThrow(`NativeModel: config.${key} is missing`);
  }
});

test('native reads null as None only where HF allows it', () => {
  const small = nativeConfig(parseBertConfig(SMALL));
  expect(() => build({ ...small, classifier_dropout: 0.2, problem_type: 'regression' })).not.toThrow();
  expect(() => build({ ...small, hidden_size: null })).toThrow('config.hidden_size must be a number');
  expect(() => build({ ...small, hidden_act: null })).toThrow('config.hidden_act must be a string');
});
