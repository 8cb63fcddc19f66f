import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DType, NamedTensor } from '../../lib/io/named_tensor';
import { parsePytorchBin, readPytorchBin } from '../../lib/io/pytorch_bin';
import { runPython } from '../helpers/python';

interface Expected {
  name: string;
  dtype: string;
  shape: number[];
  hex: string;
}

const TORCH_NAME: Record<DType, string> = {
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

let dir: string;
let expected: Record<string, Expected[]>;
let disassembly: Record<string, string>;

/**
 * Python writes every fixture with the real torch.save (plus hand-built variants) and dumps
 * what each tensor must be: dtype, shape and the bytes of its contiguous row-major copy.
 */
const GENERATE = `
import collections, io, json, os, pickle, pickletools, struct, sys, zipfile
import numpy as np, torch
d = sys.argv[1]
torch.manual_seed(0)

def describe(sd):
    return [{'name': k, 'dtype': str(v.dtype).replace('torch.', ''), 'shape': list(v.shape),
             'hex': v.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes().hex()}
            for k, v in sd.items()]

model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.LayerNorm(3))
sd = model.state_dict()                         # an OrderedDict carrying _metadata
base = torch.arange(12, dtype=torch.float32) * 1.5
sd['half'] = torch.randn(2, 3).half()
sd['bf16'] = torch.randn(3).bfloat16()
sd['ids'] = torch.tensor([-(2**63), 2**63 - 1, 0, 42])
sd['f64'] = torch.randn(2, 2, dtype=torch.float64)
sd['i32'] = torch.tensor([1, -2, 3], dtype=torch.int32)
sd['i16'] = torch.tensor([-300, 300], dtype=torch.int16)
sd['i8'] = torch.tensor([-128, 127], dtype=torch.int8)
sd['u8'] = torch.tensor([0, 200, 255], dtype=torch.uint8)
sd['mask'] = torch.tensor([[True, False], [False, True]])
sd['transposed'] = torch.randn(3, 5).t()           # non-contiguous
sd['stepped'] = torch.randn(4, 6)[1:, ::2]          # offset + stride 2
sd['expanded'] = torch.randn(3, 1).expand(3, 4)     # stride 0
sd['shared_a'] = base[2:6]                          # two views of one storage
sd['shared_b'] = base[4:10].view(2, 3)
sd['shared_t'] = base[:6].view(2, 3).t()
sd['scalar'] = torch.tensor(3.25)
sd['empty'] = torch.empty(0, 4)
sd['half_t'] = torch.randn(2, 3).half().t()
sd['bf16_t'] = torch.randn(2, 3).bfloat16().t()
sd['ids_t'] = torch.arange(6).view(2, 3).t()
assert not sd['transposed'].is_contiguous() and sd['shared_a'].untyped_storage().data_ptr() == sd['shared_b'].untyped_storage().data_ptr()
torch.save(sd, os.path.join(d, 'pytorch_model.bin'))
expected = {'main': describe(sd)}

# keep_vars=True saves nn.Parameter objects (torch._utils._rebuild_parameter).
params = model.state_dict(keep_vars=True)
torch.save(params, os.path.join(d, 'params.bin'))
expected['params'] = describe(params)

# The same archive rewritten with deflate (Python's zipfile, so no 64-byte alignment either).
def rewrite(src, dst, transform=lambda name, data: data, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w', compression) as zout:
        for info in zin.infolist():
            data = transform(info.filename, zin.read(info.filename))
            if data is not None:
                zout.writestr(info.filename, data)
rewrite(os.path.join(d, 'pytorch_model.bin'), os.path.join(d, 'deflated.bin'), compression=zipfile.ZIP_DEFLATED)
rewrite(os.path.join(d, 'pytorch_model.bin'), os.path.join(d, 'missing_storage.bin'),
        lambda name, data: None if name.endswith('/data/1') else data)
torch.save(sd, os.path.join(d, 'protocol4.bin'), pickle_protocol=4)

# A big-endian archive: byteorder says "big" and every storage is byte-swapped element-wise.
sizes = {}
class StorageTypes(pickle.Unpickler):
    def find_class(self, module, name):
        if module == 'torch' and name.endswith('Storage'):
            return name
        if (module, name) == ('collections', 'OrderedDict'):
            return collections.OrderedDict
        if module == 'torch._utils':
            return lambda *args: None
        raise pickle.UnpicklingError(module + '.' + name)
    def persistent_load(self, pid):
        sizes[pid[2]] = {'FloatStorage': 4, 'HalfStorage': 2, 'BFloat16Storage': 2, 'DoubleStorage': 8,
                         'LongStorage': 8, 'IntStorage': 4, 'ShortStorage': 2}.get(pid[1], 1)
with zipfile.ZipFile(os.path.join(d, 'pytorch_model.bin')) as z:
    StorageTypes(io.BytesIO(z.read('pytorch_model/data.pkl'))).load()
def to_big(name, data):
    if name.endswith('/byteorder'):
        return b'big'
    if '/data/' in name:
        n = sizes[name.rsplit('/', 1)[1]]
        return np.frombuffer(data, dtype='<u%d' % n).byteswap().tobytes() if n > 1 else data
    return data
rewrite(os.path.join(d, 'pytorch_model.bin'), os.path.join(d, 'bigendian.bin'), to_big)
# torch itself must read the fixture back to the same values, or the fixture is wrong.
big = torch.load(os.path.join(d, 'bigendian.bin'))
assert all(torch.equal(big[k], v) for k, v in sd.items()) and list(big) == list(sd)

# Not a plain state dict.
torch.save({'weight': torch.ones(2), 'step': 5}, os.path.join(d, 'with_int.bin'))
torch.save({'model': {'w': torch.ones(2)}, 'epoch': 1}, os.path.join(d, 'checkpoint.bin'))
torch.save({'w': torch.ones(2)}, os.path.join(d, 'legacy.bin'), _use_new_zipfile_serialization=False)
torch.save([torch.ones(2)], os.path.join(d, 'list.bin'))

# Malicious pickles, built opcode by opcode; none of them is ever unpickled by Python here.
marker = sys.argv[2]
def unicode(s):
    b = s.encode()
    return b'X' + struct.pack('<I', len(b)) + b
def write_bin(name, pkl):
    with zipfile.ZipFile(os.path.join(d, name), 'w') as z:
        z.writestr('archive/data.pkl', pkl)
        z.writestr('archive/byteorder', 'little')
        z.writestr('archive/version', '3\\n')
evil = {
  'os_system.bin': b'\\x80\\x02cos\\nsystem\\n' + unicode('touch ' + marker) + b'\\x85R.',
  'eval.bin': b'\\x80\\x02cbuiltins\\neval\\n' + unicode("open(%r, 'w').write('x')" % marker) + b'\\x85R.',
  'stack_global.bin': b'\\x80\\x04\\x8c\\x05posix\\x8c\\x06system\\x93' + unicode('touch ' + marker) + b'\\x85R.',
  # A legitimate-looking state dict whose tensor value is replaced by a call to exec.
  'nested.bin': b'\\x80\\x02ccollections\\nOrderedDict\\n)R(' + unicode('w') + b'c__builtin__\\nexec\\n'
                + unicode("open(%r, 'w')" % marker) + b'\\x85Ru.',
}
dis = {}
for name, pkl in evil.items():
    write_bin(name, pkl)
    out = io.StringIO()
    pickletools.dis(pkl, out)
    dis[name] = out.getvalue()
print(json.dumps({'expected': expected, 'dis': dis}))
`;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bertrun-pytorch-bin-'));
  const out = JSON.parse(runPython(GENERATE, [dir, path.join(dir, 'PWNED')])) as {
    expected: Record<string, Expected[]>;
    dis: Record<string, string>;
  };
  expected = out.expected;
  disassembly = out.dis;
});
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function describe_(tensors: NamedTensor[]): Expected[] {
  return tensors.map((t) => ({
    name: t.name,
    dtype: TORCH_NAME[t.dtype],
    shape: t.shape,
    hex: Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).toString('hex'),
  }));
}

