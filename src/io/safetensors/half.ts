/**
 * Conversions between Float32 and the narrow float formats stored in checkpoints:
 * IEEE binary16 (F16), bfloat16 (BF16), and the two OCP 8-bit formats (F8_E4M3 "FN" without
 * infinities, F8_E5M2). Narrowing rounds to nearest, ties to even, like torch's `.to(dtype)`.
 */
import type { Tensor } from "./dtype.js";

let f16Table: Float32Array | undefined;

/** All 65,536 binary16 values as Float32 (256 KiB), built once; decoding is then one lookup. */
function halfTable(): Float32Array {
  if (f16Table) return f16Table;
  const bits = new Uint32Array(65536);
  const asFloat = new Float32Array(bits.buffer);
  for (let h = 0; h < 65536; h++) {
    const sign = (h & 0x8000) << 16;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) {
      // Subnormal (or zero): mant · 2^-24 is exact in Float32.
      asFloat[h] = mant * 2 ** -24;
      bits[h] = (bits[h]! | sign) >>> 0;
    } else if (exp === 31) {
      bits[h] = (sign | 0x7f800000 | (mant << 13)) >>> 0;
    } else {
      bits[h] = (sign | ((exp + 112) << 23) | (mant << 13)) >>> 0;
    }
  }
  f16Table = asFloat;
  return asFloat;
}

export function f16ToFloat32(
  src: Uint16Array,
  out: Float32Array = new Float32Array(src.length),
): Float32Array {
  const table = halfTable();
  for (let i = 0; i < src.length; i++) out[i] = table[src[i]!]!;
  return out;
}

export function bf16ToFloat32(
  src: Uint16Array,
  out: Float32Array = new Float32Array(src.length),
): Float32Array {
  const bits = new Uint32Array(out.buffer, out.byteOffset, out.length);
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  return out;
}

/** binary16 bits of one Float32 given as its bit pattern, rounding to nearest even. */
function halfBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant === 0 ? 0 : 0x200 | (mant >>> 13));
  const e = exp - 112;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    // Result is subnormal: count units of 2^-24, rounding the dropped bits.
    const shift = 126 - exp;
    if (shift > 24) return sign;
    const m = mant | 0x800000;
    let r = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (r & 1) === 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, which is the correct rounding (up to ∞).
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1) === 1)) r++;
  return sign | r;
}

export function float32ToF16(src: Float32Array, out: Uint16Array = new Uint16Array(src.length)): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) out[i] = halfBits(bits[i]!);
  return out;
}

export function float32ToBF16(
  src: Float32Array,
  out: Uint16Array = new Uint16Array(src.length),
): Uint16Array {
  const bits = new Uint32Array(src.buffer, src.byteOffset, src.length);
  for (let i = 0; i < src.length; i++) {
    const x = bits[i]!;
    if ((x & 0x7fffffff) > 0x7f800000) out[i] = (x >>> 16) | 0x40;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}

let e4m3Table: Float32Array | undefined;

function f8e4m3Table(): Float32Array {
  if (e4m3Table) return e4m3Table;
  const t = new Float32Array(256);
  for (let b = 0; b < 256; b++) {
    const sign = b & 0x80 ? -1 : 1;
    const exp = (b >> 3) & 0xf;
    const mant = b & 7;
    if (exp === 15 && mant === 7) t[b] = Number.NaN;
    else if (exp === 0) t[b] = sign * mant * 2 ** -9;
    else t[b] = sign * (1 + mant / 8) * 2 ** (exp - 7);
  }
  e4m3Table = t;
  return t;
}

/**
 * Any numeric tensor as Float32 (64-bit integers and floats lose precision beyond 24 bits).
 * A Float32 tensor's own array is returned, not a copy.
 */
export function toFloat32(t: Tensor): Float32Array {
  const d = t.data;
  switch (t.dtype) {
    case "F32":
      return d as Float32Array;
    case "F16":
      return f16ToFloat32(d as Uint16Array);
    case "BF16":
      return bf16ToFloat32(d as Uint16Array);
    case "F8_E5M2": {
      // E5M2 is binary16 with the low mantissa byte dropped.
      const table = halfTable();
      const out = new Float32Array(d.length);
      for (let i = 0; i < d.length; i++) out[i] = table[(d[i] as number) << 8]!;
      return out;
    }
    case "F8_E4M3": {
      const table = f8e4m3Table();
      const out = new Float32Array(d.length);
      for (let i = 0; i < d.length; i++) out[i] = table[d[i] as number]!;
      return out;
    }
    case "I64":
    case "U64": {
      const out = new Float32Array(d.length);
      const big = d as BigInt64Array | BigUint64Array;
      for (let i = 0; i < big.length; i++) out[i] = Number(big[i]!);
      return out;
    }
    default:
      return Float32Array.from(d as ArrayLike<number>);
  }
}
