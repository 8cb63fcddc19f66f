// `bertrun convert`: pytorch_model.bin, single or sharded, as model.safetensors that Python's
// safetensors, transformers and bertrun all read back with the original tensors, and refusals that
// leave files alone.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runConvert } from '../../lib/cli/convert_command';
import { readSafetensors, writeSafetensors } from '../../lib/io/safetensors';
import { BertModel } from '../../lib/models/bert_model';
import { convertToSafetensors } from '../../lib/models/convert_weights';
import { findWeightsFile, readShardIndex, readWeights, WEIGHTS_FILE_NAMES } from '../../lib/models/weight_files';
import { runPythonScript } from '../helpers/python_script';
import { maxAbsDiff } from '../helpers/tensors';

interface Fixture {
  input_ids: number[][];
  logits: number[];
  shards: number;
}

interface PythonVerdict {
  names: string[];
  original_names: string[];
  unequal: string[];
  metadata: Record<string, string>;
  loading_info: Record<string, string[]>;
  max_logit_diff: number;
  decoder_tied: boolean;
}

/** The files a converted directory holds besides model.safetensors: the source's, symlinks resolved, hidden ones left out. */
const MODEL_FILES = ['1_Pooling/config.json', 'config.json', 'modules.json', 'tokenizer_config.json', 'vocab.txt'];

let root: string;
let fixture: Fixture;
let tmp: string;
const single = (): string => path.join(root, 'single');
const sharded = (): string => path.join(root, 'sharded');

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-convert-fixture-'));
  fixture = JSON.parse(runPythonScript('convert_reference.py', ['make', root])) as Fixture;
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-convert-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** `bertrun convert ARGS` in this process; returns what it printed. */
async function convertCli(argv: string[]): Promise<string[]> {
  const lines: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => lines.push(args.join(' ')));
  try {
    await runConvert(argv);
  } finally {
    log.mockRestore();
  }
  return lines;
}

/** A writable copy of a fixture directory (symlinks kept as links). */
function copyOf(dir: string): string {
  const copy = path.join(tmp, path.basename(dir));
  fs.cpSync(dir, copy, { recursive: true, verbatimSymlinks: true });
  return copy;
}

test('single and sharded pytorch_model.bin convert to model.safetensors that safetensors and transformers read back exactly', async () => {
  const out = path.join(tmp, 'out-single');
  const lines = await convertCli([single(), '--output_dir', out]);
  expect(lines).toEqual([
    expect.stringMatching(/^bertrun convert: wrote .*out-single\/model\.safetensors \(44 tensors, \d+\.\d kB\); copied 5 other model file\(s\)$/),
  ]);
  // Everything but the weights and hidden files was copied, symlinks as real files.
  expect(listFiles(out)).toEqual(['1_Pooling/config.json', 'config.json', 'model.safetensors', 'modules.json', 'tokenizer_config.json', 'vocab.txt']);
  expect(fs.lstatSync(path.join(out, 'tokenizer_config.json')).isSymbolicLink()).toBe(false);
  for (const name of MODEL_FILES) expect(fs.readFileSync(path.join(out, name))).toEqual(fs.readFileSync(path.join(single(), name)));

  // Without --output_dir the file goes next to the shards.
  const inPlace = copyOf(sharded());
  const before = listFiles(inPlace);
  const shardedLines = await convertCli([inPlace]);
  expect(shardedLines).toEqual([expect.stringMatching(/wrote .*sharded\/model\.safetensors \(44 tensors, .*kB\)$/)]);
  expect(listFiles(inPlace)).toEqual([...before, 'model.safetensors'].sort());

  const verdicts = JSON.parse(runPythonScript('convert_reference.py', ['check', root, out, inPlace])) as Record<string, PythonVerdict>;
  for (const dir of [out, inPlace]) {
    const v = verdicts[dir];
    // Every name of the state dict, the tied decoder included (as its own copy).
    expect([...v.names].sort()).toEqual([...v.original_names].sort());
    expect(v.names).toEqual(
      expect.arrayContaining(['cls.predictions.decoder.weight', 'bert.embeddings.word_embeddings.weight', 'cls.predictions.decoder.bias']),
    );
    expect(v.unequal).toEqual([]);
    expect(v.metadata).toEqual({ format: 'pt' });
    expect(v.loading_info).toEqual({ missing_keys: [], unexpected_keys: [], mismatched_keys: [], error_msgs: [] });
    expect(v.max_logit_diff).toBeLessThanOrEqual(1e-6);
    expect(v.decoder_tied).toBe(true);
  }
  // Written in the state dict's order.
  expect(readSafetensors(path.join(out, 'model.safetensors')).tensors.map((t) => t.name)).toEqual(verdicts[out].original_names);
});

