import { InputError } from "../errors.js";
import { Volume } from "./volume.js";

/** Which voxels the statistics are taken over. */
export interface Selection {
  /** Only voxels whose real value is not 0 (MONAI's `nonzero`). */
  nonzero?: boolean;
  /**
   * Only voxels where the mask is non-zero: a volume or array with one value per voxel of one
   * 3D volume (reused for every volume of a 4D scan).
   */
  mask?: Volume | ArrayLike<number>;
}

/**
 * Real values of the selected voxels (NaN left out) — the volume's own real() array when every
 * voxel is selected, so read-only — plus flags saying which voxels were (undefined: all).
 */
function selected(volume: Volume, sel: Selection): { values: Float32Array; chosen: Uint8Array | undefined } {
  const real = volume.real();
  const per = volume.shape[0]! * volume.shape[1]! * volume.shape[2]!;
  let mask: ArrayLike<number | bigint> | undefined;
  if (sel.mask !== undefined) {
    mask = sel.mask instanceof Volume ? sel.mask.data : sel.mask;
    if (mask.length !== per)
      throw new InputError(
        `the mask has ${mask.length} voxels but the scan has ${per} per volume`,
        volume.meta.source,
      );
  }
  if (!mask && !sel.nonzero) {
    let finite = 0;
    for (let i = 0; i < real.length; i++) if (!Number.isNaN(real[i]!)) finite++;
    if (finite === real.length) return { values: real, chosen: undefined };
  }
  const chosen = new Uint8Array(real.length);
  let count = 0;
  for (let i = 0; i < real.length; i++) {
    const v = real[i]!;
    const ok = !Number.isNaN(v) && (!sel.nonzero || v !== 0) && (!mask || Number(mask[i % per]) !== 0);
    if (ok) {
      chosen[i] = 1;
      count++;
    }
  }
  const values = new Float32Array(count);
  for (let i = 0, j = 0; i < real.length; i++) if (chosen[i]) values[j++] = real[i]!;
  return { values, chosen };
}

/**
 * The q-th percentiles (0 ≤ q ≤ 100) of `values`, exactly as numpy's default `linear` method:
 * with the values sorted, index h = (q/100)·(n − 1) and the result interpolates between the
 * values at ⌊h⌋ and ⌊h⌋ + 1 (numpy's `_lerp`). Uses selection, not a full sort. NaNs are left out
 * (numpy's `nanpercentile`). Throws on an empty input.
 */
export function percentiles(values: ArrayLike<number>, qs: readonly number[]): number[] {
  let a: Float64Array | Float32Array =
    values instanceof Float32Array ? values.slice() : Float64Array.from(values as ArrayLike<number>);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Number.isNaN(a[i]!)) a[n++] = a[i]!;
  a = a.subarray(0, n);
  if (n === 0) throw new InputError("percentile of an empty selection (no finite voxel)");
  return qs.map((q) => {
    if (!(q >= 0 && q <= 100)) throw new InputError(`percentile ${q} is outside 0 … 100`);
    const h = (q / 100) * (n - 1);
    const lo = Math.floor(h);
    const below = select(a, lo);
    if (lo + 1 >= n) return below;
    let above = Number.POSITIVE_INFINITY;
    // After selection everything right of `lo` is ≥ a[lo]; the next order statistic is their min.
    for (let i = lo + 1; i < n; i++) if (a[i]! < above) above = a[i]!;
    const t = h - lo;
    const diff = above - below;
    return t >= 0.5 ? above - diff * (1 - t) : below + diff * t;
  });
}

const SMALL_INTS = new Set(["uint8", "int8", "int16", "uint16"]);

/**
 * Percentiles of a volume's real values over the selected voxels, as `percentiles` computes
 * them. For 8- and 16-bit stored types the order statistics come from a histogram of stored
 * values — exact, one pass, no copy — since real values are a monotone map of stored ones.
 */
export function volumePercentiles(volume: Volume, qs: readonly number[], sel: Selection = {}): number[] {
  if (!SMALL_INTS.has(volume.dtype)) return percentiles(selected(volume, sel).values, qs);
  const d = volume.data as Int16Array | Uint16Array | Int8Array | Uint8Array;
  const per = volume.shape[0]! * volume.shape[1]! * volume.shape[2]!;
  const mask = sel.mask === undefined ? undefined : sel.mask instanceof Volume ? sel.mask.data : sel.mask;
  if (mask && mask.length !== per)
    throw new InputError(
      `the mask has ${mask.length} voxels but the scan has ${per} per volume`,
      volume.meta.source,
    );
  const { slope, intercept } = volume.scaling;
  // Real values as Volume.real() stores them (float32), so ties and order match exactly.
  const real = (s: number) => Math.fround(s * slope + intercept);
  const offset = volume.dtype === "int16" || volume.dtype === "int8" ? 32768 : 0;
  const counts = new Float64Array(65536);
  let n = 0;
  for (let i = 0; i < d.length; i++) {
    const s = d[i]!;
    if (sel.nonzero && real(s) === 0) continue;
    if (mask && Number(mask[i % per]) === 0) continue;
    counts[s + offset]!++;
    n++;
  }
  if (n === 0)
    throw new InputError("percentile of an empty selection (no voxel selected)", volume.meta.source);
  // k-th smallest real value (0-based); a negative slope reverses the order of stored values.
  const orderStat = (k: number): number => {
    const target = slope < 0 ? n - 1 - k : k;
    let seen = 0;
    for (let v = 0; v < 65536; v++) {
      seen += counts[v]!;
      if (seen > target) return real(v - offset);
    }
    return Number.NaN;
  };
  return qs.map((q) => {
    if (!(q >= 0 && q <= 100)) throw new InputError(`percentile ${q} is outside 0 … 100`);
    const h = (q / 100) * (n - 1);
    const lo = Math.floor(h);
    const below = orderStat(lo);
    if (lo + 1 >= n) return below;
    const above = orderStat(lo + 1);
    const t = h - lo;
    const diff = above - below;
    return t >= 0.5 ? above - diff * (1 - t) : below + diff * t;
  });
}

