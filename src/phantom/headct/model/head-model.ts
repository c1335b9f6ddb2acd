/**
 * The analytic head: classifies one point of the canonical head frame into a density (HU), an
 * anatomy label and a hemorrhage label. This is the field evaluation: it finds the region of the
 * point (air around the head, scalp and face, bone, cranial cavity) and hands it to the part that
 * draws it, with the findings of each region applied in order. Every per-case constant is
 * precomputed in the constructors so that sampling allocates nothing and reads only numbers.
 */

import { Rng } from "../../../random/rng.js";
import { LatticeNoise } from "../../noise.js";
import { CAVITY_CENTER, smoothstep } from "../geometry.js";
import { ANATOMY_LABELS } from "../labels.js";
import type { HeadCtCase } from "../spec.js";
import { Brain } from "./brain.js";
import { BrainLesions } from "./brain-lesions.js";
import { ExtraAxial } from "./extra-axial.js";
import { Face } from "./face.js";
import { HeadShape } from "./head-shape.js";
import { compileLesions } from "./lesions.js";
import { Overlays } from "./overlays.js";
import { Parenchyma, sulcalWidths } from "./parenchyma.js";
import { Probe, SLOT } from "./probe.js";
import { Skull } from "./skull.js";
import { SkullLesions } from "./skull-lesions.js";

// Module constants, which V8 folds into the code (see SLOT).
const A = ANATOMY_LABELS;
const [CCX, CCY, CCZ] = CAVITY_CENTER;
const { ARG1, ARG2, ARG3, ARG4, DEPRESSED, DEPTH, ON, SWELL, SWELL_HU, UX, UY, UZ, X, XD, Y, Z } = SLOT;

export class HeadModel {
  /** The point to classify (slots X, Y, Z of `probe.v`) and the results. */
  readonly probe = new Probe();

  readonly #c: HeadCtCase;
  readonly #noise: LatticeNoise;
  readonly #shape: HeadShape;
  readonly #skull: Skull;
  readonly #face: Face;
  readonly #brain: Brain;
  readonly #skullLesions: SkullLesions;
  readonly #extraAxial: ExtraAxial;
  readonly #brainLesions: BrainLesions;
  readonly #overlays: Overlays;
  /** Midline shift (mm at its centre) and its Gaussian's centre and inverse widths. */
  readonly #shift: number;
  #scx = 0;
  #scy = 0;
  #scz = 0;
  #isx = 0;
  #isy = 0;
  #isz = 0;
  /** Whether any finding reads directions from the cavity centre (skull patches, extra-axial collections). */
  readonly #directions: boolean;
  /** Beam-hardening band amplitude (HU). */
  readonly #streak: number;

