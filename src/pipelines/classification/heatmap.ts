/**
 * Heat maps of the AnyMC3D slice-wise classifier (METHODS.md §2): per slice, the last block's
 * CLS→patch attention (mean over heads; or attention rollout over all blocks) on the patch grid,
 * upsampled bilinearly to the slice size and multiplied by the slice's pooling weight a_s; each
 * view mapped back through the preprocessing onto the input scan's voxel grid (`toScanGrid`: the
 * inverse of the slice axis, resize, resampling and reorientation), summed over views and
 * divided by the maximum. The result overlays the input scan exactly: same shape, same affine.
 * The native 3D path with a ViT3D gets the CLS's attention over its 3D patch grid, upsampled
 * trilinearly (it has no slice weights); a 3D CNN has no attention and no heat map.
 */
import { PNG } from "pngjs";
import type { PreprocessConfig } from "../../data/config.js";
import type { ModelInput, ModelView } from "../../data/pipeline.js";
import { toScanGrid } from "../../data/pipeline.js";
import { resizeTensor } from "../../data/resize.js";
import { compile, reduceMean, type Value } from "../../engine/index.js";
import { InputError } from "../../errors.js";
import { writeFileAtomic } from "../../io/atomic.js";
import { writeNifti } from "../../io/nifti/index.js";
import { selfAttentionProbs } from "../../nn/layers/attention.js";
import { PatchEmbed } from "../../nn/layers/conv.js";
import type { VisionBackbone } from "../../nn/nets/backbone.js";
import { Volume } from "../../volume/volume.js";
import { resolveWindows } from "../../volume/window.js";
import {
  type LoadedTaskModel,
  type Prediction,
  prepareScan,
  readPrediction,
  type ScanImages,
  taskGraph,
} from "./predict.js";

export interface HeatmapOptions {
  /** The finding the map is reported for (default: the highest-probability one). */
  finding?: string;
  /** Attention rollout over all blocks (Abnar & Zuidema 2020) instead of the last block only. */
  rollout?: boolean;
  /** Write the heat map here as float32 NIfTI (.nii or .nii.gz), in the input scan's geometry. */
  nifti?: string;
  /** Write an overlay montage of the top-k slices here (PNG). */
  png?: string;
  /** Slices in the PNG montage (default 6). */
  topK?: number;
}

/** One view's heat map on the model grid, before it is mapped back to the scan. */
export interface ViewHeatmap {
  plane: string;
  /** [S, H, W] */
  shape: [number, number, number];
  /** Attention × slice weight per model pixel (not normalised). */
  data: Float32Array;
  sliceWeights: number[];
  /** The model input of this view (its channels are the PNG's grey image). */
  view: ModelView;
}

export interface ScanHeatmap {
  prediction: Prediction;
  finding: string;
  /** The input channel the PNG shows in grey: the brain window's (CT), else the first. */
  greyChannel: number;
  rollout: boolean;
  /** float32, the input scan's shape and affine, values in [0, 1] (0: no attention). */
  volume: Volume;
  views: ViewHeatmap[];
}

/** Patch size of a ViT backbone (its patch embedding's kernel): [ph, pw], or [pd, ph, pw] in 3D. */
export function patchSizeOf(backbone: VisionBackbone): number[] {
  for (const [, m] of backbone.namedModules()) if (m instanceof PatchEmbed) return [...m.patch];
  throw new InputError(`heat maps need a ViT backbone with a patch embedding (${backbone.arch} has none)`);
}

/**
 * Per-slice patch relevance [S, gh·gw] from head-averaged attention maps [S, T, T] (last block
 * last). The CLS row over the patch columns; without a CLS token (SigLIP pools the mean token)
 * the mean of all rows. With `rollout`, the rows come from Π_l (½·A_l + ½·I), rows renormalised.
 */
