import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DType, NamedTensor } from '../../lib/io/named_tensor';
import { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors } from '../../lib/io/safetensors';
import { runPython } from '../helpers/python';

const SOURCE = 'bad.safetensors';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-safetensors-'));
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One tensor per dtype, with edge values, plus a 0-d and two zero-size tensors. */
function sampleTensors(): NamedTensor[] {
  return [
    { name: 'f64', dtype: 'F64', shape: [2, 2], data: new Float64Array([1.5, -2.25, Math.PI, -0]) },
    { name: 'f32', dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, -4.5, 1e-30, 3.4e38]) },
    // 1.0, -2.0, 65504 (max half), smallest subnormal, +inf
    { name: 'f16', dtype: 'F16', shape: [5], data: new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00]) },
    // 1.0, -3.0, 3.140625, +inf
    { name: 'bf16', dtype: 'BF16', shape: [2, 2], data: new Uint16Array([0x3f80, 0xc040, 0x4049, 0x7f80]) },
    { name: 'i64', dtype: 'I64', shape: [4], data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n]) },
    { name: 'i32', dtype: 'I32', shape: [3], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1, 7]) },
    { name: 'i16', dtype: 'I16', shape: [3], data: new Int16Array([-32768, 32767, -5]) },
    { name: 'i8', dtype: 'I8', shape: [3], data: new Int8Array([-128, 127, 0]) },
    { name: 'u8', dtype: 'U8', shape: [3], data: new Uint8Array([0, 255, 128]) },
    { name: 'bool', dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) },
    { name: 'scalar', dtype: 'F32', shape: [], data: new Float32Array([42.5]) },
    { name: 'empty', dtype: 'F32', shape: [0, 3], data: new Float32Array(0) },
    { name: 'empty_i64', dtype: 'I64', shape: [0], data: new BigInt64Array(0) },
  ];
}

function hexOf(data: ArrayBufferView): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

function expectSameTensors(actual: NamedTensor[], expected: NamedTensor[]): void {
  expect(actual.map((t) => t.name)).toEqual(expected.map((t) => t.name));
  actual.forEach((t, i) => {
    const e = expected[i];
    expect({ name: t.name, dtype: t.dtype, shape: t.shape }).toEqual({ name: e.name, dtype: e.dtype, shape: e.shape });
    expect(t.data.constructor).toBe(e.data.constructor);
    expect(hexOf(t.data)).toBe(hexOf(e.data));
  });
}

