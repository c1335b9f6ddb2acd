import { InputError } from "../errors.js";
import { invert4, type Mat4, multiply4 } from "./affine.js";
import { allocLike, realToStored } from "./stored.js";
import { Volume } from "./volume.js";

export type InterpolationMode = "linear" | "nearest";

export interface ResampleOptions {
  /** New voxel sizes in mm along the voxel axes i, j, k. */
  spacing?: readonly [number, number, number];
  /** New shape [nx, ny, nz]. */
  shape?: readonly [number, number, number];
  /** "linear" (trilinear, float32 real values; the default) or "nearest" (stored type kept). */
  mode?: InterpolationMode;
  /** Value (real units) for output voxels whose centre falls outside the input's field of view. */
  fill?: number;
}

/**
 * A stand-in for every voxel array type that indexes to numbers. Reading any of the number-typed
 * arrays through it is what the kernels do; bigint arrays are converted before they get here.
 */
type NumArray = { readonly length: number; readonly [i: number]: number };
type NumOut = { [i: number]: number };

/**
 * Resamples to new voxel sizes and/or a new shape, keeping the orientation.
 *
 * Convention (one for all cases): output voxel (0,0,0) has its centre at input voxel (0,0,0)'s
 * centre, and the voxel axes keep their directions, so the new affine is the old one with its
 * columns scaled — `A′ = A · diag(s′ᵢ/sᵢ, s′ⱼ/sⱼ, s′ₖ/sₖ, 1)`, oblique affines included.
 * - `spacing` only: along each axis, n′ = floor((n − ½)·s/s′) + 1, the most output centres that
 *   fit inside the input's field of view (its voxel boxes, −½ … n−½ in input voxel units), so a
 *   2× up-sampling of n voxels gives 2n, a 2× down-sampling ⌈n/2⌉, and no output voxel
 *   falls outside the scan.
 * - `shape` only: the first and last voxel centres of input and output coincide (s′ = s·(n−1)/(n′−1);
 *   an axis of one input or output voxel keeps its spacing, so the affine never degenerates).
 * - both: `spacing` sets the affine, `shape` the extent; centres beyond the input's field of view
 *   get `fill`.
 * Sample points inside the field of view but beyond the outermost centres take the edge value.
 * "linear" returns float32 real values (scaling applied); "nearest" keeps the stored type and
 * scaling (labels). A 4D volume is resampled volume by volume.
 */
export function resample(volume: Volume, opts: ResampleOptions): Volume {
  const src = volume.shape;
  const sp = volume.spacing;
  const ratio = [1, 1, 1];
  const outShape = [src[0]!, src[1]!, src[2]!];
  for (let a = 0; a < 3; a++) {
    const n = src[a]!;
    const want = opts.shape?.[a];
    if (want !== undefined && !(Number.isInteger(want) && want >= 1))
      throw new InputError(
        `resample: shape[${a}] must be a positive integer, got ${want}`,
        volume.meta.source,
      );
    const s = opts.spacing?.[a];
    if (s !== undefined) {
      if (!(s > 0 && Number.isFinite(s)))
        throw new InputError(`resample: spacing[${a}] must be positive, got ${s}`, volume.meta.source);
      ratio[a] = s / (sp[a]! || 1);
      outShape[a] = want ?? Math.floor((n - 0.5) / ratio[a]! + 1e-9) + 1;
    } else if (want !== undefined) {
      ratio[a] = want > 1 && n > 1 ? (n - 1) / (want - 1) : 1;
      outShape[a] = want;
    }
  }
  const scale = [
    [ratio[0]!, 0, 0, 0],
    [0, ratio[1]!, 0, 0],
    [0, 0, ratio[2]!, 0],
    [0, 0, 0, 1],
  ].flat();
  const affine = multiply4(volume.affine, scale);
  return resampleGrid(volume, outShape, affine, scale, opts.mode ?? "linear", opts.fill ?? 0);
}

