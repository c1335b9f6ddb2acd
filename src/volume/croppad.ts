import { InputError } from "../errors.js";
import { applyPoint, invert4, type Mat4, multiply4 } from "./affine.js";
import { allocLike, realToStored } from "./stored.js";
import { Volume } from "./volume.js";

/** A box of voxels: `start` inclusive, `end` exclusive, along i, j, k. */
export interface Box {
  start: [number, number, number];
  end: [number, number, number];
}

type Vec3 = readonly [number, number, number];

export interface FillOptions {
  /** Value (real units) for voxels outside the input, e.g. −1024 for CT air. Default 0. */
  fill?: number;
}

/**
 * The region `box` of `volume`, padding with `fill` where the box reaches outside it (so `start`
 * may be negative and `end` beyond the shape). The affine is shifted so that every voxel keeps
 * its world position: A′ = A · translate(start). Stored type and scaling are kept; a 4D volume
 * keeps its 4th axis.
 */
export function extractBox(volume: Volume, box: Box, opts: FillOptions = {}): Volume {
  const { start, end } = box;
  for (let a = 0; a < 3; a++)
    if (!(Number.isInteger(start[a]) && Number.isInteger(end[a]) && end[a]! > start[a]!))
      throw new InputError(
        `crop box [${start.join(", ")}] … [${end.join(", ")}] is empty or not in whole voxels`,
        volume.meta.source,
      );
  const [nx, ny, nz] = volume.shape as [number, number, number];
  const nt = volume.shape.length > 3 ? volume.shape[3]! : 1;
  const [ox, oy, oz] = [end[0] - start[0], end[1] - start[1], end[2] - start[2]];
  const comps = volume.dtype === "rgb24" ? 3 : 1;
  const src = volume.data;
  const out = allocLike(src, ox * oy * oz * nt * comps);
  const fill = realToStored(volume, opts.fill ?? 0);
  if (fill !== 0 && fill !== 0n) (out as { fill(v: unknown): unknown }).fill(fill);
  // Rows overlap the input along x between these output columns.
  const x0 = Math.max(0, -start[0]);
  const x1 = Math.min(ox, nx - start[0]);
  if (x1 > x0) {
    for (let t = 0; t < nt; t++)
      for (let z = 0; z < oz; z++) {
        const k = z + start[2];
        if (k < 0 || k >= nz) continue;
        for (let y = 0; y < oy; y++) {
          const j = y + start[1];
          if (j < 0 || j >= ny) continue;
          const from = comps * (x0 + start[0] + nx * (j + ny * (k + nz * t)));
          const to = comps * (x0 + ox * (y + oy * (z + oz * t)));
          (out as Uint8Array).set((src as Uint8Array).subarray(from, from + comps * (x1 - x0)), to);
        }
      }
  }
  const shift = [1, 0, 0, start[0], 0, 1, 0, start[1], 0, 0, 1, start[2], 0, 0, 0, 1];
  return new Volume({
    data: out,
    dtype: volume.dtype,
    shape: volume.shape.length > 3 ? [ox, oy, oz, nt] : [ox, oy, oz],
    affine: multiply4(volume.affine, shift),
    scaling: volume.scaling,
    meta: { ...volume.meta },
  });
}

/**
 * Where a centred crop/pad to `shape` starts, per axis, as MONAI's `ResizeWithPadOrCrop`
 * (symmetric padding): padding puts ⌊d/2⌋ voxels before; cropping starts at ⌊n/2⌋ − ⌊m/2⌋.
 */
export function centredStart(inShape: readonly number[], shape: Vec3): [number, number, number] {
  return [0, 1, 2].map((a) => {
    const n = inShape[a]!;
    const m = shape[a]!;
    return m > n ? -Math.floor((m - n) / 2) : Math.floor(n / 2) - Math.floor(m / 2);
  }) as [number, number, number];
}