/** Partially orders `a` so that a[k] is the k-th smallest (Hoare's quickselect). */
function select(a: Float64Array | Float32Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const mid = (left + right) >> 1;
    const x = a[left]!;
    const y = a[mid]!;
    const z = a[right]!;
    // Median of three: max(min(x, y), min(max(x, y), z)).
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const tmp = a[i]!;
        a[i] = a[j]!;
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else return a[k]!;
  }
  return a[k]!;
}

export interface ZScoreOptions extends Selection {
  /**
   * Normalise every voxel with the selection's mean and std. By default only selected voxels are
   * normalised and the others become 0 (for `nonzero` they are 0 already, as in MONAI).
   */
  applyToAll?: boolean;
}

/**
 * Z-score normalisation (MONAI's `NormalizeIntensity`): (x − mean) / std over the selected voxels,
 * std with ddof = 0 and 1 when it is 0. Returns a float32 volume with the same geometry.
 */
export function normalizeZScore(volume: Volume, opts: ZScoreOptions = {}): Volume {
  const { values, chosen } = selected(volume, opts);
  if (values.length === 0) throw new InputError("z-score: no voxel is selected", volume.meta.source);
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean;
    ss += d * d;
  }
  const std = Math.sqrt(ss / values.length) || 1;
  const real = volume.real();
  const out = new Float32Array(real.length);
  for (let i = 0; i < real.length; i++)
    out[i] = !chosen || opts.applyToAll || chosen[i] ? (real[i]! - mean) / std : 0;
  return Volume.fromReal(out, volume.shape, volume.affine, { ...volume.meta });
}

export interface PercentileScaleOptions extends Selection {
  /** Lower and upper percentile, 0 … 100. */
  lower: number;
  upper: number;
  /** Output range; defaults 0 and 1. */
  bMin?: number;
  bMax?: number;
  /** Clip to [bMin, bMax] (default true — MONAI's default is false). */
  clip?: boolean;
  /** Scale the output range by the percentiles too (MONAI's `relative`). */
  relative?: boolean;
}

/**
 * MONAI's `ScaleIntensityRangePercentiles`: a = percentile(lower), b = percentile(upper) over the
 * selected voxels (numpy's linear method), then every voxel maps (x − a)/(b − a)·(bMax − bMin) +
 * bMin, optionally clipped. When a = b the result is x − a + bMin, as in MONAI.
 */
export function scalePercentiles(volume: Volume, opts: PercentileScaleOptions): Volume {
  if (!(opts.lower <= opts.upper))
    throw new InputError(`percentile scaling: lower ${opts.lower} must not exceed upper ${opts.upper}`);
  const [a, b] = volumePercentiles(volume, [opts.lower, opts.upper], opts) as [number, number];
  let bMin = opts.bMin ?? 0;
  let bMax = opts.bMax ?? 1;
  if (opts.relative) {
    const span = bMax - bMin;
    [bMin, bMax] = [bMin + (span * opts.lower) / 100, bMin + (span * opts.upper) / 100];
  }
  const real = volume.real();
  const out = new Float32Array(real.length);
  const clip = opts.clip ?? true;
  const lo = Math.min(bMin, bMax);
  const hi = Math.max(bMin, bMax);
  if (b === a) {
    for (let i = 0; i < real.length; i++) out[i] = real[i]! - a + bMin;
  } else {
    const scale = (bMax - bMin) / (b - a);
    for (let i = 0; i < real.length; i++) {
      const v = (real[i]! - a) * scale + bMin;
      out[i] = clip ? Math.min(Math.max(v, lo), hi) : v;
    }
  }
  return Volume.fromReal(out, volume.shape, volume.affine, { ...volume.meta });
}

/** `normalizeZScore` as a transform object holding its options. */
export class NormalizeZScore {
  constructor(readonly options: ZScoreOptions = {}) {}

  apply(volume: Volume): Volume {
    return normalizeZScore(volume, this.options);
  }
}

/** `scalePercentiles` as a transform object holding its options. */
export class ScalePercentiles {
  constructor(readonly options: PercentileScaleOptions) {}

  apply(volume: Volume): Volume {
    return scalePercentiles(volume, this.options);
  }
}
