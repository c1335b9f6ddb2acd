/**
 * Findings on the skull and scalp, as patches of the skull surface around a direction from the
 * cavity centre: scalp hematoma (swelling of the skin), depressed fragment (inner table pushed
 * inward, a lucent rim), craniectomy and burr hole (bone removed), and fracture (a lucent plane).
 * The scan only reports what the patches do at the probe; the head model draws the consequences.
 */

import type { CompiledLesion } from "./lesions.js";
import { type Probe, SLOT } from "./probe.js";

// Module constants, which V8 folds into the code (see SLOT).
const { DEPRESSED, ON, SWELL, SWELL_HU, X, Y, Z } = SLOT;

export class SkullLesions {
  readonly #p: Probe;
  readonly #lesions: readonly CompiledLesion[];
  /** Bone removed here (craniectomy, burr hole). */
  gone = false;
  /** Inside a fracture line. */
  gap = false;

  constructor(lesions: readonly CompiledLesion[], probe: Probe) {
    this.#lesions = lesions;
    this.#p = probe;
  }

  get count(): number {
    return this.#lesions.length;
  }

  /** No skull finding at the probe. */
  clear(): void {
    const v = this.#p.v;
    v[SWELL] = 0;
    v[SWELL_HU] = 0;
    v[DEPRESSED] = 0;
    this.gone = false;
    this.gap = false;
  }

  /**
   * The patches at the probe point, seen along direction (UX, UY, UZ) at distance ON from the
   * cavity centre: SWELL (mm) and SWELL_HU of the thickest scalp hematoma, DEPRESSED (inward shift
   * in mm, −1 in the fragment's rim gap), and the `gone` and `gap` flags.
   */
  scan(): void {
    const v = this.#p.v;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const on = v[ON]!;
    let scalpSwell = 0;
    let depressed = 0;
    let skullGone = false;
    let fractureGap = false;
    let swellHu = 0;
    for (const l of this.#lesions) {
      const u = l.patchU(v);
      if (u < 0) continue;
      if (l.kind === 21) {
        // scalp hematoma
        const s = l.thickness * (1 - u * u);
        if (s > scalpSwell) {
          scalpSwell = s;
          swellHu = l.hu;
        }
      } else if (l.kind === 18) {
        // depressed fragment
        depressed = u > 0.88 ? -1 : l.thickness;
      } else if (l.kind === 19 || l.kind === 20) {
        // craniectomy, burr hole
        skullGone = true;
      } else if (l.kind === 17) {
        // fracture plane through the patch
        const d = (x - l.dx * on) * l.px + (y - l.dy * on) * l.py + (z - l.dz * on) * l.pz;
        if (d < l.width && d > -l.width) fractureGap = true;
      }
    }
    v[SWELL] = scalpSwell;
    v[SWELL_HU] = swellHu;
    v[DEPRESSED] = depressed;
    this.gone = skullGone;
    this.gap = fractureGap;
  }
}
