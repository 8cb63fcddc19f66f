/**
 * The one shape in which tensors cross the native boundary and go to and from files.
 * F16 and BF16 travel as their raw 16-bit patterns in a Uint16Array.
 */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

export type TensorData = Float64Array | Float32Array | Uint16Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface NamedTensor {
  name: string;
  dtype: DType;
  shape: number[];
  data: TensorData;
}

/** Bytes per element of each dtype, as safetensors stores them. */
export const DTYPE_SIZE: Record<DType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

export function numelOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
