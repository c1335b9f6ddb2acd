// preprocessor_config.json (transformers image processors): resize, rescale, normalize.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { InputError } from "../../errors.js";

export interface Preprocessing {
  /** Target [height, width]; `shortestEdge` resizes keeping the aspect ratio. */
  size: { height: number; width: number } | { shortestEdge: number } | undefined;
  /** Centre crop [height, width] after resizing, when the processor does one. */
  crop: { height: number; width: number } | undefined;
  rescale: number | undefined;
  mean: [number, number, number] | undefined;
  std: [number, number, number] | undefined;
}

function triple(v: unknown, what: string, source: string): [number, number, number] {
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number"))
    return v as [number, number, number];
  throw new InputError(`${what} must be three numbers`, source);
}

function hw(
  v: unknown,
  source: string,
): { height: number; width: number } | { shortestEdge: number } | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "number") return { height: v, width: v };
  if (typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (typeof o.height === "number" && typeof o.width === "number")
      return { height: o.height, width: o.width };
    if (typeof o.shortest_edge === "number") return { shortestEdge: o.shortest_edge };
  }
  throw new InputError(`unsupported size ${JSON.stringify(v)}`, source);
}

export async function readPreprocessing(dir: string): Promise<Preprocessing | undefined> {
  const path = join(dir, "preprocessor_config.json");
  if (!existsSync(path)) return undefined;
  let j: Record<string, unknown>;
  try {
    j = JSON.parse(await readFile(path, "utf8")) as Record<string, unknown>;
  } catch (err) {
    throw new InputError(`not valid JSON (${(err as Error).message})`, path);
  }
  const crop = j.do_center_crop === true ? hw(j.crop_size, path) : undefined;
  return {
    size: j.do_resize === false ? undefined : hw(j.size, path),
    crop: crop && "height" in crop ? crop : undefined,
    rescale:
      j.do_rescale === false ? undefined : typeof j.rescale_factor === "number" ? j.rescale_factor : 1 / 255,
    mean:
      j.do_normalize === false || j.image_mean === undefined
        ? undefined
        : triple(j.image_mean, "image_mean", path),
    std:
      j.do_normalize === false || j.image_std === undefined
        ? undefined
        : triple(j.image_std, "image_std", path),
  };
}

/** Output [height, width] of the resize (and crop) for an input of h × w. */
export function targetSize(
  pre: Preprocessing | undefined,
  imageSize: number,
  h: number,
  w: number,
): {
  resize: [number, number];
  crop: [number, number] | undefined;
} {
  const size = pre ? pre.size : { height: imageSize, width: imageSize };
  let resize: [number, number] = [h, w];
  if (size && "height" in size) resize = [size.height, size.width];
  else if (size) {
    // transformers: the shorter side becomes shortest_edge, the other keeps the aspect ratio (floored).
    const s = size.shortestEdge;
    resize = h <= w ? [s, Math.floor((s * w) / h)] : [Math.floor((s * h) / w), s];
  }
  const crop = pre?.crop ? ([pre.crop.height, pre.crop.width] as [number, number]) : undefined;
  return { resize, crop };
}

/**
 * Applies a processor to images [N, C, h, w] whose values are already in [0, 1] (windowed CT,
 * scaled MR), so `rescale` is not applied: bicubic resize (PyTorch's kernel, not PIL's
 * antialiased one), centre crop, then (x − mean)/std per channel.
 */
export function preprocessImages(
  data: Float32Array,
  shape: readonly [number, number, number, number],
  pre: Preprocessing | undefined,
  imageSize: number,
  resizeFn: (grid: Float32Array, h: number, w: number, c: number, oh: number, ow: number) => Float32Array,
): { data: Float32Array; shape: [number, number, number, number] } {
  const [n, c, h, w] = shape;
  const { resize, crop } = targetSize(pre, imageSize, h, w);
  const [rh, rw] = resize;
  const [oh, ow] = crop ?? resize;
  const top = Math.floor((rh - oh) / 2);
  const left = Math.floor((rw - ow) / 2);
  const out = new Float32Array(n * c * oh * ow);
  const hwc = new Float32Array(h * w * c);
  for (let i = 0; i < n; i++) {
    for (let ch = 0; ch < c; ch++)
      for (let p = 0; p < h * w; p++) hwc[p * c + ch] = data[(i * c + ch) * h * w + p] as number;
    const r = rh === h && rw === w ? hwc : resizeFn(hwc, h, w, c, rh, rw);
    for (let ch = 0; ch < c; ch++) {
      const m = pre?.mean?.[ch] ?? 0;
      const s = pre?.std?.[ch] ?? 1;
      for (let y = 0; y < oh; y++)
        for (let x = 0; x < ow; x++) {
          const v = r[((y + top) * rw + (x + left)) * c + ch] as number;
          out[((i * c + ch) * oh + y) * ow + x] = (v - m) / s;
        }
    }
  }
  return { data: out, shape: [n, c, oh, ow] };
}
