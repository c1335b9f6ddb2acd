/**
 * Extra-axial collections against the inner table — epidural (lens), subdural (crescent),
 * arachnoid cyst and meningioma (dome) — which displace the brain surface inward.
 */

import type { LatticeNoise } from "../../noise.js";
import { ANATOMY_LABELS } from "../labels.js";
import type { CompiledLesion } from "./lesions.js";
import { type Probe, SLOT } from "./probe.js";

// Module constants, which V8 folds into the code (see SLOT).
const A = ANATOMY_LABELS;
const { ARG1, DEPTH, X, Y, Z } = SLOT;

export class ExtraAxial {
  readonly #p: Probe;
  readonly #noise: LatticeNoise;
  readonly #lesions: readonly CompiledLesion[];
  /**
   * Depth below the inner table (mm) within which directions from the cavity centre are needed:
   * the thickest collection plus a margin, and at least the skull-patch reach.
   */
  readonly reach: number;

  constructor(lesions: readonly CompiledLesion[], noise: LatticeNoise, probe: Probe) {
    this.#lesions = lesions;
    this.#noise = noise;
    this.#p = probe;
    this.reach = 2 + Math.max(15, ...lesions.map((l) => l.thickness + 1));
  }

  /**
   * Draws the collection at the probe (DEPTH mm below the inner table, direction UX..UZ) and
   * returns true, or returns false and leaves in ARG1 how far the collections push the brain
   * surface inward here (mm).
   */
  draw(): boolean {
    const p = this.#p;
    const v = p.v;
    const depth = v[DEPTH]!;
    let e = 0;
    if (depth < this.reach) {
      const x = v[X]!;
      const y = v[Y]!;
      const z = v[Z]!;
      for (const l of this.#lesions) {
        const u = l.patchU(v);
        if (u < 0) continue;
        const th =
          l.profile === 0
            ? l.thickness * (1 - u * u)
            : l.profile === 1
              ? l.thickness * (1 - u * u * u * u) ** 0.7
              : l.thickness * Math.sqrt(1 - u * u);
        if (depth < th) {
          // Blood and tumour are not uniform: clot, serum and swirls vary the density a little.
          // Kind 3 is the arachnoid cyst (CSF).
          p.out[0] = l.kind === 3 ? l.hu : l.hu + 5 * this.#noise.at(x * 0.25, y * 0.25 + 11, z * 0.25);
          p.hem = l.hem;
          p.anat = l.kind === 3 ? A.csf : A.lesion;
          return true;
        }
        if (th > e) e = th;
      }
    }
    v[ARG1] = e;
    return false;
  }
}
