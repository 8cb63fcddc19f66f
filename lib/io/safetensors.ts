import { writeFileAtomic } from './atomic_write';
import { DType, DTYPE_SIZE, NamedTensor, numelOf } from './named_tensor';
import { readWholeFile } from './read_whole_file';
import { arrayTypeName, assertLittleEndianHost, bytesOfTensorData, isDataOfDType, isDType, tensorDataFromBytes } from './tensor_bytes';

/**
 * safetensors: u64 little-endian header length N, N bytes of JSON
 * ({"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {..}}), then the
 * data section, which the tensors must tile exactly (offsets relative to its start).
 */
export interface SafetensorsContent {
  tensors: NamedTensor[];
  metadata: Record<string, string>;
}

const METADATA_KEY = '__metadata__';
/** Real headers are kilobytes; a larger one means a corrupt length field, not a model. */
const MAX_HEADER_BYTES = 100 * 1024 * 1024;
const CORRUPT = 'the file is truncated or corrupt; re-save or re-download it';
/** dtypes the format defines that NamedTensor cannot carry. */
const FOREIGN_DTYPES = new Set(['U16', 'U32', 'U64', 'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F6_E2M3', 'F6_E3M2', 'F4', 'C64']);

export function readSafetensors(path: string): SafetensorsContent {
  let buf: Buffer;
  try {
    buf = readWholeFile(path);
  } catch (err) {
    throw fileReadError(path, err);
  }
  return parseSafetensors(buf, path);
}

/**
 * Validates the whole header before touching the data. Returned arrays view `buf` where the
 * offset is aligned for their element type (so they alias it) and are copies otherwise.
 */