export function patchRelevance(
  layers: readonly Float32Array[],
  S: number,
  T: number,
  patches: number,
  rollout: boolean,
): Float32Array {
  const prefix = T - patches;
  if (prefix < 0) throw new Error(`heat map: ${patches} patches for ${T} tokens`);
  const out = new Float32Array(S * patches);
  const TT = T * T;
  for (let s = 0; s < S; s++) {
    let rows: Float64Array; // the rows that matter: [R, T]
    const R = prefix > 0 ? 1 : T;
    if (!rollout) {
      const a = layers[layers.length - 1] as Float32Array;
      rows = Float64Array.from(a.subarray(s * TT, s * TT + R * T));
    } else {
      // Only the wanted rows of the product are carried: rows·(½A + ½I), from the last layer down.
      rows = new Float64Array(R * T);
      for (let r = 0; r < R; r++) rows[r * T + (prefix > 0 ? 0 : r)] = 1;
      for (let l = layers.length - 1; l >= 0; l--) {
        const a = (layers[l] as Float32Array).subarray(s * TT, (s + 1) * TT);
        const next = new Float64Array(R * T);
        for (let r = 0; r < R; r++)
          for (let i = 0; i < T; i++) {
            const c = rows[r * T + i] as number;
            if (c === 0) continue;
            // Row i of ½A + ½I (A's rows sum to 1, so this row does too).
            for (let j = 0; j < T; j++)
              next[r * T + j] = (next[r * T + j] as number) + 0.5 * c * (a[i * T + j] as number);
            next[r * T + i] = (next[r * T + i] as number) + 0.5 * c;
          }
        rows = next;
      }
    }
    for (let p = 0; p < patches; p++) {
      let acc = 0;
      for (let r = 0; r < R; r++) acc += rows[r * T + prefix + p] as number;
      out[s * patches + p] = acc / R;
    }
  }
  return out;
}

/**
 * A patch-grid map [A, B, C] (2D: [S, gh, gw] with A = S slices; 3D: [gd, gh, gw]) upsampled
 * (linear, half-pixel centres) along the patched axes to the pixels the patches cover, and
 * extended to `size` by repeating the edge beyond the last full patch.
 */
export function upsampleGrid(
  relevance: Float32Array,
  grid: readonly [number, number, number],
  patch: readonly [number, number, number],
  size: readonly [number, number, number],
): Float32Array {
  const covered = grid.map((g, i) => g * (patch[i] as number)) as [number, number, number];
  const up = resizeTensor(relevance, grid, covered, "linear");
  const [A, B, C] = size;
  const [ca, cb, cc] = covered;
  const out = new Float32Array(A * B * C);
  for (let a = 0; a < A; a++) {
    const aa = Math.min(a, ca - 1);
    for (let b = 0; b < B; b++) {
      const row = (aa * cb + Math.min(b, cb - 1)) * cc;
      for (let c = 0; c < C; c++) out[(a * B + b) * C + c] = up[row + Math.min(c, cc - 1)] as number;
    }
  }
  return out;
}

/** Per slice, the upsampled patch relevance [S, H, W] times the slice weight. */
export function viewHeatmap(
  relevance: Float32Array,
  grid: [number, number],
  patch: [number, number],
  size: [number, number],
  weights: readonly number[],
): Float32Array {
  const S = weights.length;
  const [H, W] = size;
  const out = upsampleGrid(relevance, [S, grid[0], grid[1]], [1, patch[0], patch[1]], [S, H, W]);
  for (let s = 0; s < S; s++) {
    const a = weights[s] as number;
    for (let i = s * H * W; i < (s + 1) * H * W; i++) out[i] = a * (out[i] as number);
  }
  return out;
}

/** The heat map of one case (files or volumes, one per image of a case) with a loaded task. */
export async function heatmapForScan(
  m: LoadedTaskModel,
  images: ScanImages,
  opts: HeatmapOptions = {},
): Promise<ScanHeatmap> {
  const input = await prepareScan(m, images);
  const h = await heatmapForInput(m, input, opts);
  if (opts.nifti) await writeNifti(opts.nifti, h.volume);
  if (opts.png) await writeFileAtomic(opts.png, heatmapPng(h, { topK: opts.topK ?? 6 }));
  return h;
}

