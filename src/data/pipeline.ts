/**
 * From scan to model input: load → reorient → resample (optional) → CT windows or MR
 * normalisation → slice stacks (axial, coronal, sagittal) or the whole volume → resize to the
 * backbone's input size → float32 [S, C, H, W] per plane, or [C, D, H, W]; each with the map
 * from model indices back to the voxels of the scan as read, so outputs (heat maps) can be
 * written aligned with the input scan.
 */
import { InputError } from "../errors.js";
import { readScan } from "../io/registry.js";
import { invert4, type Mat4, multiply4 } from "../volume/affine.js";
import { normalizeZScore, scalePercentiles } from "../volume/normalize.js";
import { reorient } from "../volume/orient.js";
import { resample, resampleTo } from "../volume/resample.js";
import { type Plane, sliceStack } from "../volume/slices.js";
import { Volume } from "../volume/volume.js";
import { windowCT } from "../volume/window.js";
import { type PreprocessConfig, preprocessConfig } from "./config.js";
import type { DataCase } from "./manifest.js";
import { resizeIndexMap, resizeTensor } from "./resize.js";

/** One model input tensor and where its elements came from. */
export interface ModelView {
  /** The slice plane, or "volume" for the 3D layout. */
  plane: Plane | "volume";
  /** [S, C, H, W] (slices) or [C, D, H, W] (volume). */
  shape: number[];
  data: Float32Array;
  /**
   * Model index (w, h, s) — column, row, slice; for the volume layout (w, h, d) — to the voxel
   * index (i, j, k) of the scan as read, row-major 4×4. Heat maps go back through `toScanGrid`.
   */
  toVoxel: number[];
}

/** The grid of the scan as read (the first image of a case): where heat maps are written. */
export interface ScanGrid {
  shape: [number, number, number];
  affine: Mat4;
}

export interface ModelInput {
  views: ModelView[];
  scan: ScanGrid;
}

/**
 * A mask on the model's grid: [S, H, W] per plane or [D, H, W]; label values taken by nearest
 * neighbour onto the working grid, then shrunk by maximum / enlarged by nearest neighbour to the
 * model size (resize mode "max"), so small findings survive downsizing.
 */
export interface MaskView {
  plane: Plane | "volume";
  shape: number[];
  data: Float32Array;
}

export interface PreparedCase {
  id: string;
  input: ModelInput;
  /** Masks by name, one view per input view. */
  masks: Record<string, MaskView[]>;
  labels: Float32Array;
}

function sameGrid(a: Volume, b: Volume): boolean {
  return (
    a.shape[0] === b.shape[0] &&
    a.shape[1] === b.shape[1] &&
    a.shape[2] === b.shape[2] &&
    a.affine.every((v, i) => Math.abs(v - b.affine[i]!) < 1e-6)
  );
}

function check3d(v: Volume): void {
  if (v.shape.length > 3 && v.shape[3] !== 1)
    throw new InputError(
      `expected a 3D scan, got shape [${v.shape.join(", ")}] (give each volume of a series as its own image)`,
      v.meta.source,
    );
}

/**
 * The geometric part shared by images and masks: reorient, then resample to the spacing (or,
 * for images after the first and for masks, onto the first image's processed grid).
 */
function toWorkingGrid(
  v: Volume,
  c: PreprocessConfig,
  reference: Volume | undefined,
  mode: "linear" | "nearest",
): Volume {
  check3d(v);
  let out = reorient(v, c.orientation);
  if (reference) {
    // Outside the image's field of view: air for CT images, 0 for MR images and masks.
    const fill = mode === "linear" && c.intensity.kind === "ct" ? -1024 : 0;
    if (!sameGrid(out, reference))
      out = resampleTo(out, reference.shape.slice(0, 3), reference.affine, mode, fill);
  } else if (c.spacing) out = resample(out, { spacing: c.spacing, mode });
  return out;
}

/** Slice stacks [S, C, h, w] of one processed image, per plane. */
function imageStack(v: Volume, plane: Plane, c: PreprocessConfig) {
  if (c.intensity.kind === "ct") return sliceStack(v, plane, { windows: c.intensity.windows });
  const s = sliceStack(mrNormalize(v, c), plane);
  return { ...s, shape: [s.shape[0]!, 1, s.shape[1]!, s.shape[2]!] };
}