/**
 * Resamples `volume` onto another grid — `shape` [nx, ny, nz] with voxel→world `affine` — e.g. to
 * align a heat map or mask with a scan. Each output voxel centre is mapped through the inverse of
 * the input affine; centres outside the input's field of view (−½ … n−½ voxels) get `fill` (real
 * units). 4D volumes keep their 4th axis.
 */
export function resampleTo(
  volume: Volume,
  shape: readonly number[],
  affine: Mat4,
  mode: InterpolationMode = "linear",
  fill = 0,
): Volume {
  if (shape.length < 3 || shape.slice(0, 3).some((n) => !(Number.isInteger(n) && n >= 1)))
    throw new InputError(
      `resampleTo: target shape [${shape.join(", ")}] is not a 3D shape`,
      volume.meta.source,
    );
  let toInput: number[];
  try {
    toInput = multiply4(invert4(volume.affine), affine);
  } catch {
    throw new InputError("resampleTo: the volume's affine is singular", volume.meta.source);
  }
  return resampleGrid(volume, shape.slice(0, 3), affine, toInput, mode, fill);
}

/** `resample` as a transform object holding its parameters (MONAI's `Spacing`). */
export class Resample {
  constructor(readonly options: ResampleOptions) {}

  apply(volume: Volume): Volume {
    return resample(volume, this.options);
  }

  /** Back onto the grid of `reference` (the volume before `apply`), with the same mode. */
  inverse(volume: Volume, reference: Volume): Volume {
    return resampleTo(volume, reference.shape.slice(0, 3), reference.affine, this.options.mode ?? "linear");
  }
}

/** The core: `toInput` maps output voxel indices to input voxel indices. */
function resampleGrid(
  volume: Volume,
  outShape: readonly number[],
  affine: Mat4,
  toInput: Mat4,
  mode: InterpolationMode,
  fill: number,
): Volume {
  const inShape = volume.shape;
  const nt = inShape.length > 3 ? inShape[3]! : 1;
  const shape = inShape.length > 3 ? [...outShape, nt] : [...outShape];
  const outCount = outShape[0]! * outShape[1]! * outShape[2]! * nt;
  if (outCount > MAX_VOXELS)
    throw new InputError(
      `resampling to [${shape.join(", ")}] would make ${outCount} voxels (more than ${MAX_VOXELS})`,
      volume.meta.source,
    );
  // Off-diagonal terms below 1e-9 voxel per voxel are rounding noise from inverting the affine.
  const axisAligned = [0, 1, 2].every((r) =>
    [0, 1, 2].every((c) => r === c || Math.abs(toInput[r * 4 + c]!) < 1e-9),
  );
  const meta = { ...volume.meta };

  if (mode === "nearest") {
    const comps = volume.dtype === "rgb24" ? 3 : 1;
    const out = allocLike(volume.data, outCount * comps) as unknown as NumOut;
    const fillValue = realToStored(volume, fill);
    const run = axisAligned ? nearestAligned : nearestGeneral;
    run(volume.data as unknown as NumArray, inShape, out, outShape, nt, comps, toInput, fillValue as number);
    return new Volume({
      data: out as never,
      dtype: volume.dtype,
      shape,
      affine,
      scaling: volume.scaling,
      meta,
    });
  }
  if (mode !== "linear") throw new InputError(`resample: unknown mode "${mode}" (use "linear" or "nearest")`);
  if (volume.dtype === "rgb24")
    throw new InputError("resample: linear interpolation of rgb24 is not supported");
  // bigint voxels cannot take part in float arithmetic; use the real values for them.
  const big = volume.dtype === "int64" || volume.dtype === "uint64";
  const data = (big ? volume.real() : volume.data) as unknown as NumArray;
  const slope = big ? 1 : volume.scaling.slope;
  const intercept = big ? 0 : volume.scaling.intercept;
  const out = new Float32Array(outCount);
  const separable = preferSeparable(inShape, outShape, toInput);
  const run = axisAligned ? (separable ? linearAligned : linearAlignedDirect) : linearGeneral;
  run(data, inShape, out, outShape, nt, toInput, slope, intercept, fill);
  return Volume.fromReal(out, shape, affine, meta);
}

