/**
 * The intracranial compartments and CSF spaces around the parenchyma: the subarachnoid band under
 * the brain surface, brainstem and perimesencephalic cistern, suprasellar and quadrigeminal
 * cisterns, tentorium (and below it the posterior fossa), falx and interhemispheric fissure,
 * lateral ventricles with septum pellucidum (or cavum) and choroid plexus, third ventricle, pineal
 * gland, periventricular small-vessel disease and the sylvian fissures. What remains is
 * parenchyma (parenchyma.ts).
 */

import type { LatticeNoise } from "../../noise.js";
import {
  BRAINSTEM,
  inEllipsoid,
  inSegments,
  SYLVIAN,
  segments,
  segmentsSd,
  ventricleSegments,
} from "../geometry.js";
import { ANATOMY_LABELS } from "../labels.js";
import type { HeadCtCase } from "../spec.js";
import type { CompiledLesion } from "./lesions.js";
import { isWhite, type Parenchyma, type SulcalWidths } from "./parenchyma.js";
import { type Probe, SLOT, segmentSdInto } from "./probe.js";

// Module constants, which V8 folds into the code (see SLOT).
const A = ANATOMY_LABELS;
const { DEPTH, EFF, QX, QY, QZ, RES, RES_T, XD, Y, Z } = SLOT;

export class Brain {
  readonly #c: HeadCtCase;
  readonly #noise: LatticeNoise;
  readonly #p: Probe;
  readonly #parenchyma: Parenchyma;
  readonly #effacers: readonly CompiledLesion[];
  readonly #sulc: number;
  readonly #csfBand: number;
  readonly #vl: number;
  readonly #vr: number;
  /** Left and right lateral ventricle segments (see ventricleSegments). */
  readonly #ventricles: [Float64Array, Float64Array];
  readonly #choroid: [Float64Array, Float64Array];

  constructor(
    c: HeadCtCase,
    noise: LatticeNoise,
    probe: Probe,
    parenchyma: Parenchyma,
    widths: SulcalWidths,
    effacers: readonly CompiledLesion[],
  ) {
    this.#c = c;
    this.#noise = noise;
    this.#p = probe;
    this.#parenchyma = parenchyma;
    this.#effacers = effacers;
    this.#sulc = widths.sulc;
    this.#csfBand = widths.csfBand;
    this.#vl = c.anatomy.ventricles.left;
    this.#vr = c.anatomy.ventricles.right;
    this.#ventricles = [ventricleSegments(this.#vl), ventricleSegments(this.#vr)];
    const choroid = (vs: number) => {
      const sp = 1 + 0.25 * (vs - 1);
      return segments([[[16 * sp, -20, 13], [21 * sp, -32, 11], 2.5, 3.5]]);
    };
    this.#choroid = [choroid(this.#vl), choroid(this.#vr)];
  }

