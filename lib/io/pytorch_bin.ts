import { DType, DTYPE_SIZE, NamedTensor, numelOf } from './named_tensor';
import {
  AllowedGlobal,
  PickleDict,
  PickleGlobal,
  PickleList,
  PickleObject,
  PickleTuple,
  PickleValue,
  describePickleValue,
  unpickle,
} from './restricted_unpickler';
import { readWholeFile } from './read_whole_file';
import { allocateTensorData, assertLittleEndianHost, tensorDataFromBytes } from './tensor_bytes';
import { ZipReader } from './zip_reader';

/**
 * Reads `pytorch_model.bin` as written by `torch.save(model.state_dict(), path)` since PyTorch 1.6:
 * a zip holding `<archive>/data.pkl` (the pickled dict, tensors as persistent ids pointing at
 * storages) and `<archive>/data/<key>` (each storage's raw bytes). Nothing pickled is executed:
 * only the globals a state dict needs are understood, anything else is refused.
 *
 * Tensors come back in pickle order. Contiguous tensors may view the file's bytes and tensors
 * that shared a storage in PyTorch may share memory; non-contiguous ones are copied row-major.
 */
export function readPytorchBin(path: string): NamedTensor[] {
  let buf: Buffer;
  try {
    buf = readWholeFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT') throw new Error(`PyTorch checkpoint not found: ${path}; check the path`, { cause: err });
    if (code === 'EISDIR') throw new Error(`${path} is a directory, not a PyTorch checkpoint; pass the pytorch_model.bin inside it`, { cause: err });
    throw new Error(`could not read PyTorch checkpoint ${path}: ${messageOf(err)}`, { cause: err });
  }
  return parsePytorchBin(buf, path);
}

export function parsePytorchBin(buf: Buffer, source: string): NamedTensor[] {
  assertLittleEndianHost();
  if (buf.length >= 2 && buf[0] === 0x80 && buf[1] <= 5) {
    throw new Error(
      `${source} uses the legacy torch.save format (before PyTorch 1.6), which bertrun does not read; ` +
        're-save it with a current PyTorch (torch.save(torch.load(path), path)) or convert it to safetensors',
    );
  }
  if (buf.length < 4 || buf.readUInt32LE(0) !== 0x04034b50) {
    throw new Error(
      `${source} is not a PyTorch checkpoint (torch.save writes a zip archive, and this file does not start like one); ` +
        'the file is truncated or corrupt, or not a pytorch_model.bin; re-save or re-download it',
    );
  }
  const zip = new ZipReader(buf, source);
  const prefix = archivePrefix(zip, source);
  const byteorder = zip.has(`${prefix}/byteorder`) ? zip.read(`${prefix}/byteorder`).toString('latin1').trim() : 'little';
  if (byteorder !== 'little' && byteorder !== 'big') {
    throw new Error(
      `${source}: ${prefix}/byteorder says ${JSON.stringify(byteorder)}, expected "little" or "big"; the file is corrupt; re-save or re-download it`,
    );
  }

  const pickleSource = `${source} (${prefix}/data.pkl)`;
  const storages = new Map<string, TorchStorage>();
  const persistentLoad = (pid: PickleValue): PickleValue => {
    const { key, dtype, numel } = parseStorageId(pid, pickleSource);
    const cached = storages.get(key);
    if (cached !== undefined) {
      if (cached.dtype !== dtype || cached.numel !== numel) {
        throw new Error(
          `${pickleSource}: storage ${key} is used both as ${cached.dtype} x${cached.numel} and as ${dtype} x${numel}; the file is corrupt; re-save or re-download it`,
        );
      }
      return cached;
    }
    const entry = `${prefix}/data/${key}`;
    if (!zip.has(entry)) {
      throw new Error(
        `${source}: the pickle refers to storage ${key} but the archive has no ${entry}; the file is truncated or corrupt; re-save or re-download it`,
      );
    }
    let bytes = zip.read(entry);
    const size = DTYPE_SIZE[dtype];
    if (bytes.length !== numel * size) {
      throw new Error(
        `${source}: ${entry} holds ${bytes.length} bytes but the pickle describes ${numel} ${dtype} elements (${numel * size} bytes); the file is truncated or corrupt; re-save or re-download it`,
      );
    }
    if (byteorder === 'big' && size > 1) bytes = swapBytes(bytes, size);
    const storage = new TorchStorage(key, dtype, numel, bytes);
    storages.set(key, storage);
    return storage;
  };

  const root = unpickle(zip.read(`${prefix}/data.pkl`), { source: pickleSource, globals: STATE_DICT_GLOBALS, persistentLoad });
  if (!(root instanceof PickleDict)) {
    throw new Error(`${pickleSource} holds ${describePickleValue(root)}, not a state dict (a dict of tensors); save model.state_dict() instead`);
  }

  // root.state (the OrderedDict's `_metadata`, set by BUILD) is metadata and is skipped.
  const tensors: NamedTensor[] = [];
  for (const [key, value] of root.entries) {
    if (typeof key !== 'string') {
      throw new Error(`${pickleSource}: the state dict has a key that is ${describePickleValue(key)}, not a parameter name`);
    }
    if (!(value instanceof TorchTensor)) {
      const hint =
        value instanceof PickleDict
          ? `; this looks like a training checkpoint rather than a state dict: in Python, torch.save(checkpoint[${JSON.stringify(key)}], "pytorch_model.bin") if that entry is the model's state dict`
          : '; bertrun reads only state dicts whose values are all tensors';
      throw new Error(`${pickleSource}: state dict entry ${JSON.stringify(key)} is ${describePickleValue(value)}, not a tensor${hint}`);
    }
    tensors.push(materialize(key, value, pickleSource));
  }
  return tensors;
}

