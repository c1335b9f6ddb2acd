import { parseArgs } from "node:util";
import { InputError, readScan, reorient, resample, type Volume, writeNifti } from "../../../src/index.js";
import type { Command } from "../command.js";
import { terminalProgress } from "../progress.js";

const USAGE = `usage: medadapt convert IN OUT.nii[.gz] [--orient CODE] [--spacing X,Y,Z] [--series UID] [--nifti2] [--json]

Converts a scan (NIfTI file, DICOM file or folder) to NIfTI; gzip-compressed when OUT ends in .gz.
The output appears only when complete: on any error nothing is written.

options:
  --orient CODE     reorder/flip the voxel axes to CODE (e.g. RAS, LPS) without resampling
  --spacing X,Y,Z   resample (trilinear) to these voxel sizes in mm, after --orient
  --series UID      the DICOM series to convert when IN holds several
  --nifti2          write NIfTI-2 instead of NIfTI-1
  --json            print a JSON summary of the written file
`;

function parseSpacing(s: string): [number, number, number] {
  const parts = s.split(",").map((x) => Number(x.trim()));
  if (parts.length !== 3 || !parts.every((x) => Number.isFinite(x) && x > 0))
    throw new InputError(`--spacing must be three positive numbers X,Y,Z, got '${s}'`);
  return parts as [number, number, number];
}

function pickVolume(volumes: Volume[], input: string, series: string | undefined): Volume {
  if (volumes.length === 1) return volumes[0]!;
  const uids = [...new Set(volumes.map((v) => String(v.meta.seriesInstanceUID ?? "?")))];
  if (uids.length > 1)
    throw new InputError(`holds ${uids.length} series; choose one with --series: ${uids.join(", ")}`, input);
  throw new InputError(
    `series ${series ?? uids[0]} reads as ${volumes.length} separate volumes (${volumes
      .map((v) => v.shape.join("×"))
      .join(", ")}); convert each part with a dedicated tool`,
    input,
  );
}

export const convert: Command = {
  name: "convert",
  summary: "convert a NIfTI or DICOM scan to NIfTI, optionally reoriented and resampled",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        orient: { type: "string" },
        spacing: { type: "string" },
        series: { type: "string" },
        nifti2: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
      allowPositionals: true,
    });
    if (positionals.length !== 2)
      throw new InputError(`expected IN and OUT, got ${positionals.length} paths`);
    const [input, output] = positionals as [string, string];
    if (!/\.nii(\.gz)?$/i.test(output)) throw new InputError("output must end in .nii or .nii.gz", output);
    const spacing = values.spacing === undefined ? undefined : parseSpacing(values.spacing);
    const orient = values.orient?.toUpperCase();
    if (orient !== undefined && !/^[RLAPSI]{3}$/.test(orient))
      throw new InputError(`--orient must be a 3-letter code such as RAS or LPS, got '${values.orient}'`);

    const onProgress = terminalProgress(`reading ${input}`);
    const volumes = await readScan(input, {
      ...(values.series === undefined ? {} : { series: values.series }),
      ...(onProgress ? { onProgress } : {}),
    });
    let vol = pickVolume(volumes, input, values.series);
    if (orient !== undefined) vol = reorient(vol, orient);
    if (spacing !== undefined) vol = resample(vol, { spacing });
    await writeNifti(output, vol, { version: values.nifti2 ? 2 : 1 });

    if (values.json) {
      const summary = {
        input,
        output,
        shape: [...vol.shape],
        dtype: vol.dtype,
        spacing: vol.spacing,
        orientation: vol.orientation,
      };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write(
        `wrote ${output}: ${vol.shape.join(" × ")} ${vol.dtype}, ${vol.spacing.map((s) => Number(s.toFixed(4))).join(" × ")} mm, ${vol.orientation}\n`,
      );
    }
    return 0;
  },
};