/** Crops and/or pads each axis to `shape` around the centre (MONAI's `ResizeWithPadOrCrop`). */
export function cropOrPad(volume: Volume, shape: Vec3, opts: FillOptions = {}): Volume {
  if (shape.length !== 3 || shape.some((m) => !(Number.isInteger(m) && m >= 1)))
    throw new InputError(
      `crop/pad shape [${shape.join(", ")}] must be three positive integers`,
      volume.meta.source,
    );
  const start = centredStart(volume.shape, shape);
  return extractBox(
    volume,
    { start, end: [start[0] + shape[0], start[1] + shape[1], start[2] + shape[2]] },
    opts,
  );
}

/**
 * Pads each axis symmetrically (as `cropOrPad`) up to the next multiple of `k` — MONAI's
 * `DivisiblePad`, e.g. for models whose patch size must divide the input.
 */
export function padToMultiple(volume: Volume, k: number | Vec3, opts: FillOptions = {}): Volume {
  const ks = typeof k === "number" ? [k, k, k] : k;
  if (ks.some((x) => !(Number.isInteger(x) && x >= 1)))
    throw new InputError(`pad multiple ${JSON.stringify(k)} must be a positive integer`, volume.meta.source);
  const shape = [0, 1, 2].map((a) => Math.ceil(volume.shape[a]! / ks[a]!) * ks[a]!) as [
    number,
    number,
    number,
  ];
  return cropOrPad(volume, shape, opts);
}

/** Crops to `box`, which must lie inside the volume (use `extractBox` to pad as well). */
export function cropToBox(volume: Volume, box: Box): Volume {
  for (let a = 0; a < 3; a++)
    if (box.start[a]! < 0 || box.end[a]! > volume.shape[a]!)
      throw new InputError(
        `crop box [${box.start.join(", ")}] … [${box.end.join(", ")}] reaches outside the volume ` +
          `[${volume.shape.slice(0, 3).join(", ")}]`,
        volume.meta.source,
      );
  return extractBox(volume, box);
}

export interface ForegroundOptions extends FillOptions {
  /** Foreground is real value > threshold (default 0, MONAI's `is_positive`). */
  threshold?: number;
  /** Or any test of the real value; overrides `threshold`. */
  select?: (value: number) => boolean;
  /** Voxels added on each side, per axis or for all three (default 0). */
  margin?: number | Vec3;
  /** Let the margin reach past the volume, padding with `fill` (default false: clamp to it). */
  allowPad?: boolean;
}

/**
 * The smallest box holding every foreground voxel (of any volume of a 4D scan), grown by
 * `margin` (MONAI's `generate_spatial_bounding_box`), or undefined when there is none.
 */
export function foregroundBox(volume: Volume, opts: ForegroundOptions = {}): Box | undefined {
  if (volume.dtype === "rgb24") throw new InputError("foreground: rgb24 volumes have no scalar values");
  const [nx, ny, nz] = volume.shape as [number, number, number];
  const nt = volume.shape.length > 3 ? volume.shape[3]! : 1;
  const big = volume.dtype === "int64" || volume.dtype === "uint64";
  const d = (big ? volume.real() : volume.data) as unknown as ArrayLike<number>;
  const slope = big ? 1 : volume.scaling.slope;
  const intercept = big ? 0 : volume.scaling.intercept;
  const threshold = opts.threshold ?? 0;
  const test = opts.select ?? ((v: number) => v > threshold);
  const lo = [nx, ny, nz];
  const hi = [-1, -1, -1];
  for (let t = 0; t < nt; t++)
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++) {
        const row = nx * (j + ny * (k + nz * t));
        let first = -1;
        let last = -1;
        for (let i = 0; i < nx; i++)
          if (test(d[row + i]! * slope + intercept)) {
            if (first < 0) first = i;
            last = i;
          }
        if (first < 0) continue;
        if (first < lo[0]!) lo[0] = first;
        if (last > hi[0]!) hi[0] = last;
        if (j < lo[1]!) lo[1] = j;
        if (j > hi[1]!) hi[1] = j;
        if (k < lo[2]!) lo[2] = k;
        if (k > hi[2]!) hi[2] = k;
      }
  if (hi[0]! < 0) return undefined;
  const m = opts.margin ?? 0;
  const margin = typeof m === "number" ? [m, m, m] : m;
  const start = [0, 1, 2].map((a) => lo[a]! - margin[a]!);
  const end = [0, 1, 2].map((a) => hi[a]! + 1 + margin[a]!);
  if (!opts.allowPad)
    for (let a = 0; a < 3; a++) {
      start[a] = Math.max(0, start[a]!);
      end[a] = Math.min(volume.shape[a]!, end[a]!);
    }
  return { start: start as [number, number, number], end: end as [number, number, number] };
}