/**
 * Cost model, in units of one lerp over a stored array: the separable kernel interpolates every
 * input slice it needs in-plane (ny·ox + oy·ox) and then does one lerp per output voxel; the
 * direct kernel about 3.5 units per output voxel (eight loads, seven lerps; measured on int16
 * CT-sized volumes, where both kernels run at 55–100 M voxels/s on one core). Up-sampling
 * along k reuses planes, so it favours the separable kernel; down-sampling in-plane the direct.
 */
function preferSeparable(inShape: readonly number[], outShape: readonly number[], m: Mat4): boolean {
  const [, ny, nz] = inShape as [number, number, number];
  const [ox, oy, oz] = outShape as [number, number, number];
  const slicesUsed = Math.min(nz, 2 * oz, Math.ceil(Math.abs(m[10]!) * oz) + 2);
  const separable = slicesUsed * (ny * ox + oy * ox) + ox * oy * oz;
  return separable < 3.5 * ox * oy * oz;
}

/** Typed arrays in Node 20 hold at most 2³² − 1 bytes' worth of float32 values, about 1.07e9. */
const MAX_VOXELS = 2 ** 30;

/** Half a voxel beyond the outermost centres, with slack for rounding in the affine. */
const EDGE = 0.5 + 1e-6;

interface AxisTable {
  /** Offsets (index × stride) of the lower and upper neighbour. */
  lo: Int32Array;
  hi: Int32Array;
  /** Weight of the upper neighbour. */
  w: Float64Array;
  /** 1 where the sample point lies inside the input's field of view. */
  inside: Uint8Array;
  allInside: boolean;
}

/** Per-axis neighbours and weights for x = scale·o + offset, o = 0 … nOut−1. */
function axisTable(
  nIn: number,
  nOut: number,
  scale: number,
  offset: number,
  stride: number,
  nearest: boolean,
) {
  const t: AxisTable = {
    lo: new Int32Array(nOut),
    hi: new Int32Array(nOut),
    w: new Float64Array(nOut),
    inside: new Uint8Array(nOut),
    allInside: true,
  };
  for (let o = 0; o < nOut; o++) {
    const x = scale * o + offset;
    const inside = x >= -EDGE && x <= nIn - 1 + EDGE;
    t.inside[o] = inside ? 1 : 0;
    if (!inside) t.allInside = false;
    const xc = Math.min(Math.max(x, 0), nIn - 1);
    if (nearest) {
      const i = Math.min(Math.floor(xc + 0.5), nIn - 1);
      t.lo[o] = i * stride;
      t.hi[o] = i * stride;
      continue;
    }
    const i0 = Math.min(Math.floor(xc), nIn - 1);
    const i1 = Math.min(i0 + 1, nIn - 1);
    t.lo[o] = i0 * stride;
    t.hi[o] = i1 * stride;
    t.w[o] = xc - i0;
  }
  return t;
}

/**
 * One input slice (from `base`) interpolated along x into `rows`, then along y into `dst`.
 * The loops are small per-row functions on purpose: V8 optimises them by call count with full
 * type feedback, where one big loop nest would be compiled on-stack mid-way and deoptimise.
 */
function interpolatePlane(
  d: NumArray,
  base: number,
  nx: number,
  ny: number,
  tx: AxisTable,
  ty: AxisTable,
  rows: Float64Array,
  dst: Float64Array,
): void {
  const ox = tx.lo.length;
  const oy = ty.lo.length;
  for (let j = 0; j < ny; j++) lerpGather(d, base + j * nx, tx, rows, j * ox);
  for (let y = 0; y < oy; y++) lerpRows(rows, ty.lo[y]! * ox, ty.hi[y]! * ox, ty.w[y]!, dst, y * ox, ox);
}

