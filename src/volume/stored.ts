import type { DType, Volume, VoxelArray } from "./volume.js";

const RANGES: Partial<Record<DType, readonly [number, number]>> = {
  uint8: [0, 255],
  rgb24: [0, 255],
  int8: [-128, 127],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  uint64: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * The stored value that represents the real value `real` in `volume` (used for fill values):
 * the scaling undone, then, for integer types, rounded and clamped to the type's range so that
 * it does not wrap around (−1024 in a uint8 scan becomes 0, not 0 + 256·k). 64-bit types give a
 * bigint.
 */
export function realToStored(volume: Pick<Volume, "dtype" | "scaling">, real: number): number | bigint {
  const { slope, intercept } = volume.scaling;
  const v = (real - intercept) / (slope || 1);
  const range = RANGES[volume.dtype];
  if (!range) return v;
  const r = Math.min(Math.max(Math.round(v), range[0]), range[1]);
  return volume.dtype === "int64" || volume.dtype === "uint64" ? BigInt(r) : r;
}

/**
 * A new zeroed array of the same element type as `like`, of length `n`. Goes by element type,
 * not `like.constructor`, so a Node `Buffer` (a Uint8Array subclass whose constructor is
 * deprecated) gives a plain Uint8Array.
 */
export function allocLike<T extends VoxelArray>(like: T, n: number): T {
  const make = (): VoxelArray => {
    if (like instanceof Uint8Array) return new Uint8Array(n);
    if (like instanceof Int16Array) return new Int16Array(n);
    if (like instanceof Float32Array) return new Float32Array(n);
    if (like instanceof Int8Array) return new Int8Array(n);
    if (like instanceof Uint16Array) return new Uint16Array(n);
    if (like instanceof Int32Array) return new Int32Array(n);
    if (like instanceof Uint32Array) return new Uint32Array(n);
    if (like instanceof Float64Array) return new Float64Array(n);
    if (like instanceof BigInt64Array) return new BigInt64Array(n);
    return new BigUint64Array(n);
  };
  return make() as T;
}
