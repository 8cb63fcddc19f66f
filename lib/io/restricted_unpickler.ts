/**
 * A pickle reader that executes nothing: it understands the opcodes torch.save emits for a state
 * dict (protocol 2, plus the few protocol 3-5 opcodes that carry plain data) and resolves a
 * GLOBAL only if the caller allows that exact name, calling the caller's own implementation
 * instead of the Python object. Any other global is refused the moment it is referenced.
 */

export type PickleKey = string | number | bigint | boolean | null;

export type PickleValue = null | boolean | number | bigint | string | Uint8Array | PickleTuple | PickleList | PickleDict | PickleGlobal | PickleObject;

export class PickleTuple {
  constructor(readonly items: readonly PickleValue[]) {}
}

export class PickleList {
  readonly items: PickleValue[] = [];
}

export class PickleDict {
  /** In pickle order. */
  readonly entries = new Map<PickleKey, PickleValue>();
  /** What BUILD set on it (for a state dict's OrderedDict: {'_metadata': ...}). */
  state: PickleValue | undefined;
  constructor(readonly typeName: string) {}
}

/** A reference to an allowed global, e.g. torch.FloatStorage used as a type tag. */
export class PickleGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** Base for the objects a caller's global implementations return (tensors, storages...). */
export abstract class PickleObject {
  abstract readonly typeName: string;
}

export interface AllowedGlobal {
  /** What REDUCE on this global returns; absent means it may only be referenced, not called. */
  call?: (args: readonly PickleValue[]) => PickleValue;
}

export interface UnpickleOptions {
  /** Names the data in error messages, e.g. "model.bin (archive/data.pkl)". */
  source: string;
  /** Globals that may appear, keyed by "module.name". Everything else is refused. */
  globals: ReadonlyMap<string, AllowedGlobal>;
  /** Resolves BINPERSID ids; without it persistent ids are refused. */
  persistentLoad?: (pid: PickleValue) => PickleValue;
}

const MAX_LONG_BYTES = 1024;
const CORRUPT = 'the file is truncated or corrupt; re-save or re-download it';

export function unpickle(data: Uint8Array, options: UnpickleOptions): PickleValue {
  return new Unpickler(data, options).run();
}

/** A short description of a value for error messages (never recursive). */
export function describePickleValue(value: PickleValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number' || typeof value === 'bigint') return `the number ${value}`;
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 37)}...` : value)}`;
  if (value instanceof Uint8Array) return `${value.length} bytes`;
  if (value instanceof PickleTuple) return `a tuple of ${value.items.length}`;
  if (value instanceof PickleList) return `a list of ${value.items.length}`;
  if (value instanceof PickleDict) return `a ${value.typeName} of ${value.entries.size} entries`;
  if (value instanceof PickleGlobal) return `the global ${value.qualifiedName}`;
  return `a ${value.typeName}`;
}

// Opcode bytes, named as in CPython's pickle.py.
const OP = {
  MARK: 0x28,
  STOP: 0x2e,
  POP: 0x30,
  POP_MARK: 0x31,
  DUP: 0x32,
  BINFLOAT: 0x47,
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  NONE: 0x4e,
  BINPERSID: 0x51,
  REDUCE: 0x52,
  BINUNICODE: 0x58,
  EMPTY_LIST: 0x5d,
  APPEND: 0x61,
  BUILD: 0x62,
  GLOBAL: 0x63,
  DICT: 0x64,
  APPENDS: 0x65,
  BINGET: 0x68,
  LONG_BINGET: 0x6a,
  LIST: 0x6c,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  SETITEM: 0x73,
  TUPLE: 0x74,
  SETITEMS: 0x75,
  EMPTY_DICT: 0x7d,
  EMPTY_TUPLE: 0x29,
  BINBYTES: 0x42,
  SHORT_BINBYTES: 0x43,
  PROTO: 0x80,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  LONG1: 0x8a,
  LONG4: 0x8b,
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  BINBYTES8: 0x8e,
  MEMOIZE: 0x94,
  FRAME: 0x95,
  STACK_GLOBAL: 0x93,
} as const;

