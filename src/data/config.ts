/**
 * The preprocessing configuration: a plain JSON-able object, completed with defaults and checked
 * once, so that the same object can be saved with a run, hashed for the feature cache and sent
 * to worker threads.
 */
import { InputError } from "../errors.js";
import { axcodesToOrnt } from "../volume/orient.js";
import type { Plane } from "../volume/slices.js";
import { CT_WINDOWS, type Window, type WindowPreset } from "../volume/window.js";

/** CT: one channel per window (values in [0, 1]). */
export interface CtIntensity {
  kind: "ct";
  windows: (WindowPreset | Window)[];
}

/** MR: z-score (MONAI NormalizeIntensity) or percentile scaling to [0, 1], per image. */
export interface MrIntensity {
  kind: "mr";
  method: "zscore" | "percentiles";
  /** Statistics over voxels ≠ 0 only (background of skull-stripped scans). */
  nonzero: boolean;
  /** Percentiles for `method: "percentiles"`. */
  lower: number;
  upper: number;
}

export interface PreprocessConfig {
  /** Orientation code the scan is reoriented to before anything else (default "RAS"). */
  orientation: string;
  /** Resample to these voxel sizes in mm [x, y, z] (trilinear); null keeps the scan's. */
  spacing: [number, number, number] | null;
  intensity: CtIntensity | MrIntensity;
  /** "slices": [S, C, H, W] per plane for 2D backbones; "volume": [C, D, H, W] for 3D models. */
  layout: "slices" | "volume";
  /** Slice planes, one view each (slices layout only). */
  planes: Plane[];
  /** Output image size [H, W]. */
  size: [number, number];
  /** Slices per view (or D of the volume layout), interpolated linearly; null keeps the scan's count. */
  slices: number | null;
}

export const DEFAULT_PREPROCESS: PreprocessConfig = {
  orientation: "RAS",
  spacing: null,
  intensity: { kind: "ct", windows: ["brain", "subdural", "bone"] },
  layout: "slices",
  planes: ["axial"],
  size: [224, 224],
  slices: null,
};

const PLANES: readonly Plane[] = ["axial", "coronal", "sagittal"];
const KEYS = new Set(Object.keys(DEFAULT_PREPROCESS));

/**
 * `partial` completed with defaults and validated; every problem is an InputError naming the
 * field (and `source`, e.g. the config file). Unknown keys are refused (a typo would silently do
 * nothing otherwise).
 */
export function preprocessConfig(partial: Partial<PreprocessConfig> = {}, source?: string): PreprocessConfig {
  const bad = (field: string, problem: string) => new InputError(`preprocess.${field}: ${problem}`, source);
  if (partial === null || typeof partial !== "object" || Array.isArray(partial))
    throw new InputError("preprocess: expected an object", source);
  for (const k of Object.keys(partial))
    if (!KEYS.has(k)) throw bad(k, `unknown option (known: ${[...KEYS].join(", ")})`);
  const c: PreprocessConfig = { ...DEFAULT_PREPROCESS, ...partial };
  if (typeof c.orientation !== "string") throw bad("orientation", 'expected a code such as "RAS"');
  try {
    axcodesToOrnt(c.orientation);
  } catch (err) {
    throw bad("orientation", (err as Error).message);
  }
  c.orientation = c.orientation.toUpperCase();
  if (c.spacing !== null) {
    if (
      !Array.isArray(c.spacing) ||
      c.spacing.length !== 3 ||
      !c.spacing.every((s) => typeof s === "number" && s > 0 && Number.isFinite(s))
    )
      throw bad("spacing", `expected null or three positive numbers (mm), got ${JSON.stringify(c.spacing)}`);
    c.spacing = [...c.spacing] as [number, number, number];
  }
  c.intensity = intensity(partial.intensity ?? DEFAULT_PREPROCESS.intensity, bad);
  if (c.layout !== "slices" && c.layout !== "volume")
    throw bad("layout", `expected "slices" or "volume", got ${JSON.stringify(c.layout)}`);
  if (
    !Array.isArray(c.planes) ||
    c.planes.length === 0 ||
    !c.planes.every((p) => PLANES.includes(p)) ||
    new Set(c.planes).size !== c.planes.length
  )
    throw bad(
      "planes",
      `expected distinct planes from ${PLANES.join(", ")}, got ${JSON.stringify(c.planes)}`,
    );
  c.planes = [...c.planes];
  if (c.layout === "volume" && c.planes.length !== 1)
    throw bad("planes", "the volume layout has one view; give one plane or leave the default");
  if (!Array.isArray(c.size) || c.size.length !== 2 || !c.size.every((n) => Number.isInteger(n) && n > 0))
    throw bad("size", `expected [H, W] as two positive integers, got ${JSON.stringify(c.size)}`);
  c.size = [...c.size] as [number, number];
  if (c.slices !== null && !(Number.isInteger(c.slices) && c.slices > 0))
    throw bad("slices", `expected null or a positive integer, got ${JSON.stringify(c.slices)}`);
  return c;
}

function intensity(
  v: unknown,
  bad: (field: string, problem: string) => InputError,
): CtIntensity | MrIntensity {
  if (v === null || typeof v !== "object")
    throw bad("intensity", 'expected an object with kind "ct" or "mr"');
  const o = v as Record<string, unknown>;
  if (o.kind === "ct") {
    const windows = o.windows ?? ["brain", "subdural", "bone"];
    if (!Array.isArray(windows) || windows.length === 0)
      throw bad("intensity.windows", "expected a non-empty list");
    const out = windows.map((w) => {
      if (typeof w === "string") {
        if (!Object.hasOwn(CT_WINDOWS, w))
          throw bad(
            "intensity.windows",
            `unknown window "${w}" (known: ${Object.keys(CT_WINDOWS).join(", ")})`,
          );
        return w as WindowPreset;
      }
      const ww = w as Window;
      if (ww === null || typeof ww !== "object" || !Number.isFinite(ww.level) || !(ww.width > 0))
        throw bad(
          "intensity.windows",
          `expected a preset name or {level, width>0}, got ${JSON.stringify(w)}`,
        );
      return { level: ww.level, width: ww.width };
    });
    return { kind: "ct", windows: out };
  }
  if (o.kind === "mr") {
    const method = o.method ?? "zscore";
    if (method !== "zscore" && method !== "percentiles")
      throw bad("intensity.method", `expected "zscore" or "percentiles", got ${JSON.stringify(method)}`);
    const lower = o.lower ?? 0.5;
    const upper = o.upper ?? 99.5;
    if (
      typeof lower !== "number" ||
      typeof upper !== "number" ||
      !(lower >= 0 && lower < upper && upper <= 100)
    )
      throw bad("intensity.lower", `percentiles need 0 ≤ lower < upper ≤ 100, got ${lower}, ${upper}`);
    return { kind: "mr", method, nonzero: o.nonzero === true, lower, upper };
  }
  throw bad("intensity.kind", `expected "ct" or "mr", got ${JSON.stringify(o.kind)}`);
}

/** Channels per image under `c` (CT: one per window; MR: one). */
export function channelsPerImage(c: PreprocessConfig): number {
  return c.intensity.kind === "ct" ? c.intensity.windows.length : 1;
}