function expectCleanError(fn: () => unknown, ...patterns: RegExp[]): Error {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(Error);
  const err = thrown as Error;
  expect(err.constructor).toBe(Error);
  for (const p of patterns) expect(err.message).toMatch(p);
  return err;
}

describe('state dicts written by torch.save', () => {
  test('every tensor matches torch, in pickle order, including views, shared storages, 0-d and empty tensors', () => {
    const tensors = readPytorchBin(path.join(dir, 'pytorch_model.bin'));
    expect(describe_(tensors)).toEqual(expected.main);
    expect(tensors.map((t) => t.name).slice(0, 4)).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
  });

  test('values decode as expected (not only bytes)', () => {
    const byName = new Map(readPytorchBin(path.join(dir, 'pytorch_model.bin')).map((t) => [t.name, t]));
    expect(Array.from(byName.get('shared_a')!.data as Float32Array)).toEqual([3, 4.5, 6, 7.5]);
    expect(Array.from(byName.get('shared_b')!.data as Float32Array)).toEqual([6, 7.5, 9, 10.5, 12, 13.5]);
    // base[:6].view(2, 3).t() = [[0, 4.5], [1.5, 6], [3, 7.5]]
    expect(byName.get('shared_t')!.shape).toEqual([3, 2]);
    expect(Array.from(byName.get('shared_t')!.data as Float32Array)).toEqual([0, 4.5, 1.5, 6, 3, 7.5]);
    expect(Array.from(byName.get('ids')!.data as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1n, 0n, 42n]);
    expect(Array.from(byName.get('ids_t')!.data as BigInt64Array)).toEqual([0n, 3n, 1n, 4n, 2n, 5n]);
    expect(byName.get('scalar')).toMatchObject({ dtype: 'F32', shape: [] });
    expect(Array.from(byName.get('scalar')!.data as Float32Array)).toEqual([3.25]);
    expect(byName.get('empty')).toMatchObject({ shape: [0, 4] });
    expect(byName.get('empty')!.data.length).toBe(0);
    expect(Array.from(byName.get('mask')!.data as Uint8Array)).toEqual([1, 0, 0, 1]);
  });

  test('nn.Parameter values (state_dict(keep_vars=True)) are read as tensors', () => {
    expect(describe_(readPytorchBin(path.join(dir, 'params.bin')))).toEqual(expected.params);
  });

  test('deflated entries in an unaligned archive read the same', () => {
    expect(describe_(readPytorchBin(path.join(dir, 'deflated.bin')))).toEqual(expected.main);
  });

  test('pickle protocol 4 (STACK_GLOBAL, FRAME, MEMOIZE) reads the same', () => {
    expect(describe_(readPytorchBin(path.join(dir, 'protocol4.bin')))).toEqual(expected.main);
  });

  test('a big-endian archive (byteorder "big") is byte-swapped to the same values', () => {
    expect(describe_(readPytorchBin(path.join(dir, 'bigendian.bin')))).toEqual(expected.main);
  });
});

