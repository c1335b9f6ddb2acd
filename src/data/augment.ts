/**
 * Training-time augmentation on prepared model input: a left–right flip, a small in-plane affine
 * (rotation, scale, translation) and intensity changes (scale/shift, gamma, Gaussian noise).
 *
 * Randomness is drawn from (seed, epoch, case id) alone, so a case gets the same augmentation
 * whichever worker prepares it and in whatever order; the geometric part is applied identically
 * to every slice, channel and mask of a view (masks with nearest neighbours, images bilinearly).
 */
import { InputError } from "../errors.js";
import { mixKey, Rng } from "../random/rng.js";
import type { MaskView, ModelView, PreparedCase } from "./pipeline.js";
import { stringKey } from "./splits.js";

export interface AugmentConfig {
  /** Probability of a left–right flip (default 0.5). */
  flip: number;
  /** Largest in-plane rotation in degrees, either way (default 5). */
  rotate: number;
  /** Largest relative zoom, either way (default 0.05: ×0.95 … ×1.05). */
  scale: number;
  /** Largest shift as a fraction of the image size, per axis (default 0.05). */
  translate: number;
  /** Largest relative intensity scaling, either way (default 0.1). */
  intensityScale: number;
  /** Largest additive intensity shift, either way (default 0.1, in model-input units). */
  intensityShift: number;
  /** Largest |log γ| of the gamma change over each view's range (default 0.2; 0 turns it off). */
  gamma: number;
  /** Standard deviation of added Gaussian noise (default 0.02). */
  noise: number;
}

export const DEFAULT_AUGMENT: AugmentConfig = {
  flip: 0.5,
  rotate: 5,
  scale: 0.05,
  translate: 0.05,
  intensityScale: 0.1,
  intensityShift: 0.1,
  gamma: 0.2,
  noise: 0.02,
};

/** Completes and checks an augmentation config (every field a finite number ≥ 0; flip ≤ 1). */
export function augmentConfig(partial: Partial<AugmentConfig> = {}, source?: string): AugmentConfig {
  const c: AugmentConfig = { ...DEFAULT_AUGMENT, ...partial };
  for (const [k, v] of Object.entries(c)) {
    if (!Object.hasOwn(DEFAULT_AUGMENT, k)) throw new InputError(`augment.${k}: unknown option`, source);
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      throw new InputError(`augment.${k}: expected a number ≥ 0, got ${JSON.stringify(v)}`, source);
  }
  if (c.flip > 1) throw new InputError(`augment.flip: a probability, got ${c.flip}`, source);
  if (c.scale >= 1) throw new InputError(`augment.scale: must be < 1, got ${c.scale}`, source);
  return c;
}

/** One draw of augmentation parameters. */
export interface AugmentParams {
  flip: boolean;
  /** Rotation in radians (counter-clockwise on the displayed image). */
  angle: number;
  /** Zoom factor (> 1 enlarges). */
  zoom: number;
  /** Shift as a fraction of [W, H]. */
  shift: [number, number];
  intensityScale: number;
  intensityShift: number;
  gamma: number;
  noise: number;
  /** Seed of the noise stream. */
  noiseKey: number;
}

/** The parameters for one case in one epoch: a pure function of (config, seed, epoch, id). */
export function drawAugment(c: AugmentConfig, seed: number, epoch: number, id: string): AugmentParams {
  const key = mixKey(seed, epoch, stringKey(id));
  const r = new Rng(key);
  const u = () => 2 * r.next() - 1;
  return {
    flip: r.next() < c.flip,
    angle: (u() * c.rotate * Math.PI) / 180,
    zoom: 1 + u() * c.scale,
    shift: [u() * c.translate, u() * c.translate],
    intensityScale: 1 + u() * c.intensityScale,
    intensityShift: u() * c.intensityShift,
    gamma: Math.exp(u() * c.gamma),
    noise: c.noise,
    noiseKey: mixKey(key, 1),
  };
}

/** The identity draw (no change at all), a base for hand-built parameters. */
export const NO_AUGMENT: AugmentParams = {
  flip: false,
  angle: 0,
  zoom: 1,
  shift: [0, 0],
  intensityScale: 1,
  intensityShift: 0,
  gamma: 1,
  noise: 0,
  noiseKey: 0,
};

