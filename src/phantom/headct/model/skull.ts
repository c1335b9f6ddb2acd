/**
 * Bone: skull thickness over the vault and the thin skull base, the inner and outer tables and
 * diploe, sutures, the frontal sinus, petrous ridges and mastoid air cells, and the contents of
 * any sinus (air, mucosal lining, fluid level).
 */

import type { LatticeNoise } from "../../noise.js";
import { ellipsoidSd, floorZ, PETROUS, smoothstep } from "../geometry.js";
import { ANATOMY_LABELS } from "../labels.js";
import type { HeadCtCase } from "../spec.js";
import { type Probe, SLOT, segmentSdInto } from "./probe.js";

// Module constants, which V8 folds into the code (see SLOT).
const A = ANATOMY_LABELS;
const { ARG1, ARG2, QX, QY, QZ, RES, X, Y, Z } = SLOT;

export class Skull {
  readonly #c: HeadCtCase;
  readonly #noise: LatticeNoise;
  readonly #p: Probe;

  constructor(c: HeadCtCase, noise: LatticeNoise, probe: Probe) {
    this.#c = c;
    this.#noise = noise;
    this.#p = probe;
  }

  /** Skull thickness (mm) at the probe point into ARG1. */
  thickness(): void {
    const v = this.#p.v;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const a = this.#c.anatomy;
    this.#noise.scaledInto(v, X, Y, Z, 0.04, 0, RES);
    let t = a.skullThickness * (1 + 0.15 * v[RES]!);
    if (y > 55) t += 9 * smoothstep(55, 75, y) * Math.exp(-((x * x) / 400 + ((z - 14) * (z - 14)) / 300));
    // Below the anterior and middle cranial fossae the skull base is a thin plate.
    if (z < -18 && y > -6) {
      if (z < floorZ(x, y) + 0.5) {
        v[ARG1] = 3.5;
        return;
      }
    }
    v[ARG1] = t;
  }

  /** Vault bone, ARG1 mm from the inner table and ARG2 mm from the outer one. */
  bone(): void {
    const p = this.#p;
    const v = p.v;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const fromInner = v[ARG1]!;
    const fromOuter = v[ARG2]!;
    const tis = this.#c.tissue;
    p.anat = A.skull;
    // Frontal sinus air inside the thick frontal bone.
    if (y > 70) {
      // Frontal sinus: two lobulated cells either side of a thin septum.
      const ax = x < 0 ? -x : x;
      const s = ellipsoidSd(ax - 7, y - 87, z - 10 - 0.15 * ax, 7.5, 4, 8.5);
      if (s < 0 && ax > 0.8 && this.#noise.at(x * 0.35, y * 0.35, z * 0.35 + 19) > -0.35) {
        this.sinus(s, y, 87, 4);
        return;
      }
    }
    // Sutures: thin lucent lines across the vault, each a plane waved by a sine. The sine moves a
    // line by at most 1.2 mm, so it is evaluated only within 1.7 mm of the plane (|line| < 0.45
    // cannot hold farther out); the lines themselves are computed exactly as written.
    if (z > -5) {
      const cor0 = y - 14 + 0.12 * z;
      const lam0 = y + 66 - 0.5 * (z - 30);
      if (
        (cor0 < 1.7 && cor0 > -1.7 && Math.abs(cor0 - 1.2 * Math.sin(x * 0.7)) < 0.45) ||
        (y < 14 &&
          y > -66 &&
          z > 35 &&
          x < 1.4 &&
          x > -1.4 &&
          Math.abs(x - 0.9 * Math.sin(y * 0.7)) < 0.45) ||
        (y < -40 && lam0 < 1.7 && lam0 > -1.7 && Math.abs(lam0 - 1.2 * Math.sin(x * 0.6)) < 0.45)
      ) {
        p.out[0] = 160;
        return;
      }
    }
    if (fromInner < 1.5 || fromOuter < 1.8) {
      this.#noise.scaledInto(v, X, Y, Z, 0.3, 0, RES);
      p.out[0] = tis.cortical * (0.85 + 0.1 * v[RES]!);
    } else {
      this.#noise.scaledInto(v, X, Y, Z, 0.5, 11, RES);
      p.out[0] = tis.diploe * (1 + 0.45 * v[RES]!);
    }
  }

  /** Sinus contents: air, mucosal lining, or dependent (posterior) fluid. */
  sinus(sd: number, y: number, cy: number, ry: number): void {
    const p = this.#p;
    const d = this.#c.diffuse;
    p.anat = A.sinus_air;
    if (d.sinusMucosa > 0 && sd > -d.sinusMucosa) {
      p.out[0] = 30;
      p.anat = A.orbit_face;
    } else if (d.sinusFluid > 0 && y < cy - ry + 2 * ry * d.sinusFluid) {
      p.out[0] = 18;
      p.anat = A.orbit_face;
    } else {
      p.out[0] = -1000;
    }
  }

  /** Dense bone of the skull base and facial walls. */
  texture(): void {
    const p = this.#p;
    p.anat = A.skull;
    const v = p.v;
    this.#noise.scaledInto(v, X, Y, Z, 0.5, 5, RES);
    p.out[0] = this.#c.tissue.diploe * (1.3 + 0.4 * v[RES]!);
  }

  /** Petrous ridges (dense) and mastoid air cells; true when the point is one of them. */
  petrous(ax: number, y: number, z: number): boolean {
    if (z > -26 || y > 0) return false;
    const p = this.#p;
    const m = ellipsoidSd(ax - 50, y + 30, z + 48, 10, 12, 13);
    if (m < 0) {
      p.anat = A.skull;
      p.out[0] = this.#noise.at(ax * 0.6, y * 0.6, z * 0.6 + 9) > 0 ? -850 : 900;
      if (p.out[0] < 0) p.anat = A.sinus_air;
      return true;
    }
    const v = p.v;
    v[QX] = ax;
    v[QY] = y;
    v[QZ] = z;
    segmentSdInto(PETROUS, 0, v);
    if (v[RES]! < 0) {
      p.anat = A.skull;
      p.out[0] = this.#c.tissue.cortical * 1.1;
      return true;
    }
    return false;
  }
}
