/**
 * The probe: the point the head model classifies, the arguments its per-voxel steps pass each
 * other, and what it found there (density, anatomy label, hemorrhage label).
 *
 * Doubles passed as arguments to (or returned from, or stored in fields by) a function V8 does not
 * inline are boxed on the heap; at millions of samples per scan that is most of the garbage. So
 * the steps exchange doubles through the slots of one Float64Array and small integers through
 * fields, and the per-voxel path allocates nothing.
 */

/**
 * Slots of the probe's array. Import the object and destructure it into module-level constants
 * (`const { X, Y } = SLOT;`): V8 folds a module's own constants into the code, but reads an
 * imported binding from its cell at every use, which made the per-voxel path about 15 % slower.
 */
export const SLOT = Object.freeze({
  /** Canonical head-frame coordinates of the point (mm). */
  X: 0,
  Y: 1,
  Z: 2,
  /** x after the midline-shift displacement (brain structures are sampled there). */
  XD: 3,
  /** Depth below the inner table, then below the brain surface (mm). */
  DEPTH: 4,
  /** Unit direction from the cavity centre (for skull and extra-axial patches); 0 far inside. */
  UX: 5,
  UY: 6,
  UZ: 7,
  /** Local sulcal effacement factor (1 = none). */
  EFF: 8,
  /** Generic arguments and results of one step. */
  ARG1: 9,
  ARG2: 10,
  ARG3: 11,
  ARG4: 12,
  /** Query point and results of the segment helpers. */
  QX: 13,
  QY: 14,
  QZ: 15,
  RES: 16,
  RES_T: 17,
  /** Distance from the cavity centre along the direction (UX, UY, UZ). */
  ON: 18,
  /** Results of the skull-patch scan: scalp swelling (mm) and its HU, depressed-fragment shift (mm, −1 = rim gap). */
  SWELL: 19,
  SWELL_HU: 20,
  DEPRESSED: 21,
});
const SLOTS = 22;

export class Probe {
  /** Coordinates and step arguments, by the slot constants above. */
  readonly v = new Float64Array(SLOTS);
  /**
   * Density (HU) in out[0], in a typed array: a double stored in an object field is boxed on
   * every write.
   */
  readonly out = new Float64Array(1);
  /** Anatomy label (ANATOMY_LABELS). */
  anat = 0;
  /** Hemorrhage label (HEMORRHAGE_LABELS). */
  hem = 0;
}

/**
 * Signed distance from (v[QX], v[QY], v[QZ]) to segment `i` of the flattened segment list `s`
 * (see geometry.ts `segments`) into v[RES], and the position along it (0..1) into v[RES_T].
 */
const { QX, QY, QZ, RES, RES_T } = SLOT;

export function segmentSdInto(s: Float64Array, i: number, v: Float64Array): void {
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