function lerpGather(d: NumArray, row: number, tx: AxisTable, dst: Float64Array, at: number): void {
  const lo = tx.lo;
  const hi = tx.hi;
  const w = tx.w;
  const n = lo.length;
  for (let x = 0; x < n; x++) {
    const a = d[row + lo[x]!]!;
    dst[at + x] = a + (d[row + hi[x]!]! - a) * w[x]!;
  }
}

function lerpRows(
  src: Float64Array,
  a: number,
  b: number,
  w: number,
  dst: Float64Array,
  at: number,
  n: number,
) {
  for (let x = 0; x < n; x++) {
    const p = src[a + x]!;
    dst[at + x] = p + (src[b + x]! - p) * w;
  }
}

/** out[at …] = lerp(p0, p1, w) · slope + intercept, the last step of the separable kernel. */
function lerpPlanes(
  p0: Float64Array,
  p1: Float64Array,
  w: number,
  slope: number,
  intercept: number,
  out: Float32Array,
  at: number,
): void {
  const n = p0.length;
  for (let q = 0; q < n; q++) {
    const a = p0[q]!;
    out[at + q] = (a + (p1[q]! - a) * w) * slope + intercept;
  }
}

/** Direct trilinear for axis-aligned grids: per-axis neighbour tables, eight loads per voxel. */
function linearAlignedDirect(
  d: NumArray,
  inShape: readonly number[],
  out: Float32Array,
  outShape: readonly number[],
  nt: number,
  m: Mat4,
  slope: number,
  intercept: number,
  fill: number,
): void {
  const [nx, ny, nz] = inShape as [number, number, number];
  const [ox, oy, oz] = outShape as [number, number, number];
  const tx = axisTable(nx, ox, m[0]!, m[3]!, 1, false);
  const ty = axisTable(ny, oy, m[5]!, m[7]!, nx, false);
  const tz = axisTable(nz, oz, m[10]!, m[11]!, nx * ny, false);
  const block = nx * ny * nz;
  let o = 0;
  for (let t = 0; t < nt; t++)
    for (let z = 0; z < oz; z++)
      for (let y = 0; y < oy; y++, o += ox) {
        if (!tz.inside[z] || !ty.inside[y]) {
          out.fill(fill, o, o + ox);
          continue;
        }
        const base = t * block;
        directRow(
          d,
          base + tz.lo[z]! + ty.lo[y]!,
          base + tz.lo[z]! + ty.hi[y]!,
          base + tz.hi[z]! + ty.lo[y]!,
          base + tz.hi[z]! + ty.hi[y]!,
          ty.w[y]!,
          tz.w[z]!,
          tx,
          out,
          o,
          slope,
          intercept,
        );
        if (!tx.allInside) for (let x = 0; x < ox; x++) if (!tx.inside[x]) out[o + x] = fill;
      }
}

function directRow(
  d: NumArray,
  r00: number,
  r01: number,
  r10: number,
  r11: number,
  wy: number,
  wz: number,
  tx: AxisTable,
  out: Float32Array,
  at: number,
  slope: number,
  intercept: number,
): void {
  const lo = tx.lo;
  const hi = tx.hi;
  const w = tx.w;
  const n = lo.length;
  const w00 = (1 - wz) * (1 - wy);
  const w01 = (1 - wz) * wy;
  const w10 = wz * (1 - wy);
  const w11 = wz * wy;
  for (let x = 0; x < n; x++) {
    const a = lo[x]!;
    const b = hi[x]!;
    const wx = w[x]!;
    const p = d[r00 + a]!;
    const q = d[r01 + a]!;
    const r = d[r10 + a]!;
    const s = d[r11 + a]!;
    const v =
      w00 * (p + (d[r00 + b]! - p) * wx) +
      w01 * (q + (d[r01 + b]! - q) * wx) +
      w10 * (r + (d[r10 + b]! - r) * wx) +
      w11 * (s + (d[r11 + b]! - s) * wx);
    out[at + x] = v * slope + intercept;
  }
}