class Unpickler {
  private pos = 0;
  private stack: PickleValue[] = [];
  private readonly metastack: PickleValue[][] = [];
  private readonly memo = new Map<number, PickleValue>();
  private readonly view: DataView;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });
  private opStart = 0;

  constructor(
    private readonly data: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  run(): PickleValue {
    while (this.pos < this.data.length) {
      this.opStart = this.pos;
      const op = this.data[this.pos++];
      switch (op) {
        case OP.PROTO: {
          const version = this.u8();
          if (version > 5) this.fail(`pickle protocol ${version} is newer than any Python writes`);
          break;
        }
        case OP.FRAME:
          this.take(8);
          break;
        case OP.STOP: {
          if (this.stack.length === 0 || this.metastack.length > 0) this.fail('STOP with an unbalanced stack');
          return this.pop();
        }
        case OP.MARK:
          this.metastack.push(this.stack);
          this.stack = [];
          break;
        case OP.POP:
          this.pop();
          break;
        case OP.POP_MARK:
          this.popMark();
          break;
        case OP.DUP:
          this.push(this.top());
          break;

        case OP.NONE:
          this.push(null);
          break;
        case OP.NEWTRUE:
          this.push(true);
          break;
        case OP.NEWFALSE:
          this.push(false);
          break;
        case OP.BININT:
          this.push(this.view.getInt32(this.take(4), true));
          break;
        case OP.BININT1:
          this.push(this.u8());
          break;
        case OP.BININT2:
          this.push(this.view.getUint16(this.take(2), true));
          break;
        case OP.LONG1:
          this.push(this.long(this.u8()));
          break;
        case OP.LONG4: {
          const n = this.view.getInt32(this.take(4), true);
          if (n < 0) this.fail('LONG4 with a negative length');
          this.push(this.long(n));
          break;
        }
        case OP.BINFLOAT:
          this.push(this.view.getFloat64(this.take(8), false));
          break;
        case OP.SHORT_BINUNICODE:
          this.push(this.text(this.u8()));
          break;
        case OP.BINUNICODE:
          this.push(this.text(this.view.getUint32(this.take(4), true)));
          break;
        case OP.BINUNICODE8:
          this.push(this.text(this.u64()));
          break;
        case OP.SHORT_BINBYTES:
          this.push(this.bytes(this.u8()));
          break;
        case OP.BINBYTES:
          this.push(this.bytes(this.view.getUint32(this.take(4), true)));
          break;
        case OP.BINBYTES8:
          this.push(this.bytes(this.u64()));
          break;

        case OP.EMPTY_TUPLE:
          this.push(new PickleTuple([]));
          break;
        case OP.TUPLE:
          this.push(new PickleTuple(this.popMark()));
          break;
        case OP.TUPLE1:
          this.push(new PickleTuple(this.popN(1)));
          break;
        case OP.TUPLE2:
          this.push(new PickleTuple(this.popN(2)));
          break;
        case OP.TUPLE3:
          this.push(new PickleTuple(this.popN(3)));
          break;
        case OP.EMPTY_LIST:
          this.push(new PickleList());
          break;
        case OP.LIST: {
          const list = new PickleList();
          list.items.push(...this.popMark());
          this.push(list);
          break;
        }
        case OP.APPEND: {
          const value = this.pop();
          this.listOnTop('APPEND').items.push(value);
          break;
        }
        case OP.APPENDS: {
          const values = this.popMark();
          const list = this.listOnTop('APPENDS');
          for (const v of values) list.items.push(v);
          break;
        }
        case OP.EMPTY_DICT:
          this.push(new PickleDict('dict'));
          break;
        case OP.DICT: {
          const dict = new PickleDict('dict');
          this.setItems(dict, this.popMark());
          this.push(dict);
          break;
        }
        case OP.SETITEM: {
          const value = this.pop();
          const key = this.pop();
          this.setItems(this.dictOnTop('SETITEM'), [key, value]);
          break;
        }
        case OP.SETITEMS: {
          const items = this.popMark();
          this.setItems(this.dictOnTop('SETITEMS'), items);
          break;
        }

        case OP.BINPUT:
          this.memo.set(this.u8(), this.top());
          break;
        case OP.LONG_BINPUT:
          this.memo.set(this.view.getUint32(this.take(4), true), this.top());
          break;
        case OP.MEMOIZE:
          this.memo.set(this.memo.size, this.top());
          break;
        case OP.BINGET:
          this.push(this.memoGet(this.u8()));
          break;
        case OP.LONG_BINGET:
          this.push(this.memoGet(this.view.getUint32(this.take(4), true)));
          break;

        case OP.GLOBAL: {
          const module = this.line();
          const name = this.line();
          this.push(this.global(module, name));
          break;
        }
        case OP.STACK_GLOBAL: {
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL needs two strings');
          this.push(this.global(module, name));
          break;
        }
        case OP.REDUCE: {
          const args = this.pop();
          const callable = this.pop();
          this.push(this.reduce(callable, args));
          break;
        }
        case OP.BUILD: {
          const state = this.pop();
          const target = this.top();
          if (!(target instanceof PickleDict)) {
            this.fail(`BUILD (setting object state) on ${describePickleValue(target)} is not supported`, unsupportedFix());
          }
          target.state = state;
          break;
        }
        case OP.BINPERSID: {
          const pid = this.pop();
          const load = this.options.persistentLoad;
          if (load === undefined) this.fail('it uses persistent ids, which this reader does not accept', unsupportedFix());
          this.push(load(pid));
          break;
        }
        default:
          this.fail(`unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(op))})`, unsupportedFix());
      }
    }
    return this.fail('the pickle ends without a STOP opcode');
  }

  private global(module: string, name: string): PickleGlobal {
    const qualified = `${module}.${name}`;
    if (!this.options.globals.has(qualified)) {
      throw new Error(
        `${this.options.source}: refusing to load: the pickle references the global ${qualified}, ` +
          'which is not one of the few a state dict of tensors needs. bertrun never executes pickled code. ' +
          'If you trust this file, convert it in Python to a plain state dict saved with ' +
          'safetensors.torch.save_file (or torch.save(model.state_dict(), ...)).',
      );
    }
    return new PickleGlobal(module, name);
  }

  private reduce(callable: PickleValue, args: PickleValue): PickleValue {
    if (!(callable instanceof PickleGlobal)) this.fail(`REDUCE calls ${describePickleValue(callable)}, which is not callable`);
    if (!(args instanceof PickleTuple)) this.fail(`REDUCE on ${callable.qualifiedName} gets ${describePickleValue(args)} instead of an argument tuple`);
    const impl = this.options.globals.get(callable.qualifiedName)?.call;
    if (impl === undefined) this.fail(`${callable.qualifiedName} may be referenced but not called`);
    try {
      return impl(args.items);
    } catch (err) {
      return this.fail(`${callable.qualifiedName}: ${messageOf(err)}`);
    }
  }

  private setItems(dict: PickleDict, items: PickleValue[]): void {
    if (items.length % 2 !== 0) this.fail('a dict is given an odd number of keys and values');
    for (let i = 0; i < items.length; i += 2) {
      const key = items[i];
      if (!isKey(key)) this.fail(`a dict key is ${describePickleValue(key)}; only strings, numbers, booleans and None are supported`, unsupportedFix());
      dict.entries.set(key, items[i + 1]);
    }
  }

  private dictOnTop(op: string): PickleDict {
    const target = this.top();
    if (!(target instanceof PickleDict)) this.fail(`${op} on ${describePickleValue(target)}, which is not a dict`);
    return target;
  }

  private listOnTop(op: string): PickleList {
    const target = this.top();
    if (!(target instanceof PickleList)) this.fail(`${op} on ${describePickleValue(target)}, which is not a list`);
    return target;
  }

  private memoGet(index: number): PickleValue {
    if (!this.memo.has(index)) this.fail(`memo entry ${index} is read before it is written`);
    return this.memo.get(index) as PickleValue;
  }

  private push(value: PickleValue): void {
    this.stack.push(value);
  }

  private pop(): PickleValue {
    if (this.stack.length === 0) this.fail('an opcode pops from an empty stack');
    return this.stack.pop() as PickleValue;
  }

  private popN(n: number): PickleValue[] {
    if (this.stack.length < n) this.fail(`an opcode needs ${n} values but the stack holds ${this.stack.length}`);
    return this.stack.splice(this.stack.length - n, n);
  }

  private top(): PickleValue {
    if (this.stack.length === 0) this.fail('an opcode reads an empty stack');
    return this.stack[this.stack.length - 1];
  }

  private popMark(): PickleValue[] {
    const items = this.stack;
    const outer = this.metastack.pop();
    if (outer === undefined) this.fail('an opcode needs a MARK that is not there');
    this.stack = outer;
    return items;
  }

  /** Advances past n bytes and returns where they start. */
  private take(n: number): number {
    if (n > this.data.length - this.pos) this.fail(`it needs ${n} more bytes but only ${this.data.length - this.pos} remain`);
    const start = this.pos;
    this.pos += n;
    return start;
  }

  private u8(): number {
    return this.data[this.take(1)];
  }

  private u64(): number {
    const v = this.view.getBigUint64(this.take(8), true);
    if (v > BigInt(this.data.length)) this.fail(`a length of ${v} bytes exceeds the whole pickle`);
    return Number(v);
  }

  /** Two's-complement little-endian integer of n bytes; a number when it fits exactly. */
  private long(n: number): number | bigint {
    // Python ints this long do not occur in a state dict; refusing them keeps decoding linear.
    if (n > MAX_LONG_BYTES) this.fail(`an integer of ${n} bytes is longer than any state dict holds`);
    const start = this.take(n);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(this.data[start + i]);
    if (n > 0 && this.data[start + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }

  private text(n: number): string {
    const start = this.take(n);
    try {
      return this.utf8.decode(this.data.subarray(start, start + n));
    } catch {
      return this.fail('a string is not valid UTF-8');
    }
  }

  private bytes(n: number): Uint8Array {
    const start = this.take(n);
    return this.data.slice(start, start + n);
  }

  private line(): string {
    const end = this.data.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('a GLOBAL name is not terminated by a newline');
    const start = this.pos;
    this.pos = end + 1;
    try {
      return this.utf8.decode(this.data.subarray(start, end));
    } catch {
      return this.fail('a GLOBAL name is not valid UTF-8');
    }
  }

  private fail(what: string, fix: string = CORRUPT): never {
    throw new Error(`${this.options.source}: bad pickle at byte ${this.opStart}: ${what}; ${fix}`);
  }
}

function unsupportedFix(): string {
  return 'bertrun reads only state dicts of tensors written by torch.save; convert this file to safetensors in Python';
}

function isKey(value: PickleValue): value is PickleKey {
  return value === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof value);
}

/** The message of anything thrown; duck-typed because Node's own errors may come from another realm. */
function messageOf(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}