/**
 * For output pixel (x, y) of an H×W image, the input position it samples: the inverse of
 * "zoom and rotate about the centre, then shift", after the optional flip of x.
 * Returned as [a, b, c, d, e, f]: xin = a·x + b·y + c, yin = d·x + e·y + f.
 */
export function inverseMap(p: AugmentParams, h: number, w: number, flipColumns: boolean): number[] {
  const cx = (w - 1) / 2;
  const cy = (h - 1) / 2;
  const cos = Math.cos(p.angle) / p.zoom;
  const sin = Math.sin(p.angle) / p.zoom;
  const tx = p.shift[0] * w;
  const ty = p.shift[1] * h;
  // Displayed images have y pointing down, so a counter-clockwise turn on screen is
  // (x, y) → (x cos + y sin, −x sin + y cos) about the centre; its inverse is the transpose.
  // With the flip, output x reads the mirrored column first.
  const fx = flipColumns ? -1 : 1;
  const ox = flipColumns ? w - 1 : 0;
  // u = fx·x + ox − cx − tx, v = y − cy − ty; xin = cos·u − sin·v + cx, yin = sin·u + cos·v + cy.
  const a = cos * fx;
  const b = -sin;
  const c = cos * (ox - cx - tx) - sin * (-cy - ty) + cx;
  const d = sin * fx;
  const e = cos;
  const f = sin * (ox - cx - tx) + cos * (-cy - ty) + cy;
  return [a, b, c, d, e, f];
}

/** Warps `planes` images of h×w (contiguous) with map `m`: bilinear, zeros outside (grid_sample "zeros"). */
function warpBilinear(
  src: Float32Array,
  planes: number,
  h: number,
  w: number,
  m: readonly number[],
): Float32Array {
  const out = new Float32Array(src.length);
  const [a, b, c, d, e, f] = m as [number, number, number, number, number, number];
  const px = h * w;
  // The four taps of every output pixel, computed once for all planes; a tap outside the image
  // gets weight 0 (and a harmless index).
  const idx = new Int32Array(4 * px);
  const wt = new Float32Array(4 * px);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const xi = a * x + b * y + c;
      const yi = d * x + e * y + f;
      const x0 = Math.floor(xi);
      const y0 = Math.floor(yi);
      const wx = xi - x0;
      const wy = yi - y0;
      const o = 4 * (y * w + x);
      const taps = [
        [x0, y0, (1 - wx) * (1 - wy)],
        [x0 + 1, y0, wx * (1 - wy)],
        [x0, y0 + 1, (1 - wx) * wy],
        [x0 + 1, y0 + 1, wx * wy],
      ] as const;
      for (let t = 0; t < 4; t++) {
        const [xx, yy, ww] = taps[t]!;
        // Weights within rounding of 0 are dropped so that exact moves stay exact.
        if (ww > 1e-9 && xx >= 0 && xx < w && yy >= 0 && yy < h) {
          idx[o + t] = yy * w + xx;
          wt[o + t] = ww;
        }
      }
    }
  for (let p = 0; p < planes; p++) {
    const base = p * px;
    for (let q = 0, o = 0; q < px; q++, o += 4)
      out[base + q] =
        wt[o]! * src[base + idx[o]!]! +
        wt[o + 1]! * src[base + idx[o + 1]!]! +
        wt[o + 2]! * src[base + idx[o + 2]!]! +
        wt[o + 3]! * src[base + idx[o + 3]!]!;
  }
  return out;
}

/** Nearest-neighbour warp (masks): the input pixel whose centre is nearest, 0 outside. */
function warpNearest(
  src: Float32Array,
  planes: number,
  h: number,
  w: number,
  m: readonly number[],
): Float32Array {
  const out = new Float32Array(src.length);
  const [a, b, c, d, e, f] = m as [number, number, number, number, number, number];
  const px = h * w;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const xi = Math.round(a * x + b * y + c + 1e-9);
      const yi = Math.round(d * x + e * y + f + 1e-9);
      if (xi < 0 || xi >= w || yi < 0 || yi >= h) continue;
      const q = yi * w + xi;
      for (let p = 0; p < planes; p++) out[p * px + y * w + x] = src[p * px + q]!;
    }
  return out;
}

