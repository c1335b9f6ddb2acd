/**
 * The analytic head: classifies one point of the canonical head frame into a density (HU), an
 * anatomy label and a hemorrhage label. Shapes are ellipsoids, capsules and noise-thresholded
 * shells; every per-case constant is precomputed in the constructor so that `sample` allocates
 * nothing and reads only numbers.
 */

import { Rng } from "../../random/rng.js";
import { LatticeNoise } from "../noise.js";
import {
  BRAINSTEM,
  CAV_AXES,
  CAVITY_CENTER,
  capsuleSd,
  cavitySd,
  ellipsoidSd,
  ellipsoidSdInv,
  FACE_AXES,
  FACE_CENTER,
  floorZ,
  inEllipsoid,
  inSegments,
  PETROUS,
  PF_AXES,
  PF_CENTER,
  SYLVIAN,
  segments,
  segmentsSd,
  smoothstep,
  ventricleSegments,
} from "./geometry.js";
import { ANATOMY_LABELS as A, HEMORRHAGE_LABELS as H } from "./labels.js";
import type { HeadCtCase, Lesion, LesionKind, Vec3 } from "./spec.js";

/** Lesion kinds as small integers, so the per-point loop switches on numbers. */
const KIND: Record<LesionKind, number> = {
  edh: 1,
  sdh: 2,
  csf_collection: 3,
  meningioma: 4,
  iph: 5,
  mass: 6,
  colloid: 7,
  calcification: 8,
  air: 9,
  metal: 10,
  infarct: 11,
  encephalomalacia: 12,
  lacune: 13,
  sah: 14,
  ivh: 15,
  edema: 16,
  fracture: 17,
  depressed: 18,
  craniectomy: 19,
  burr_hole: 20,
  scalp_hematoma: 21,
  catheter: 22,
  sulcal_effacement: 23,
};

const HEM_OF: Partial<Record<LesionKind, number>> = {
  edh: H.epidural,
  sdh: H.subdural,
  iph: H.intraparenchymal,
  sah: H.subarachnoid,
  ivh: H.intraventricular,
};

/**
 * Signed distance from (v[QX], v[QY], v[QZ]) to segment `i` of `s` into v[RES], and the position
 * along it (0..1) into v[RES_T]. Everything travels through `v`, so nothing is boxed.
 */
function segmentSdInto(s: Float64Array, i: number, v: Float64Array): void {
  const o = i * 9;
  const wx = v[QX]! - s[o]!;
  const wy = v[QY]! - s[o + 1]!;
  const wz = v[QZ]! - s[o + 2]!;
  const ux = s[o + 3]!;
  const uy = s[o + 4]!;
  const uz = s[o + 5]!;
  let t = (wx * ux + wy * uy + wz * uz) * s[o + 6]!;
  t = t < 0 ? 0 : Math.min(t, 1);
  const dx = wx - ux * t;
  const dy = wy - uy * t;
  const dz = wz - uz * t;
  v[RES] = Math.sqrt(dx * dx + dy * dy + dz * dz) - (s[o + 7]! + (s[o + 8]! - s[o + 7]!) * t);
  v[RES_T] = t;
}

/** Whether (v[QX], v[QY], v[QZ]) lies inside any segment of `s`. */
function inSegmentsAt(s: Float64Array, v: Float64Array): boolean {
  return inSegments(s, v[QX]!, v[QY]!, v[QZ]!);
}

/**
 * Slots of HeadModel's argument array. Doubles passed as arguments to (or stored in fields by) a
 * function V8 does not inline are boxed on the heap; passing them through a Float64Array keeps
 * the per-voxel path allocation-free.
 */
const X = 0;
const Y = 1;
const Z = 2;
const XD = 3;
const DEPTH = 4;
const UX = 5;
const UY = 6;
const UZ = 7;
const EFF = 8;
const ARG1 = 9;
const ARG2 = 10;
const ARG3 = 11;
const ARG4 = 12;
/** Query point and results of the segment helpers. */
const QX = 13;
const QY = 14;
const QZ = 15;
const RES = 16;
const RES_T = 17;

