import { parseArgs } from "node:util";
import { InputError, readScan, rows4, sniffFormat, type Volume, volumeStats } from "../../../src/index.js";
import { type Command, onePath } from "../command.js";
import { terminalProgress } from "../progress.js";

const USAGE = `usage: medadapt info PATH [--json]

Describes a scan: a NIfTI file (.nii, .nii.gz) or a DICOM file or folder.
Prints format, shape, stored type, voxel spacing (mm), the voxel→RAS affine, orientation code and
value statistics (after scaling; NaN voxels counted, not included). A DICOM folder holding several
series is described series by series.

options:
  --json   one JSON object on stdout: {path, format, shape, dtype, spacing, affine, orientation,
           stats: {min, max, mean, std, nan}, warnings?, notes?, ...}; several series give {path, format, series: [...]}
`;

/** The JSON description of one volume. */
export function describe(path: string, format: string, vol: Volume): Record<string, unknown> {
  const m = vol.meta;
  const out: Record<string, unknown> = {
    path,
    format,
    shape: [...vol.shape],
    dtype: vol.dtype,
    spacing: vol.spacing,
    affine: rows4(vol.affine),
    orientation: vol.orientation,
    stats: volumeStats(vol),
  };
  if (vol.isScaled) out.scaling = { slope: vol.scaling.slope, intercept: vol.scaling.intercept };
  if (typeof m.timeStep === "number" && vol.shape.length === 4) out.time_step = m.timeStep;
  if (m.description) out.description = m.description;
  if (m.modality) out.modality = m.modality;
  if (m.seriesDescription) out.description = m.seriesDescription;
  if (m.seriesInstanceUID) out.series_uid = m.seriesInstanceUID;
  if (m.units) out.units = m.units;
  const nifti = m.nifti as { version?: number; affineSource?: string } | undefined;
  if (nifti?.version) out.nifti_version = nifti.version;
  if (nifti?.affineSource) out.affine_source = nifti.affineSource;
  // Readers record what they had to guess or fix (uneven slice spacing, colour converted, …);
  // hiding it would let a user trust geometry the reader itself doubts.
  const warnings = stringList(m.warnings);
  const notes = stringList(m.notes);
  if (warnings.length) out.warnings = warnings;
  if (notes.length) out.notes = notes;
  return out;
}

function stringList(x: unknown): string[] {
  return Array.isArray(x) ? x.filter((s): s is string => typeof s === "string") : [];
}

function fmt(v: number): string {
  if (!Number.isFinite(v) || v === 0) return String(v);
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toPrecision(6);
  return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(4)));
}

function text(d: Record<string, unknown>, indent = ""): string {
  const stats = d.stats as { min: number; max: number; mean: number; std: number; nan: number };
  const rows = (d.affine as number[][]).map((r) => r.map((x) => fmt(x).padStart(11)).join(" "));
  const lines: [string, string][] = [
    [
      "format",
      `${d.format}${d.nifti_version ? ` (NIfTI-${d.nifti_version}, affine from ${d.affine_source})` : ""}`,
    ],
    ["shape", (d.shape as number[]).join(" × ")],
    [
      "dtype",
      `${d.dtype}${d.scaling ? ` (scaled: slope ${fmt((d.scaling as { slope: number }).slope)}, intercept ${fmt((d.scaling as { intercept: number }).intercept)})` : ""}`,
    ],
    ["spacing", `${(d.spacing as number[]).map(fmt).join(" × ")} mm`],
    ["orientation", String(d.orientation)],
    ["affine", rows[0]!],
    ["", rows[1]!],
    ["", rows[2]!],
    ["", rows[3]!],
    [
      "values",
      `min ${fmt(stats.min)}, max ${fmt(stats.max)}, mean ${fmt(stats.mean)}, std ${fmt(stats.std)}, NaN ${stats.nan}`,
    ],
  ];
  for (const [key, label] of [
    ["modality", "modality"],
    ["description", "description"],
    ["series_uid", "series"],
    ["units", "units"],
    ["time_step", "time step"],
  ] as const)
    if (d[key] !== undefined) lines.push([label, String(d[key])]);
  for (const w of (d.warnings as string[] | undefined) ?? []) lines.push(["warning", w]);
  for (const n of (d.notes as string[] | undefined) ?? []) lines.push(["note", n]);
  return lines.map(([k, v]) => `${indent}${k ? `${k}:`.padEnd(13) : " ".repeat(13)}${v}`).join("\n");
}

export const info: Command = {
  name: "info",
  summary: "describe a NIfTI or DICOM scan (shape, spacing, affine, orientation, value statistics)",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { json: { type: "boolean", default: false } },
      allowPositionals: true,
    });
    const path = onePath(positionals);
    const format = await sniffFormat(path);
    if (!format) throw new InputError("unrecognised format (neither NIfTI nor DICOM)", path);
    const onProgress = terminalProgress(`reading ${path}`);
    const volumes = await readScan(path, onProgress ? { onProgress } : {});
    const described = volumes.map((v) => describe(path, format, v));
    const result = described.length === 1 ? described[0]! : { path, format, series: described };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(result)}\n`);
    } else if (described.length === 1) {
      process.stdout.write(`${path}\n${text(described[0]!, "  ")}\n`);
    } else {
      const parts = described.map((d, i) => `series ${i + 1} of ${described.length}:\n${text(d, "  ")}`);
      process.stdout.write(`${path}: ${format}, ${described.length} series\n${parts.join("\n")}\n`);
    }
    return 0;
  },
};
