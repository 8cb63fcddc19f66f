// Finding and reading the weights of a model directory: model.safetensors, a sharded
// model.safetensors.index.json, or pytorch_model.bin (tensors only, no pickled code runs).
import * as fs from 'fs';
import * as path from 'path';
import type { NamedTensor } from '../io/named_tensor';
import { readPytorchBin } from '../io/pytorch_bin';
import { readSafetensors } from '../io/safetensors';

export const SAFETENSORS_NAME = 'model.safetensors';
const SAFETENSORS_INDEX = 'model.safetensors.index.json';
const PYTORCH_BIN = 'pytorch_model.bin';

export function findWeightsFile(dir: string): string {
  for (const name of [SAFETENSORS_NAME, SAFETENSORS_INDEX, PYTORCH_BIN]) {
    const candidate = path.join(dir, name);
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error(
    `no model weights in ${dir}: expected ${SAFETENSORS_NAME}, ${SAFETENSORS_INDEX} or ${PYTORCH_BIN}. ` +
      "Fix: point to a directory written by savePretrained() or by transformers' save_pretrained().",
  );
}

/** Reads a weights file of any supported kind. */
export function readWeights(file: string): NamedTensor[] {
  if (file.endsWith('.bin')) return readPytorchBin(file);
  if (file.endsWith('.index.json')) return readShardedSafetensors(file);
  return readSafetensors(file).tensors;
}

function readShardedSafetensors(indexFile: string): NamedTensor[] {
  let index: { weight_map?: Record<string, string> };
  try {
    index = JSON.parse(fs.readFileSync(indexFile, 'utf8')) as typeof index;
  } catch (e) {
    throw new Error(`${indexFile}: cannot read the shard index (${(e as Error).message})`, { cause: e });
  }
  if (!index.weight_map || typeof index.weight_map !== 'object') {
    throw new Error(`${indexFile}: field "weight_map" is missing; the index is corrupt`);
  }
  const shards = [...new Set(Object.values(index.weight_map))];
  const dir = path.dirname(indexFile);
  return shards.flatMap((shard) => {
    if (path.basename(shard) !== shard) throw new Error(`${indexFile}: shard name "${shard}" must be a file name in the same directory`);
    return readSafetensors(path.join(dir, shard)).tensors;
  });
}
