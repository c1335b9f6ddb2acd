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
