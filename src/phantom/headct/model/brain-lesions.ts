/**
 * Findings inside the brain, applied over the tissue already drawn at the probe, which they
 * replace or modify: hematoma and contusion with an edema rim, mass (possibly necrotic) with
 * vasogenic edema, colloid cyst and calcifications, infarcts (acute hypodensity, chronic
 * tissue loss), lacunes, subarachnoid and intraventricular blood, and edema.
 */

import type { LatticeNoise } from "../../noise.js";
import { ANATOMY_LABELS } from "../labels.js";
import type { HeadCtCase } from "../spec.js";
import type { CompiledLesion } from "./lesions.js";
import { isParenchyma, isWhite } from "./parenchyma.js";
import { type Probe, SLOT } from "./probe.js";

// Module constants, which V8 folds into the code (see SLOT).
const A = ANATOMY_LABELS;
const { X, XD, Y, Z } = SLOT;

export class BrainLesions {
  readonly #c: HeadCtCase;
  readonly #noise: LatticeNoise;
  readonly #p: Probe;
  readonly #lesions: readonly CompiledLesion[];

  constructor(c: HeadCtCase, lesions: readonly CompiledLesion[], noise: LatticeNoise, probe: Probe) {
    this.#c = c;
    this.#lesions = lesions;
    this.#noise = noise;
    this.#p = probe;
  }

  get count(): number {
    return this.#lesions.length;
  }

  /**
   * Applies every lesion at the probe. SAH, IVH, edema and infarcts follow the midline shift (XD);
   * the others sit at the undisplaced point.
   */
  apply(): void {
    const p = this.#p;
    const v = p.v;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const tis = this.#c.tissue;
    for (const l of this.#lesions) {
      const k = l.kind;
      const r = l.blobR(v, k === 14 || k === 15 || k === 16 || k === 11 || k === 12 ? XD : X, this.#noise);
      if (r === Number.POSITIVE_INFINITY) continue;
      const anat = p.anat;
      const paren = isParenchyma(anat);
      switch (k) {
        case 5: // hemorrhage with an edema rim
          if (r < 1 && anat !== A.skull) {
            p.out[0] = l.hu + 5 * this.#noise.at(x * 0.3 + 4, y * 0.3, z * 0.3);
            p.hem = l.hem;
            p.anat = A.lesion;
          } else if (r < l.edemaScale && paren) p.out[0]! += l.edemaDelta;
          break;
        case 6: // mass, possibly necrotic, with vasogenic (white-matter) edema
          if (r < 1 && (paren || anat === A.csf || anat === A.ventricles)) {
            p.out[0] = r < l.coreFraction ? l.coreHu : l.hu;
            p.anat = A.lesion;
          } else if (r < l.edemaScale && isWhite(anat)) p.out[0]! += l.edemaDelta;
          break;
        case 7: // colloid cyst
        case 8: // calcification
          if (r < 1 && anat !== A.skull) {
            p.out[0] = l.hu;
            p.anat = A.lesion;
          }
          break;
        case 11: // territorial hypodensity (acute infarct): grey matter loses most
          if (r < 1 && paren) {
            const gm =
              anat === A.grey_matter_left ||
              anat === A.grey_matter_right ||
              anat === A.deep_grey_left ||
              anat === A.deep_grey_right;
            p.out[0]! += l.hu * (gm ? 1.4 : 1) * Math.min(1, (1 - r) * 4);
          }
          break;
        case 12: // chronic infarct / encephalomalacia: tissue replaced by near-CSF density
          if (r < 1 && (paren || anat === A.csf)) {
            p.out[0] = r > 0.85 ? (p.out[0]! + l.hu) / 2 : l.hu;
            p.anat = A.lesion;
          }
          break;
        case 13: // lacune
          if (r < 1 && paren) {
            p.out[0] = l.hu;
            p.anat = A.lesion;
          }
          break;
        case 14: // subarachnoid blood fills sulci and cisterns
          if (r < 1 && anat === A.csf) {
            p.out[0] = tis.csf + (l.hu - tis.csf) * Math.min(1, (1 - r) * 3);
            p.hem = l.hem;
          }
          break;
        case 15: // intraventricular blood layers dependently (posteriorly, patient supine)
          if (anat === A.ventricles && r < 1 && y < l.cy) {
            p.out[0] = l.hu;
            p.hem = l.hem;
          }
          break;
        case 16: // edema: white matter more than grey
          if (r < 1 && paren) p.out[0]! += l.hu * (isWhite(anat) ? 1 : 0.4) * Math.min(1, (1 - r) * 3);
          break;
      }
    }
  }
}
