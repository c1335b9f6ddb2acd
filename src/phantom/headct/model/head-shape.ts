/**
 * The head's outline for one case: the bounding ellipsoids that reject the air around the head,
 * the inner table of the cranial cavity, and the skin over cranium, posterior fossa and face.
 */

import {
  CAV_AXES,
  CAVITY_CENTER,
  cavitySd,
  ellipsoidSdInv,
  FACE_AXES,
  FACE_CENTER,
  PF_AXES,
  PF_CENTER,
} from "../geometry.js";
import type { HeadCtCase, Vec3 } from "../spec.js";
import type { CompiledLesion } from "./lesions.js";
import { type Probe, SLOT } from "./probe.js";

// Module constants, which V8 folds into the code (see SLOT).
const { ARG1, X, Y, Z } = SLOT;
const [CCX, CCY, CCZ] = CAVITY_CENTER;
const [PCX, PCY, PCZ] = PF_CENTER;
const [FCX, FCY, FCZ] = FACE_CENTER;

export class HeadShape {
  readonly #p: Probe;
  /** Skull plus scalp thickness: how far the skin lies outside the inner table (mm). */
  readonly skinGrow: number;
  /** Centre and inverse semi-axes of the three bounding ellipsoids (cranium, posterior fossa, face). */
  readonly bounds: Float64Array;
  /** Inverse semi-axes of the three skin ellipsoids (cranium, posterior fossa, face). */
  readonly #skinInv: Float64Array;

  constructor(c: HeadCtCase, skullLesions: readonly CompiledLesion[], probe: Probe) {
    this.#p = probe;
    this.skinGrow = c.anatomy.skullThickness + c.anatomy.scalpThickness;
    // Scalp hematomas (kind 21) bulge the skin outward by up to their thickness.
    const m =
      this.skinGrow + 3 + Math.max(0, ...skullLesions.filter((l) => l.kind === 21).map((l) => l.thickness));
    const ell = (cen: Vec3, ax: Vec3, grow: number) => [...cen, ...ax.map((a) => 1 / (a + grow))];
    this.bounds = Float64Array.from([
      ...ell(CAVITY_CENTER, CAV_AXES, m),
      ...ell(PF_CENTER, PF_AXES, m),
      ...ell(FACE_CENTER, FACE_AXES, m - this.skinGrow),
    ]);
    const g = this.skinGrow;
    this.#skinInv = Float64Array.from([
      ...CAV_AXES.map((a) => 1 / (a + g)),
      ...PF_AXES.map((a) => 1 / (a + g)),
      ...FACE_AXES.map((a) => 1 / a),
    ]);
  }

  /** Inside the head's bounding ellipsoids (skin plus scalp swelling plus a margin)? */
  inBounds(): boolean {
    const v = this.#p.v;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const b = this.bounds;
    for (let i = 0; i < 18; i += 6) {
      const px = (x - b[i]!) * b[i + 3]!;
      const py = (y - b[i + 1]!) * b[i + 4]!;
      const pz = (z - b[i + 2]!) * b[i + 5]!;
      if (px * px + py * py + pz * pz < 1) return true;
    }
    return false;
  }

  /**
   * The index range [out[0], out[1]) of the points (x0, y0, z0) + i·(dx, dy, dz), i = 0…n−1, that
   * can pass `inBounds`; empty when out[0] ≥ out[1]. Conservative: the ellipsoids are grown by a
   * relative 1e-6 and the range by two indices, far more than the rounding of the per-point test
   * or of coordinates accumulated along a row.
   */
  span(
    x0: number,
    y0: number,
    z0: number,
    dx: number,
    dy: number,
    dz: number,
    n: number,
    out: Int32Array,
  ): void {
    const b = this.bounds;
    let lo = n;
    let hi = 0;
    for (let i = 0; i < 18; i += 6) {
      const qx = (x0 - b[i]!) * b[i + 3]!;
      const qy = (y0 - b[i + 1]!) * b[i + 4]!;
      const qz = (z0 - b[i + 2]!) * b[i + 5]!;
      const ex = dx * b[i + 3]!;
      const ey = dy * b[i + 4]!;
      const ez = dz * b[i + 5]!;
      // |q + t·e|² < R² with R = 1 + 1e-6: a t² + 2 h t + c < 0.
      const a = ex * ex + ey * ey + ez * ez;
      const h = qx * ex + qy * ey + qz * ez;
      const c = qx * qx + qy * qy + qz * qz - (1 + 1e-6) ** 2;
      const disc = h * h - a * c;
      if (a <= 0 || disc < 0) continue;
      const s = Math.sqrt(disc);
      const t0 = (-h - s) / a;
      const t1 = (-h + s) / a;
      lo = Math.min(lo, Math.max(0, Math.floor(t0) - 2));
      hi = Math.max(hi, Math.min(n, Math.ceil(t1) + 3));
    }
    out[0] = lo;
    out[1] = hi;
  }

  /**
   * cavitySd of the probe point into ARG1: a call without double arguments or a double result,
   * so nothing is boxed even when V8 does not inline it.
   */
  cavity(): void {
    const v = this.#p.v;
    v[ARG1] = cavitySd(v[X]!, v[Y]!, v[Z]!);
  }

  /** Signed distance to the skin (before scalp swelling) into ARG1. */
  skin(): void {
    const v = this.#p.v;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const k = this.#skinInv;
    const a = ellipsoidSdInv(x - CCX, y - CCY, z - CCZ, k[0]!, k[1]!, k[2]!);
    const b = ellipsoidSdInv(x - PCX, y - PCY, z - PCZ, k[3]!, k[4]!, k[5]!);
    const c = ellipsoidSdInv(x - FCX, y - FCY, z - FCZ, k[6]!, k[7]!, k[8]!);
    v[ARG1] = Math.min(a, b, c);
  }
}
