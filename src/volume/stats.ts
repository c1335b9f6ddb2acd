import type { Volume } from "./volume.js";

/** Summary of a volume's real-world values (scaling applied). */
export interface VolumeStats {
  min: number;
  max: number;
  mean: number;
  /** Population standard deviation (numpy's default, ddof = 0). */
  std: number;
  /** Number of NaN voxels; they are left out of the other figures. */
  nan: number;
}

interface Sums {
  n: number;
  nan: number;
  min: number;
  max: number;
  s1: number;
  s2: number;
}

/*
 * One pass over the stored values, in float64, shifted by the first finite value so that the
 * sum of squares does not cancel catastrophically (a CT at +1000 HU with std 5 would otherwise
 * lose most digits). The scaling is applied to min/max/mean/std afterwards: it is linear.
 */
function sumsNumber(a: ArrayLike<number>): Sums {
  const len = a.length;
  let i = 0;
  let nan = 0;
  while (i < len && Number.isNaN(a[i]!)) {
    i++;
    nan++;
  }
  const out: Sums = { n: 0, nan, min: Number.NaN, max: Number.NaN, s1: 0, s2: 0 };
  if (i >= len) return out;
  const shift = a[i]!;
  let min = shift;
  let max = shift;
  let s1 = 0;
  let s2 = 0;
  let n = 0;
  for (; i < len; i++) {
    const v = a[i]!;
    if (Number.isNaN(v)) {
      nan++;
      continue;
    }
    if (v < min) min = v;
    if (v > max) max = v;
    const d = v - shift;
    s1 += d;
    s2 += d * d;
    n++;
  }
  return { n, nan, min, max, s1: s1 + n * shift, s2: s2 - (s1 * s1) / n };
}

function sumsBig(a: BigInt64Array | BigUint64Array): Sums {
  const tmp = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) tmp[i] = Number(a[i]!);
  return sumsNumber(tmp);
}

/**
 * min, max, mean and population std of the real-valued voxels (stored · slope + intercept), NaN
 * excluded and counted. rgb24 volumes pool their three channels. Without finite values, min,
 * max, mean and std are NaN.
 */
export function volumeStats(vol: Volume): VolumeStats {
  const d = vol.data;
  const s = d instanceof BigInt64Array || d instanceof BigUint64Array ? sumsBig(d) : sumsNumber(d);
  const { slope, intercept } = vol.scaling;
  if (s.n === 0) return { min: Number.NaN, max: Number.NaN, mean: Number.NaN, std: Number.NaN, nan: s.nan };
  const mean = s.s1 / s.n;
  // s.s2 holds Σ(v − mean)² after the shift correction; clamp tiny negative rounding.
  const variance = Math.max(s.s2, 0) / s.n;
  const lo = s.min * slope + intercept;
  const hi = s.max * slope + intercept;
  return {
    min: slope >= 0 ? lo : hi,
    max: slope >= 0 ? hi : lo,
    mean: mean * slope + intercept,
    std: Math.sqrt(variance) * Math.abs(slope),
    nan: s.nan,
  };
}
