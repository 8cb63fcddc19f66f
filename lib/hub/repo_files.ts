// Which files of a model repo bertrun needs: config, one weights format (safetensors preferred,
// sharded or not), tokenizer files and sentence-transformers module configs. Never the other
// frameworks' weights (TensorFlow, Flax, ONNX, OpenVINO) a repo may also hold.
import * as fs from 'fs';
import * as path from 'path';

/** model: everything to load a model; tokenizer / config: only those files (--tokenizer_name, --config_name). */
export type FileSet = 'model' | 'tokenizer' | 'config';

const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'vocab.txt', 'special_tokens_map.json', 'added_tokens.json'];
const SENTENCE_TRANSFORMERS_FILES = ['modules.json', 'sentence_bert_config.json', 'config_sentence_transformers.json'];
// Module folders of a sentence-transformers model: 1_Pooling/config.json, 2_Normalize/...
const MODULE_CONFIG = /^\d+_\w+\/[^/]+\.(?:json|txt)$/;

const WEIGHT_FORMATS = [
  { single: 'model.safetensors', index: 'model.safetensors.index.json', shard: /^model-[^/]+\.safetensors$/ },
  { single: 'pytorch_model.bin', index: 'pytorch_model.bin.index.json', shard: /^pytorch_model-[^/]+\.bin$/ },
];
export const WEIGHTS_DESCRIPTION = 'model.safetensors (or a sharded model.safetensors.index.json) or pytorch_model.bin';

export interface FileSelection {
  files: string[];
  /** What the set needs and the repo lacks, in words ("config.json", "model.safetensors or ..."). */
  missing: string[];
}

export function selectFiles(available: readonly string[], set: FileSet): FileSelection {
  const has = new Set(available);
  const files: string[] = [];
  const missing: string[] = [];
  if (set === 'model' || set === 'config') {
    if (has.has('config.json')) files.push('config.json');
    else missing.push('config.json');
  }
  if (set === 'model') {
    const weights = weightFiles(available);
    if (weights.length > 0) files.push(...weights);
    else missing.push(WEIGHTS_DESCRIPTION);
    files.push(...SENTENCE_TRANSFORMERS_FILES.filter((f) => has.has(f)), ...available.filter((f) => MODULE_CONFIG.test(f)));
  }
  if (set === 'model' || set === 'tokenizer') {
    files.push(...TOKENIZER_FILES.filter((f) => has.has(f)));
    if (set === 'tokenizer' && !has.has('tokenizer.json') && !has.has('vocab.txt')) missing.push('tokenizer.json or vocab.txt');
  }
  return { files, missing };
}

function weightFiles(available: readonly string[]): string[] {
  const has = new Set(available);
  for (const format of WEIGHT_FORMATS) {
    if (has.has(format.single)) return [format.single];
    if (has.has(format.index)) return [format.index, ...available.filter((f) => format.shard.test(f))];
  }
  return [];
}

/** Shards a downloaded index names that are not beside it (a snapshot cached before all shards arrived). */
export function missingShards(dir: string, files: readonly string[]): string[] {
  const index = files.find((f) => f.endsWith('.index.json'));
  if (!index) return [];
  try {
    const { weight_map: map } = JSON.parse(fs.readFileSync(path.join(dir, index), 'utf8')) as { weight_map?: Record<string, string> };
    return [...new Set(Object.values(map ?? {}))].filter((shard) => !fs.existsSync(path.join(dir, shard)));
  } catch {
    return []; // the weights reader reports a corrupt index, naming it
  }
}