/** A file from a header (object or raw JSON text) and data bytes; the length field may lie. */
function fileWith(header: unknown, data: Buffer = Buffer.alloc(0), declaredLength?: bigint): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(declaredLength ?? BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

/** parse must throw a plain Error naming the file and matching every pattern. */
function expectParseError(buf: Buffer, ...patterns: RegExp[]): void {
  let thrown: unknown;
  try {
    parseSafetensors(buf, SOURCE);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(Error);
  const err = thrown as Error;
  expect(err.constructor).toBe(Error);
  expect(err.message).toContain(SOURCE);
  for (const p of patterns) expect(err.message).toMatch(p);
}

const CORRUPT_FIX = /truncated or corrupt; re-save or re-download/;

describe('round trip', () => {
  test('every dtype, 0-d and zero-size tensors come back bit-exact and in order', () => {
    const tensors = sampleTensors();
    const file = path.join(dir, 'roundtrip.safetensors');
    writeSafetensors(file, tensors, { format: 'pt', note: 'héllo ✓' });
    const back = readSafetensors(file);
    expectSameTensors(back.tensors, tensors);
    expect(back.metadata).toEqual({ format: 'pt', note: 'héllo ✓' });
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('names that look like integers keep their order', () => {
    const tensors: NamedTensor[] = ['b', '10', '2', 'a'].map((name, i) => ({
      name,
      dtype: 'I32',
      shape: [1],
      data: new Int32Array([i]),
    }));
    const back = parseSafetensors(Buffer.concat(serializeSafetensors(tensors)), 'order');
    expectSameTensors(back.tensors, tensors);
  });

  test('the header is padded with spaces so data starts 8-byte aligned; length field is u64 LE', () => {
    for (const name of ['a', 'ab', 'abc', 'abcd', 'abcde', 'abcdef', 'abcdefg', 'abcdefgh']) {
      const buf = Buffer.concat(serializeSafetensors([{ name, dtype: 'U8', shape: [1], data: new Uint8Array([9]) }]));
      let n = 0;
      for (let i = 7; i >= 0; i--) n = n * 256 + buf[i];
      expect((8 + n) % 8).toBe(0);
      const header = buf.subarray(8, 8 + n).toString('utf8');
      expect(header.trimEnd()).toBe(`{"${name}":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}`);
      expect(header.slice(header.trimEnd().length)).toMatch(/^ *$/);
      expect(buf.length).toBe(8 + n + 1);
      expect(buf[8 + n]).toBe(9);
    }
  });

  test('aligned tensors view the buffer, unaligned ones are copied correctly', () => {
    const tensors: NamedTensor[] = [
      { name: 'odd', dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
      { name: 'f32', dtype: 'F32', shape: [2], data: new Float32Array([1.25, -7]) },
    ];
    const buf = Buffer.alloc(Buffer.concat(serializeSafetensors(tensors)).length + 8);
    const content = Buffer.concat(serializeSafetensors(tensors));
    content.copy(buf);
    const { tensors: back } = parseSafetensors(buf.subarray(0, content.length), 'aligned');
    expectSameTensors(back, tensors);
    expect(back[0].data.buffer).toBe(buf.buffer); // U8 is always aligned
    expect(back[1].data.buffer).not.toBe(buf.buffer); // F32 at data offset 3: copied
    expect(Array.from(back[1].data as Float32Array)).toEqual([1.25, -7]);
  });
});

describe('interchange with Python safetensors', () => {
  const TORCH_DTYPE: Record<DType, string> = {
    F64: 'torch.float64',
    F32: 'torch.float32',
    F16: 'torch.float16',
    BF16: 'torch.bfloat16',
    I64: 'torch.int64',
    I32: 'torch.int32',
    I16: 'torch.int16',
    I8: 'torch.int8',
    U8: 'torch.uint8',
    BOOL: 'torch.bool',
  };

  test('files we write are read by safetensors.torch with the same bytes and values', () => {
    const tensors = sampleTensors();
    const file = path.join(dir, 'ours.safetensors');
    writeSafetensors(file, tensors, { format: 'pt' });
    const out = runPython(
      `
import json, sys, torch
from safetensors import safe_open
res = {}
with safe_open(sys.argv[1], 'pt') as f:
    meta = f.metadata()
    for k in f.keys():
        t = f.get_tensor(k)
        flat = t.contiguous().reshape(-1)
        res[k] = {'dtype': str(t.dtype), 'shape': list(t.shape),
                  'hex': flat.view(torch.uint8).numpy().tobytes().hex(),
                  'values': [repr(x) for x in (flat.double() if t.dtype.is_floating_point else flat).tolist()]}
print(json.dumps({'meta': meta, 'tensors': res}))
`,
      [file],
    );
    const py = JSON.parse(out) as {
      meta: Record<string, string>;
      tensors: Record<string, { dtype: string; shape: number[]; hex: string; values: string[] }>;
    };
    expect(py.meta).toEqual({ format: 'pt' });
    expect(Object.keys(py.tensors).sort()).toEqual(tensors.map((t) => t.name).sort());
    for (const t of tensors) {
      const p = py.tensors[t.name];
      expect({ name: t.name, dtype: p.dtype, shape: p.shape, hex: p.hex }).toEqual({
        name: t.name,
        dtype: TORCH_DTYPE[t.dtype],
        shape: t.shape,
        hex: hexOf(t.data),
      });
    }
    // Values as Python sees them, independent of byte encodings.
    expect(py.tensors.f16.values).toEqual(['1.0', '-2.0', '65504.0', '5.960464477539063e-08', 'inf']);
    expect(py.tensors.bf16.values).toEqual(['1.0', '-3.0', '3.140625', 'inf']);
    expect(py.tensors.i64.values).toEqual(['-9223372036854775808', '9223372036854775807', '0', '-1']);
    expect(py.tensors.bool.values).toEqual(['True', 'False', 'True']);
    expect(py.tensors.scalar).toMatchObject({ shape: [], values: ['42.5'] });
    expect(py.tensors.empty).toMatchObject({ shape: [0, 3], values: [] });
  });

  test('files written by safetensors.torch and safetensors.numpy are read correctly', () => {
    const out = runPython(
      `
import json, os, sys, numpy as np, torch
from safetensors.torch import save_file as save_torch
from safetensors.numpy import save_file as save_numpy
d = sys.argv[1]
torch.manual_seed(0)
tt = {
  'w.f32': torch.randn(3, 4), 'w.f16': torch.randn(5).half(), 'w.bf16': torch.randn(2, 3).bfloat16(),
  'w.f64': torch.randn(2, dtype=torch.float64), 'ids': torch.tensor([-(2**63), 2**63 - 1, 5]),
  'i32': torch.tensor([-7, 2**31 - 1], dtype=torch.int32), 'i16': torch.tensor([-3], dtype=torch.int16),
  'i8': torch.tensor([-128, 5], dtype=torch.int8), 'u8': torch.tensor([255, 0, 3], dtype=torch.uint8),
  'mask': torch.tensor([True, False, True]), 'scalar': torch.tensor(7.25), 'empty': torch.empty(0, 4),
}
save_torch(tt, os.path.join(d, 'py_torch.safetensors'), metadata={'format': 'pt', 'who': 'torch'})
nn = {'a': np.arange(6, dtype=np.float32).reshape(2, 3) / 7, 'b': np.array([1, -2], dtype=np.int64),
      'c': np.array(3.5, dtype=np.float16), 'odd': np.array([1, 2, 3], dtype=np.uint8)}
save_numpy(nn, os.path.join(d, 'py_numpy.safetensors'))
def describe(t):
    flat = t.contiguous().reshape(-1)
    return {'dtype': str(t.dtype).replace('torch.', ''), 'shape': list(t.shape),
            'hex': flat.view(torch.uint8).numpy().tobytes().hex()}
print(json.dumps({'torch': {k: describe(v) for k, v in tt.items()},
                  'numpy': {k: describe(torch.from_numpy(v)) for k, v in nn.items()}}))
`,
      [dir],
    );
    const expected = JSON.parse(out) as Record<'torch' | 'numpy', Record<string, { dtype: string; shape: number[]; hex: string }>>;
    const NAME: Record<DType, string> = {
      F64: 'float64',
      F32: 'float32',
      F16: 'float16',
      BF16: 'bfloat16',
      I64: 'int64',
      I32: 'int32',
      I16: 'int16',
      I8: 'int8',
      U8: 'uint8',
      BOOL: 'bool',
    };
    for (const [kind, file] of [
      ['torch', 'py_torch.safetensors'],
      ['numpy', 'py_numpy.safetensors'],
    ] as const) {
      const { tensors, metadata } = readSafetensors(path.join(dir, file));
      if (kind === 'torch') expect(metadata).toEqual({ format: 'pt', who: 'torch' });
      const ours = Object.fromEntries(tensors.map((t) => [t.name, { dtype: NAME[t.dtype], shape: t.shape, hex: hexOf(t.data) }]));
      expect(ours).toEqual(expected[kind]);
    }
    // Spot-check decoded values where JS can hold them directly.
    const { tensors } = readSafetensors(path.join(dir, 'py_torch.safetensors'));
    const byName = new Map(tensors.map((t) => [t.name, t]));
    expect(Array.from(byName.get('ids')!.data as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1n, 5n]);
    expect(Array.from(byName.get('mask')!.data as Uint8Array)).toEqual([1, 0, 1]);
    expect(byName.get('scalar')).toMatchObject({ dtype: 'F32', shape: [] });
    expect(Array.from(byName.get('scalar')!.data as Float32Array)).toEqual([7.25]);
  });
});

describe('validation errors name the file and the problem', () => {
  const f32x2 = (offsets: [number, number] = [0, 8]) => ({ dtype: 'F32', shape: [2], data_offsets: offsets });

  test('file shorter than the length field', () => {
    expectParseError(Buffer.alloc(5), /5 bytes long/, /8-byte header length/, CORRUPT_FIX);
    expectParseError(Buffer.alloc(0), /0 bytes long/);
  });

  test('header length larger than the file', () => {
    expectParseError(fileWith({}, Buffer.alloc(0), 100n), /header length field says 100 bytes but only 2 bytes follow/, CORRUPT_FIX);
  });

  test('absurd header length', () => {
    expectParseError(fileWith({}, Buffer.alloc(0), 2n ** 40n), /header length field says 1099511627776 bytes, more than the 104857600-byte limit/);
    expectParseError(fileWith({}, Buffer.alloc(0), 2n ** 64n - 1n), /18446744073709551615 bytes/);
  });

  test('header not UTF-8, not JSON, not an object', () => {
    const bad = Buffer.concat([Buffer.from([3, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([0x7b, 0xff, 0x7d])]);
    expectParseError(bad, /header is not valid UTF-8/, CORRUPT_FIX);
    expectParseError(fileWith('{"a": '), /header is not valid JSON/, CORRUPT_FIX);
    expectParseError(fileWith('[1, 2]'), /header must be a JSON object, but it is \[1,2\]/);
    expectParseError(fileWith('null'), /must be a JSON object, but it is null/);
  });

  test('entry that is not an object', () => {
    expectParseError(fileWith({ w: 5 }), /tensor "w": its header entry must be an object, but it is 5/);
  });

  test('bad or unsupported dtype', () => {
    expectParseError(fileWith({ w: { ...f32x2(), dtype: 'F99' } }, Buffer.alloc(8)), /tensor "w": dtype "F99" is not a known safetensors dtype/, CORRUPT_FIX);
    expectParseError(fileWith({ w: { shape: [2], data_offsets: [0, 8] } }, Buffer.alloc(8)), /tensor "w": dtype missing/);
    expectParseError(
      fileWith({ w: { ...f32x2(), dtype: 'U32' } }, Buffer.alloc(8)),
      /tensor "w": dtype U32 is not supported \(supported: F64, F32/,
      /convert the tensor/,
    );
  });

  test('bad shape', () => {
    for (const shape of [[-1], [1.5], '2', [2 ** 53], null]) {
      expectParseError(fileWith({ w: { ...f32x2(), shape } }, Buffer.alloc(8)), /tensor "w": shape must be an array of non-negative integers/);
    }
  });

  test('bad data_offsets', () => {
    for (const data_offsets of [[0], [0, 8, 9], [-1, 8], [0, '8'], 'x', [0.5, 8]]) {
      expectParseError(fileWith({ w: { ...f32x2(), data_offsets } }, Buffer.alloc(8)), /tensor "w": data_offsets must be \[begin, end\]/);
    }
    expectParseError(fileWith({ w: f32x2([8, 0]) }, Buffer.alloc(8)), /tensor "w": data_offsets \[8, 0\] begin after they end/);
    expectParseError(
      fileWith({ w: f32x2([0, 8]) }, Buffer.alloc(4)),
      /tensor "w": data_offsets \[0, 8\] reach past the end of the data section \(4 bytes\)/,
      CORRUPT_FIX,
    );
  });

  test('byte count that does not match shape and dtype', () => {
    expectParseError(
      fileWith({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8)),
      /tensor "w": data_offsets \[0, 8\] hold 8 bytes but dtype F32 with shape \[3\] needs 12/,
    );
    expectParseError(
      fileWith({ w: { dtype: 'F32', shape: [2 ** 52, 2 ** 52], data_offsets: [0, 8] } }, Buffer.alloc(8)),
      /needs 81129638414606681695789005144064/,
    );
  });

  test('overlapping tensors', () => {
    expectParseError(fileWith({ a: f32x2([0, 8]), b: f32x2([4, 12]) }, Buffer.alloc(12)), /tensors "a" and "b" overlap/, CORRUPT_FIX);
    expectParseError(fileWith({ a: f32x2([0, 8]), b: f32x2([0, 8]) }, Buffer.alloc(8)), /tensors "a" and "b" overlap/);
  });

  test('holes: before, between and after tensors', () => {
    expectParseError(fileWith({ a: f32x2([4, 12]) }, Buffer.alloc(12)), /bytes 0\.\.4 of the data section belong to no tensor \(a hole before "a"\)/);
    expectParseError(fileWith({ a: f32x2([0, 8]), b: f32x2([12, 20]) }, Buffer.alloc(20)), /bytes 8\.\.12 .*belong to no tensor \(a hole before "b"\)/);
    expectParseError(fileWith({ a: f32x2([0, 8]) }, Buffer.alloc(11)), /data section is 11 bytes but the tensors cover only 8/, CORRUPT_FIX);
  });

  test('__metadata__ that is not a map of strings', () => {
    expectParseError(fileWith({ __metadata__: [1] }), /"__metadata__" must be an object of strings, but it is \[1\]/);
    expectParseError(fileWith({ __metadata__: { k: 1 } }), /"__metadata__" entry "k" must be a string, but it is 1/);
  });

  test('duplicate names in the header text', () => {
    const header = '{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
    expectParseError(fileWith(header, Buffer.alloc(1)), /names "a" twice/);
  });

  test('a missing file is named', () => {
    const missing = path.join(dir, 'missing.safetensors');
    expect(() => readSafetensors(missing)).toThrow(`safetensors file not found: ${missing}`);
    expect(() => readSafetensors(dir)).toThrow(/is a directory/);
  });
});

describe('serialization refuses invalid input', () => {
  const t = (over: Partial<NamedTensor>): NamedTensor => ({ name: 'w', dtype: 'F32', shape: [2], data: new Float32Array(2), ...over });

  test('duplicate names', () => {
    expect(() => serializeSafetensors([t({}), t({})])).toThrow(/tensor "w": the name appears twice/);
  });
  test('shape and data length mismatch', () => {
    expect(() => serializeSafetensors([t({ shape: [3] })])).toThrow(/tensor "w": shape \[3\] has 3 elements but its data has 2/);
  });
  test('typed array of the wrong kind', () => {
    expect(() => serializeSafetensors([t({ data: new Float64Array(2) })])).toThrow(
      /tensor "w": dtype F32 needs its data in a Float32Array, but got a Float64Array/,
    );
    expect(() => serializeSafetensors([t({ dtype: 'BF16' })])).toThrow(/dtype BF16 needs its data in a Uint16Array/);
  });
  test('reserved name, bad shape, bad dtype, bad metadata', () => {
    expect(() => serializeSafetensors([t({ name: '__metadata__' })])).toThrow(/reserved/);
    expect(() => serializeSafetensors([t({ shape: [-2] })])).toThrow(/shape must be an array of non-negative integers/);
    expect(() => serializeSafetensors([t({ dtype: 'F8' as DType })])).toThrow(/unknown dtype "F8"/);
    expect(() => serializeSafetensors([], { a: 1 } as unknown as Record<string, string>)).toThrow(/metadata "a" must be a string/);
  });
});

describe('fuzz: corrupted files fail cleanly', () => {
  function mulberry32(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let r = Math.imul(a ^ (a >>> 15), 1 | a);
      r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
      return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
    };
  }

  const original = Buffer.concat(serializeSafetensors(sampleTensors(), { format: 'pt' }));

  /** Either a consistent result or a plain Error naming the file; returns whether it threw. */
  function parseOrCleanError(buf: Buffer): boolean {
    try {
      const { tensors } = parseSafetensors(buf, SOURCE);
      for (const t of tensors) expect(t.data.length).toBe(t.shape.reduce((a, b) => a * b, 1));
      return false;
    } catch (err) {
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).constructor).toBe(Error);
      expect((err as Error).message).toContain(SOURCE);
      return true;
    }
  }

  test('every truncation throws', () => {
    for (let length = 0; length < original.length; length++) {
      expect([length, parseOrCleanError(Buffer.from(original.subarray(0, length)))]).toEqual([length, true]);
    }
  });

  test('byte flips either parse or throw a clean Error', () => {
    const random = mulberry32(12345);
    let threw = 0;
    for (let i = 0; i < 400; i++) {
      const buf = Buffer.from(original);
      const flips = 1 + Math.floor(random() * 3);
      for (let k = 0; k < flips; k++) {
        // Bias towards the length field and header, where structure lives.
        const limit = random() < 0.8 ? Math.min(buf.length, 8 + 600) : buf.length;
        const at = Math.floor(random() * limit);
        buf[at] ^= 1 + Math.floor(random() * 255);
      }
      if (parseOrCleanError(buf)) threw++;
    }
    expect(threw).toBeGreaterThan(100);
  });
});
