/**
 * Lesions compiled for the per-point loop: one flat, monomorphic object per lesion with its kind
 * as a small integer, its shape's constants precomputed (inverse radii, unit directions, bounding
 * spheres), and the shape tests the drawers share.
 */

import type { LatticeNoise } from "../../noise.js";
import { capsuleSd } from "../geometry.js";
import { HEMORRHAGE_LABELS } from "../labels.js";
import type { HeadCtCase, Lesion, LesionKind } from "../spec.js";
import { SLOT } from "./probe.js";

// Module constants, which V8 folds into the code (see SLOT).
const H = HEMORRHAGE_LABELS;
const { UX, UY, UZ, X, Y, Z } = SLOT;

/** Lesion kinds as small integers, so the per-point loops switch on numbers. */
export const KIND: Readonly<Record<LesionKind, number>> = {
  edh: 1,
  sdh: 2,
  csf_collection: 3,
  meningioma: 4,
  iph: 5,
  mass: 6,
  colloid: 7,
  calcification: 8,
  air: 9,
  metal: 10,
  infarct: 11,
  encephalomalacia: 12,
  lacune: 13,
  sah: 14,
  ivh: 15,
  edema: 16,
  fracture: 17,
  depressed: 18,
  craniectomy: 19,
  burr_hole: 20,
  scalp_hematoma: 21,
  catheter: 22,
  sulcal_effacement: 23,
};

const HEM_OF: Partial<Record<LesionKind, number>> = {
  edh: H.epidural,
  sdh: H.subdural,
  iph: H.intraparenchymal,
  sah: H.subarachnoid,
  ivh: H.intraventricular,
};

/** One lesion in a flat, monomorphic form for the per-point loop. */
export class CompiledLesion {
  kind: number;
  hu: number;
  // blob / bound
  cx = 0;
  cy = 0;
  cz = 0;
  irx = 0;
  iry = 0;
  irz = 0;
  bound2 = 0;
  irregular = 0;
  // edema shell, in units of the normalised radius
  edemaScale = 1;
  edemaDelta = 0;
  coreFraction = 0;
  coreHu = 0;
  // direction patch (extra-axial, skull)
  dx = 0;
  dy = 0;
  dz = 0;
  cosHalf = 1;
  halfAngle = 0;
  thickness = 0;
  profile = 0;
  px = 0;
  py = 0;
  pz = 0;
  width = 0;
  // tube
  pts: Float64Array = new Float64Array(0);
  radius = 0;
  hem = 0;

  constructor(l: Lesion) {
    this.kind = KIND[l.kind];
    this.hu = l.hu;
    this.edemaDelta = l.edemaDelta;
    this.coreFraction = l.coreFraction;
    this.coreHu = l.coreHu;
    const s = l.shape;
    if (s.type === "blob") {
      [this.cx, this.cy, this.cz] = s.center;
      this.irx = 1 / s.radii[0];
      this.iry = 1 / s.radii[1];
      this.irz = 1 / s.radii[2];
      this.irregular = s.irregularity;
      const rmax = Math.max(...s.radii);
      this.edemaScale = 1 + l.edemaMm / rmax;
      const reach = rmax * (1 + s.irregularity) + l.edemaMm + 1;
      this.bound2 = reach * reach;
    } else if (s.type === "tube") {
      this.pts = Float64Array.from(s.points.flat());
      this.radius = s.radius;
      const xs = s.points.map((p) => p[0]);
      const ys = s.points.map((p) => p[1]);
      const zs = s.points.map((p) => p[2]);
      this.cx = (Math.min(...xs) + Math.max(...xs)) / 2;
      this.cy = (Math.min(...ys) + Math.max(...ys)) / 2;
      this.cz = (Math.min(...zs) + Math.max(...zs)) / 2;
      const half =
        Math.hypot(
          Math.max(...xs) - Math.min(...xs),
          Math.max(...ys) - Math.min(...ys),
          Math.max(...zs) - Math.min(...zs),
        ) /
          2 +
        s.radius +
        1;
      this.bound2 = half * half;
    } else {
      const n = Math.hypot(...s.dir);
      this.dx = s.dir[0] / n;
      this.dy = s.dir[1] / n;
      this.dz = s.dir[2] / n;
      this.halfAngle = s.halfAngle;
      this.cosHalf = Math.cos(s.halfAngle);
      if (s.type === "extraAxial") {
        this.thickness = s.thickness;
        this.profile = s.profile === "lens" ? 0 : s.profile === "crescent" ? 1 : 2;
      } else {
        this.thickness = s.depth;
        if (s.plane) {
          const m = Math.hypot(...s.plane);
          this.px = s.plane[0] / m;
          this.py = s.plane[1] / m;
          this.pz = s.plane[2] / m;
        }
        this.width = s.width ?? 0;
      }
    }
    this.hem = HEM_OF[l.kind] ?? 0;
  }