/** heatmapForScan on an already preprocessed input. */
export async function heatmapForInput(
  m: LoadedTaskModel,
  input: ModelInput,
  opts: Pick<HeatmapOptions, "finding" | "rollout"> = {},
): Promise<ScanHeatmap> {
  const rollout = opts.rollout ?? false;
  if (opts.finding !== undefined && !m.findings.includes(opts.finding))
    throw new InputError(
      `--finding: the model has no finding "${opts.finding}" (it has ${m.findings.join(", ")})`,
    );
  const model = m.built.model;
  const { graph, feeds, outputs } = taskGraph(m, input);
  const records = selfAttentionProbs(graph);
  const V = model.views.length;
  if (records.length === 0 || records.length % V !== 0)
    throw new InputError(`heat maps need a ViT backbone (${model.backbone.arch} has no self-attention)`);
  const L = records.length / V;
  const wanted = (v: number): number[] => (rollout ? [...Array(L).keys()] : [L - 1]).map((l) => v * L + l);
  const attn: Record<string, Value> = {};
  for (let v = 0; v < V; v++)
    for (const k of wanted(v)) attn[`attn_${k}`] = reduceMean(records[k] as Value, [1], false); // [S, T, T]
  const res = (await (await compile({ ...outputs, ...attn })).run(feeds)) as Record<string, Float32Array>;
  const prediction = readPrediction(m, input, res);
  const finding =
    opts.finding ?? (Object.entries(prediction.probabilities).sort((a, b) => b[1] - a[1])[0]?.[0] as string);

  const patch = patchSizeOf(model.backbone);
  const views: ViewHeatmap[] = [];
  let sum: Float32Array | undefined;
  for (const [v, plane] of model.views.entries()) {
    const view = input.views.find((x) => x.plane === plane) as ModelView;
    const layers = wanted(v).map((k) => res[`attn_${k}`] as Float32Array);
    const T = (records[v * L] as Value).shape[2] as number;
    const weights = prediction.sliceWeights[plane] as number[];
    let data: Float32Array;
    let shape: [number, number, number];
    if (view.plane === "volume") {
      // The native 3D path: one CLS over the 3D patch grid; no slice weights to multiply by.
      const [, D, H, W] = view.shape as [number, number, number, number];
      const [pd, ph, pw] = patch as [number, number, number];
      const grid: [number, number, number] = [Math.floor(D / pd), Math.floor(H / ph), Math.floor(W / pw)];
      const rel = patchRelevance(layers, 1, T, grid[0] * grid[1] * grid[2], rollout);
      data = upsampleGrid(rel, grid, [pd, ph, pw], [D, H, W]);
      shape = [D, H, W];
    } else {
      const [S, , H, W] = view.shape as [number, number, number, number];
      const [ph, pw] = patch as [number, number];
      const grid: [number, number] = [Math.floor(H / ph), Math.floor(W / pw)];
      const rel = patchRelevance(layers, S, T, grid[0] * grid[1], rollout);
      data = viewHeatmap(rel, grid, [ph, pw], [H, W], weights);
      shape = [S, H, W];
    }
    views.push({ plane, shape, data, sliceWeights: weights, view });
    const back = toScanGrid(data, view, input.scan).real();
    if (!sum) sum = Float32Array.from(back);
    else for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (back[i] as number);
  }
  const out = sum as Float32Array;
  let max = 0;
  for (const x of out) if (x > max) max = x;
  if (max > 0) for (let i = 0; i < out.length; i++) out[i] = (out[i] as number) / max;
  const volume = Volume.fromReal(out, input.scan.shape, input.scan.affine, {
    description: `medadapt heat map (${rollout ? "rollout" : "last block"}) ${finding}`.slice(0, 79),
  });
  return { prediction, finding, rollout, volume, views, greyChannel: brainChannel(m) };
}

/** Index of the brain window (W 80, L 40) among the CT windows of the first image, else 0. */
function brainChannel(m: LoadedTaskModel): number {
  const pre = m.config.data.preprocess as PreprocessConfig;
  if (pre.intensity.kind !== "ct") return 0;
  const i = resolveWindows(pre.intensity.windows).findIndex((w) => w.level === 40 && w.width === 80);
  return Math.max(0, i);
}