/** One lesion in a flat, monomorphic form for the per-point loop. */
class Compiled {
  kind: number;
  hu: number;
  // blob / bound
  cx = 0;
  cy = 0;
  cz = 0;
  irx = 0;
  iry = 0;
  irz = 0;
  bound2 = 0;
  irregular = 0;
  // edema shell, in units of the normalised radius
  edemaScale = 1;
  edemaDelta = 0;
  coreFraction = 0;
  coreHu = 0;
  // direction patch (extra-axial, skull)
  dx = 0;
  dy = 0;
  dz = 0;
  cosHalf = 1;
  halfAngle = 0;
  thickness = 0;
  profile = 0;
  px = 0;
  py = 0;
  pz = 0;
  width = 0;
  // tube
  pts: Float64Array = new Float64Array(0);
  radius = 0;
  hem = 0;

  constructor(l: Lesion) {
    this.kind = KIND[l.kind];
    this.hu = l.hu;
    this.edemaDelta = l.edemaDelta;
    this.coreFraction = l.coreFraction;
    this.coreHu = l.coreHu;
    const s = l.shape;
    if (s.type === "blob") {
      [this.cx, this.cy, this.cz] = s.center;
      this.irx = 1 / s.radii[0];
      this.iry = 1 / s.radii[1];
      this.irz = 1 / s.radii[2];
      this.irregular = s.irregularity;
      const rmax = Math.max(...s.radii);
      this.edemaScale = 1 + l.edemaMm / rmax;
      const reach = rmax * (1 + s.irregularity) + l.edemaMm + 1;
      this.bound2 = reach * reach;
    } else if (s.type === "tube") {
      this.pts = Float64Array.from(s.points.flat());
      this.radius = s.radius;
      const xs = s.points.map((p) => p[0]);
      const ys = s.points.map((p) => p[1]);
      const zs = s.points.map((p) => p[2]);
      this.cx = (Math.min(...xs) + Math.max(...xs)) / 2;
      this.cy = (Math.min(...ys) + Math.max(...ys)) / 2;
      this.cz = (Math.min(...zs) + Math.max(...zs)) / 2;
      const half =
        Math.hypot(
          Math.max(...xs) - Math.min(...xs),
          Math.max(...ys) - Math.min(...ys),
          Math.max(...zs) - Math.min(...zs),
        ) /
          2 +
        s.radius +
        1;
      this.bound2 = half * half;
    } else {
      const n = Math.hypot(...s.dir);
      this.dx = s.dir[0] / n;
      this.dy = s.dir[1] / n;
      this.dz = s.dir[2] / n;
      this.halfAngle = s.halfAngle;
      this.cosHalf = Math.cos(s.halfAngle);
      if (s.type === "extraAxial") {
        this.thickness = s.thickness;
        this.profile = s.profile === "lens" ? 0 : s.profile === "crescent" ? 1 : 2;
      } else {
        this.thickness = s.depth;
        if (s.plane) {
          const m = Math.hypot(...s.plane);
          this.px = s.plane[0] / m;
          this.py = s.plane[1] / m;
          this.pz = s.plane[2] / m;
        }
        this.width = s.width ?? 0;
      }
    }
    this.hem = HEM_OF[l.kind] ?? 0;
  }

  /**
   * Normalised blob radius (1 on the outline, noise-perturbed) at (v[xs], v[Y], v[Z]), or Infinity
   * out of bounds. Coordinates come through the argument array (see X…RES_T) so nothing is boxed.
   */
  blobR(v: Float64Array, xs: number, noise: LatticeNoise): number {
    const x = v[xs]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const ox = x - this.cx;
    const oy = y - this.cy;
    const oz = z - this.cz;
    if (ox * ox + oy * oy + oz * oz > this.bound2) return Number.POSITIVE_INFINITY;
    const ex = ox * this.irx;
    const ey = oy * this.iry;
    const ez = oz * this.irz;
    const r = Math.sqrt(ex * ex + ey * ey + ez * ez);
    if (this.irregular === 0) return r;
    return r / (1 + this.irregular * noise.at(x * 0.2 + this.cx, y * 0.2, z * 0.2 + 7.3));
  }

  /** Signed distance to the tube at (v[X], v[Y], v[Z]), or Infinity out of bounds. */
  tubeSd(v: Float64Array): number {
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const ox = x - this.cx;
    const oy = y - this.cy;
    const oz = z - this.cz;
    if (ox * ox + oy * oy + oz * oz > this.bound2) return Number.POSITIVE_INFINITY;
    const p = this.pts;
    let d = Number.POSITIVE_INFINITY;
    for (let i = 0; i + 5 < p.length; i += 3) {
      const s = capsuleSd(
        x,
        y,
        z,
        p[i]!,
        p[i + 1]!,
        p[i + 2]!,
        p[i + 3]!,
        p[i + 4]!,
        p[i + 5]!,
        this.radius,
        this.radius,
      );
      if (s < d) d = s;
    }
    return d;
  }