/**
 * Separable trilinear for axis-aligned grids: each needed input slice is interpolated in-plane
 * once (along x, then y) into a plane of output size, and the output is a lerp between two such
 * planes. Consecutive output slices usually share input slices, so planes are cached.
 */
function linearAligned(
  d: NumArray,
  inShape: readonly number[],
  out: Float32Array,
  outShape: readonly number[],
  nt: number,
  m: Mat4,
  slope: number,
  intercept: number,
  fill: number,
): void {
  const [nx, ny, nz] = inShape as [number, number, number];
  const [ox, oy, oz] = outShape as [number, number, number];
  const tx = axisTable(nx, ox, m[0]!, m[3]!, 1, false);
  const ty = axisTable(ny, oy, m[5]!, m[7]!, 1, false);
  const tz = axisTable(nz, oz, m[10]!, m[11]!, 1, false);
  const plane = ox * oy;
  const rows = new Float64Array(ny * ox);
  let planes = [new Float64Array(plane), new Float64Array(plane)];
  let keys = [-1, -1];
  const block = nx * ny * nz;
  const planeFor = (t: number, k: number, slot: number): Float64Array => {
    const key = t * nz + k;
    if (keys[slot] === key) return planes[slot]!;
    const other = 1 - slot;
    if (keys[other] === key) {
      // The plane we need sits in the other slot: swap so the slot we overwrite is not needed.
      planes = [planes[1]!, planes[0]!];
      keys = [keys[1]!, keys[0]!];
      return planes[slot]!;
    }
    interpolatePlane(d, t * block + k * nx * ny, nx, ny, tx, ty, rows, planes[slot]!);
    keys[slot] = key;
    return planes[slot]!;
  };

  let o = 0;
  for (let t = 0; t < nt; t++) {
    for (let z = 0; z < oz; z++) {
      if (!tz.inside[z]) {
        out.fill(fill, o, o + plane);
        o += plane;
        continue;
      }
      const wz = tz.w[z]!;
      const p0 = planeFor(t, tz.lo[z]!, 0);
      const p1 = wz === 0 ? p0 : planeFor(t, tz.hi[z]!, 1);
      lerpPlanes(p0, p1, wz, slope, intercept, out, o);
      o += plane;
      if (!tx.allInside || !ty.allInside) {
        // Rare (only when the output extends past the field of view): overwrite those voxels.
        const first = o - plane;
        for (let y = 0; y < oy; y++)
          for (let x = 0; x < ox; x++) if (!ty.inside[y] || !tx.inside[x]) out[first + y * ox + x] = fill;
      }
    }
  }
}

function nearestAligned(
  d: NumArray,
  inShape: readonly number[],
  out: NumOut,
  outShape: readonly number[],
  nt: number,
  comps: number,
  m: Mat4,
  fill: number,
): void {
  const [nx, ny, nz] = inShape as [number, number, number];
  const [ox, oy, oz] = outShape as [number, number, number];
  const tx = axisTable(nx, ox, m[0]!, m[3]!, comps, true);
  const ty = axisTable(ny, oy, m[5]!, m[7]!, comps * nx, true);
  const tz = axisTable(nz, oz, m[10]!, m[11]!, comps * nx * ny, true);
  const block = comps * nx * ny * nz;
  const rowLength = ox * comps;
  let o = 0;
  for (let t = 0; t < nt; t++)
    for (let z = 0; z < oz; z++)
      for (let y = 0; y < oy; y++, o += rowLength) {
        if (tz.inside[z] && ty.inside[y])
          nearestRow(d, t * block + tz.lo[z]! + ty.lo[y]!, tx, comps, out, o, fill);
        else for (let q = 0; q < rowLength; q++) out[o + q] = fill;
      }
}

