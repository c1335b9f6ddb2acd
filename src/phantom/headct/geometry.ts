/**
 * The head phantom's analytic geometry in the canonical head frame (mm, RAS, origin near the
 * foramina of Monro): cavity, skin and face ellipsoids, the cranial floor, and capsule chains for
 * the ventricles, brainstem, sylvian fissures and petrous ridges. Pure functions of coordinates.
 */
import type { Vec3 } from "./spec.js";

/** Centre of the main cranial cavity ellipsoid; directions of extra-axial things start here. */
export const CAVITY_CENTER: Vec3 = [0, -4, 8];
export const CAV_AXES: Vec3 = [66, 84, 66];
export const PF_CENTER: Vec3 = [0, -42, -38];
export const PF_AXES: Vec3 = [50, 36, 28];
export const FACE_CENTER: Vec3 = [0, 10, -40];
export const FACE_AXES: Vec3 = [60, 86, 40];

/** Approximate signed distance to an axis-aligned ellipsoid (exact on the surface, good nearby). */
export function ellipsoidSd(x: number, y: number, z: number, a: number, b: number, c: number): number {
  return ellipsoidSdInv(x, y, z, 1 / a, 1 / b, 1 / c);
}

/** `ellipsoidSd` with inverse semi-axes (multiplications only, for the per-voxel path). */
export function ellipsoidSdInv(x: number, y: number, z: number, ia: number, ib: number, ic: number): number {
  const px = x * ia;
  const py = y * ib;
  const pz = z * ic;
  const k0 = Math.sqrt(px * px + py * py + pz * pz);
  const qx = px * ia;
  const qy = py * ib;
  const qz = pz * ic;
  const k1 = Math.sqrt(qx * qx + qy * qy + qz * qz);
  return k1 > 1e-9 ? (k0 * (k0 - 1)) / k1 : -1 / Math.max(ia, ib, ic);
}

export const CAV_INV: Vec3 = [1 / 66, 1 / 84, 1 / 66];
export const PF_INV: Vec3 = [1 / 50, 1 / 36, 1 / 28];

/**
 * Height of the cranial floor under (x, y): the middle fossae low laterally with the sella higher
 * in the midline; anteriorly the orbital roofs dome up over the orbits around a lower cribriform
 * plate.
 */
export function floorZ(x: number, y: number): number {
  const middle = -38 + 12 / (1 + x * x * 0.0055);
  if (y <= 14) return middle;
  const ox = ((x < 0 ? -x : x) - 28) / 12;
  const oy = (y - 50) / 22;
  const anterior = -27 + 8 / ((1 + ox * ox) * (1 + oy * oy));
  if (y >= 30) return anterior;
  const t = (y - 14) / 16;
  const s = t * t * (3 - 2 * t);
  return middle * (1 - s) + anterior * s;
}

/** Signed distance of the cranial cavity (inner table); negative inside. */
export function cavitySd(x: number, y: number, z: number): number {
  const d1 = ellipsoidSdInv(x, y + 4, z - 8, CAV_INV[0], CAV_INV[1], CAV_INV[2]);
  const zf = floorZ(x, y);
  const dMain = Math.max(d1, zf - z);
  if (y > -6 || z > -10) return dMain;
  const dPf = ellipsoidSdInv(x, y + 42, z + 38, PF_INV[0], PF_INV[1], PF_INV[2]);
  let d = Math.min(dMain, dPf);
  // Foramen magnum and the upper spinal canal below the posterior fossa.
  if (z < -50) d = Math.min(d, Math.sqrt(x * x + (y + 32) * (y + 32)) - 14);
  return d;
}

export function smoothstep(e0: number, e1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - e0) / (e1 - e0)));
  return t * t * (3 - 2 * t);
}

/** Distance from (x,y,z) to segment a→b minus a radius interpolated from ra to rb. */
export function capsuleSd(
  x: number,
  y: number,
  z: number,
  ax: number,
  ay: number,
  az: number,
  bx: number,
  by: number,
  bz: number,
  ra: number,
  rb: number,
): number {
  const ux = bx - ax;
  const uy = by - ay;
  const uz = bz - az;
  const wx = x - ax;
  const wy = y - ay;
  const wz = z - az;
  let t = (wx * ux + wy * uy + wz * uz) / (ux * ux + uy * uy + uz * uz);
  t = t < 0 ? 0 : Math.min(t, 1);
  const dx = wx - ux * t;
  const dy = wy - uy * t;
  const dz = wz - uz * t;
  return Math.sqrt(dx * dx + dy * dy + dz * dz) - (ra + (rb - ra) * t);
}