  /** 0..1 position within the direction patch (0 = centre, 1 = rim) of direction v[UX..UZ], or -1 outside. */
  patchU(v: Float64Array): number {
    const c = v[UX]! * this.dx + v[UY]! * this.dy + v[UZ]! * this.dz;
    if (c < this.cosHalf) return -1;
    return Math.acos(Math.min(1, c)) / this.halfAngle;
  }
}

function isParenchyma(anat: number): boolean {
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

function isWhite(anat: number): boolean {
  return anat === A.white_matter_left || anat === A.white_matter_right;
}

export class HeadModel {
  /** Outputs of the last `sample` call (density in `out[0]`). */
  /**
   * Density of the last sample, in a typed array: a double stored in an object field is boxed on
   * every write, which at millions of samples per scan is most of the garbage.
   */
  readonly out = new Float64Array(1);
  /** The point to sample (x, y, z in slots 0..2) and the per-voxel arguments of the private steps. */
  readonly point = new Float64Array(18);
  anat = 0;
  hem = 0;

  get hu(): number {
    return this.out[0]!;
  }

  readonly #c: HeadCtCase;
  readonly #noise: LatticeNoise;
  readonly #extra: Compiled[];
  readonly #skull: Compiled[];
  readonly #brain: Compiled[];
  readonly #any: Compiled[];
  readonly #effacers: Compiled[];
  #skinGrow: number;
  #vl: number;
  #vr: number;
  #sulc: number;
  #gmBand: number;
  #csfBand: number;
  #freq: number;
  #shift: number;
  #scx = 0;
  #scy = 0;
  #scz = 0;
  #isx = 0;
  #isy = 0;
  #isz = 0;
  #streak: number;
  #metal: Compiled[];
  #bounds: Float64Array;
  /** Inverse semi-axes of the three skin ellipsoids (cranium, posterior fossa, face). */
  #skinInv: Float64Array;
  #directionReach: number;
  /** Left and right lateral ventricle segments (see ventricleSegments). */
  #ventricles: [Float64Array, Float64Array];
  #choroid: [Float64Array, Float64Array];

  constructor(c: HeadCtCase) {
    this.#c = c;
    this.#noise = new LatticeNoise(Rng.stream(c.seed, c.index, 101));
    const compiled = c.lesions.map((l) => new Compiled(l));
    const k = (names: LesionKind[]) => compiled.filter((l) => names.some((n) => KIND[n] === l.kind));
    this.#extra = k(["edh", "sdh", "csf_collection", "meningioma"]);
    this.#skull = k(["fracture", "depressed", "craniectomy", "burr_hole", "scalp_hematoma"]);
    this.#any = k(["metal", "catheter", "air"]);
    this.#metal = k(["metal"]);
    this.#effacers = k(["sulcal_effacement"]);
    this.#brain = k([
      "iph",
      "mass",
      "colloid",
      "calcification",
      "infarct",
      "encephalomalacia",
      "lacune",
      "sah",
      "ivh",
      "edema",
    ]);
    this.#skinGrow = c.anatomy.skullThickness + c.anatomy.scalpThickness;
    this.#vl = c.anatomy.ventricles.left;
    this.#vr = c.anatomy.ventricles.right;
    const eff = 1 - c.diffuse.sulcalEffacement;
    this.#sulc = c.anatomy.sulcalWidth * eff;
    this.#gmBand = 0.3;
    this.#csfBand = c.anatomy.csfBand * (0.25 + 0.75 * eff);
    this.#freq = c.anatomy.gyralFrequency;
    this.#shift = c.shift?.mm ?? 0;
    if (c.shift) {
      [this.#scx, this.#scy, this.#scz] = c.shift.center;
      this.#isx = 1 / c.shift.sigma[0];
      this.#isy = 1 / c.shift.sigma[1];
      this.#isz = 1 / c.shift.sigma[2];
    }
    this.#streak = c.scanner.streak;
    const m =
      this.#skinGrow + 3 + Math.max(0, ...this.#skull.filter((l) => l.kind === 21).map((l) => l.thickness));
    const ell = (cen: Vec3, ax: Vec3, grow: number) => [...cen, ...ax.map((a) => 1 / (a + grow))];
    this.#bounds = Float64Array.from([
      ...ell(CAVITY_CENTER, CAV_AXES, m),
      ...ell(PF_CENTER, PF_AXES, m),
      ...ell(FACE_CENTER, FACE_AXES, m - this.#skinGrow),
    ]);
    const g = this.#skinGrow;
    this.#skinInv = Float64Array.from([
      ...CAV_AXES.map((a) => 1 / (a + g)),
      ...PF_AXES.map((a) => 1 / (a + g)),
      ...FACE_AXES.map((a) => 1 / a),
    ]);
    this.#directionReach = 2 + Math.max(15, ...this.#extra.map((l) => l.thickness + 1));
    this.#ventricles = [ventricleSegments(this.#vl), ventricleSegments(this.#vr)];
    const choroid = (vs: number) => {
      const sp = 1 + 0.25 * (vs - 1);
      return segments([[[16 * sp, -20, 13], [21 * sp, -32, 11], 2.5, 3.5]]);
    };
    this.#choroid = [choroid(this.#vl), choroid(this.#vr)];
    this.#noise.configureOctaves(this.#freq, 0.45);
  }

  /** Classifies canonical point (x, y, z); results in `hu`, `anat`, `hem`. */
  sample(x: number, y: number, z: number): void {
    const v = this.point;
    v[X] = x;
    v[Y] = y;
    v[Z] = z;
    this.samplePoint();
  }

  /** Like `sample`, for the point already stored in `point[0..2]` (the allocation-free path). */
  samplePoint(): void {
    const v = this.point;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    this.hem = 0;
    // Cheap rejection of air around the head (implicit bounding ellipsoids, no square roots).
    if (!this.#inBounds()) {
      this.out[0] = -1000;
      this.anat = A.background;
      if (this.#any.length > 0) this.#overlay(false);
      return;
    }
    this.#cavity();
    let dC = v[ARG1]!;
    const dC0 = dC;
    let ux = 0;
    let uy = 0;
    let uz = 0;
    let on = 1;
    if (dC > -this.#directionReach) {
      const ox = x - CAVITY_CENTER[0];
      const oy = y - CAVITY_CENTER[1];
      const oz = z - CAVITY_CENTER[2];
      on = Math.sqrt(ox * ox + oy * oy + oz * oz) || 1;
      ux = ox / on;
      uy = oy / on;
      uz = oz / on;
    }
    v[UX] = ux;
    v[UY] = uy;
    v[UZ] = uz;
    let scalpSwell = 0;
    let depressed = 0;
    let skullGone = false;
    let fractureGap = false;
    let swellHu = 0;
    if (this.#skull.length > 0 && dC > -15) {
      for (const l of this.#skull) {
        const u = l.patchU(v);
        if (u < 0) continue;
        if (l.kind === 21) {
          const s = l.thickness * (1 - u * u);
          if (s > scalpSwell) {
            scalpSwell = s;
            swellHu = l.hu;
          }
        } else if (l.kind === 18) {
          depressed = u > 0.88 ? -1 : l.thickness;
        } else if (l.kind === 19 || l.kind === 20) {
          skullGone = true;
        } else if (l.kind === 17) {
          const d = (x - l.dx * on) * l.px + (y - l.dy * on) * l.py + (z - l.dz * on) * l.pz;
          if (d < l.width && d > -l.width) fractureGap = true;
        }
      }
    }
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
      if (this.#any.length > 0) this.#overlay(true);
      return;
    }
    this.#skin();
    const dS = v[ARG1]! - scalpSwell;
    if (dS > 0) {
      this.out[0] = -1000;
      this.anat = A.background;
    } else {
      this.#skullThickness();
      const t = v[ARG1]!;
      if (dC0 < t - Math.max(depressed, 0) && !skullGone) {
        if (fractureGap || depressed < 0) {
          this.out[0] = 35;
          this.anat = A.scalp;
        } else {
          v[ARG1] = dC;
          v[ARG2] = t - Math.max(depressed, 0) - dC0;
          this.#bone();
        }
      } else {
        v[ARG1] = dC0 - t;
        v[ARG2] = dS;
        v[ARG3] = scalpSwell;
        v[ARG4] = swellHu;
        this.#extracranial();
      }
    }
    if (this.#any.length > 0) this.#overlay(false);
  }

  /** Signed distance to the skin (before scalp swelling) into ARG1. */
  #skin(): void {
    const v = this.point;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const k = this.#skinInv;
    const a = ellipsoidSdInv(
      x - CAVITY_CENTER[0],
      y - CAVITY_CENTER[1],
      z - CAVITY_CENTER[2],
      k[0]!,
      k[1]!,
      k[2]!,
    );
    const b = ellipsoidSdInv(x - PF_CENTER[0], y - PF_CENTER[1], z - PF_CENTER[2], k[3]!, k[4]!, k[5]!);
    const c = ellipsoidSdInv(x - FACE_CENTER[0], y - FACE_CENTER[1], z - FACE_CENTER[2], k[6]!, k[7]!, k[8]!);
    v[ARG1] = Math.min(a, b, c);
  }

  /**
   * cavitySd of the current point into ARG1: a call without double arguments or a double result,
   * so nothing is boxed even when V8 does not inline it.
   */
  #cavity(): void {
    const v = this.point;
    v[ARG1] = cavitySd(v[X]!, v[Y]!, v[Z]!);
  }

  /** Inside the head's bounding ellipsoids (skin plus scalp swelling plus a margin)? */
  #inBounds(): boolean {
    const v = this.point;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const b = this.#bounds;
    for (let i = 0; i < 18; i += 6) {
      const px = (x - b[i]!) * b[i + 3]!;
      const py = (y - b[i + 1]!) * b[i + 4]!;
      const pz = (z - b[i + 2]!) * b[i + 5]!;
      if (px * px + py * py + pz * pz < 1) return true;
    }
    return false;
  }

  /** Skull thickness (mm) at the current point into ARG1. */
  #skullThickness(): void {
    const v = this.point;
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

  #bone(): void {
    const v = this.point;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const fromInner = v[ARG1]!;
    const fromOuter = v[ARG2]!;
    const tis = this.#c.tissue;
    this.anat = A.skull;
    // Frontal sinus air inside the thick frontal bone.
    if (y > 70) {
      // Frontal sinus: two lobulated cells either side of a thin septum.
      const ax = x < 0 ? -x : x;
      const s = ellipsoidSd(ax - 7, y - 87, z - 10 - 0.15 * ax, 7.5, 4, 8.5);
      if (s < 0 && ax > 0.8 && this.#noise.at(x * 0.35, y * 0.35, z * 0.35 + 19) > -0.35) {
        this.#sinus(s, y, 87, 4);
        return;
      }
    }
    // Sutures: thin lucent lines across the vault.
    if (z > -5) {
      const cor = y - 14 + 0.12 * z - 1.2 * Math.sin(x * 0.7);
      const sag = x - 0.9 * Math.sin(y * 0.7);
      const lam = y + 66 - 0.5 * (z - 30) - 1.2 * Math.sin(x * 0.6);
      if (
        Math.abs(cor) < 0.45 ||
        (y < 14 && y > -66 && z > 35 && Math.abs(sag) < 0.45) ||
        (y < -40 && Math.abs(lam) < 0.45)
      ) {
        this.out[0] = 160;
        return;
      }
    }
    if (fromInner < 1.5 || fromOuter < 1.8) {
      this.#noise.scaledInto(v, X, Y, Z, 0.3, 0, RES);
      this.out[0] = tis.cortical * (0.85 + 0.1 * v[RES]!);
    } else {
      this.#noise.scaledInto(v, X, Y, Z, 0.5, 11, RES);
      this.out[0] = tis.diploe * (1 + 0.45 * v[RES]!);
    }
  }

  /** Sinus contents: air, mucosal lining, or dependent (posterior) fluid. */
  #sinus(sd: number, y: number, cy: number, ry: number): void {
    const d = this.#c.diffuse;
    this.anat = A.sinus_air;
    if (d.sinusMucosa > 0 && sd > -d.sinusMucosa) {
      this.out[0] = 30;
      this.anat = A.orbit_face;
    } else if (d.sinusFluid > 0 && y < cy - ry + 2 * ry * d.sinusFluid) {
      this.out[0] = 18;
      this.anat = A.orbit_face;
    } else {
      this.out[0] = -1000;
    }
  }

  #extracranial(): void {
    const v = this.point;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const fromBone = v[ARG1]!;
    const dS = v[ARG2]!;
    const swell = v[ARG3]!;
    const swellHu = v[ARG4]!;
    const tis = this.#c.tissue;
    this.anat = A.scalp;
    if (swell > 0 && fromBone < 0.5 * this.#c.anatomy.scalpThickness + swell) {
      this.out[0] = swellHu;
      return;
    }
    // Deep face and skull base: orbits, sphenoid sinus, petrous bones and mastoids.
    if (z < -12) {
      const ax = Math.abs(x);
      if (y > 40) {
        const g = ellipsoidSd(ax - 31, y - 66, z + 30, 11.5, 11.5, 11.5);
        const f = ellipsoidSd(ax - 30, y - 60, z + 30, 17, 20, 15);
        if (g < 0) {
          this.out[0] = g > -1.2 ? 45 : 10;
          this.anat = A.orbit_face;
          return;
        }
        if (f < 0) {
          this.out[0] = tis.fat;
          this.anat = A.orbit_face;
          return;
        }
        if (f < 2.5 && y < 80) {
          this.#boneTexture();
          return;
        }
      }
      if (z < -40 && y > 30) {
        const max = ellipsoidSd(ax - 24, y - 56, z + 56, 13, 15, 14);
        if (max < 0) {
          this.#sinus(max, y, 56, 15);
          return;
        }
        if (max < 2) {
          this.#boneTexture();
          return;
        }
        if (ax < 9 && y > 40 && y < 92) {
          this.anat = A.sinus_air;
          const turb = ax > 3 && this.#noise.at(ax * 0.3, y * 0.1, z * 0.3 + 13) > 0.1;
          this.out[0] = ax < 1 ? 500 : turb ? 60 : -950;
          return;
        }
      }
      const sph = ellipsoidSd(x, y - 22, z + 46, 12, 10, 9);
      if (sph < 0) {
        this.#sinus(sph, y, 22, 10);
        return;
      }
      if (sph < 1.5) {
        this.#boneTexture();
        return;
      }
      const eth = ellipsoidSd(x, y - 52, z + 30, 9, 16, 10);
      if (eth < 0) {
        this.anat = A.sinus_air;
        this.out[0] = this.#noise.at(x * 0.45, y * 0.45, z * 0.45) > -0.05 ? -900 : 400;
        return;
      }
      if (this.#petrous(ax, y, z)) return;
      this.out[0] = tis.muscle;
      this.anat = A.orbit_face;
      return;
    }
    // Scalp: skin and galea around a subcutaneous fat layer; temporalis muscle on the sides.
    const depth = -dS;
    if (depth > 1.2 && depth < 3.2 && fromBone > 1) {
      this.out[0] = tis.fat;
    } else {
      this.out[0] = Math.abs(x) > 50 && z < 25 ? tis.muscle : tis.scalp;
    }
  }

  #boneTexture(): void {
    this.anat = A.skull;
    const v = this.point;
    this.#noise.scaledInto(v, X, Y, Z, 0.5, 5, RES);
    this.out[0] = this.#c.tissue.diploe * (1.3 + 0.4 * v[RES]!);
  }

  /** Petrous ridges (dense) and mastoid air cells; true when the point is one of them. */
  #petrous(ax: number, y: number, z: number): boolean {
    if (z > -26 || y > 0) return false;
    const m = ellipsoidSd(ax - 50, y + 30, z + 48, 10, 12, 13);
    if (m < 0) {
      this.anat = A.skull;
      this.out[0] = this.#noise.at(ax * 0.6, y * 0.6, z * 0.6 + 9) > 0 ? -850 : 900;
      if (this.out[0] < 0) this.anat = A.sinus_air;
      return true;
    }
    const v = this.point;
    v[QX] = ax;
    v[QY] = y;
    v[QZ] = z;
    segmentSdInto(PETROUS, 0, v);
    if (v[RES]! < 0) {
      this.anat = A.skull;
      this.out[0] = this.#c.tissue.cortical * 1.1;
      return true;
    }
    return false;
  }

  #intracranial(): void {
    const v = this.point;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const depth = v[DEPTH]!;
    // Extra-axial collections lie against the inner table and push the brain surface inward.
    let e = 0;
    if (depth < this.#directionReach) {
      for (const l of this.#extra) {
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
          this.out[0] = l.kind === 3 ? l.hu : l.hu + 5 * this.#noise.at(x * 0.25, y * 0.25 + 11, z * 0.25);
          this.hem = l.hem;
          this.anat = l.kind === 3 ? A.csf : A.lesion;
          return;
        }
        if (th > e) e = th;
      }
    }
    // Petrous apex and dense bone still bound the cavity from below.
    if (z < -26 && y < 0 && this.#petrous(x < 0 ? -x : x, y, z)) return;

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
    this.#brainTissue();
    // Beam hardening: a dark band between the petrous bones.
    if (this.#streak !== 0 && z < -24 && z > -56) {
      const by = (y + 24) / 5;
      const bz = (z + 40) / 9;
      this.out[0]! += this.#streak * Math.exp(-by * by - bz * bz) * (1 + 0.5 * Math.sin(x * 0.9));
    }
    if (this.#brain.length > 0) this.#brainLesions();
  }

  /** Brain at displaced point (XD, Y, Z), DEPTH mm below the brain surface. */
  #brainTissue(): void {
    const v = this.point;
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
        this.out[0] = tis.brainstem;
        this.anat = A.brainstem;
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
          this.out[0] = tis.dura;
          this.anat = A.dura;
          return;
        }
        if (z <= zt - 0.7) {
          this.#posteriorFossa();
          return;
        }
      }
    }

    // Falx and interhemispheric fissure, which move with the midline.
    const fy = y / 78;
    const falxEdge = 26 - 40 * fy * fy;
    if (z > falxEdge - 5 && ax < 4) {
      if (ax < 0.55 && z > falxEdge) {
        this.out[0] = tis.dura;
        this.anat = A.dura;
        const fc = c.diffuse.calcification.falx;
        if (fc > 0 && y > -20 && y < 40 && z > 40 && this.#noise.at(y * 0.15, z * 0.15, 17) > 0.15)
          this.out[0] = fc;
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
      if (inSegmentsAt(seg, v)) {
        const cav = an.cavum;
        // Septum pellucidum between the frontal horns (or a cavum within it).
        if (ax < 0.5 + cav && y > -8 && z > 4) {
          if (cav > 0 && ax < cav && y > 0 && y < 26) {
            this.#csf(A.csf);
            return;
          }
          this.out[0] = tis.wm;
          this.anat = right ? A.white_matter_right : A.white_matter_left;
          return;
        }
        const vs = right ? this.#vr : this.#vl;
        const _spread = 1 + 0.25 * (vs - 1);
        segmentSdInto(this.#choroid[right ? 1 : 0]!, 0, v);
        const ch = v[RES]!;
        if (ch < 0) {
          const cc = c.diffuse.calcification.choroid;
          this.out[0] = cc > 0 && ch < -1 ? cc : 32;
          this.anat = A.ventricles;
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
        this.out[0] = pc;
        this.anat = A.lesion;
        return;
      }
      // Periventricular white matter disease: patchy hypodensity near the ventricles.
      if (c.diffuse.svdDelta !== 0) {
        const dv = segmentsSd(seg, ax, y, z); // only with small-vessel disease
        if (dv < 14) {
          v[EFF] = eff;
          this.#tissueAt();
          if (isWhite(this.anat)) {
            const n = this.#noise.at(x * 0.18, y * 0.18, z * 0.18 + 21);
            const w = dv < 4 ? 1 : n > -0.1 ? 1 - (dv - 4) / 10 : 0;
            this.out[0]! += c.diffuse.svdDelta * w;
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
    this.#tissueAt();
    if (c.diffuse.svdDelta !== 0 && z > 10 && isWhite(this.anat)) {
      const n = this.#noise.at(x * 0.2, y * 0.2, z * 0.2 + 31);
      if (n > 0.25) this.out[0]! += c.diffuse.svdDelta * Math.min(1, (n - 0.25) * 4);
    }
  }

  #csf(label: number): void {
    this.out[0] = this.#c.tissue.csf;
    this.anat = label;
  }

  /** Deep grey nuclei, cortex with sulci, and white matter. */
  #tissueAt(): void {
    const v = this.point;
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
        this.out[0] = tis.deepGm;
        this.anat = right ? A.deep_grey_right : A.deep_grey_left;
        const bg = c.diffuse.calcification.basalGanglia;
        if (bg > 0 && lent && inEllipsoid(ax - 19, y - 2, z - 1, 2.5, 4.5, 3.5)) this.out[0] = bg;
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
        this.out[0] = tis.gm;
        this.anat = right ? A.grey_matter_right : A.grey_matter_left;
        return;
      }
    }
    this.out[0] = tis.wm;
    this.anat = right ? A.white_matter_right : A.white_matter_left;
  }

  #posteriorFossa(): void {
    const v = this.point;
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
      this.out[0] = -d > 9 && ax < 22 && ax > 6 ? tis.wm + 2 : tis.cerebellum;
      this.anat = A.cerebellum;
      return;
    }
    this.#csf(A.csf);
  }

  /** Lesions inside the brain, applied over the tissue they replace or modify. */
  #brainLesions(): void {
    const v = this.point;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    const tis = this.#c.tissue;
    for (const l of this.#brain) {
      const k = l.kind;
      const r = l.blobR(v, k === 14 || k === 15 || k === 16 || k === 11 || k === 12 ? XD : X, this.#noise);
      if (r === Number.POSITIVE_INFINITY) continue;
      const anat = this.anat;
      const paren = isParenchyma(anat);
      switch (k) {
        case 5: // hemorrhage with an edema rim
          if (r < 1 && anat !== A.skull) {
            this.out[0] = l.hu + 5 * this.#noise.at(x * 0.3 + 4, y * 0.3, z * 0.3);
            this.hem = l.hem;
            this.anat = A.lesion;
          } else if (r < l.edemaScale && paren) this.out[0]! += l.edemaDelta;
          break;
        case 6: // mass, possibly necrotic, with vasogenic (white-matter) edema
          if (r < 1 && (paren || anat === A.csf || anat === A.ventricles)) {
            this.out[0] = r < l.coreFraction ? l.coreHu : l.hu;
            this.anat = A.lesion;
          } else if (r < l.edemaScale && isWhite(anat)) this.out[0]! += l.edemaDelta;
          break;
        case 7:
        case 8:
          if (r < 1 && anat !== A.skull) {
            this.out[0] = l.hu;
            this.anat = A.lesion;
          }
          break;
        case 11: // territorial hypodensity (acute infarct): grey matter loses most
          if (r < 1 && paren) {
            const gm =
              anat === A.grey_matter_left ||
              anat === A.grey_matter_right ||
              anat === A.deep_grey_left ||
              anat === A.deep_grey_right;
            this.out[0]! += l.hu * (gm ? 1.4 : 1) * Math.min(1, (1 - r) * 4);
          }
          break;
        case 12: // chronic infarct / encephalomalacia: tissue replaced by near-CSF density
          if (r < 1 && (paren || anat === A.csf)) {
            this.out[0] = r > 0.85 ? (this.out[0] + l.hu) / 2 : l.hu;
            this.anat = A.lesion;
          }
          break;
        case 13: // lacune
          if (r < 1 && paren) {
            this.out[0] = l.hu;
            this.anat = A.lesion;
          }
          break;
        case 14: // subarachnoid blood fills sulci and cisterns
          if (r < 1 && anat === A.csf) {
            this.out[0] = tis.csf + (l.hu - tis.csf) * Math.min(1, (1 - r) * 3);
            this.hem = l.hem;
          }
          break;
        case 15: // intraventricular blood layers dependently (posteriorly, patient supine)
          if (anat === A.ventricles && r < 1 && y < l.cy) {
            this.out[0] = l.hu;
            this.hem = l.hem;
          }
          break;
        case 16: // edema: white matter more than grey
          if (r < 1 && paren) this.out[0]! += l.hu * (isWhite(anat) ? 1 : 0.4) * Math.min(1, (1 - r) * 3);
          break;
      }
    }
  }

  /** Objects that override anything: air bubbles, metal, catheters. */
  #overlay(intracranial: boolean): void {
    const v = this.point;
    const x = v[X]!;
    const y = v[Y]!;
    const z = v[Z]!;
    for (const l of this.#any) {
      if (l.kind === 22) {
        if (l.tubeSd(v) < 0) {
          this.out[0] = l.hu;
          this.anat = A.lesion;
          this.hem = 0;
        }
      } else if (l.blobR(v, X, this.#noise) < 1) {
        if (l.kind === 9 && !intracranial) continue;
        this.out[0] = l.hu;
        this.anat = A.lesion;
        this.hem = 0;
      }
    }
    if (this.#metal.length > 0 && this.anat !== A.background) {
      for (const l of this.#metal) {
        const dx = x - l.cx;
        const dy = y - l.cy;
        const dz = z - l.cz;
        const r2 = dx * dx + dy * dy;
        if (Math.abs(dz) > 6 || r2 > 8100 || r2 < 4) continue;
        const ang = Math.atan2(dy, dx);
        this.out[0]! +=
          260 * Math.cos(9 * ang + 1.3) ** 9 * Math.exp(-Math.sqrt(r2) / 25) * (1 - Math.abs(dz) / 6);
      }
    }
  }
}