// Row kernels are separate small functions so that V8 optimises them by call count, with full
// type feedback, instead of compiling a large loop nest on-stack before every branch has run.
function nearestRow(
  d: NumArray,
  row: number,
  tx: AxisTable,
  comps: number,
  out: NumOut,
  at: number,
  fill: number,
) {
  const lo = tx.lo;
  const inside = tx.inside;
  const n = lo.length;
  let o = at;
  for (let x = 0; x < n; x++) {
    const p = row + lo[x]!;
    if (inside[x]) for (let c = 0; c < comps; c++) out[o++] = d[p + c]!;
    else for (let c = 0; c < comps; c++) out[o++] = fill;
  }
}

/** Output voxel indices → input voxel indices, stepped along each output row. */
interface Walk {
  nx: number;
  ny: number;
  nz: number;
  /** Per output x step. */
  dx: number;
  dy: number;
  dz: number;
}

function linearGeneral(
  d: NumArray,
  inShape: readonly number[],
  out: Float32Array,
  outShape: readonly number[],
  nt: number,
  m: Mat4,
  slope: number,
  intercept: number,
  fill: number,
): void {
  const [nx, ny, nz] = inShape as [number, number, number];
  const [ox, oy, oz] = outShape as [number, number, number];
  const walk: Walk = { nx, ny, nz, dx: m[0]!, dy: m[4]!, dz: m[8]! };
  const block = nx * ny * nz;
  let o = 0;
  for (let t = 0; t < nt; t++)
    for (let z = 0; z < oz; z++)
      for (let y = 0; y < oy; y++, o += ox) {
        const px = m[1]! * y + m[2]! * z + m[3]!;
        const py = m[5]! * y + m[6]! * z + m[7]!;
        const pz = m[9]! * y + m[10]! * z + m[11]!;
        linearRow(d, t * block, walk, px, py, pz, out, o, ox, slope, intercept, fill);
      }
}

function linearRow(
  d: NumArray,
  base: number,
  w: Walk,
  px: number,
  py: number,
  pz: number,
  out: Float32Array,
  at: number,
  n: number,
  slope: number,
  intercept: number,
  fill: number,
): void {
  const { nx, ny, nz, dx, dy, dz } = w;
  const sy = nx;
  const sz = nx * ny;
  const xmax = nx - 1;
  const ymax = ny - 1;
  const zmax = nz - 1;
  for (let x = 0; x < n; x++) {
    // From the row start each time (not accumulated), so rounding does not drift along the row.
    const fx = px + x * dx;
    const fy = py + x * dy;
    const fz = pz + x * dz;
    if (fx >= 0 && fy >= 0 && fz >= 0 && fx < xmax && fy < ymax && fz < zmax) {
      // Interior: all eight neighbours exist, truncation is floor, no clamping.
      const i0 = fx | 0;
      const j0 = fy | 0;
      const k0 = fz | 0;
      const wx = fx - i0;
      const wy = fy - j0;
      const wz = fz - k0;
      const p = base + i0 + j0 * sy + k0 * sz;
      const q = p + sz;
      const a = d[p]!;
      const b = d[p + sy]!;
      const c = d[q]!;
      const e = d[q + sy]!;
      const c00 = a + (d[p + 1]! - a) * wx;
      const c01 = b + (d[p + sy + 1]! - b) * wx;
      const c10 = c + (d[q + 1]! - c) * wx;
      const c11 = e + (d[q + sy + 1]! - e) * wx;
      const c0 = c00 + (c01 - c00) * wy;
      const c1 = c10 + (c11 - c10) * wy;
      out[at + x] = (c0 + (c1 - c0) * wz) * slope + intercept;
      continue;
    }
    if (fx < -EDGE || fy < -EDGE || fz < -EDGE || fx > xmax + EDGE || fy > ymax + EDGE || fz > zmax + EDGE) {
      out[at + x] = fill;
      continue;
    }
    out[at + x] = edgeSample(d, base, w, fx, fy, fz) * slope + intercept;
  }
}