/** Reverses the order of `n` blocks of `block` values (the slice axis). */
function reverseBlocks(src: Float32Array, n: number, block: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let s = 0; s < n; s++) out.set(src.subarray(s * block, (s + 1) * block), (n - 1 - s) * block);
  return out;
}

/**
 * Left–right flip by view: axial and coronal images have patient right → left along W, so W is
 * mirrored; sagittal slices run left → right, so the slice order is reversed; the volume layout
 * mirrors W (the i axis, R/L after reorienting to RAS).
 */
function geometric(
  data: Float32Array,
  plane: ModelView["plane"],
  shape: readonly number[],
  p: AugmentParams,
  nearest: boolean,
): Float32Array {
  const h = shape[shape.length - 2]!;
  const w = shape[shape.length - 1]!;
  const planes = data.length / (h * w);
  if (!p.flip && p.angle === 0 && p.zoom === 1 && p.shift[0] === 0 && p.shift[1] === 0) return data.slice();
  const mirrorSlices = p.flip && plane === "sagittal";
  const m = inverseMap(p, h, w, p.flip && !mirrorSlices);
  let out = nearest ? warpNearest(data, planes, h, w, m) : warpBilinear(data, planes, h, w, m);
  if (mirrorSlices) out = reverseBlocks(out, shape[0]!, out.length / shape[0]!);
  return out;
}

const GAMMA_STEPS = 4096;

let NORMALS: Float32Array | undefined;

/**
 * 2¹⁶ standard normal values, the same in every process (a fixed-seed stream): noise is drawn by
 * indexing it with 16 random bits, a discrete stand-in for N(0, 1) that is ample for augmentation.
 */
function normalTable(): Float32Array {
  if (!NORMALS) {
    const r = new Rng(0x6e6f6973);
    NORMALS = Float32Array.from({ length: 1 << 16 }, () => r.normal());
  }
  return NORMALS;
}

function intensity(data: Float32Array, p: AugmentParams, noiseKey: number): void {
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < data.length; i++) {
    const v = data[i]! * p.intensityScale + p.intensityShift;
    data[i] = v;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  // Gamma over the view's own range (MONAI's AdjustContrast): the range's ends stay put.
  // t^γ from a table with linear interpolation (Math.pow per value was most of the cost); the
  // error is below 3e-4 of the range for γ in e^±0.2 and zero at the table's knots.
  if (p.gamma !== 1 && hi > lo) {
    const range = hi - lo;
    const lut = new Float32Array(GAMMA_STEPS + 2);
    for (let k = 0; k <= GAMMA_STEPS; k++) lut[k] = (k / GAMMA_STEPS) ** p.gamma * range + lo;
    lut[GAMMA_STEPS + 1] = lut[GAMMA_STEPS]!;
    const scale = GAMMA_STEPS / range;
    for (let i = 0; i < data.length; i++) {
      const t = (data[i]! - lo) * scale;
      const k = Math.floor(t);
      const v0 = lut[k]!;
      data[i] = v0 + (t - k) * (lut[k + 1]! - v0);
    }
  }
  if (p.noise > 0) {
    // Two table lookups per 32-bit draw: a Gaussian per value from the generator directly
    // (log, sqrt, rejection) took most of the augmentation time on 224² slice stacks.
    const table = normalTable();
    const r = new Rng(noiseKey);
    const n = data.length;
    for (let i = 0; i < n; i += 2) {
      const u = r.u32();
      data[i]! += p.noise * table[u & 0xffff]!;
      if (i + 1 < n) data[i + 1]! += p.noise * table[u >>> 16]!;
    }
  }
}

/** A new PreparedCase with `p` applied to every view and mask (the input is not changed). */
export function applyAugment(item: PreparedCase, p: AugmentParams): PreparedCase {
  const views: ModelView[] = item.input.views.map((v, i) => {
    // [S, C, H, W] and [C, D, H, W] both end in H, W: warp every plane alike.
    const data = geometric(v.data, v.plane, v.shape, p, false);
    intensity(data, p, mixKey(p.noiseKey, i));
    return { ...v, data };
  });
  const masks: Record<string, MaskView[]> = {};
  for (const [name, mv] of Object.entries(item.masks))
    masks[name] = mv.map((m) => ({ ...m, data: geometric(m.data, m.plane, m.shape, p, true) }));
  return { ...item, input: { ...item.input, views }, masks };
}
