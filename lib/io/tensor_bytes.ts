import * as os from 'os';
import { DType, DTYPE_SIZE, TensorData } from './named_tensor';

/** The typed array class that holds each dtype (F16/BF16 as raw bits, BOOL as bytes). */
interface TensorArrayConstructor {
  new (length: number): TensorData;
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorData;
  readonly name: string;
}

const ARRAY_TYPE: Record<DType, TensorArrayConstructor> = {
  F64: Float64Array,
  F32: Float32Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I64: BigInt64Array,
  I32: Int32Array,
  I16: Int16Array,
  I8: Int8Array,
  U8: Uint8Array,
  BOOL: Uint8Array,
};

export function isDType(value: unknown): value is DType {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(DTYPE_SIZE, value);
}

/** Name of the typed array class a tensor of this dtype must carry, for error messages. */
export function arrayTypeName(dtype: DType): string {
  return ARRAY_TYPE[dtype].name;
}

export function isDataOfDType(data: unknown, dtype: DType): data is TensorData {
  // BOOL and U8 share Uint8Array; a Buffer is a Uint8Array too and is accepted for them.
  // The tag, not instanceof: arrays made by the native addon or in another realm (jest's vm
  // contexts, worker threads) have other constructors with the same name.
  return ArrayBuffer.isView(data) && Object.prototype.toString.call(data) === `[object ${ARRAY_TYPE[dtype].name}]`;
}

/**
 * Little-endian bytes -> typed array of `numel` elements. Views `bytes` (no copy) when its
 * offset is aligned for the element type, otherwise copies, since typed arrays cannot be
 * unaligned.
 */
export function tensorDataFromBytes(bytes: Uint8Array, dtype: DType, numel: number): TensorData {
  assertLittleEndianHost();
  const size = DTYPE_SIZE[dtype];
  if (bytes.byteLength !== numel * size) {
    throw new Error(`internal error: ${bytes.byteLength} bytes cannot hold ${numel} elements of ${dtype}`);
  }
  const Ctor = ARRAY_TYPE[dtype];
  if (bytes.byteOffset % size === 0) return new Ctor(bytes.buffer, bytes.byteOffset, numel);
  const out = new Ctor(numel);
  new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  return out;
}

/** A fresh, zero-filled typed array for `numel` elements of `dtype`. */
export function allocateTensorData(dtype: DType, numel: number): TensorData {
  return new ARRAY_TYPE[dtype](numel);
}

/** The little-endian bytes of a typed array, as a Buffer viewing the same memory. */
export function bytesOfTensorData(data: TensorData): Buffer {
  assertLittleEndianHost();
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

export function assertLittleEndianHost(): void {
  if (os.endianness() !== 'LE') {
    throw new Error('bertrun reads and writes tensor files on little-endian machines only; this machine is big-endian');
  }
}