/** Trilinear at a point near the border (clamped to the outermost centres), or on a 1-voxel axis. */
function edgeSample(d: NumArray, base: number, w: Walk, fx: number, fy: number, fz: number): number {
  const { nx, ny, nz } = w;
  const sy = nx;
  const sz = nx * ny;
  const xmax = nx - 1;
  const ymax = ny - 1;
  const zmax = nz - 1;
  const cx = Math.min(Math.max(fx, 0), xmax);
  const cy = Math.min(Math.max(fy, 0), ymax);
  const cz = Math.min(Math.max(fz, 0), zmax);
  const i0 = Math.min(Math.floor(cx), xmax);
  const j0 = Math.min(Math.floor(cy), ymax);
  const k0 = Math.min(Math.floor(cz), zmax);
  const wx = cx - i0;
  const wy = cy - j0;
  const wz = cz - k0;
  const di = i0 < xmax ? 1 : 0;
  const dj = j0 < ymax ? sy : 0;
  const dk = k0 < zmax ? sz : 0;
  const p = base + i0 + j0 * sy + k0 * sz;
  const a = d[p]!;
  const b = d[p + dj]!;
  const c = d[p + dk]!;
  const e = d[p + dk + dj]!;
  const c00 = a + (d[p + di]! - a) * wx;
  const c01 = b + (d[p + dj + di]! - b) * wx;
  const c10 = c + (d[p + dk + di]! - c) * wx;
  const c11 = e + (d[p + dk + dj + di]! - e) * wx;
  const c0 = c00 + (c01 - c00) * wy;
  const c1 = c10 + (c11 - c10) * wy;
  return c0 + (c1 - c0) * wz;
}

function nearestGeneral(
  d: NumArray,
  inShape: readonly number[],
  out: NumOut,
  outShape: readonly number[],
  nt: number,
  comps: number,
  m: Mat4,
  fill: number,
): void {
  const [nx, ny, nz] = inShape as [number, number, number];
  const [ox, oy, oz] = outShape as [number, number, number];
  const walk: Walk = { nx, ny, nz, dx: m[0]!, dy: m[4]!, dz: m[8]! };
  const block = comps * nx * ny * nz;
  let o = 0;
  for (let t = 0; t < nt; t++)
    for (let z = 0; z < oz; z++)
      for (let y = 0; y < oy; y++, o += ox * comps) {
        const px = m[1]! * y + m[2]! * z + m[3]!;
        const py = m[5]! * y + m[6]! * z + m[7]!;
        const pz = m[9]! * y + m[10]! * z + m[11]!;
        nearestGeneralRow(d, t * block, walk, comps, px, py, pz, out, o, ox, fill);
      }
}

function nearestGeneralRow(
  d: NumArray,
  base: number,
  w: Walk,
  comps: number,
  px: number,
  py: number,
  pz: number,
  out: NumOut,
  at: number,
  n: number,
  fill: number,
): void {
  const { nx, ny, nz, dx, dy, dz } = w;
  let o = at;
  for (let x = 0; x < n; x++) {
    const fx = px + x * dx;
    const fy = py + x * dy;
    const fz = pz + x * dz;
    if (
      fx < -EDGE ||
      fy < -EDGE ||
      fz < -EDGE ||
      fx > nx - 1 + EDGE ||
      fy > ny - 1 + EDGE ||
      fz > nz - 1 + EDGE
    ) {
      for (let c = 0; c < comps; c++) out[o++] = fill;
      continue;
    }
    const i = Math.min(Math.max(Math.floor(fx + 0.5), 0), nx - 1);
    const j = Math.min(Math.max(Math.floor(fy + 0.5), 0), ny - 1);
    const k = Math.min(Math.max(Math.floor(fz + 0.5), 0), nz - 1);
    const p = base + comps * (i + nx * (j + ny * k));
    for (let c = 0; c < comps; c++) out[o++] = d[p + c]!;
  }
}