  /** Brain at displaced point (XD, Y, Z), DEPTH mm below the brain surface. */
  tissue(): void {
    const p = this.#p;
    const v = p.v;
    const x = v[XD]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const depth = v[DEPTH]!;
    const c = this.#c;
    const tis = c.tissue;
    const an = c.anatomy;
    const right = x >= 0;
    const ax = right ? x : -x;
    // Local sulcal effacement near a mass.
    let eff = 1;
    for (const l of this.#effacers) {
      const r = l.blobR(v, XD, this.#noise);
      if (r < 1) eff = Math.min(eff, 0.1 + 0.9 * r * r);
    }
    if (depth < this.#csfBand * eff) {
      this.#csf(A.csf);
      return;
    }

    // Brainstem, from the midbrain through the tentorial incisura to the medulla.
    if (y < 0 && y > -50 && ax < 20 && z < 10) {
      v[QX] = x;
      v[QY] = y;
      v[QZ] = z;
      segmentSdInto(BRAINSTEM, z > -40 ? 0 : 1, v);
      const bs = v[RES]!;
      if (bs < 0) {
        p.out[0] = tis.brainstem;
        p.anat = A.brainstem;
        return;
      }
      // Perimesencephalic (ambient) cistern around the midbrain.
      if (bs < 3.5 * an.cisterns && z > -28) {
        this.#csf(A.csf);
        return;
      }
    }
    // Suprasellar and quadrigeminal cisterns.
    const cis = an.cisterns;
    if (cis > 0.05 && z < 8 && z > -34 && y < 25 && ax < 16) {
      if (inEllipsoid(x, y - 6, z + 22, 13 * cis, 9 * cis, 5 * cis)) {
        this.#csf(A.csf);
        return;
      }
      if (inEllipsoid(x, y + 32, z + 4, 8 * cis, 6 * cis, 6 * cis)) {
        this.#csf(A.csf);
        return;
      }
    }

    // Infratentorial compartment below the tentorium.
    if (y < -14 && z < 2) {
      const zt = -30 + 12 / (1 + (x * x) / 500) + 0.2 * (y + 14);
      if (z < zt + 0.7) {
        if (z > zt - 0.7 && ax > 6) {
          p.out[0] = tis.dura;
          p.anat = A.dura;
          return;
        }
        if (z <= zt - 0.7) {
          this.#parenchyma.posteriorFossa();
          return;
        }
      }
    }

    // Falx and interhemispheric fissure, which move with the midline.
    const fy = y / 78;
    const falxEdge = 26 - 40 * fy * fy;
    if (z > falxEdge - 5 && ax < 4) {
      if (ax < 0.55 && z > falxEdge) {
        p.out[0] = tis.dura;
        p.anat = A.dura;
        const fc = c.diffuse.calcification.falx;
        if (fc > 0 && y > -20 && y < 40 && z > 40 && this.#noise.at(y * 0.15, z * 0.15, 17) > 0.15)
          p.out[0] = fc;
        return;
      }
      if (ax < 1.3 + 6 * this.#sulc * eff) {
        this.#csf(A.csf);
        return;
      }
    }

    // Ventricular system, septum and choroid plexus.
    if (ax < 48 && y > -62 && y < 42 && z > -28 && z < 36) {
      const seg = this.#ventricles[right ? 1 : 0];
      v[QX] = ax;
      v[QY] = y;
      v[QZ] = z;
      if (inSegments(seg, v[QX]!, v[QY]!, v[QZ]!)) {
        const cav = an.cavum;
        // Septum pellucidum between the frontal horns (or a cavum within it).
        if (ax < 0.5 + cav && y > -8 && z > 4) {
          if (cav > 0 && ax < cav && y > 0 && y < 26) {
            this.#csf(A.csf);
            return;
          }
          p.out[0] = tis.wm;
          p.anat = right ? A.white_matter_right : A.white_matter_left;
          return;
        }
        segmentSdInto(this.#choroid[right ? 1 : 0]!, 0, v);
        const ch = v[RES]!;
        if (ch < 0) {
          const cc = c.diffuse.calcification.choroid;
          p.out[0] = cc > 0 && ch < -1 ? cc : 32;
          p.anat = A.ventricles;
          return;
        }
        this.#csf(A.ventricles);
        return;
      }
      const v3 = an.ventricles.third;
      if (ax < 1.6 * v3 && y > -18 && y < 8 && z > -10 && z < 12) {
        this.#csf(A.ventricles);
        return;
      }
      // Pineal gland behind the third ventricle.
      const pc = c.diffuse.calcification.pineal;
      if (pc > 0 && inEllipsoid(x, y + 24, z - 4, 3, 3.5, 3)) {
        p.out[0] = pc;
        p.anat = A.lesion;
        return;
      }
      // Periventricular white matter disease: patchy hypodensity near the ventricles.
      if (c.diffuse.svdDelta !== 0) {
        const dv = segmentsSd(seg, ax, y, z); // only with small-vessel disease
        if (dv < 14) {
          v[EFF] = eff;
          this.#parenchyma.tissueAt();
          if (isWhite(p.anat)) {
            const n = this.#noise.at(x * 0.18, y * 0.18, z * 0.18 + 21);
            const w = dv < 4 ? 1 : n > -0.1 ? 1 - (dv - 4) / 10 : 0;
            p.out[0]! += c.diffuse.svdDelta * w;
          }
          return;
        }
      }
    }
    // Sylvian fissures.
    if (ax > 20 && z < 8 && z > -22 && y > -15 && y < 20) {
      v[QX] = ax;
      v[QY] = y;
      v[QZ] = z;
      segmentSdInto(SYLVIAN, 0, v);
      const w = this.#sulc * eff;
      const syl = v[RES]! - (2 + 10 * w + (1 + 4 * w) * v[RES_T]!);
      if (syl < 0) {
        this.#csf(A.csf);
        return;
      }
    }
    v[EFF] = eff;
    this.#parenchyma.tissueAt();
    if (c.diffuse.svdDelta !== 0 && z > 10 && isWhite(p.anat)) {
      const n = this.#noise.at(x * 0.2, y * 0.2, z * 0.2 + 31);
      if (n > 0.25) p.out[0]! += c.diffuse.svdDelta * Math.min(1, (n - 0.25) * 4);
    }
  }

  #csf(label: number): void {
    this.#p.out[0] = this.#c.tissue.csf;
    this.#p.anat = label;
  }
}
