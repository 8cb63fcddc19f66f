// Finding and reading the weights of a model directory: model.safetensors, a sharded
// model.safetensors.index.json, pytorch_model.bin or a sharded pytorch_model.bin.index.json
// (PyTorch files: tensors only, no pickled code runs).
import * as fs from 'fs';
import * as path from 'path';
import type { NamedTensor } from '../io/named_tensor';
import { readPytorchBin } from '../io/pytorch_bin';
import { readSafetensors } from '../io/safetensors';

export const SAFETENSORS_NAME = 'model.safetensors';
export const SAFETENSORS_INDEX_NAME = 'model.safetensors.index.json';
export const PYTORCH_BIN_NAME = 'pytorch_model.bin';
export const PYTORCH_BIN_INDEX_NAME = 'pytorch_model.bin.index.json';

/** transformers' preference when a directory holds several kinds. */
export const WEIGHTS_FILE_NAMES: readonly string[] = [SAFETENSORS_NAME, SAFETENSORS_INDEX_NAME, PYTORCH_BIN_NAME, PYTORCH_BIN_INDEX_NAME];
export const PYTORCH_WEIGHTS_FILE_NAMES: readonly string[] = [PYTORCH_BIN_NAME, PYTORCH_BIN_INDEX_NAME];

/** The first of `names` that exists in dir, or undefined. */
export function existingWeightsFile(dir: string, names: readonly string[] = WEIGHTS_FILE_NAMES): string | undefined {
  return names.map((name) => path.join(dir, name)).find((candidate) => fs.existsSync(candidate));
}

export function findWeightsFile(dir: string): string {
  const found = existingWeightsFile(dir);
  if (found !== undefined) return found;
  throw new Error(
    `no model weights in ${dir}: expected ${listNames(WEIGHTS_FILE_NAMES)}. ` +
      "Fix: point to a directory written by savePretrained() or by transformers' save_pretrained().",
  );
}

/** Reads a weights file of any supported kind. */
export function readWeights(file: string): NamedTensor[] {
  if (file.endsWith('.bin.index.json')) return readSharded(file, readPytorchBin);
  if (file.endsWith('.index.json')) return readSharded(file, (shard) => readSafetensors(shard).tensors);
  if (file.endsWith('.bin')) return readPytorchBin(file);
  return readSafetensors(file).tensors;
}

export interface ShardIndex {
  /** Tensor name -> shard file name, as the index's weight_map says. */
  weightMap: ReadonlyMap<string, string>;
  /** The distinct shard file names, in first-mention order. */
  shards: string[];
}

/** Parses and checks a shard index (model.safetensors.index.json or pytorch_model.bin.index.json). */
export function readShardIndex(indexFile: string): ShardIndex {
  let index: unknown;
  try {
    index = JSON.parse(fs.readFileSync(indexFile, 'utf8'));
  } catch (e) {
    throw new Error(`${indexFile}: cannot read the shard index (${(e as Error).message}); re-save or re-download it`, { cause: e });
  }
  const weightMap = (index as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new Error(`${indexFile}: field "weight_map" is missing or not an object; the index is corrupt; re-save or re-download it`);
  }
  const entries = Object.entries(weightMap as Record<string, unknown>);
  for (const [name, shard] of entries) {
    if (typeof shard !== 'string') {
      throw new Error(`${indexFile}: field "weight_map" maps ${JSON.stringify(name)} to ${JSON.stringify(shard)}, not a shard file name; the index is corrupt`);
    }
    // A path would let an index read files outside the model directory.
    if (shard === '' || path.basename(shard) !== shard) {
      throw new Error(`${indexFile}: shard name ${JSON.stringify(shard)} in field "weight_map" must be a file name in the same directory`);
    }
  }
  const map = new Map(entries as Array<[string, string]>);
  return { weightMap: map, shards: [...new Set(map.values())] };
}

function readSharded(indexFile: string, readShard: (file: string) => NamedTensor[]): NamedTensor[] {
  const { weightMap, shards } = readShardIndex(indexFile);
  const dir = path.dirname(indexFile);
  const namesByShard = new Map<string, Set<string>>();
  const tensors = shards.flatMap((shard) => {
    const file = path.join(dir, shard);
    if (!fs.existsSync(file)) {
      throw new Error(`${indexFile}: shard ${shard}, named in field "weight_map", does not exist in ${dir}; the download is incomplete; re-download the model`);
    }
    const read = readShard(file);
    namesByShard.set(shard, new Set(read.map((t) => t.name)));
    return read;
  });
  for (const [name, shard] of weightMap) {
    if (!namesByShard.get(shard)?.has(name)) {
      throw new Error(
        `${indexFile}: field "weight_map" puts tensor ${JSON.stringify(name)} in shard ${shard}, but ${shard} does not hold it; ` +
          'the index and its shards come from different saves; re-save or re-download the model',
      );
    }
  }
  return tensors;
}

function listNames(names: readonly string[]): string {
  return `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}