test("bertrun's own fromPretrained loads the converted directory as a masked LM with every key and the model's logits", async () => {
  const result = await convertToSafetensors(single(), tmp);
  expect(result).toEqual({ file: path.join(tmp, 'model.safetensors'), tensors: 44, bytes: fs.statSync(result.file).size, copied: MODEL_FILES });
  const { model, report } = await BertModel.fromPretrained(tmp, 'masked-lm', { tokenizer: false, strict: true });
  expect(report).toEqual({ missingKeys: [], unexpectedKeys: [], mismatchedKeys: [] });
  const ids = fixture.input_ids[0];
  const { outputs } = await model.forward({ shape: [1, ids.length], inputIds: Int32Array.from(ids), attentionMask: new Int32Array(ids.length).fill(1) });
  expect(outputs.logits.shape).toEqual([1, ids.length, 99]);
  expect(maxAbsDiff(outputs.logits.data, Float32Array.from(fixture.logits))).toBeLessThanOrEqual(1e-5);
  await model.dispose();
});

test('sharded pytorch_model.bin.index.json: found after the other kinds, read shard by shard, every indexed tensor checked', () => {
  const index = path.join(sharded(), 'pytorch_model.bin.index.json');
  expect(fixture.shards).toBeGreaterThanOrEqual(3);
  expect(readShardIndex(index).shards).toEqual(['pytorch_model-00001-of-00003.bin', 'pytorch_model-00002-of-00003.bin', 'pytorch_model-00003-of-00003.bin']);
  expect(findWeightsFile(sharded())).toBe(index);

  // The same tensors, values and dtypes as the single file (order aside: shards group them).
  const fromShards = readWeights(index);
  const fromSingle = readWeights(path.join(single(), 'pytorch_model.bin'));
  expect(fromShards.map((t) => t.name).sort()).toEqual(fromSingle.map((t) => t.name).sort());
  const byName = new Map(fromShards.map((t) => [t.name, t]));
  for (const t of fromSingle) {
    const s = byName.get(t.name)!;
    expect([s.dtype, s.shape]).toEqual([t.dtype, t.shape]);
    expect(Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength)).toEqual(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }

  // Preference: model.safetensors, its index, pytorch_model.bin, its index.
  const dir = path.join(tmp, 'kinds');
  fs.mkdirSync(dir);
  for (const name of WEIGHTS_FILE_NAMES) fs.writeFileSync(path.join(dir, name), '');
  for (const name of WEIGHTS_FILE_NAMES) {
    expect(findWeightsFile(dir)).toBe(path.join(dir, name));
    fs.rmSync(path.join(dir, name));
  }
  expect(() => findWeightsFile(dir)).toThrow(
    /no model weights in .*kinds: expected model\.safetensors, .*pytorch_model\.bin or pytorch_model\.bin\.index\.json/,
  );

  // An index naming a tensor its shard lacks (an index from another save).
  const stale = copyOf(sharded());
  const staleIndex = path.join(stale, 'pytorch_model.bin.index.json');
  const json = JSON.parse(fs.readFileSync(staleIndex, 'utf8')) as { weight_map: Record<string, string> };
  json.weight_map['bert.pooler.dense.weight'] = 'pytorch_model-00002-of-00003.bin';
  fs.writeFileSync(staleIndex, JSON.stringify(json));
  expect(() => readWeights(staleIndex)).toThrow(
    /pytorch_model\.bin\.index\.json: field "weight_map" puts tensor "bert\.pooler\.dense\.weight" in shard pytorch_model-00002-of-00003\.bin, but .* does not hold it/,
  );
  fs.writeFileSync(staleIndex, JSON.stringify({ metadata: {} }));
  expect(() => readWeights(staleIndex)).toThrow(/pytorch_model\.bin\.index\.json: field "weight_map" is missing/);
  fs.writeFileSync(staleIndex, JSON.stringify({ weight_map: { 'bert.pooler.dense.weight': '../pytorch_model.bin' } }));
  expect(() => readWeights(staleIndex)).toThrow(/shard name "\.\.\/pytorch_model\.bin" in field "weight_map" must be a file name in the same directory/);
});