  /**
   * Normalised blob radius (1 on the outline, noise-perturbed) at (v[xs], v[Y], v[Z]), or Infinity
   * out of bounds. Coordinates come through the probe's slots so nothing is boxed.
   */
  blobR(v: Float64Array, xs: number, noise: LatticeNoise): number {
    const x = v[xs]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const ox = x - this.cx;
    const oy = y - this.cy;
    const oz = z - this.cz;
    if (ox * ox + oy * oy + oz * oz > this.bound2) return Number.POSITIVE_INFINITY;
    const ex = ox * this.irx;
    const ey = oy * this.iry;
    const ez = oz * this.irz;
    const r = Math.sqrt(ex * ex + ey * ey + ez * ez);
    if (this.irregular === 0) return r;
    return r / (1 + this.irregular * noise.at(x * 0.2 + this.cx, y * 0.2, z * 0.2 + 7.3));
  }

  /** Signed distance to the tube at (v[X], v[Y], v[Z]), or Infinity out of bounds. */
  tubeSd(v: Float64Array): number {
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const ox = x - this.cx;
    const oy = y - this.cy;
    const oz = z - this.cz;
    if (ox * ox + oy * oy + oz * oz > this.bound2) return Number.POSITIVE_INFINITY;
    const p = this.pts;
    let d = Number.POSITIVE_INFINITY;
    for (let i = 0; i + 5 < p.length; i += 3) {
      const s = capsuleSd(
        x,
        y,
        z,
        p[i]!,
        p[i + 1]!,
        p[i + 2]!,
        p[i + 3]!,
        p[i + 4]!,
        p[i + 5]!,
        this.radius,
        this.radius,
      );
      if (s < d) d = s;
    }
    return d;
  }

  /** 0..1 position within the direction patch (0 = centre, 1 = rim) of direction v[UX..UZ], or -1 outside. */
  patchU(v: Float64Array): number {
    const c = v[UX]! * this.dx + v[UY]! * this.dy + v[UZ]! * this.dz;
    if (c < this.cosHalf) return -1;
    return Math.acos(Math.min(1, c)) / this.halfAngle;
  }
}

/** A case's lesions compiled and grouped by the drawer that renders them. */
export interface LesionGroups {
  /** Collections against the inner table: EDH, SDH, arachnoid cyst, meningioma. */
  extraAxial: CompiledLesion[];
  /** Patches of the skull and scalp: fracture, depressed fragment, craniectomy, burr hole, scalp hematoma. */
  skull: CompiledLesion[];
  /** Lesions inside the brain, applied over the tissue they replace or modify. */
  brain: CompiledLesion[];
  /** Objects that override anything: air bubbles, metal, catheters. */
  overlay: CompiledLesion[];
  /** Metal objects (their streaks). */
  metal: CompiledLesion[];
  /** Local sulcal effacement around masses. */
  effacers: CompiledLesion[];
}

export function compileLesions(c: HeadCtCase): LesionGroups {
  const compiled = c.lesions.map((l) => new CompiledLesion(l));
  const k = (names: LesionKind[]) => compiled.filter((l) => names.some((n) => KIND[n] === l.kind));
  return {
    extraAxial: k(["edh", "sdh", "csf_collection", "meningioma"]),
    skull: k(["fracture", "depressed", "craniectomy", "burr_hole", "scalp_hematoma"]),
    overlay: k(["metal", "catheter", "air"]),
    metal: k(["metal"]),
    effacers: k(["sulcal_effacement"]),
    brain: k([
      "iph",
      "mass",
      "colloid",
      "calcification",
      "infarct",
      "encephalomalacia",
      "lacune",
      "sah",
      "ivh",
      "edema",
    ]),
  };
}
