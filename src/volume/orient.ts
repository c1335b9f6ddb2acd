import { multiply4 } from "./affine.js";
import {
  axcodesToOrnt,
  ioOrientation,
  type Ornt,
  orientationTransform,
  orntInverseAffine,
} from "./orientation.js";
import { allocLike } from "./stored.js";
import { Volume, type VoxelArray } from "./volume.js";

export * from "./orientation.js";

/**
 * Permutes and flips the three spatial axes of `data` (shape `shape`, i fastest, `comps` values
 * per voxel, any trailing axes untouched) as `transform` says. Works on the stored array type,
 * so no value is converted.
 */
export function applyOrientation<T extends VoxelArray>(
  data: T,
  shape: readonly number[],
  transform: Ornt,
  comps = 1,
): { data: T; shape: number[] } {
  const inStride = [comps, comps * shape[0]!, comps * shape[0]! * shape[1]!];
  const outShape = [0, 0, 0];
  const step = [0, 0, 0];
  let base = 0;
  transform.forEach(([out, flip], a) => {
    outShape[out] = shape[a]!;
    step[out] = flip * inStride[a]!;
    if (flip === -1) base += (shape[a]! - 1) * inStride[a]!;
  });
  const block = comps * shape[0]! * shape[1]! * shape[2]!;
  const blocks = data.length / block;
  const dst = allocLike(data, data.length);
  // Index through a number-typed view: the copy is element-for-element in one array type.
  const src = data as unknown as NumArray;
  const out = dst as unknown as NumArray;
  const [n0, n1, n2] = outShape as [number, number, number];
  const [s0, s1, s2] = step as [number, number, number];
  // The output axis that walks the input contiguously; when it is not the fastest output axis,
  // copy in square tiles so the input cache lines are reused instead of fetched once per voxel.
  const q = transform[0]![0];
  for (let b = 0; b < blocks; b++) {
    const bb = base + b * block;
    const ob = b * block;
    if (q === 0 || comps !== 1) {
      let o = ob;
      for (let z = 0; z < n2; z++)
        for (let y = 0; y < n1; y++, o += n0 * comps)
          copyRow(src, bb + z * s2 + y * s1, s0, out, o, n0, comps);
      continue;
    }
    const r = 3 - q;
    const nq = outShape[q]!;
    const nr = outShape[r]!;
    const sq = step[q]!;
    const sr = step[r]!;
    const oStride = [1, n0, n0 * n1];
    const oq = oStride[q]!;
    const or = oStride[r]!;
    for (let ir = 0; ir < nr; ir++)
      for (let tq = 0; tq < nq; tq += TILE)
        for (let t0 = 0; t0 < n0; t0 += TILE)
          copyTile(
            src,
            bb + ir * sr + tq * sq + t0 * s0,
            sq,
            s0,
            out,
            ob + ir * or + tq * oq + t0,
            oq,
            Math.min(TILE, nq - tq),
            Math.min(TILE, n0 - t0),
          );
  }
  return { data: dst, shape: [...outShape, ...shape.slice(3)] };
}

type NumArray = { [i: number]: number };

const TILE = 32;

function copyRow(src: NumArray, p: number, step: number, out: NumArray, o: number, n: number, comps: number) {
  if (comps === 1) {
    for (let x = 0; x < n; x++, p += step) out[o + x] = src[p]!;
    return;
  }
  for (let x = 0; x < n; x++, p += step) for (let c = 0; c < comps; c++) out[o++] = src[p + c]!;
}

/** A tile: `nq` runs of `n` voxels; within a run the output is contiguous, the input strided. */
function copyTile(
  src: NumArray,
  p: number,
  sq: number,
  s0: number,
  out: NumArray,
  o: number,
  oq: number,
  nq: number,
  n: number,
) {
  for (let iq = 0; iq < nq; iq++) {
    let pp = p + iq * sq;
    const oo = o + iq * oq;
    for (let x = 0; x < n; x++, pp += s0) out[oo + x] = src[pp]!;
  }
}

/**
 * The same scan with its voxel axes permuted and flipped so that they run along `code` (e.g.
 * "RAS", "LPS", "PIR"), without resampling: every voxel keeps its value and its world position
 * (the affine is updated to match), the stored type and scaling are kept, and a 4th axis is left
 * as it is. The current orientation is found like nibabel's `io_orientation`, so oblique scans go
 * to the closest axes. Returns `volume` itself when nothing needs to move.
 */
export function reorient(volume: Volume, code = "RAS"): Volume {
  const target = axcodesToOrnt(code);
  const transform = orientationTransform(ioOrientation(volume.affine), target);
  if (transform.every(([out, flip], a) => out === a && flip === 1)) return volume;
  const comps = volume.dtype === "rgb24" ? 3 : 1;
  const { data, shape } = applyOrientation(volume.data, volume.shape, transform, comps);
  const affine = multiply4(volume.affine, orntInverseAffine(transform, volume.shape));
  return new Volume({
    data,
    dtype: volume.dtype,
    shape,
    affine,
    scaling: volume.scaling,
    meta: { ...volume.meta },
  });
}

/**
 * `reorient` as a transform object holding its target code (MONAI's `Orientation`). `inverse`
 * needs the orientation the input had, which `reorient` does not record in the volume.
 */
export class Reorient {
  constructor(readonly code = "RAS") {
    axcodesToOrnt(code);
  }

  apply(volume: Volume): Volume {
    return reorient(volume, this.code);
  }

  /** Undoes `apply` for an input whose orientation code was `original`. */
  inverse(volume: Volume, original: string): Volume {
    return reorient(volume, original);
  }
}
