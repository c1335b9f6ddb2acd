/**
 * Heat maps of the AnyMC3D slice-wise classifier (METHODS.md §2): per slice, the last block's
 * CLS→patch attention (mean over heads; or attention rollout over all blocks) on the patch grid,
 * upsampled bilinearly to the slice size and multiplied by the slice's pooling weight a_s; each
 * view mapped back through the preprocessing onto the input scan's voxel grid (`toScanGrid`: the
 * inverse of the slice axis, resize, resampling and reorientation), summed over views and
 * divided by the maximum. The result overlays the input scan exactly: same shape, same affine.
 */
import { PNG } from "pngjs";
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
  rollout: boolean;
  /** float32, the input scan's shape and affine, values in [0, 1] (0: no attention). */
  volume: Volume;
  views: ViewHeatmap[];
}

/** Patch size [ph, pw] of a ViT backbone (its patch embedding's kernel). */
export function patchSizeOf(backbone: VisionBackbone): [number, number] {
  for (const [, m] of backbone.namedModules())
    if (m instanceof PatchEmbed) return [m.patch[0] as number, m.patch[1] as number];
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
 * The model-grid map of one view: per slice, the patch relevance upsampled (bilinear,
 * half-pixel centres) to the patch-covered pixels, edge rows/columns beyond the last full
 * patch repeated, times the slice weight.
 */
export function viewHeatmap(
  relevance: Float32Array,
  grid: [number, number],
  patch: [number, number],
  size: [number, number],
  weights: readonly number[],
): Float32Array {
  const S = weights.length;
  const [gh, gw] = grid;
  const [H, W] = size;
  const [ch, cw] = [gh * patch[0], gw * patch[1]];
  const up = resizeTensor(relevance, [S, gh, gw], [S, ch, cw], "linear");
  const out = new Float32Array(S * H * W);
  for (let s = 0; s < S; s++) {
    const a = weights[s] as number;
    for (let y = 0; y < H; y++) {
      const yy = Math.min(y, ch - 1);
      for (let x = 0; x < W; x++)
        out[(s * H + y) * W + x] = a * (up[(s * ch + yy) * cw + Math.min(x, cw - 1)] as number);
    }
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
  if (input.views.some((v) => v.plane === "volume"))
    throw new InputError(
      'heat maps are drawn from slice attention × slice weights; the native 3D path (data.preprocess.layout "volume") has no slice pooling to draw them from',
      m.runDir,
    );
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
    const [S, , H, W] = view.shape as [number, number, number, number];
    const grid: [number, number] = [Math.floor(H / patch[0]), Math.floor(W / patch[1])];
    const layers = wanted(v).map((k) => res[`attn_${k}`] as Float32Array);
    const T = (records[v * L] as Value).shape[2] as number;
    const rel = patchRelevance(layers, S, T, grid[0] * grid[1], rollout);
    const weights = prediction.sliceWeights[plane] as number[];
    const data = viewHeatmap(rel, grid, patch, [H, W], weights);
    views.push({ plane, shape: [S, H, W], data, sliceWeights: weights, view });
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
  return { prediction, finding, rollout, volume, views };
}

// ---------- PNG overlay montage

/** A perceptual-ish "hot" colour map: black → red → yellow → white. */
function hot(t: number): [number, number, number] {
  const c = (x: number) => Math.round(255 * Math.min(1, Math.max(0, x)));
  return [c(3 * t), c(3 * t - 1), c(3 * t - 2)];
}

/**
 * PNG bytes of the top-k slices (by slice weight) of the first view: the first channel of the
 * model input in grey (the brain window for CT), the heat map (min–max over the shown slices) in
 * a hot colour map with alpha proportional to it, tiles left to right (four per row), each upscaled to at least 128 px.
 */
export function heatmapPng(h: ScanHeatmap, opts: { topK?: number } = {}): Uint8Array {
  const v = h.views[0] as ViewHeatmap;
  const [S, H, W] = v.shape;
  const k = Math.max(1, Math.min(opts.topK ?? 6, S));
  const order = [...Array(S).keys()].sort(
    (a, b) => (v.sliceWeights[b] as number) - (v.sliceWeights[a] as number),
  );
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
  const C = v.view.shape[1] as number;
  // The grey image: channel 0, min–max over the shown slices (CT windows are already in [0, 1]).
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  for (const s of slices)
    for (let i = 0; i < H * W; i++) {
      const g = v.view.data[s * C * H * W + i] as number;
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
        const grey = (255 * ((v.view.data[s * C * H * W + (p - s * H * W)] as number) - lo)) / span;
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