function mrNormalize(v: Volume, c: PreprocessConfig): Volume {
  const m = c.intensity;
  if (m.kind !== "mr") return v;
  return m.method === "zscore"
    ? normalizeZScore(v, { nonzero: m.nonzero })
    : scalePercentiles(v, { lower: m.lower, upper: m.upper, nonzero: m.nonzero });
}

/** Channel-first [C, nz, ny, nx] data of one processed image. */
function imageChannels(v: Volume, c: PreprocessConfig): Float32Array {
  if (c.intensity.kind === "ct") return windowCT(v, c.intensity.windows).data;
  return mrNormalize(v, c).real().slice();
}

/** Concatenates per-image [S, Ci, H, W] tensors along C. */
function concatChannels(parts: { data: Float32Array; shape: number[] }[]): {
  data: Float32Array;
  shape: number[];
} {
  if (parts.length === 1) return parts[0]!;
  const [s, , h, w] = parts[0]!.shape as [number, number, number, number];
  const cs = parts.map((p) => p.shape[1]!);
  const c = cs.reduce((a, b) => a + b, 0);
  const px = h * w;
  const out = new Float32Array(s * c * px);
  for (let z = 0; z < s; z++) {
    let at = z * c * px;
    parts.forEach((p, i) => {
      const n = cs[i]! * px;
      out.set(p.data.subarray(z * n, (z + 1) * n), at);
      at += n;
    });
  }
  return { data: out, shape: [s, c, h, w] };
}

/** Everything the pipeline needs to map masks the same way as the images. */
interface Geometry {
  reference: Volume;
  scanToWorld: Mat4;
}

/**
 * Preprocesses the images of one case (one per contrast or phase, all of one patient and
 * session) into model input. Images after the first are resampled onto the first's grid;
 * channels are concatenated image by image (CT: windows of image 1, then of image 2, …).
 */
export function preprocessImages(images: readonly Volume[], config: PreprocessConfig): ModelInput {
  return prepare(images, config).input;
}

function prepare(images: readonly Volume[], c: PreprocessConfig): { input: ModelInput; geometry: Geometry } {
  if (images.length === 0) throw new InputError("preprocess: no image");
  const first = images[0]!;
  check3d(first);
  const scan: ScanGrid = {
    shape: [first.shape[0]!, first.shape[1]!, first.shape[2]!],
    affine: [...first.affine],
  };
  const worldToScan = invert4(first.affine);
  const reference = toWorkingGrid(first, c, undefined, "linear");
  const vols = [reference, ...images.slice(1).map((v) => toWorkingGrid(v, c, reference, "linear"))];
  const [H, W] = c.size;
  const views: ModelView[] = [];
  if (c.layout === "slices") {
    for (const plane of c.planes) {
      const stacks = vols.map((v) => imageStack(v, plane, c));
      const { data, shape } = concatChannels(stacks);
      const [s, ch, h, w] = shape as [number, number, number, number];
      const S = c.slices ?? s;
      const out = resizeTensor(data, shape, [S, ch, H, W], "linear");
      const toVoxel = multiply4(
        multiply4(worldToScan, stacks[0]!.pixelToWorld),
        resizeIndexMap([w, h, s], [W, H, S]),
      );
      views.push({ plane, shape: [S, ch, H, W], data: out, toVoxel });
    }
  } else {
    const [nx, ny, nz] = reference.shape as [number, number, number];
    const parts = vols.map((v) => imageChannels(v, c));
    const data = parts.length === 1 ? parts[0]! : concatFlat(parts);
    const ch = data.length / (nx * ny * nz);
    const D = c.slices ?? nz;
    const out = resizeTensor(data, [ch, nz, ny, nx], [ch, D, H, W], "linear");
    const toVoxel = multiply4(
      multiply4(worldToScan, reference.affine),
      resizeIndexMap([nx, ny, nz], [W, H, D]),
    );
    views.push({ plane: "volume", shape: [ch, D, H, W], data: out, toVoxel });
  }
  return { input: { views, scan }, geometry: { reference, scanToWorld: first.affine } };
}

/** The arrays end to end in one new array. */
export function concatFlat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A mask (labels) through the same geometry as the images: nearest neighbour onto the working grid,
 * then resized with "max" (a model pixel is marked when any scan voxel it draws on is).
 */
