/**
 * The description of one synthetic head CT: everything the renderer needs, sampled once from the
 * scan's random stream. Coordinates are in the canonical head frame (mm, RAS: +x right,
 * +y anterior, +z superior, origin near the foramina of Monro) before head-size scaling.
 */

export type Difficulty = "easy" | "default" | "hard";
export type Vec3 = [number, number, number];

export interface DifficultyKnobs {
  /** Multiplies lesion sizes. */
  size: number;
  /** Multiplies lesion density differences from the tissue they replace. */
  contrast: number;
  /** Multiplies image noise. */
  noise: number;
  /** Multiplies pose variation. */
  pose: number;
}

export const DIFFICULTY: Readonly<Record<Difficulty, DifficultyKnobs>> = Object.freeze({
  easy: { size: 1.3, contrast: 1.4, noise: 0.6, pose: 0.5 },
  default: { size: 1, contrast: 1, noise: 1, pose: 1 },
  hard: { size: 0.75, contrast: 0.65, noise: 1.5, pose: 1.3 },
});

export interface Pose {
  /** Rotations (radians) about z (yaw), x (pitch/tilt) and y (roll). */
  yaw: number;
  pitch: number;
  roll: number;
  /** Head-frame origin in scanner coordinates (mm). */
  offset: Vec3;
}

export interface ScannerParams {
  /**
   * Quantum noise SD (HU, before the kernel blur) for a 1 × 1 × 5 mm voxel; the renderer scales
   * it by 1/√(voxel volume), as photon statistics do.
   */
  noiseSd: number;
  /** In-plane reconstruction-kernel blur SD (mm). */
  blurMm: number;
  /** Amplitude of beam-hardening streaks between dense bones (HU, negative = dark). */
  streak: number;
}

export interface Tissue {
  gm: number;
  wm: number;
  csf: number;
  deepGm: number;
  cerebellum: number;
  brainstem: number;
  blood: number;
  scalp: number;
  fat: number;
  muscle: number;
  cortical: number;
  diploe: number;
  dura: number;
}

export interface Anatomy {
  /** Head size factors along x, y, z. */
  scale: Vec3;
  skullThickness: number;
  scalpThickness: number;
  /** Lateral ventricle size (left, right) and third/fourth ventricle factor. */
  ventricles: { left: number; right: number; third: number };
  /** Sulcal CSF half-width in noise units (atrophy widens it). */
  sulcalWidth: number;
  /** Subarachnoid CSF band under the inner table (mm). */
  csfBand: number;
  /** Basal cistern size factor (0 = effaced). */
  cisterns: number;
  /** Cerebellar fissure width factor. */
  folia: number;
  /** Cavum septum pellucidum half-width (mm, 0 = absent). */
  cavum: number;
  /** Gyral pattern frequency (1/mm). */
  gyralFrequency: number;
}

/** Diffuse changes, one knob per finding that acts on the whole brain. */
export interface Diffuse {
  /** Sulcal effacement (global): 0..1 fraction of sulcal width removed. */
  sulcalEffacement: number;
  /** Grey–white contrast loss and diffuse hypodensity (cerebral edema), HU. */
  edemaDelta: number;
  /** Periventricular / deep white matter hypodensity (small-vessel disease), HU. */
  svdDelta: number;
  /** Frontal inner-table thickening (hyperostosis frontalis), mm. */
  hyperostosis: number;
  /** Sinuses: mucosal thickening (mm) and air–fluid level (fraction of sinus depth filled). */
  sinusMucosa: number;
  sinusFluid: number;
  calcification: { basalGanglia: number; pineal: number; choroid: number; falx: number; vascular: number };
  /** Hyperdense MCA: HU of the (left or right) M1 segment, 0 = normal vessel. */
  hyperdenseArtery: number;
}

export type LesionShape =
  /** Lens/crescent on the inner table: EDH, SDH, arachnoid cyst, meningioma. */
  | {
      type: "extraAxial";
      dir: Vec3;
      halfAngle: number;
      thickness: number;
      profile: "lens" | "crescent" | "dome";
    }
  /** Irregular ellipsoid. */
  | { type: "blob"; center: Vec3; radii: Vec3; irregularity: number }
  /** Capsule chain (catheter, vessel). */
  | { type: "tube"; points: Vec3[]; radius: number }
  /** Patch of the skull surface around a direction (fracture, craniectomy, burr hole, scalp). */
  | { type: "skullPatch"; dir: Vec3; halfAngle: number; depth: number; plane?: Vec3; width?: number };

export type LesionKind =
  | "edh"
  | "sdh"
  | "csf_collection"
  | "meningioma"
  | "iph"
  | "mass"
  | "colloid"
  | "calcification"
  | "air"
  | "metal"
  | "infarct"
  | "encephalomalacia"
  | "lacune"
  | "sah"
  | "ivh"
  | "edema"
  | "fracture"
  | "depressed"
  | "craniectomy"
  | "burr_hole"
  | "scalp_hematoma"
  | "catheter"
  | "sulcal_effacement";

export interface Lesion {
  kind: LesionKind;
  /** The finding this lesion renders (for truth, reports and tests). */
  finding: string;
  shape: LesionShape;
  /** Density of the lesion (HU), or the HU change for kinds that modify tissue. */
  hu: number;
  /** Edema around the lesion: extra radius (mm) and HU change; 0 when none. */
  edemaMm: number;
  edemaDelta: number;
  /** Necrotic/cystic core fraction of the radius and its HU (masses). */
  coreFraction: number;
  coreHu: number;
  /** Relative conspicuity 0..1 (size × contrast), used for hedged report wording. */
  conspicuity: number;
  /** Words for the report: side and site. */
  side: "left" | "right" | "midline" | "bilateral";
  site: string;
  sizeMm: number;
}

export interface MidlineShift {
  /** Shift at the septum (mm), positive = towards the right. */
  mm: number;
  center: Vec3;
  sigma: Vec3;
}

export interface HeadCtCase {
  id: string;
  seed: number;
  index: number;
  difficulty: Difficulty;
  pose: Pose;
  scanner: ScannerParams;
  tissue: Tissue;
  anatomy: Anatomy;
  diffuse: Diffuse;
  shift: MidlineShift | null;
  lesions: Lesion[];
  /** Findings rendered (renderable names, closed under the hierarchy). */
  findings: string[];
  /** Findings the report mentions with a hedge although absent ("cannot exclude …"). */
  hedgedNegatives: string[];
}
