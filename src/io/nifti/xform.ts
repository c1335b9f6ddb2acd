/**
 * NIfTI geometry: qform (quaternion), sform (affine rows) and the Analyze-style fallback, decoded
 * and chosen exactly as nibabel's `Nifti1Header.get_best_affine` does, and the inverse for writing.
 */
import type { Mat4 } from "../../volume/affine.js";
import type { NiftiHeader } from "./header.js";

/** NIfTI xform codes (nifti1.h NIFTI_XFORM_*); anything else is treated as 0, as nibabel fixes it. */
export const XFORM_CODES = { unknown: 0, scanner: 1, aligned: 2, talairach: 3, mni: 4 } as const;

export function validXformCode(code: number): number {
  return Number.isInteger(code) && code >= 0 && code <= 4 ? code : 0;
}

/** Which transform the affine came from. */
export type AffineSource = "sform" | "qform" | "fallback";

/**
 * nibabel's header checks fix these on load before any affine is computed: qfac (pixdim[0]) not
 * ±1 becomes 1, zero voxel sizes become 1, negative ones their absolute value.
 */
export function fixedPixdim(pixdim: readonly number[]): number[] {
  const p = [...pixdim];
  if (p[0] !== 1 && p[0] !== -1) p[0] = 1;
  for (let i = 1; i <= 3; i++) {
    if (p[i] === 0) p[i] = 1;
    else if (p[i]! < 0) p[i] = -p[i]!;
  }
  return p;
}

/** Unit quaternion (w, x, y, z) → 3×3 rotation, row-major (nibabel quaternions.quat2mat). */
export function quatToMat(w: number, x: number, y: number, z: number): number[] {
  const nq = w * w + x * x + y * y + z * z;
  if (nq < Number.EPSILON) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const s = 2 / nq;
  const X = x * s;
  const Y = y * s;
  const Z = z * s;
  const wX = w * X;
  const wY = w * Y;
  const wZ = w * Z;
  const xX = x * X;
  const xY = x * Y;
  const xZ = x * Z;
  const yY = y * Y;
  const yZ = y * Z;
  const zZ = z * Z;
  return [1 - (yY + zZ), xY - wZ, xZ + wY, xY + wZ, 1 - (xX + zZ), yZ - wX, xZ - wY, yZ + wX, 1 - (xX + yY)];
}

/**
 * Recovers w from the stored (b, c, d) as nibabel's `fillpositive` does: w² = 1 − |bcd|²; a
 * slightly negative w² (within 3 float-epsilons of the stored precision: rounding) gives w = 0,
 * a clearly negative one is an invalid quaternion (undefined).
 */
export function recoverW(b: number, c: number, d: number, eps: number): number | undefined {
  const w2 = 1 - (b * b + c * c + d * d);
  if (w2 < 0) return w2 < -3 * eps ? undefined : 0;
  return Math.sqrt(w2);
}

/** The qform affine (nibabel `get_qform`), or undefined when the quaternion is invalid. */
export function qformAffine(h: NiftiHeader): number[] | undefined {
  const w = recoverW(h.quatern_b, h.quatern_c, h.quatern_d, h.layout.quaternionEps);
  if (w === undefined) return undefined;
  const R = quatToMat(w, h.quatern_b, h.quatern_c, h.quatern_d);
  const p = fixedPixdim(h.pixdim);
  const zooms = [p[1]!, p[2]!, p[3]! * p[0]!];
  return [
    R[0]! * zooms[0]!,
    R[1]! * zooms[1]!,
    R[2]! * zooms[2]!,
    h.qoffset_x,
    R[3]! * zooms[0]!,
    R[4]! * zooms[1]!,
    R[5]! * zooms[2]!,
    h.qoffset_y,
    R[6]! * zooms[0]!,
    R[7]! * zooms[1]!,
    R[8]! * zooms[2]!,
    h.qoffset_z,
    0,
    0,
    0,
    1,
  ];
}

export function sformAffine(h: NiftiHeader): number[] {
  return [...h.srow_x.slice(0, 4), ...h.srow_y.slice(0, 4), ...h.srow_z.slice(0, 4), 0, 0, 0, 1];
}

/**
 * The Analyze fallback (nibabel `get_base_affine`/`shape_zoom_affine`): voxel sizes on the
 * diagonal with x flipped (radiological convention), origin at the centre of the volume.
 */
export function fallbackAffine(h: NiftiHeader): number[] {
  const p = fixedPixdim(h.pixdim);
  const ndim = Math.max(1, Math.min(h.dim[0]!, 7));
  const shape = [1, 2, 3].map((i) => (i <= ndim ? h.dim[i]! : 1));
  const zooms = [1, 2, 3].map((i) => (i <= ndim ? p[i]! : 1));
  zooms[0] = -zooms[0]!;
  const t = [0, 1, 2].map((i) => (-(shape[i]! - 1) / 2) * zooms[i]!);
  return [zooms[0]!, 0, 0, t[0]!, 0, zooms[1]!, 0, t[1]!, 0, 0, zooms[2]!, t[2]!, 0, 0, 0, 1];
}

