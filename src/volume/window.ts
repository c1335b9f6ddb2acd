import { InputError } from "../errors.js";
import type { Volume } from "./volume.js";

/** A display window in real units (HU for CT): values level ± width/2 map to 0 … 1. */
export interface Window {
  level: number;
  width: number;
}

/** Head CT windows: brain, subdural, bone, and the narrow stroke window. */
export const CT_WINDOWS = {
  brain: { level: 40, width: 80 },
  subdural: { level: 80, width: 200 },
  bone: { level: 600, width: 2800 },
  stroke: { level: 40, width: 40 },
} as const satisfies Record<string, Window>;

export type WindowPreset = keyof typeof CT_WINDOWS;

/**
 * Channel-first windowed data: `data` holds C blocks of nz·ny·nx float32 values in [0, 1], so
 * `shape` is [C, nz, ny, nx] = (C, D, H, W) with D along the voxel k axis — the layout models
 * take (N, C, D, H, W) without a copy. Within a channel the order is the volume's (i fastest).
 */
export interface Channels {
  data: Float32Array;
  shape: [number, number, number, number];
  windows: Window[];
}

/** Resolves preset names and custom windows to `Window`s, checking them. */
export function resolveWindows(windows: readonly (Window | WindowPreset)[]): Window[] {
  if (windows.length === 0) throw new InputError("windowCT: at least one window is needed");
  return windows.map((w) => {
    if (typeof w === "string") {
      const preset = Object.hasOwn(CT_WINDOWS, w) ? CT_WINDOWS[w] : undefined;
      if (!preset)
        throw new InputError(`unknown CT window "${w}" (known: ${Object.keys(CT_WINDOWS).join(", ")})`);
      return { ...preset };
    }
    if (!(w.width > 0) || !Number.isFinite(w.level))
      throw new InputError(`CT window level ${w.level} / width ${w.width}: width must be positive`);
    return { level: w.level, width: w.width };
  });
}

/**
 * Windows a 3D scan into channels: clip(x, level − width/2, level + width/2) rescaled to [0, 1],
 * one channel per window, computed from the stored voxels with the scaling folded in (no float
 * copy of the scan). NaN voxels give NaN. A 4D volume is refused: pick a volume first.
 */
export function windowCT(
  volume: Volume,
  windows: readonly (Window | WindowPreset)[] = ["brain", "subdural", "bone"],
): Channels {
  const ws = resolveWindows(windows);
  if (volume.shape.length > 3 && volume.shape[3] !== 1)
    throw new InputError(
      `windowCT: expected a 3D scan, got shape [${volume.shape.join(", ")}]`,
      volume.meta.source,
    );
  if (volume.dtype === "rgb24")
    throw new InputError("windowCT: rgb24 volumes have no scalar values", volume.meta.source);
  const n = volume.shape[0]! * volume.shape[1]! * volume.shape[2]!;
  const big = volume.dtype === "int64" || volume.dtype === "uint64";
  const src = (big ? volume.real() : volume.data) as unknown as ArrayLike<number>;
  const slope = big ? 1 : volume.scaling.slope;
  const intercept = big ? 0 : volume.scaling.intercept;
  const out = new Float32Array(ws.length * n);
  ws.forEach((w, c) => {
    // (x·slope + intercept − low) / width, as one multiply-add on the stored value.
    const a = slope / w.width;
    const b = (intercept - (w.level - w.width / 2)) / w.width;
    windowInto(src, a, b, out, c * n, n);
  });
  return { data: out, shape: [ws.length, volume.shape[2]!, volume.shape[1]!, volume.shape[0]!], windows: ws };
}

function windowInto(
  src: ArrayLike<number>,
  a: number,
  b: number,
  out: Float32Array,
  at: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) {
    const v = src[i]! * a + b;
    out[at + i] = Math.min(Math.max(v, 0), 1); // NaN stays NaN
  }
}

/** `windowCT` as a transform object holding its windows. */
export class WindowCT {
  readonly windows: Window[];

  constructor(windows: readonly (Window | WindowPreset)[] = ["brain", "subdural", "bone"]) {
    this.windows = resolveWindows(windows);
  }

  apply(volume: Volume): Channels {
    return windowCT(volume, this.windows);
  }
}