/**
 * Crops to the foreground's bounding box plus margin (MONAI's `CropForeground`). A volume with no
 * foreground voxel is returned as it is, so pipelines do not break on blank scans.
 */
export function cropForeground(volume: Volume, opts: ForegroundOptions = {}): Volume {
  const box = foregroundBox(volume, opts);
  return box ? extractBox(volume, box, opts) : volume;
}

/**
 * Where `volume`'s voxel (0,0,0) sits in `reference`'s voxel grid, as whole voxels — the crop or
 * pad start that produced it. Throws when the grids are not shifted copies of each other.
 */
export function gridOffset(
  volume: { affine: Mat4; meta?: { source?: string } },
  reference: { affine: Mat4 },
): Vec3 {
  const toRef = multiply4(invert4(reference.affine), volume.affine);
  const p = applyPoint(toRef, 0, 0, 0);
  const r = p.map(Math.round) as [number, number, number];
  const same = [0, 1, 2].every((a) =>
    [0, 1, 2].every((c) => Math.abs(toRef[a * 4 + c]! - (a === c ? 1 : 0)) < 1e-6),
  );
  if (!same || p.some((x, a) => Math.abs(x - r[a]!) > 1e-4))
    throw new InputError(
      "the two volumes' grids are not whole-voxel shifts of each other",
      volume.meta?.source,
    );
  return r;
}

/** `cropOrPad` as a transform object; `inverse` puts a result back on the original grid. */
export class CropOrPad {
  constructor(
    readonly shape: Vec3,
    readonly options: FillOptions = {},
  ) {}

  apply(volume: Volume): Volume {
    return cropOrPad(volume, this.shape, this.options);
  }

  /** Back to `reference`'s grid (the volume before `apply`): the inverse crop/pad. */
  inverse(volume: Volume, reference: Volume): Volume {
    return restoreGrid(volume, reference, this.options);
  }
}

/**
 * Puts a cropped and/or padded volume (or anything on such a grid, e.g. a model's heat map)
 * back on `reference`'s grid: the inverse of any crop/pad here, filling what was cropped away.
 * The two grids must be whole-voxel shifts of each other (else use `resampleTo`).
 */
export function restoreGrid(
  volume: Volume,
  reference: Pick<Volume, "affine" | "shape">,
  opts: FillOptions = {},
): Volume {
  const [a, b, c] = gridOffset(reference, volume);
  const [nx, ny, nz] = reference.shape as [number, number, number];
  return extractBox(volume, { start: [a, b, c], end: [a + nx, b + ny, c + nz] }, opts);
}

/** `cropForeground` as a transform object holding its options. */
export class CropForeground {
  constructor(readonly options: ForegroundOptions = {}) {}

  apply(volume: Volume): Volume {
    return cropForeground(volume, this.options);
  }

  /** Back to `reference`'s grid (the volume before `apply`), filling the cropped margin. */
  inverse(volume: Volume, reference: Volume): Volume {
    return restoreGrid(volume, reference, this.options);
  }
}