/** The best affine and where it came from: sform if its code is set, else qform, else fallback. */
export function bestAffine(h: NiftiHeader): { affine: number[]; source: AffineSource } | { error: string } {
  if (validXformCode(h.sform_code) !== 0) return { affine: sformAffine(h), source: "sform" };
  if (validXformCode(h.qform_code) !== 0) {
    const q = qformAffine(h);
    if (!q) return { error: "invalid qform quaternion (|b,c,d| > 1)" };
    return { affine: q, source: "qform" };
  }
  return { affine: fallbackAffine(h), source: "fallback" };
}

// --- writing -----------------------------------------------------------------------------------

function det3(m: readonly number[]): number {
  return (
    m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) -
    m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) +
    m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!)
  );
}

/**
 * The orthonormal matrix nearest to `m` (the polar factor, which nibabel gets from an SVD), by
 * Newton's iteration X ← (X + X⁻ᵀ)/2; converges quadratically for any non-singular `m`.
 */
function nearestRotation(m: readonly number[]): number[] {
  let x = [...m];
  for (let it = 0; it < 100; it++) {
    const d = det3(x);
    if (d === 0) break;
    // inverse transpose = cofactor matrix / det
    const cof = [
      x[4]! * x[8]! - x[5]! * x[7]!,
      x[5]! * x[6]! - x[3]! * x[8]!,
      x[3]! * x[7]! - x[4]! * x[6]!,
      x[2]! * x[7]! - x[1]! * x[8]!,
      x[0]! * x[8]! - x[2]! * x[6]!,
      x[1]! * x[6]! - x[0]! * x[7]!,
      x[1]! * x[5]! - x[2]! * x[4]!,
      x[2]! * x[3]! - x[0]! * x[5]!,
      x[0]! * x[4]! - x[1]! * x[3]!,
    ];
    const next = x.map((v, i) => (v + cof[i]! / d) / 2);
    const delta = next.reduce((s, v, i) => s + Math.abs(v - x[i]!), 0);
    x = next;
    if (delta < 1e-15) break;
  }
  return x;
}

/** Rotation matrix (row-major 3×3) → unit quaternion (w, x, y, z) with w ≥ 0 (Shepperd's method). */
export function matToQuat(r: readonly number[]): [number, number, number, number] {
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = r as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const tr = m00 + m11 + m22;
  let q: [number, number, number, number];
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    q = [s / 4, (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s];
  } else if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    q = [(m21 - m12) / s, s / 4, (m01 + m10) / s, (m02 + m20) / s];
  } else if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    q = [(m02 - m20) / s, (m01 + m10) / s, s / 4, (m12 + m21) / s];
  } else {
    const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
    q = [(m10 - m01) / s, (m02 + m20) / s, (m12 + m21) / s, s / 4];
  }
  if (q[0] < 0) q = [-q[0], -q[1], -q[2], -q[3]];
  const n = Math.hypot(...q);
  return [q[0] / n, q[1] / n, q[2] / n, q[3] / n];
}

/** qform fields representing `affine` (nibabel `set_qform` with shears stripped). */
export interface QformFields {
  qfac: 1 | -1;
  zooms: [number, number, number];
  quatern: [number, number, number];
  offset: [number, number, number];
}

export function qformFields(affine: Mat4): QformFields {
  const a = affine;
  const rzs = [a[0]!, a[1]!, a[2]!, a[4]!, a[5]!, a[6]!, a[8]!, a[9]!, a[10]!];
  const zooms = [0, 1, 2].map((j) => Math.hypot(rzs[j]!, rzs[3 + j]!, rzs[6 + j]!)) as [
    number,
    number,
    number,
  ];
  const r = rzs.map((v, i) => (zooms[i % 3]! === 0 ? 0 : v / zooms[i % 3]!));
  let qfac: 1 | -1 = 1;
  if (!(det3(r) > 0)) {
    qfac = -1;
    r[2] = -r[2]!;
    r[5] = -r[5]!;
    r[8] = -r[8]!;
  }
  const rot = det3(r) !== 0 ? nearestRotation(r) : [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const [, b, c, d] = matToQuat(rot);
  return { qfac, zooms, quatern: [b, c, d], offset: [a[3]!, a[7]!, a[11]!] };
}

/** The affine the qform fields stand for (as a reader decodes them). */
export function qformFieldsAffine(q: QformFields): number[] {
  const [b, c, d] = q.quatern;
  const R = quatToMat(Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d))), b, c, d);
  const z = [q.zooms[0], q.zooms[1], q.zooms[2] * q.qfac];
  const out = [0, 0, 0, q.offset[0], 0, 0, 0, q.offset[1], 0, 0, 0, q.offset[2], 0, 0, 0, 1];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) out[i * 4 + j] = R[i * 3 + j]! * z[j]!;
  return out;
}

/** Whether the qform fields reproduce `affine` (no shear), to float32 precision of the zooms. */
export function qformHolds(q: QformFields, affine: Mat4): boolean {
  const back = qformFieldsAffine(q);
  const scale = Math.max(...q.zooms, 1);
  return back.every((v, i) => Math.abs(v - affine[i]!) <= 1e-5 * scale);
}
