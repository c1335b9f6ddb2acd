import { InputError } from "../errors.js";
import { type Mat4, multiply4 } from "./affine.js";
import { axcodesToOrnt, ioOrientation, orientationTransform } from "./orient.js";
import type { Volume } from "./volume.js";
import { resolveWindows, type Window, type WindowPreset } from "./window.js";

export type Plane = "axial" | "coronal" | "sagittal";

/**
 * A stack of 2D slices in display orientation, packed as one float32 array.
 *
 * Display convention (radiological, as clinical viewers show them), after taking the voxel axes
 * closest to R, A, S (no resampling):
 * - axial: slices inferior → superior; rows anterior (top) → posterior; columns patient right
 *   (left of the image) → patient left.
 * - coronal: slices posterior → anterior; rows superior → inferior; columns right → left.
 * - sagittal: slices left → right; rows superior → inferior; columns anterior → posterior
 *   (the patient faces the image's left).
 */
export interface SliceStack {
  plane: Plane;
  /** [S, H, W], or [S, C, H, W] with windows: one (C, H, W) image per slice, ready as a batch. */
  shape: number[];
  data: Float32Array;
  /** (column, row, slice) → RAS+ mm, row-major 4×4, for every pixel of every slice. */
  pixelToWorld: Mat4;
  /** The windows of the channels, when asked for. */
  windows?: Window[];
}

export interface SliceOptions {
  /** Which volume of a 4D scan (default 0). */
  t?: number;
  /** Window each pixel into channels in [0, 1] (see `windowCT`) instead of real values. */
  windows?: readonly (Window | WindowPreset)[];
}

/** For each display axis (column, row, slice): the RAS axis it runs along and whether reversed. */
const LAYOUT: Record<Plane, readonly (readonly [ras: number, reversed: boolean])[]> = {
  axial: [
    [0, true],
    [1, true],
    [2, false],
  ],
  coronal: [
    [0, true],
    [2, true],
    [1, false],
  ],
  sagittal: [
    [1, true],
    [2, true],
    [0, false],
  ],
};

/**
 * Slices of a 3D scan along the world axis closest to S (axial), A (coronal) or R (sagittal),
 * each in the display orientation described on `SliceStack`, read straight from the stored
 * voxels with the scaling applied (one pass, no reoriented copy). With `windows`, each pixel
 * becomes C windowed channels and the layout is [S, C, H, W].
 */
export function sliceStack(volume: Volume, plane: Plane, opts: SliceOptions = {}): SliceStack {
  const layout = Object.hasOwn(LAYOUT, plane) ? LAYOUT[plane] : undefined;
  if (!layout) throw new InputError(`unknown slice plane "${plane}" (use axial, coronal or sagittal)`);
  if (volume.dtype === "rgb24") throw new InputError("sliceStack: rgb24 volumes have no scalar values");
  const nt = volume.shape.length > 3 ? volume.shape[3]! : 1;
  const t = opts.t ?? 0;
  if (!(Number.isInteger(t) && t >= 0 && t < nt))
    throw new InputError(`sliceStack: volume index ${t} is outside 0 … ${nt - 1}`, volume.meta.source);
  const shape = volume.shape;
  // transform[a] = [RAS axis of voxel axis a, flip].
  const transform = orientationTransform(ioOrientation(volume.affine), axcodesToOrnt("RAS"));
  const inAxis = [0, 1, 2].map((r) => transform.findIndex(([out]) => out === r));
  const stride = [1, shape[0]!, shape[0]! * shape[1]!];
  // Per display axis d: n, start offset and step in the stored array, and the matrix row parts
  // mapping the display index to the input voxel index.
  const n = [0, 0, 0];
  const step = [0, 0, 0];
  let base = t * stride[2]! * shape[2]!;
  const toVoxel = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
  layout.forEach(([ras, reversed], d) => {
    const a = inAxis[ras]!;
    const len = shape[a]!;
    // Display index x runs forward along the input axis when not (reversed XOR flipped).
    const forward = reversed === (transform[a]![1] === -1);
    n[d] = len;
    step[d] = forward ? stride[a]! : -stride[a]!;
    if (!forward) base += (len - 1) * stride[a]!;
    toVoxel[a * 4 + d] = forward ? 1 : -1;
    toVoxel[a * 4 + 3] = forward ? 0 : len - 1;
  });
  const [w, h, s] = n as [number, number, number];
  const big = volume.dtype === "int64" || volume.dtype === "uint64";
  const src = (big ? volume.real() : volume.data) as unknown as ArrayLike<number>;
  const slope = big ? 1 : volume.scaling.slope;
  const intercept = big ? 0 : volume.scaling.intercept;
  const pixelToWorld = multiply4(volume.affine, toVoxel);
  if (!opts.windows) {
    const data = new Float32Array(w * h * s);
    gather(src, base, step as [number, number, number], w, h, s, slope, intercept, data);
    return { plane, shape: [s, h, w], data, pixelToWorld };
  }
  const windows = resolveWindows(opts.windows);
  const c = windows.length;
  const plain = new Float32Array(w * h * s);
  gather(src, base, step as [number, number, number], w, h, s, slope, intercept, plain);
  const data = new Float32Array(w * h * s * c);
  const px = w * h;
  for (let z = 0; z < s; z++)
    for (let ch = 0; ch < c; ch++) {
      const win = windows[ch]!;
      const lo = win.level - win.width / 2;
      const inv = 1 / win.width;
      const at = (z * c + ch) * px;
      for (let q = 0; q < px; q++) {
        const v = (plain[z * px + q]! - lo) * inv;
        data[at + q] = Math.min(Math.max(v, 0), 1);
      }
    }
  return { plane, shape: [s, c, h, w], data, pixelToWorld, windows };
}

function gather(
  src: ArrayLike<number>,
  base: number,
  step: readonly [number, number, number],
  w: number,
  h: number,
  s: number,
  slope: number,
  intercept: number,
  out: Float32Array,
): void {
  const [sx, sy, sz] = step;
  let o = 0;
  for (let z = 0; z < s; z++)
    for (let y = 0; y < h; y++) {
      let p = base + z * sz + y * sy;
      for (let x = 0; x < w; x++, p += sx) out[o++] = src[p]! * slope + intercept;
    }
}
