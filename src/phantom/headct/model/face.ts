/**
 * Outside the skull: scalp (skin and galea around subcutaneous fat, temporalis muscle), scalp
 * swelling, and below the vault the deep face and skull base — globes and orbital fat, maxillary,
 * sphenoid and ethmoid sinuses, the nasal cavity, petrous bones and mastoids.
 */

import type { LatticeNoise } from "../../noise.js";
import { ellipsoidSd } from "../geometry.js";
import { ANATOMY_LABELS } from "../labels.js";
import type { HeadCtCase } from "../spec.js";
import { type Probe, SLOT } from "./probe.js";
import type { Skull } from "./skull.js";

// Module constants, which V8 folds into the code (see SLOT).
const A = ANATOMY_LABELS;
const { ARG1, ARG2, ARG3, ARG4, X, Y, Z } = SLOT;

export class Face {
  readonly #c: HeadCtCase;
  readonly #noise: LatticeNoise;
  readonly #p: Probe;
  readonly #skull: Skull;

  constructor(c: HeadCtCase, noise: LatticeNoise, probe: Probe, skull: Skull) {
    this.#c = c;
    this.#noise = noise;
    this.#p = probe;
    this.#skull = skull;
  }

  /**
   * Soft tissue and face at the probe point: ARG1 mm outside the outer table, ARG2 the skin
   * distance (negative inside), ARG3 the scalp swelling (mm) and ARG4 its HU.
   */
  extracranial(): void {
    const p = this.#p;
    const v = p.v;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const fromBone = v[ARG1]!;
    const dS = v[ARG2]!;
    const swell = v[ARG3]!;
    const swellHu = v[ARG4]!;
    const tis = this.#c.tissue;
    p.anat = A.scalp;
    if (swell > 0 && fromBone < 0.5 * this.#c.anatomy.scalpThickness + swell) {
      p.out[0] = swellHu;
      return;
    }
    // Deep face and skull base: orbits, sphenoid sinus, petrous bones and mastoids.
    if (z < -12) {
      const skull = this.#skull;
      const ax = Math.abs(x);
      if (y > 40) {
        const g = ellipsoidSd(ax - 31, y - 66, z + 30, 11.5, 11.5, 11.5);
        const f = ellipsoidSd(ax - 30, y - 60, z + 30, 17, 20, 15);
        if (g < 0) {
          p.out[0] = g > -1.2 ? 45 : 10;
          p.anat = A.orbit_face;
          return;
        }
        if (f < 0) {
          p.out[0] = tis.fat;
          p.anat = A.orbit_face;
          return;
        }
        if (f < 2.5 && y < 80) {
          skull.texture();
          return;
        }
      }
      if (z < -40 && y > 30) {
        const max = ellipsoidSd(ax - 24, y - 56, z + 56, 13, 15, 14);
        if (max < 0) {
          skull.sinus(max, y, 56, 15);
          return;
        }
        if (max < 2) {
          skull.texture();
          return;
        }
        if (ax < 9 && y > 40 && y < 92) {
          p.anat = A.sinus_air;
          const turb = ax > 3 && this.#noise.at(ax * 0.3, y * 0.1, z * 0.3 + 13) > 0.1;
          p.out[0] = ax < 1 ? 500 : turb ? 60 : -950;
          return;
        }
      }
      const sph = ellipsoidSd(x, y - 22, z + 46, 12, 10, 9);
      if (sph < 0) {
        skull.sinus(sph, y, 22, 10);
        return;
      }
      if (sph < 1.5) {
        skull.texture();
        return;
      }
      const eth = ellipsoidSd(x, y - 52, z + 30, 9, 16, 10);
      if (eth < 0) {
        p.anat = A.sinus_air;
        p.out[0] = this.#noise.at(x * 0.45, y * 0.45, z * 0.45) > -0.05 ? -900 : 400;
        return;
      }
      if (skull.petrous(ax, y, z)) return;
      p.out[0] = tis.muscle;
      p.anat = A.orbit_face;
      return;
    }
    // Scalp: skin and galea around a subcutaneous fat layer; temporalis muscle on the sides.
    const depth = -dS;
    if (depth > 1.2 && depth < 3.2 && fromBone > 1) {
      p.out[0] = tis.fat;
    } else {
      p.out[0] = Math.abs(x) > 50 && z < 25 ? tis.muscle : tis.scalp;
    }
  }
}
