// Which files of a repo bertrun fetches for a model, a tokenizer or a config.
import { selectFiles, WEIGHTS_DESCRIPTION } from '../../lib/hub/repo_files';

// The file list of sentence-transformers/all-MiniLM-L6-v2 on the hub (every framework's export).
const MINILM_REPO = [
  '.gitattributes',
  '1_Pooling/config.json',
  'README.md',
  'config.json',
  'config_sentence_transformers.json',
  'data_config.json',
  'model.safetensors',
  'modules.json',
  'onnx/model.onnx',
  'onnx/model_O1.onnx',
  'openvino/openvino_model.bin',
  'openvino/openvino_model.xml',
  'pytorch_model.bin',
  'rust_model.ot',
  'sentence_bert_config.json',
  'special_tokens_map.json',
  'tf_model.h5',
  'tokenizer.json',
  'tokenizer_config.json',
  'train_script.py',
  'vocab.txt',
];

test('model: config, safetensors (not the .bin, h5, onnx, openvino, rust copies), sentence-transformers modules and tokenizer files', () => {
  expect(selectFiles(MINILM_REPO, 'model')).toEqual({
    files: [
      'config.json',
      'model.safetensors',
      'modules.json',
      'sentence_bert_config.json',
      'config_sentence_transformers.json',
      '1_Pooling/config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.txt',
      'special_tokens_map.json',
    ],
    missing: [],
  });
});

test('weights: sharded safetensors, then pytorch_model.bin, then sharded .bin (never training_args.bin)', () => {
  const sharded = ['config.json', 'model.safetensors.index.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'pytorch_model.bin'];
  expect(selectFiles(sharded, 'model').files).toEqual([
    'config.json',
    'model.safetensors.index.json',
    'model-00001-of-00002.safetensors',
    'model-00002-of-00002.safetensors',
  ]);
  expect(selectFiles(['config.json', 'pytorch_model.bin', 'training_args.bin', 'vocab.txt'], 'model').files).toEqual([
    'config.json',
    'pytorch_model.bin',
    'vocab.txt',
  ]);
  const shardedBin = [
    'config.json',
    'pytorch_model.bin.index.json',
    'pytorch_model-00001-of-00002.bin',
    'pytorch_model-00002-of-00002.bin',
    'training_args.bin',
  ];
  expect(selectFiles(shardedBin, 'model').files).toEqual([
    'config.json',
    'pytorch_model.bin.index.json',
    'pytorch_model-00001-of-00002.bin',
    'pytorch_model-00002-of-00002.bin',
  ]);
});

test('what a set lacks is named', () => {
  expect(selectFiles(['config.json', 'tf_model.h5', 'vocab.txt'], 'model').missing).toEqual([WEIGHTS_DESCRIPTION]);
  expect(selectFiles(['model.safetensors'], 'model').missing).toEqual(['config.json']);
  expect(selectFiles(['config.json', 'tokenizer_config.json'], 'tokenizer')).toEqual({
    files: ['tokenizer_config.json'],
    missing: ['tokenizer.json or vocab.txt'],
  });
  expect(selectFiles(MINILM_REPO, 'config')).toEqual({ files: ['config.json'], missing: [] });
  expect(selectFiles(['vocab.txt'], 'config').missing).toEqual(['config.json']);
});
