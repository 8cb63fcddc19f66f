// Each task's forward returns exactly the outputs its type (TaskOutputs) names, with Hugging
// Face's names and shapes; a name of another task does not type-check.
import { BertModel, type BertTask, type TaskOutputs } from '../../lib/models/bert_model';
import { TINY_BATCH } from '../helpers/tiny_batch';

const CONFIG = {
  vocab_size: 300,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 16,
  num_labels: 3,
  // Read by the multi-head model only.
  bertrun_heads: [
    { name: 'program', type: 'classification', num_labels: 4 },
    { name: 'tags', type: 'token-classification', num_labels: 3 },
  ],
};
const { shape, inputIds, attentionMask } = TINY_BATCH;
const batch = { shape, inputIds, attentionMask };

// The names each task's type declares (a task missing here or an extra name fails to compile).
const DECLARED: { [T in BertTask]: Array<keyof TaskOutputs[T]> } = {
  base: ['last_hidden_state', 'pooler_output'],
  'sequence-classification': ['logits'],
  'question-answering': ['start_logits', 'end_logits'],
  'token-classification': ['logits'],
  'masked-lm': ['logits'],
  'multi-head': ['logits.program', 'logits.tags'],
};

test.each(Object.entries(DECLARED))('%s: the native outputs are the declared ones', async (task, names) => {
  const model = BertModel.fromConfig(CONFIG, task as BertTask, { seed: 1 });
  const { outputs } = await model.forward(batch);
  expect(Object.keys(outputs).sort()).toEqual([...names].sort());
});

test('a model of a known task has typed outputs with their shapes', async () => {
  const qa = BertModel.fromConfig(CONFIG, 'question-answering', { seed: 1 });
  const { outputs } = await qa.forward(batch);
  expect(outputs.start_logits.shape).toEqual([2, 6]);
  expect(outputs.end_logits.shape).toEqual([2, 6]);
  // @ts-expect-error a question-answering model has no "logits" output
  expect(outputs.logits).toBeUndefined();
  const classifier = BertModel.fromConfig(CONFIG, 'sequence-classification', { seed: 1 });
  expect((await classifier.forward(batch)).outputs.logits.shape).toEqual([2, 3]);
  const encoder = BertModel.fromConfig(CONFIG, 'base', { seed: 1 });
  const encoded = (await encoder.forward(batch)).outputs;
  expect([encoded.last_hidden_state.shape, encoded.pooler_output.shape]).toEqual([
    [2, 6, 16],
    [2, 16],
  ]);
});