test('damaged sources are refused with the file or shard named, and nothing is written', async () => {
  const truncated = copyOf(single());
  const bin = path.join(truncated, 'pytorch_model.bin');
  fs.truncateSync(bin, Math.floor(fs.statSync(bin).size / 2));
  await expect(convertCli([truncated])).rejects.toThrow(new RegExp(escape(bin)));
  expect(fs.existsSync(path.join(truncated, 'model.safetensors'))).toBe(false);

  const missingShard = copyOf(sharded());
  fs.rmSync(path.join(missingShard, 'pytorch_model-00002-of-00003.bin'));
  const out = path.join(tmp, 'out');
  await expect(convertCli([missingShard, '--output_dir', out])).rejects.toThrow(
    /pytorch_model\.bin\.index\.json: shard pytorch_model-00002-of-00003\.bin, named in field "weight_map", does not exist/,
  );
  expect(fs.existsSync(out)).toBe(false);
});

test('an existing model.safetensors is kept without --overwrite_output_dir and replaced with it; safetensors-only sources are refused', async () => {
  const out = path.join(tmp, 'out');
  fs.mkdirSync(out);
  const existing = path.join(out, 'model.safetensors');
  writeSafetensors(existing, [{ name: 'x', dtype: 'F32', shape: [1], data: new Float32Array([7]) }]);
  const bytes = fs.readFileSync(existing);
  await expect(convertCli([single(), '--output_dir', out])).rejects.toThrow(
    /model\.safetensors already exists; nothing was written\. .*--overwrite_output_dir/,
  );
  expect(fs.readFileSync(existing)).toEqual(bytes);
  expect(fs.readdirSync(out)).toEqual(['model.safetensors']);

  await convertCli([single(), '--overwrite_output_dir', '--output_dir', out]);
  expect(readSafetensors(existing).tensors).toHaveLength(44);
  expect(readSafetensors(existing).metadata).toEqual({ format: 'pt' });

  // `out` now holds only safetensors weights: nothing to convert.
  await expect(convertCli([out, '--output_dir', path.join(tmp, 'again')])).rejects.toThrow(
    /has no PyTorch weights to convert \(pytorch_model\.bin or pytorch_model\.bin\.index\.json\); it already has model\.safetensors/,
  );
});

test('convert arguments: --help, MODEL required, flags before MODEL, an output directory inside MODEL', async () => {
  const [help] = await convertCli(['--help']);
  expect(help).toMatch(/^usage: bertrun convert MODEL \[--output_dir DIR\] \[--overwrite_output_dir\]/);
  expect(help).toMatch(/--overwrite_output_dir +replace a model\.safetensors/);
  await expect(convertCli(['--output_dir', tmp])).rejects.toThrow(/^MODEL is missing\nusage: bertrun convert/);
  await expect(convertCli([single(), sharded()])).rejects.toThrow(/one MODEL expected, got 2/);
  await expect(convertCli([single(), '--output-dri', tmp])).rejects.toThrow(/unknown flag --output-dri; did you mean --output_dir\?/);
  await expect(convertCli([path.join(tmp, 'nope')])).rejects.toThrow(/nope is not a local directory\. Fix: check the path/);

  const model = copyOf(single());
  const inside = path.join(model, 'safetensors');
  await convertCli(['--overwrite_output_dir', 'false', '--output_dir', inside, model]);
  expect(listFiles(inside)).toEqual([...MODEL_FILES, 'model.safetensors'].sort());
});

function listFiles(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => !e.isDirectory())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
