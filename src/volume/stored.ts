import type { DType, Volume } from "./volume.js";

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
