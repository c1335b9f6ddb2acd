/**
 * Slice geometry: ordering along the slice normal, spacing from positions, the voxel → RAS
 * affine, and uniform resampling of unevenly spaced stacks.
 *
 * Conventions (as dcm2niix and nibabel): voxel i runs along a row (ImageOrientationPatient's first
 * vector, scaled by the column spacing PixelSpacing[1]), j down the columns (second vector, scaled
 * by PixelSpacing[0]), k through the slices sorted by position along cross(row, column). DICOM
 * patient space is LPS; the affine is turned into RAS by negating its x and y rows.
 */
import type { Mat4 } from "../../volume/affine.js";
import { cross, type Vec3 } from "./header.js";

export function dot(a: readonly number[], b: readonly number[]): number {
  return a[0]! * b[0]! + a[1]! * b[1]! + a[2]! * b[2]!;
}

/** Slice normal (unit) of an ImageOrientationPatient. */
export function sliceNormal(iop: readonly number[]): Vec3 {
  const n = cross(iop);
  const len = Math.hypot(n[0], n[1], n[2]) || 1;
  return [n[0] / len, n[1] / len, n[2] / len];
}

/**
 * Voxel → RAS affine of a stack whose first slice sits at `first` and whose k axis steps by
 * `step` (LPS mm per slice).
 */
export function stackAffine(
  iop: readonly number[],
  pixelSpacing: readonly [number, number],
  first: Vec3,
  step: Vec3,
): Mat4 {
  const [rx, ry, rz, cx, cy, cz] = iop as [number, number, number, number, number, number];
  const [dr, dc] = pixelSpacing; // between rows, between columns
  const lps = [
    [rx * dc, cx * dr, step[0], first[0]],
    [ry * dc, cy * dr, step[1], first[1]],
    [rz * dc, cz * dr, step[2], first[2]],
  ];
  return [...lps[0]!.map((v) => -v), ...lps[1]!.map((v) => -v), ...lps[2]!, 0, 0, 0, 1].map((v) =>
    Object.is(v, -0) ? 0 : v,
  );
}

export interface SpacingReport {
  /** Distances between consecutive sorted slices (mm). */
  gaps: number[];
  uniform: boolean;
}

/** Gaps count as uniform when they all lie within 1% (and 0.01 mm) of their median. */
export function spacingReport(distances: readonly number[]): SpacingReport {
  const gaps: number[] = [];
  for (let k = 1; k < distances.length; k++) gaps.push(distances[k]! - distances[k - 1]!);
  if (gaps.length < 2) return { gaps, uniform: true };
  const median = [...gaps].sort((a, b) => a - b)[gaps.length >> 1]!;
  const tol = Math.max(0.01, 0.01 * Math.abs(median));
  return { gaps, uniform: gaps.every((g) => Math.abs(g - median) <= tol) };
}

/**
 * A uniform grid over [distances[0], distances[n-1]] with about the median gap: the count is
 * rounded so both end slices stay where they were.
 */
export function uniformGrid(distances: readonly number[]): number[] {
  const gaps = distances.slice(1).map((d, k) => d - distances[k]!);
  const median = [...gaps].sort((a, b) => a - b)[gaps.length >> 1]!;
  const span = distances[distances.length - 1]! - distances[0]!;
  const n = Math.max(2, Math.round(span / median) + 1);
  return Array.from({ length: n }, (_, k) => distances[0]! + (span * k) / (n - 1));
}

/**
 * Linear interpolation along k of `planes` (each `planeSize` values, at sorted `from` distances)
 * onto the `to` distances. Returns a new float32 stack.
 */
export function resampleAlongK(
  src: Float32Array,
  planeSize: number,
  from: readonly number[],
  to: readonly number[],
): Float32Array {
  const out = new Float32Array(planeSize * to.length);
  let seg = 0;
  for (let k = 0; k < to.length; k++) {
    const d = to[k]!;
    while (seg < from.length - 2 && from[seg + 1]! < d) seg++;
    const d0 = from[seg]!;
    const d1 = from[seg + 1]!;
    const w = Math.min(1, Math.max(0, (d - d0) / (d1 - d0)));
    const a = seg * planeSize;
    const b = (seg + 1) * planeSize;
    const o = k * planeSize;
    for (let p = 0; p < planeSize; p++) out[o + p] = src[a + p]! * (1 - w) + src[b + p]! * w;
  }
  return out;
}