const STORAGE_DTYPES: Readonly<Record<string, DType>> = {
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  DoubleStorage: 'F64',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
};

class TorchStorage extends PickleObject {
  readonly typeName = 'torch storage';
  constructor(
    readonly key: string,
    readonly dtype: DType,
    readonly numel: number,
    readonly bytes: Buffer,
  ) {
    super();
  }
}

class TorchTensor extends PickleObject {
  readonly typeName = 'torch tensor';
  constructor(
    readonly storage: TorchStorage,
    readonly offset: number,
    readonly shape: number[],
    readonly stride: number[],
  ) {
    super();
  }
}

/** _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]) */
function rebuildTensor(args: readonly PickleValue[]): TorchTensor {
  const [storage, offset, size, stride] = args;
  if (!(storage instanceof TorchStorage)) throw new Error(`the tensor's storage is ${describePickleValue(storage ?? null)}`);
  if (!isIndex(offset)) throw new Error(`the tensor's storage offset is ${describePickleValue(offset ?? null)}`);
  const shape = indexTuple(size, 'size');
  const strides = indexTuple(stride, 'stride');
  if (shape.length !== strides.length) throw new Error(`the tensor has ${shape.length} sizes but ${strides.length} strides`);
  return new TorchTensor(storage, offset, shape, strides);
}

function tensorArgument(args: readonly PickleValue[]): TorchTensor {
  if (!(args[0] instanceof TorchTensor)) throw new Error(`a parameter wraps ${describePickleValue(args[0] ?? null)}, not a tensor`);
  return args[0];
}

function newOrderedDict(args: readonly PickleValue[]): PickleDict {
  const dict = new PickleDict('collections.OrderedDict');
  if (args.length === 0) return dict;
  const items = args[0];
  if (args.length !== 1 || !(items instanceof PickleList)) throw new Error('OrderedDict takes nothing or a list of pairs');
  for (const pair of items.items) {
    if (!(pair instanceof PickleTuple) || pair.items.length !== 2 || typeof pair.items[0] !== 'string') {
      throw new Error('OrderedDict takes a list of (name, value) pairs');
    }
    dict.entries.set(pair.items[0], pair.items[1]);
  }
  return dict;
}

/** The only globals a state dict needs; everything else is refused by the unpickler. */
const STATE_DICT_GLOBALS: ReadonlyMap<string, AllowedGlobal> = new Map<string, AllowedGlobal>([
  ['collections.OrderedDict', { call: newOrderedDict }],
  ['torch._utils._rebuild_tensor_v2', { call: rebuildTensor }],
  ['torch._utils._rebuild_tensor', { call: rebuildTensor }],
  // state_dict(keep_vars=True) saves nn.Parameter; the data tensor inside is what matters.
  ['torch._utils._rebuild_parameter', { call: tensorArgument }],
  ['torch._utils._rebuild_parameter_with_state', { call: tensorArgument }],
  ...Object.keys(STORAGE_DTYPES).map((name): [string, AllowedGlobal] => [`torch.${name}`, {}]),
]);

/** A persistent id is ('storage', torch.<Type>Storage, key, location, numel). */
function parseStorageId(pid: PickleValue, source: string): { key: string; dtype: DType; numel: number } {
  const bad = (what: string): never => {
    throw new Error(`${source}: ${what}; the file is corrupt or not written by torch.save; re-save or re-download it`);
  };
  if (!(pid instanceof PickleTuple) || pid.items.length < 5 || pid.items[0] !== 'storage') {
    return bad(`a persistent id is ${describePickleValue(pid)}, not ('storage', type, key, location, numel)`);
  }
  const [, type, key, , numel] = pid.items;
  if (!(type instanceof PickleGlobal) || type.module !== 'torch' || !Object.hasOwn(STORAGE_DTYPES, type.name)) {
    return bad(`a storage has type ${describePickleValue(type)}`);
  }
  if (typeof key !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(key)) return bad(`a storage key is ${describePickleValue(key)}`);
  if (!isIndex(numel)) return bad(`storage ${key} has ${describePickleValue(numel)} elements`);
  return { key, dtype: STORAGE_DTYPES[type.name], numel };
}