  constructor(c: HeadCtCase) {
    this.#c = c;
    const p = this.probe;
    const noise = new LatticeNoise(Rng.stream(c.seed, c.index, 101));
    this.#noise = noise;
    const lesions = compileLesions(c);
    this.#shape = new HeadShape(c, lesions.skull, p);
    this.#skull = new Skull(c, noise, p);
    this.#face = new Face(c, noise, p, this.#skull);
    const widths = sulcalWidths(c);
    this.#brain = new Brain(c, noise, p, new Parenchyma(c, noise, p, widths), widths, lesions.effacers);
    this.#skullLesions = new SkullLesions(lesions.skull, p);
    this.#extraAxial = new ExtraAxial(lesions.extraAxial, noise, p);
    this.#brainLesions = new BrainLesions(c, lesions.brain, noise, p);
    this.#overlays = new Overlays(lesions.overlay, lesions.metal, noise, p);
    this.#shift = c.shift?.mm ?? 0;
    if (c.shift) {
      [this.#scx, this.#scy, this.#scz] = c.shift.center;
      this.#isx = 1 / c.shift.sigma[0];
      this.#isy = 1 / c.shift.sigma[1];
      this.#isz = 1 / c.shift.sigma[2];
    }
    this.#streak = c.scanner.streak;
    this.#directions = lesions.skull.length > 0 || lesions.extraAxial.length > 0;
    noise.configureOctaves(c.anatomy.gyralFrequency, 0.45);
  }

  /**
   * Whether points outside `span` are plain air (−1000 HU, background, no hemorrhage): true unless
   * the case has overlay objects (a catheter or metal may leave the bounding ellipsoids).
   */
  get airOutsideSpan(): boolean {
    return this.#overlays.count === 0;
  }

  /**
   * The index range [out[0], out[1]) of the row of points (x0, y0, z0) + i·(dx, dy, dz),
   * i = 0…n−1, outside which every point is air (see HeadShape.span and airOutsideSpan).
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
    if (this.#overlays.count > 0) {
      out[0] = 0;
      out[1] = n;
      return;
    }
    this.#shape.span(x0, y0, z0, dx, dy, dz, n, out);
  }

  /** Classifies canonical point (x, y, z); results in `probe`. */
  sample(x: number, y: number, z: number): void {
    const v = this.probe.v;
    v[X] = x;
    v[Y] = y;
    v[Z] = z;
    this.samplePoint();
  }

  /** Like `sample`, for the point already stored in `probe.v[X..Z]` (the allocation-free path). */
  samplePoint(): void {
    const p = this.probe;
    const v = p.v;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    p.hem = 0;
    // Cheap rejection of air around the head (implicit bounding ellipsoids, no square roots).
    if (!this.#shape.inBounds()) {
      p.out[0] = -1000;
      p.anat = A.background;
      if (this.#overlays.count > 0) this.#overlays.apply(false);
      return;
    }
    this.#shape.cavity();
    let dC = v[ARG1]!;
    const dC0 = dC;
    let ux = 0;
    let uy = 0;
    let uz = 0;
    let on = 1;
    if (this.#directions && dC > -this.#extraAxial.reach) {
      const ox = x - CCX;
      const oy = y - CCY;
      const oz = z - CCZ;
      on = Math.sqrt(ox * ox + oy * oy + oz * oz) || 1;
      ux = ox / on;
      uy = oy / on;
      uz = oz / on;
    }
    v[UX] = ux;
    v[UY] = uy;
    v[UZ] = uz;
    const sl = this.#skullLesions;
    if (sl.count > 0 && dC > -15) {
      v[ON] = on;
      sl.scan();
    } else sl.clear();
    const scalpSwell = v[SWELL]!;
    const swellHu = v[SWELL_HU]!;
    const depressed = v[DEPRESSED]!;
    // Hyperostosis frontalis thickens the inner table of the frontal bone.
    const hyp = this.#c.diffuse.hyperostosis;
    if (hyp > 0 && y > 25 && z > -15 && dC > -hyp - 1) {
      const w = smoothstep(25, 55, y) * smoothstep(-15, 10, z) * Math.exp(-(x * x) / 1600);
      dC += hyp * w * (0.65 + 0.35 * this.#noise.at(x * 0.12, y * 0.12, z * 0.12 + 3));
    }
    if (depressed > 0) dC += depressed;

    if (dC < 0) {
      v[DEPTH] = -dC;
      v[UX] = ux;
      v[UY] = uy;
      v[UZ] = uz;
      this.#intracranial();
      if (this.#overlays.count > 0) this.#overlays.apply(true);
      return;
    }
    this.#shape.skin();
    const dS = v[ARG1]! - scalpSwell;
    if (dS > 0) {
      p.out[0] = -1000;
      p.anat = A.background;
    } else {
      this.#skull.thickness();
      const t = v[ARG1]!;
      if (dC0 < t - Math.max(depressed, 0) && !sl.gone) {
        if (sl.gap || depressed < 0) {
          // Fracture line or the rim of a depressed fragment: soft tissue fills the gap.
          p.out[0] = 35;
          p.anat = A.scalp;
        } else {
          v[ARG1] = dC;
          v[ARG2] = t - Math.max(depressed, 0) - dC0;
          this.#skull.bone();
        }
      } else {
        v[ARG1] = dC0 - t;
        v[ARG2] = dS;
        v[ARG3] = scalpSwell;
        v[ARG4] = swellHu;
        this.#face.extracranial();
      }
    }
    if (this.#overlays.count > 0) this.#overlays.apply(false);
  }

  /** Inside the cranial cavity, DEPTH mm below the inner table. */
  #intracranial(): void {
    const p = this.probe;
    const v = p.v;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const depth = v[DEPTH]!;
    // Extra-axial collections lie against the inner table and push the brain surface inward.
    if (this.#extraAxial.draw()) return;
    const e = v[ARG1]!;
    // Petrous apex and dense bone still bound the cavity from below.
    if (z < -26 && y < 0 && this.#skull.petrous(x < 0 ? -x : x, y, z)) return;

    // Mass effect: brain structures are sampled at displaced points.
    let xd = x;
    if (this.#shift !== 0) {
      const a = (x - this.#scx) * this.#isx;
      const b = (y - this.#scy) * this.#isy;
      const d = (z - this.#scz) * this.#isz;
      const q = a * a + b * b + d * d;
      if (q < 30) xd = x - this.#shift * Math.exp(-0.5 * q);
    }
    v[XD] = xd;
    v[DEPTH] = depth - e;
    this.#brain.tissue();
    // Beam hardening: a dark band between the petrous bones.
    if (this.#streak !== 0 && z < -24 && z > -56) {
      const by = (y + 24) / 5;
      const bz = (z + 40) / 9;
      p.out[0]! += this.#streak * Math.exp(-by * by - bz * bz) * (1 + 0.5 * Math.sin(x * 0.9));
    }
    if (this.#brainLesions.count > 0) this.#brainLesions.apply();
  }
}
