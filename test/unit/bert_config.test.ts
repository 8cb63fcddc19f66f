import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { bertConfigToJson, parseBertConfig, readBertConfig } from '../../lib/config/bert_config';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'hf-bert', 'tiny-a');

test('reads an HF config.json: num_labels from id2label, defaults for absent fields, unknown keys kept', () => {
  const c = readBertConfig(path.join(FIXTURE, 'config.json'));
  expect(c).toMatchObject({ vocab_size: 99, hidden_size: 32, num_labels: 3, hidden_act: 'gelu', layer_norm_eps: 1e-12 });
  expect(c.label2id).toEqual({ LABEL_0: 0, LABEL_1: 1, LABEL_2: 2 });
  expect(c.transformers_version).toBe('4.30.2');
  const qa = readBertConfig(path.join(FIXTURE, 'config_qa.json'));
  expect(qa.num_labels).toBe(2); // HF default when neither num_labels nor id2label is written
  const json = bertConfigToJson(c);
  expect(json.position_embedding_type).toBe('absolute');
  expect(parseBertConfig(json)).toEqual(c);
  expect(parseBertConfig(c)).toEqual(c); // a parsed config parses to itself (BertModel.fromConfig takes either)
});

test('errors name the file, the field and what is allowed', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-config-'));
  const file = path.join(dir, 'config.json');
  const check = (raw: unknown, pattern: RegExp) => {
    fs.writeFileSync(file, JSON.stringify(raw));
    expect(() => readBertConfig(file)).toThrow(pattern);
  };
  try {
    check({ hidden_size: '768' }, /config\.json: field "hidden_size" must be an integer, got "768"/);
    check({ hidden_size: 100, num_attention_heads: 12 }, /field "hidden_size" \(100\) must be a multiple of num_attention_heads \(12\)/);
    check({ model_type: 'roberta' }, /field "model_type" is "roberta"; bertrun runs BERT models only/);
    check({ hidden_act: 'mish' }, /field "hidden_act" must be one of gelu, gelu_new/);
    check({ num_labels: 4, id2label: { 0: 'a', 1: 'b' } }, /field "num_labels" \(4\) disagrees with id2label, which has 2 entries/);
    check({ id2label: { 0: 'a', 2: 'b' } }, /field "id2label" keys must be 0\.\.1, got "2"/);
    check({ id2label: { 0: 'a', 1: 'a' } }, /holds the same label name twice/);
    check({ position_embedding_type: 'relative_key' }, /supports "absolute" position embeddings only/);
    check({ hidden_dropout_prob: 1.5 }, /field "hidden_dropout_prob" must be in \[0, 1\)/);
    fs.writeFileSync(file, '{ "vocab_size": 10, }');
    expect(() => readBertConfig(file)).toThrow(/config\.json: not valid JSON/);
    expect(() => readBertConfig(path.join(dir, 'missing.json'))).toThrow(/cannot read BERT config .*missing\.json: ENOENT/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