function prepareMask(
  mask: Volume,
  g: Geometry,
  c: PreprocessConfig,
  views: readonly ModelView[],
  mode: "max" | "nearest" = "max",
): MaskView[] {
  const m = toWorkingGrid(mask, c, g.reference, "nearest");
  return views.map((view) => {
    if (view.plane === "volume") {
      const [nx, ny, nz] = m.shape as [number, number, number];
      const [, D, H, W] = view.shape as [number, number, number, number];
      const data = resizeTensor(m.real(), [nz, ny, nx], [D, H, W], mode);
      return { plane: "volume", shape: [D, H, W], data };
    }
    const st = sliceStack(m, view.plane);
    const [S, , H, W] = view.shape as [number, number, number, number];
    return {
      plane: view.plane,
      shape: [S, H, W],
      data: resizeTensor(st.data, st.shape, [S, H, W], mode),
    };
  });
}

/** Reads a scan file or DICOM folder; a case image must hold exactly one 3D series. */
export async function loadImage(path: string): Promise<Volume> {
  const vols = await readScan(path);
  if (vols.length !== 1)
    throw new InputError(
      `expected one series, found ${vols.length} (give the series' own folder or file)`,
      path,
    );
  const v = vols[0]!;
  if (v.meta.source === undefined) v.meta.source = path;
  return v;
}

export interface PrepareOptions {
  /** Mask names (keys of `DataCase.masks`) to load; a name the case lacks is skipped. */
  masks?: readonly string[];
  /**
   * How masks are shrunk to the model grid: "max" (default) keeps a finding of one voxel in a
   * binary mask; label maps (a class per voxel) need "nearest", as a max would favour high ids.
   */
  maskResize?: "max" | "nearest";
}

/**
 * Loads and preprocesses one manifest case: images → `ModelInput`, requested masks → `MaskView`s
 * on the same grid. Problems are InputErrors naming the case and the file.
 */
export async function prepareCase(
  item: DataCase,
  config: PreprocessConfig,
  opts: PrepareOptions = {},
): Promise<PreparedCase> {
  const c = preprocessConfig(config);
  try {
    const images = await Promise.all(item.images.map(loadImage));
    const { input, geometry } = prepare(images, c);
    const masks: Record<string, MaskView[]> = {};
    for (const name of opts.masks ?? []) {
      const p = item.masks[name];
      if (p === undefined) continue;
      masks[name] = prepareMask(await loadImage(p), geometry, c, input.views, opts.maskResize);
    }
    return { id: item.id, input, masks, labels: item.labels };
  } catch (err) {
    if (err instanceof InputError) throw new InputError(`case '${item.id}': ${err.message}`);
    // Not the user's fault (a bug, out of memory): still say which case and files were involved.
    throw new Error(`case '${item.id}' (${item.images.join(", ")}): ${(err as Error)?.message ?? err}`, {
      cause: err,
    });
  }
}

/**
 * A model-grid map (one value per model position of `view` without channels: [S, H, W] or
 * [D, H, W]) as a float32 Volume on the model grid, with the affine that places it in the world;
 * `resampleTo(result, scan.shape, scan.affine)` puts it on the scan's own grid.
 */
export function modelGridVolume(values: Float32Array, view: ModelView, scan: ScanGrid): Volume {
  const sp = view.plane === "volume" ? view.shape.slice(1) : [view.shape[0]!, view.shape[2]!, view.shape[3]!];
  const [a, h, w] = sp as [number, number, number];
  if (values.length !== a * h * w)
    throw new InputError(`model-grid map has ${values.length} values, expected ${a}×${h}×${w}`);
  // [S, H, W] with W fastest is NIfTI order for shape [W, H, S].
  return Volume.fromReal(values, [w, h, a], multiply4(scan.affine, view.toVoxel));
}

/** A model-grid map resampled onto the scan's voxel grid (e.g. a heat map to save as NIfTI). */
export function toScanGrid(
  values: Float32Array,
  view: ModelView,
  scan: ScanGrid,
  mode: "linear" | "nearest" = "linear",
): Volume {
  return resampleTo(modelGridVolume(values, view, scan), scan.shape, scan.affine, mode);
}