describe('refusals', () => {
  test.each([
    ['os_system.bin', 'os system', /os\.system/],
    ['eval.bin', 'builtins eval', /builtins\.eval/],
    ['stack_global.bin', 'STACK_GLOBAL', /posix\.system/],
    ['nested.bin', '__builtin__ exec', /__builtin__\.exec/],
  ])('%s: the forbidden global is named and nothing runs', (file, disText, global) => {
    expect(disassembly[file]).toContain(disText); // the fixture really is such a pickle
    const source = path.join(dir, file);
    expectCleanError(() => readPytorchBin(source), global, /never executes pickled code/, new RegExp(`${file}`));
    expect(fs.existsSync(path.join(dir, 'PWNED'))).toBe(false);
  });

  test('non-tensor entries and nested checkpoints are refused with the key named', () => {
    expectCleanError(() => readPytorchBin(path.join(dir, 'with_int.bin')), /with_int\.bin/, /entry "step" is the number 5, not a tensor/);
    expectCleanError(() => readPytorchBin(path.join(dir, 'checkpoint.bin')), /entry "model" is a dict/, /training checkpoint/);
    expectCleanError(() => readPytorchBin(path.join(dir, 'list.bin')), /holds a list of 1, not a state dict/);
  });

  test('a storage missing from the archive is named', () => {
    expectCleanError(
      () => readPytorchBin(path.join(dir, 'missing_storage.bin')),
      /missing_storage\.bin: the pickle refers to storage 1 but the archive has no pytorch_model\/data\/1/,
    );
  });

  test('the legacy (pre-1.6) format is named as such', () => {
    expectCleanError(() => readPytorchBin(path.join(dir, 'legacy.bin')), /legacy\.bin uses the legacy torch\.save format/);
  });

  test('missing file and non-checkpoint files', () => {
    const missing = path.join(dir, 'nope.bin');
    expectCleanError(() => readPytorchBin(missing), new RegExp(`PyTorch checkpoint not found: ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    expectCleanError(() => parsePytorchBin(Buffer.from('{"not": "a zip"}'), 'x.bin'), /x\.bin is not a PyTorch checkpoint/);
  });
});

describe('corrupt files fail cleanly', () => {
  test('truncation anywhere gives an Error naming the file', () => {
    const whole = fs.readFileSync(path.join(dir, 'pytorch_model.bin'));
    const cuts = [0, 1, 3, 4, 30, 100, 1000, Math.floor(whole.length / 2), whole.length - 23, whole.length - 22, whole.length - 1];
    for (let i = 0; i < 60; i++) cuts.push(Math.floor((whole.length * i) / 60));
    for (const cut of cuts) {
      expectCleanError(() => parsePytorchBin(Buffer.from(whole.subarray(0, cut)), 'cut.bin'), /cut\.bin/);
    }
  });

  test('a flipped byte in a tensor entry fails its CRC check', () => {
    const whole = Buffer.from(fs.readFileSync(path.join(dir, 'pytorch_model.bin')));
    const name = Buffer.from('pytorch_model/data/0');
    const local = whole.indexOf(name) - 30;
    expect(whole.readUInt32LE(local)).toBe(0x04034b50);
    const dataStart = local + 30 + whole.readUInt16LE(local + 26) + whole.readUInt16LE(local + 28);
    whole[dataStart + 5] ^= 0x55;
    expectCleanError(() => parsePytorchBin(whole, 'flip.bin'), /flip\.bin/, /entry "pytorch_model\/data\/0" fails its CRC-32 check/);
  });

  test('byte flips anywhere never escape as anything but an Error', () => {
    const whole = fs.readFileSync(path.join(dir, 'pytorch_model.bin'));
    let seed = 7;
    const random = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    for (let i = 0; i < 300; i++) {
      const buf = Buffer.from(whole);
      buf[Math.floor(random() * buf.length)] ^= 1 + Math.floor(random() * 255);
      try {
        parsePytorchBin(buf, 'fuzz.bin');
      } catch (err) {
        expect((err as Error).constructor).toBe(Error);
        expect((err as Error).message).toContain('fuzz.bin');
      }
    }
  });
});