/** Right lateral ventricle centreline (x > 0), with radii; the left one is its mirror. */
export const VENTRICLE: [number, number, number, number][] = [
  [5, 30, 9, 3.2],
  [6.5, 16, 13, 4.6],
  [9, -6, 17, 4.2],
  [19, -27, 12, 6.5],
  [16, -47, 9, 2.6],
];
export const TEMPORAL_HORN: [number, number, number, number][] = [
  [19, -27, 12, 5],
  [29, -20, -6, 2.8],
  [30, 2, -18, 1.8],
];

/** Implicit ellipsoid test (no square roots). */
export function inEllipsoid(x: number, y: number, z: number, a: number, b: number, c: number): boolean {
  const px = x / a;
  const py = y / b;
  const pz = z / c;
  return px * px + py * py + pz * pz < 1;
}

/**
 * A lateral ventricle (right side, |x|) as capsule segments scaled by size `vs`, flattened to
 * [ax, ay, az, ux, uy, uz, 1/|u|², ra, rb] per segment.
 */
export function ventricleSegments(vs: number): Float64Array {
  const spread = 1 + 0.25 * (vs - 1);
  const segs: number[] = [];
  const add = (p: number[], q: number[], qSpread: number) => {
    const a = [p[0]! * spread, p[1]!, p[2]!];
    const b = [q[0]! * qSpread, q[1]!, q[2]!];
    const u = [b[0]! - a[0]!, b[1]! - a[1]!, b[2]! - a[2]!];
    segs.push(...a, ...u, 1 / (u[0]! ** 2 + u[1]! ** 2 + u[2]! ** 2), p[3]! * vs, q[3]! * vs);
  };
  for (let i = 0; i + 1 < VENTRICLE.length; i++) add(VENTRICLE[i]!, VENTRICLE[i + 1]!, spread);
  for (let i = 0; i + 1 < TEMPORAL_HORN.length; i++) add(TEMPORAL_HORN[i]!, TEMPORAL_HORN[i + 1]!, 1);
  return Float64Array.from(segs);
}

export function inSegments(s: Float64Array, x: number, y: number, z: number): boolean {
  for (let i = 0; i < s.length; i += 9) {
    const wx = x - s[i]!;
    const wy = y - s[i + 1]!;
    const wz = z - s[i + 2]!;
    const ux = s[i + 3]!;
    const uy = s[i + 4]!;
    const uz = s[i + 5]!;
    let t = (wx * ux + wy * uy + wz * uz) * s[i + 6]!;
    t = t < 0 ? 0 : Math.min(t, 1);
    const dx = wx - ux * t;
    const dy = wy - uy * t;
    const dz = wz - uz * t;
    const r = s[i + 7]! + (s[i + 8]! - s[i + 7]!) * t;
    if (dx * dx + dy * dy + dz * dz < r * r) return true;
  }
  return false;
}

export function segmentsSd(s: Float64Array, x: number, y: number, z: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < s.length; i += 9) {
    const d = capsuleSd(
      x,
      y,
      z,
      s[i]!,
      s[i + 1]!,
      s[i + 2]!,
      s[i]! + s[i + 3]!,
      s[i + 1]! + s[i + 4]!,
      s[i + 2]! + s[i + 5]!,
      s[i + 7]!,
      s[i + 8]!,
    );
    if (d < best) best = d;
  }
  return best;
}

/** Segments [a → b, radius ra → rb] flattened as ventricleSegments does. */
export function segments(list: [Vec3, Vec3, number, number][]): Float64Array {
  const out: number[] = [];
  for (const [a, b, ra, rb] of list) {
    const u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
    out.push(...a, ...u, 1 / (u[0]! ** 2 + u[1]! ** 2 + u[2]! ** 2), ra, rb);
  }
  return Float64Array.from(out);
}

export const BRAINSTEM = segments([
  [[0, -20, -6], [0, -24, -40], 9, 12.5],
  [[0, -24, -40], [0, -34, -70], 12.5, 9],
]);
/** Sylvian fissure axis (right side, |x|); its radius depends on sulcal width. */
export const SYLVIAN = segments([[[28, 8, -12], [60, -6, 2], 0, 0]]);
export const PETROUS = segments([[[16, -14, -38], [48, -30, -44], 5, 8]]);