export function parseSafetensors(buf: Buffer, source: string): SafetensorsContent {
  const fail: (what: string, fix?: string) => never = (what, fix = CORRUPT) => {
    throw new Error(`invalid safetensors file ${source}: ${what}; ${fix}`);
  };
  assertLittleEndianHost();

  if (buf.length < 8) {
    fail(`it is ${buf.length} bytes long, shorter than the 8-byte header length field`);
  }
  const declared = buf.readBigUInt64LE(0);
  if (declared > BigInt(MAX_HEADER_BYTES)) {
    fail(`the header length field says ${declared} bytes, more than the ${MAX_HEADER_BYTES}-byte limit for a header`);
  }
  const headerLength = Number(declared);
  if (8 + headerLength > buf.length) {
    fail(`the header length field says ${headerLength} bytes but only ${buf.length - 8} bytes follow it`);
  }

  let headerText = '';
  try {
    headerText = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf.subarray(8, 8 + headerLength));
  } catch {
    fail('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (err) {
    fail(`the header is not valid JSON (${messageOf(err)})`);
  }
  if (!isPlainObject(header)) {
    fail(`the header must be a JSON object, but it is ${describeJson(header)}`);
  }
  const fields = header as Record<string, unknown>;

  const dataStart = 8 + headerLength;
  const dataLength = buf.length - dataStart;
  const keys = topLevelKeys(headerText);
  const seen = new Set<string>();
  for (const key of keys) {
    if (seen.has(key)) fail(`the header names ${JSON.stringify(key)} twice`);
    seen.add(key);
  }

  let metadata: Record<string, string> = {};
  const entries: Array<{ name: string; dtype: DType; shape: number[]; begin: number; end: number }> = [];
  for (const name of keys) {
    const value = fields[name];
    if (name === METADATA_KEY) {
      metadata = validateMetadata(value, fail);
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (!isPlainObject(value)) fail(`${where}: its header entry must be an object, but it is ${describeJson(value)}`);
    const info = value as Record<string, unknown>;

    const dtype = info.dtype;
    if (!isDType(dtype)) {
      if (typeof dtype === 'string' && FOREIGN_DTYPES.has(dtype)) {
        fail(
          `${where}: dtype ${dtype} is not supported (supported: ${Object.keys(DTYPE_SIZE).join(', ')})`,
          'convert the tensor to one of those dtypes before saving',
        );
      }
      fail(`${where}: dtype ${describeJson(dtype)} is not a known safetensors dtype`);
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${where}: shape must be an array of non-negative integers, but it is ${describeJson(shape)}`);
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`${where}: data_offsets must be [begin, end] with non-negative integers, but it is ${describeJson(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`${where}: data_offsets [${begin}, ${end}] begin after they end`);
    if (end > dataLength) {
      fail(`${where}: data_offsets [${begin}, ${end}] reach past the end of the data section (${dataLength} bytes)`);
    }
    const dims = shape as number[];
    const needed = dims.reduce((acc, d) => acc * BigInt(d), 1n) * BigInt(DTYPE_SIZE[dtype as DType]);
    if (needed !== BigInt(end - begin)) {
      fail(`${where}: data_offsets [${begin}, ${end}] hold ${end - begin} bytes but dtype ${dtype} ` + `with shape [${dims.join(', ')}] needs ${needed}`);
    }
    entries.push({ name, dtype: dtype as DType, shape: dims, begin, end });
  }

  const byOffset = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let previous = '';
  for (const e of byOffset) {
    if (e.begin < cursor) {
      fail(`tensors ${JSON.stringify(previous)} and ${JSON.stringify(e.name)} overlap (the second starts at byte ${e.begin}, before ${cursor})`);
    }
    if (e.begin > cursor) {
      fail(`bytes ${cursor}..${e.begin} of the data section belong to no tensor (a hole before ${JSON.stringify(e.name)})`);
    }
    cursor = e.end;
    previous = e.name;
  }
  if (cursor !== dataLength) {
    fail(`the data section is ${dataLength} bytes but the tensors cover only ${cursor}; bytes ${cursor}..${dataLength} belong to no tensor`);
  }

  const tensors = entries.map((e): NamedTensor => {
    try {
      const bytes = buf.subarray(dataStart + e.begin, dataStart + e.end);
      return { name: e.name, dtype: e.dtype, shape: e.shape, data: tensorDataFromBytes(bytes, e.dtype, numelOf(e.shape)) };
    } catch (err) {
      return fail(`tensor ${JSON.stringify(e.name)}: cannot read its data (${messageOf(err)})`);
    }
  });
  return { tensors, metadata };
}

/**
 * The file as a list of buffers (length field, header, then each tensor's bytes viewing its
 * typed array, in the given order), ready for a vectored or atomic write.
 */
export function serializeSafetensors(tensors: readonly NamedTensor[], metadata: Readonly<Record<string, string>> = {}): Buffer[] {
  assertLittleEndianHost();
  const names = new Set<string>();
  const parts: string[] = [];
  const metadataKeys = Object.keys(metadata);
  for (const key of metadataKeys) {
    if (typeof metadata[key] !== 'string') {
      throw new Error(
        `cannot save safetensors: metadata ${JSON.stringify(key)} must be a string, but it is ${describeJson(metadata[key])}; convert it with String() or JSON.stringify()`,
      );
    }
  }
  if (metadataKeys.length > 0) parts.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);

  const chunks: Buffer[] = [];
  let offset = 0;
  for (const t of tensors) {
    const where = `cannot save safetensors: tensor ${JSON.stringify(t.name)}`;
    if (typeof t.name !== 'string') throw new Error(`cannot save safetensors: a tensor name is ${describeJson(t.name)}, not a string`);
    if (t.name === METADATA_KEY) throw new Error(`${where}: the name is reserved for the file's metadata; rename the tensor`);
    if (names.has(t.name)) throw new Error(`${where}: the name appears twice; tensor names in a file must be unique`);
    names.add(t.name);
    if (!isDType(t.dtype)) throw new Error(`${where}: unknown dtype ${describeJson(t.dtype)} (supported: ${Object.keys(DTYPE_SIZE).join(', ')})`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`${where}: shape must be an array of non-negative integers, but it is ${describeJson(t.shape)}`);
    }
    if (!isDataOfDType(t.data, t.dtype)) {
      throw new Error(`${where}: dtype ${t.dtype} needs its data in a ${arrayTypeName(t.dtype)}, but got ${describeJson(t.data)}`);
    }
    const numel = numelOf(t.shape);
    if (t.data.length !== numel) {
      throw new Error(`${where}: shape [${t.shape.join(', ')}] has ${numel} elements but its data has ${t.data.length}`);
    }
    const bytes = bytesOfTensorData(t.data);
    parts.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] })}`);
    chunks.push(bytes);
    offset += bytes.length;
  }

  const json = Buffer.from(`{${parts.join(',')}}`, 'utf8');
  // Pad so the data section starts 8-byte aligned (the length field itself is 8 bytes).
  const header = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const lengthField = Buffer.alloc(8);
  lengthField.writeBigUInt64LE(BigInt(header.length));
  return [lengthField, header, ...chunks];
}

/** Serializes and writes atomically (temp file + fsync + rename). */
export function writeSafetensors(path: string, tensors: readonly NamedTensor[], metadata?: Readonly<Record<string, string>>): void {
  writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}

function validateMetadata(value: unknown, fail: (what: string) => never): Record<string, string> {
  if (!isPlainObject(value)) fail(`"__metadata__" must be an object of strings, but it is ${describeJson(value)}`);
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [key, v] of entries) {
    if (typeof v !== 'string') fail(`"__metadata__" entry ${JSON.stringify(key)} must be a string, but it is ${describeJson(v)}`);
  }
  // fromEntries defines own properties, so a key such as "__proto__" stays plain data.
  return Object.fromEntries(entries) as Record<string, string>;
}

/**
 * Keys of a JSON object in text order, duplicates included (JSON.parse keeps only the last
 * and puts integer-like keys first). `text` must already be known to be a valid JSON object.
 */
function topLevelKeys(text: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = true;
  for (let i = text.indexOf('{') + 1; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (depth === 0 && expectKey) {
        keys.push(JSON.parse(text.slice(i, end + 1)) as string);
        expectKey = false;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      depth++;
    } else if (c === '}' || c === ']') {
      if (depth === 0) break;
      depth--;
    } else if (c === ',' && depth === 0) {
      expectKey = true;
    }
  }
  return keys;
}

function isPlainObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeJson(value: unknown): string {
  if (value === undefined) return 'missing';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function fileReadError(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return new Error(`safetensors file not found: ${path}; check the path`);
  if (code === 'EISDIR') return new Error(`${path} is a directory, not a safetensors file; pass the .safetensors file inside it`);
  return new Error(`could not read safetensors file ${path}: ${messageOf(err)}`);
}

/** The message of anything thrown; duck-typed because Node's own errors may come from another realm. */
function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}