/** Row-major copy (or view, when already contiguous) of a possibly strided tensor. */
function materialize(name: string, t: TorchTensor, source: string): NamedTensor {
  const { storage, offset, shape, stride } = t;
  const dtype = storage.dtype;
  const numel = numelOf(shape);
  const where = `${source}: tensor ${JSON.stringify(name)}`;
  if (!Number.isSafeInteger(numel)) throw new Error(`${where} has an impossible shape [${shape.join(', ')}]; the file is corrupt`);
  if (numel === 0) return { name, dtype, shape, data: allocateTensorData(dtype, 0) };

  let last = offset;
  for (let d = 0; d < shape.length; d++) last += (shape[d] - 1) * stride[d];
  if (last >= storage.numel) {
    throw new Error(
      `${where} (offset ${offset}, shape [${shape.join(', ')}], stride [${stride.join(', ')}]) reaches element ${last} ` +
        `of a storage of ${storage.numel}; the file is truncated or corrupt; re-save or re-download it`,
    );
  }

  const size = DTYPE_SIZE[dtype];
  if (isContiguous(shape, stride)) {
    const bytes = storage.bytes.subarray(offset * size, (offset + numel) * size);
    return { name, dtype, shape, data: tensorDataFromBytes(bytes, dtype, numel) };
  }

  // Copy element bits through unsigned integer views so floats (NaN payloads) stay bit-exact.
  let out;
  try {
    out = allocateTensorData(dtype, numel);
  } catch {
    throw new Error(`${where} expands to ${numel} elements, too many to hold in memory`);
  }
  const src = storage.bytes;
  const words = size === 8 ? 2 : 1;
  const unit = size === 8 ? 4 : size;
  const srcAligned = src.byteOffset % unit === 0 ? src : Buffer.from(src);
  const srcView = wordView(srcAligned, unit);
  const dstView = wordView(new Uint8Array(out.buffer, out.byteOffset, out.byteLength), unit);
  const rank = shape.length;
  const index = new Array<number>(rank).fill(0);
  let srcElement = offset;
  for (let i = 0; i < numel; i++) {
    for (let w = 0; w < words; w++) dstView[i * words + w] = srcView[srcElement * words + w];
    // Odometer over the multi-index, moving srcElement by the strides.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      srcElement += stride[d];
      if (index[d] < shape[d]) break;
      srcElement -= stride[d] * shape[d];
      index[d] = 0;
    }
  }
  return { name, dtype, shape, data: out };
}

function wordView(bytes: Uint8Array, unit: number): Uint8Array | Uint16Array | Uint32Array {
  const count = bytes.byteLength / unit;
  if (unit === 1) return bytes;
  if (unit === 2) return new Uint16Array(bytes.buffer, bytes.byteOffset, count);
  return new Uint32Array(bytes.buffer, bytes.byteOffset, count);
}

function isContiguous(shape: readonly number[], stride: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    if (shape[d] !== 1 && stride[d] !== expected) return false;
    expected *= shape[d];
  }
  return true;
}

function swapBytes(bytes: Buffer, size: number): Buffer {
  const copy = Buffer.from(bytes);
  if (size === 2) copy.swap16();
  else if (size === 4) copy.swap32();
  else copy.swap64();
  return copy;
}

function archivePrefix(zip: ZipReader, source: string): string {
  const prefixes = zip
    .names()
    .filter((n) => /^[^/]+\/data\.pkl$/.test(n))
    .map((n) => n.slice(0, -'/data.pkl'.length));
  if (prefixes.length === 1) return prefixes[0];
  const what = prefixes.length === 0 ? 'has no <archive>/data.pkl entry' : `has several data.pkl entries (${prefixes.join(', ')})`;
  throw new Error(`${source} is a zip archive but not a torch.save checkpoint: it ${what}; pass a pytorch_model.bin written by torch.save`);
}

function isIndex(value: PickleValue | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function indexTuple(value: PickleValue | undefined, what: string): number[] {
  if (!(value instanceof PickleTuple) || !value.items.every(isIndex)) {
    throw new Error(`the tensor's ${what} is ${describePickleValue(value ?? null)}, not a tuple of non-negative integers`);
  }
  return value.items as number[];
}

/** The message of anything thrown; duck-typed because Node's own errors may come from another realm. */
function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}
