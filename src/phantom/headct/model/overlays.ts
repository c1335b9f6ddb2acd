/**
 * Objects drawn over anything else at the probe: air bubbles (pneumocephalus, inside the cranium
 * only), metallic foreign bodies with their streak artefact, and shunt catheters.
 */

import type { LatticeNoise } from "../../noise.js";
import { ANATOMY_LABELS } from "../labels.js";
import type { CompiledLesion } from "./lesions.js";
import { type Probe, SLOT } from "./probe.js";

// Module constants, which V8 folds into the code (see SLOT).
const A = ANATOMY_LABELS;
const { X, Y, Z } = SLOT;

export class Overlays {
  readonly #p: Probe;
  readonly #noise: LatticeNoise;
  readonly #objects: readonly CompiledLesion[];
  readonly #metal: readonly CompiledLesion[];

  constructor(
    objects: readonly CompiledLesion[],
    metal: readonly CompiledLesion[],
    noise: LatticeNoise,
    probe: Probe,
  ) {
    this.#objects = objects;
    this.#metal = metal;
    this.#noise = noise;
    this.#p = probe;
  }

  get count(): number {
    return this.#objects.length;
  }

  apply(intracranial: boolean): void {
    const p = this.#p;
    const v = p.v;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    for (const l of this.#objects) {
      if (l.kind === 22) {
        // catheter
        if (l.tubeSd(v) < 0) {
          p.out[0] = l.hu;
          p.anat = A.lesion;
          p.hem = 0;
        }
      } else if (l.blobR(v, X, this.#noise) < 1) {
        // kind 9: air, which only shows inside the cranium
        if (l.kind === 9 && !intracranial) continue;
        p.out[0] = l.hu;
        p.anat = A.lesion;
        p.hem = 0;
      }
    }
    // Metal streaks: a star of bright rays fading with distance, within a few slices.
    if (this.#metal.length > 0 && p.anat !== A.background) {
      for (const l of this.#metal) {
        const dx = x - l.cx;
        const dy = y - l.cy;
        const dz = z - l.cz;
        const r2 = dx * dx + dy * dy;
        if (Math.abs(dz) > 6 || r2 > 8100 || r2 < 4) continue;
        const ang = Math.atan2(dy, dx);
        p.out[0]! +=
          260 * Math.cos(9 * ang + 1.3) ** 9 * Math.exp(-Math.sqrt(r2) / 25) * (1 - Math.abs(dz) / 6);
      }
    }
  }
}
