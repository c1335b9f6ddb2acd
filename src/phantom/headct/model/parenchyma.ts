/**
 * Brain parenchyma: deep grey nuclei (caudate, lentiform, thalamus), the cortex as a grey ribbon
 * around sulci carved from a two-octave noise field, white matter, and in the posterior fossa the
 * cerebellar hemispheres and vermis with folia around the fourth ventricle.
 */

import type { LatticeNoise } from "../../noise.js";
import { ellipsoidSd, inEllipsoid } from "../geometry.js";
import { ANATOMY_LABELS } from "../labels.js";
import type { HeadCtCase } from "../spec.js";
import { type Probe, SLOT } from "./probe.js";

// Module constants, which V8 folds into the code (see SLOT).
const A = ANATOMY_LABELS;
const { DEPTH, EFF, RES, XD, Y, Z } = SLOT;

/** The sulcal and CSF widths of one case after global sulcal effacement. */
export interface SulcalWidths {
  /** Sulcal CSF half-width in noise units. */
  sulc: number;
  /** Subarachnoid CSF band under the inner table (mm). */
  csfBand: number;
}

export function sulcalWidths(c: HeadCtCase): SulcalWidths {
  const eff = 1 - c.diffuse.sulcalEffacement;
  return { sulc: c.anatomy.sulcalWidth * eff, csfBand: c.anatomy.csfBand * (0.25 + 0.75 * eff) };
}

export class Parenchyma {
  readonly #c: HeadCtCase;
  readonly #noise: LatticeNoise;
  readonly #p: Probe;
  readonly #sulc: number;
  readonly #csfBand: number;
  /** Grey-matter ribbon width around sulci, in noise units. */
  readonly #gmBand = 0.3;

  /** `noise` must be configured with the case's gyral frequency (see LatticeNoise.configureOctaves). */
  constructor(c: HeadCtCase, noise: LatticeNoise, probe: Probe, widths: SulcalWidths) {
    this.#c = c;
    this.#noise = noise;
    this.#p = probe;
    this.#sulc = widths.sulc;
    this.#csfBand = widths.csfBand;
  }

  /** Deep grey nuclei, cortex with sulci, and white matter at (XD, Y, Z), DEPTH mm deep, effacement EFF. */
  tissueAt(): void {
    const p = this.#p;
    const v = p.v;
    const x = v[XD]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const depth = v[DEPTH]!;
    const eff = v[EFF]!;
    const c = this.#c;
    const tis = c.tissue;
    const right = x >= 0;
    const ax = right ? x : -x;
    if (ax < 32 && y > -30 && y < 30 && z > -12 && z < 24) {
      const lent = inEllipsoid(ax - 22, y - 2, z - 1, 5.5, 12, 8);
      if (
        lent ||
        inEllipsoid(ax - 12, y - 14, z - 10, 4.5, 9, 7) ||
        inEllipsoid(ax - 9, y + 14, z - 3, 7, 10, 8)
      ) {
        p.out[0] = tis.deepGm;
        p.anat = right ? A.deep_grey_right : A.deep_grey_left;
        const bg = c.diffuse.calcification.basalGanglia;
        if (bg > 0 && lent && inEllipsoid(ax - 19, y - 2, z - 1, 2.5, 4.5, 3.5)) p.out[0] = bg;
        return;
      }
    }
    const g = depth - this.#csfBand * eff;
    if (g < 22) {
      this.#noise.octaves2Into(v, XD, Y, Z, RES);
      const n = v[RES]!;
      const an = n < 0 ? -n : n;
      const D = 18;
      const sw = this.#sulc * eff;
      if (g < D && an < sw * (1 - (g / D) * 0.6)) {
        this.#csf(A.csf);
        return;
      }
      if (g < 2.6 || (g < D + 2 && an < sw + this.#gmBand * (1 - g / (D + 6)))) {
        p.out[0] = tis.gm;
        p.anat = right ? A.grey_matter_right : A.grey_matter_left;
        return;
      }
    }
    p.out[0] = tis.wm;
    p.anat = right ? A.white_matter_right : A.white_matter_left;
  }

  /** Below the tentorium at (XD, Y, Z): fourth ventricle, cerebellum with folia, CSF around it. */
  posteriorFossa(): void {
    const p = this.#p;
    const v = p.v;
    const x = v[XD]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const c = this.#c;
    const tis = c.tissue;
    const v4 = Math.sqrt(c.anatomy.ventricles.third);
    if (ellipsoidSd(x, y + 40, z + 40, 5.5 * v4, 3.5 * v4, 7 * v4) < 0) {
      this.#csf(A.ventricles);
      return;
    }
    const fol = c.anatomy.folia;
    const shrink = 1 - 0.12 * (fol - 1);
    const ax = Math.abs(x);
    const hemi = ellipsoidSd(ax - 22, y + 50, z + 44, 26 * shrink, 24 * shrink, 18 * shrink);
    const verm = ellipsoidSd(x, y + 48, z + 38, 10 * shrink, 21 * shrink, 17 * shrink);
    const d = Math.min(hemi, verm);
    if (d < 0) {
      const n = this.#noise.at(x * 0.09, y * 0.22 + 3, z * 0.22);
      if (-d < 14 && Math.abs(n) < 0.03 * fol * fol) {
        this.#csf(A.csf);
        return;
      }
      p.out[0] = -d > 9 && ax < 22 && ax > 6 ? tis.wm + 2 : tis.cerebellum;
      p.anat = A.cerebellum;
      return;
    }
    this.#csf(A.csf);
  }

  #csf(label: number): void {
    this.#p.out[0] = this.#c.tissue.csf;
    this.#p.anat = label;
  }
}

/** Whether an anatomy label is brain parenchyma (grey, white, deep grey, cerebellum, brainstem). */
export function isParenchyma(anat: number): boolean {
  return (
    anat === A.grey_matter_left ||
    anat === A.grey_matter_right ||
    anat === A.white_matter_left ||
    anat === A.white_matter_right ||
    anat === A.deep_grey_left ||
    anat === A.deep_grey_right ||
    anat === A.cerebellum ||
    anat === A.brainstem
  );
}

export function isWhite(anat: number): boolean {
  return anat === A.white_matter_left || anat === A.white_matter_right;
}
