/**
 * safetensors element types as data: byte size and the typed array that holds each one.
 *
 * Half and 8-bit floats have no JavaScript array type, so they are held as their raw bits
 * (Uint16Array / Uint8Array) and converted to Float32Array on request (see `half.ts`).
 */

export type SafetensorsDType =
  | "F64"
  | "F32"
  | "F16"
  | "BF16"
  | "F8_E4M3"
  | "F8_E5M2"
  | "I64"
  | "I32"
  | "I16"
  | "I8"
  | "U64"
  | "U32"
  | "U16"
  | "U8"
  | "BOOL";

export type TensorArray =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/** One tensor: element type, shape (row-major, last axis fastest) and its elements. */
export interface Tensor {
  dtype: SafetensorsDType;
  shape: number[];
  data: TensorArray;
}

interface DTypeInfo {
  bytes: number;
  array: { new (buffer: ArrayBufferLike, byteOffset: number, length: number): TensorArray; name: string };
}

/**
 * Ordered as the reference implementation lays tensors out (its dtype enum, descending: largest
 * elements first, then by name), so files match its byte for byte and every tensor starts
 * naturally aligned.
 */
export const DTYPES: Readonly<Record<SafetensorsDType, DTypeInfo>> = {
  U64: { bytes: 8, array: BigUint64Array },
  I64: { bytes: 8, array: BigInt64Array },
  F64: { bytes: 8, array: Float64Array },
  F32: { bytes: 4, array: Float32Array },
  U32: { bytes: 4, array: Uint32Array },
  I32: { bytes: 4, array: Int32Array },
  BF16: { bytes: 2, array: Uint16Array },
  F16: { bytes: 2, array: Uint16Array },
  U16: { bytes: 2, array: Uint16Array },
  I16: { bytes: 2, array: Int16Array },
  F8_E4M3: { bytes: 1, array: Uint8Array },
  F8_E5M2: { bytes: 1, array: Uint8Array },
  I8: { bytes: 1, array: Int8Array },
  U8: { bytes: 1, array: Uint8Array },
  BOOL: { bytes: 1, array: Uint8Array },
};

export function isDType(s: unknown): s is SafetensorsDType {
  return typeof s === "string" && Object.hasOwn(DTYPES, s);
}

/** Number of elements of `shape` (1 for a scalar `[]`). */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * A typed array of `dtype` over `bytes`. Views the same memory when `bytes` is aligned for the
 * element size, otherwise copies (typed arrays cannot start at a misaligned offset).
 */
export function viewAs(dtype: SafetensorsDType, bytes: Uint8Array): TensorArray {
  const info = DTYPES[dtype];
  const n = bytes.byteLength / info.bytes;
  if (bytes.byteOffset % info.bytes === 0) return new info.array(bytes.buffer, bytes.byteOffset, n);
  const copy = new Uint8Array(bytes);
  return new info.array(copy.buffer, 0, n);
}

/** The raw little-endian bytes of a typed array, without copying. */
export function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}