// ---------- PNG overlay montage

/** A perceptual-ish "hot" colour map: black → red → yellow → white. */
function hot(t: number): [number, number, number] {
  const c = (x: number) => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [c(3 * t), c(3 * t - 1), c(3 * t - 2)];
}

/**
 * PNG bytes of the top-k slices (by slice weight; 3D models: by heat) of the first view: the
 * model input's brain-window channel in grey (CT; the first channel otherwise), the heat map
 * (min–max over the shown slices) in a hot colour map with alpha proportional to it, tiles left
 * to right (four per row), each upscaled to at least 128 px.
 */
export function heatmapPng(h: ScanHeatmap, opts: { topK?: number } = {}): Uint8Array {
  const v = h.views[0] as ViewHeatmap;
  const [S, H, W] = v.shape;
  const k = Math.max(1, Math.min(opts.topK ?? 6, S));
  // A 3D model's slice weights are uniform: its slices are ranked by their heat instead.
  const volume = v.view.plane === "volume";
  const rank = (s: number) =>
    volume
      ? v.data.subarray(s * H * W, (s + 1) * H * W).reduce((a, b) => a + b, 0)
      : (v.sliceWeights[s] as number);
  const order = [...Array(S).keys()].sort((a, b) => rank(b) - rank(a));
  const slices = order.slice(0, k).sort((a, b) => a - b);
  // The overlay spans the shown slices' own range, so a baseline every patch gets (rollout's
  // identity share) stays transparent.
  let hmin = Number.POSITIVE_INFINITY;
  let hmax = Number.NEGATIVE_INFINITY;
  for (const s of slices)
    for (const x of v.data.subarray(s * H * W, (s + 1) * H * W)) {
      if (x < hmin) hmin = x;
      if (x > hmax) hmax = x;
    }
  const hspan = hmax > hmin ? hmax - hmin : 0;
  // The grey channel of slice s: [S, C, H, W] stacks, or the [C, D, H, W] volume.
  const C = v.view.shape[volume ? 0 : 1] as number;
  const c0 = Math.min(h.greyChannel, C - 1);
  const at0 = (s: number, i: number) =>
    v.view.data[(volume ? (c0 * S + s) * H * W : (s * C + c0) * H * W) + i] as number;
  // The grey image: min–max over the shown slices (CT windows are already in [0, 1]).
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of slices)
    for (let i = 0; i < H * W; i++) {
      const g = at0(s, i);
      if (g < lo) lo = g;
      if (g > hi) hi = g;
    }
  const span = hi > lo ? hi - lo : 1;
  const f = Math.max(1, Math.ceil(128 / Math.max(H, W)));
  const cols = Math.min(4, k);
  const rows = Math.ceil(k / cols);
  const gap = 2;
  const width = cols * W * f + (cols - 1) * gap;
  const height = rows * H * f + (rows - 1) * gap;
  const png = new PNG({ width, height });
  png.data.fill(0);
  for (let i = 3; i < png.data.length; i += 4) png.data[i] = 255;
  slices.forEach((s, n) => {
    const ox = (n % cols) * (W * f + gap);
    const oy = Math.floor(n / cols) * (H * f + gap);
    for (let y = 0; y < H * f; y++)
      for (let x = 0; x < W * f; x++) {
        const p = s * H * W + Math.floor(y / f) * W + Math.floor(x / f);
        const grey = (255 * (at0(s, p - s * H * W) - lo)) / span;
        const t = hspan > 0 ? ((v.data[p] as number) - hmin) / hspan : 0;
        const [r, g, b] = hot(t);
        const a = 0.6 * t;
        const o = ((oy + y) * width + ox + x) * 4;
        png.data[o] = Math.round((1 - a) * grey + a * r);
        png.data[o + 1] = Math.round((1 - a) * grey + a * g);
        png.data[o + 2] = Math.round((1 - a) * grey + a * b);
      }
  });
  return new Uint8Array(PNG.sync.write(png));
}
