import { parseArgs } from "node:util";
import {
  InputError,
  nn,
  readSafetensors,
  readScan,
  sliceStack,
  type Volume,
  writeSafetensors,
} from "../../../src/index.js";
import type { Command } from "../command.js";
import { terminalProgress } from "../progress.js";

const USAGE = `usage: medadapt embed --backbone DIR (--pixels IN.safetensors | --input SCAN) --out OUT.safetensors
                      [--batch N] [--threads N] [--modality ct|mr] [--json]

Runs a Hugging Face vision backbone (DINOv2, DINOv3, SigLIP, MedGemma / Gemma 3 vision tower)
from its model folder (config.json + model.safetensors or a sharded index).

--pixels IN   IN holds pixel_values [N, 3, H, W] float32, already preprocessed. OUT receives
              last_hidden_state [N, T, D] and pooler_output [N, D] as transformers' model gives
              them (other sizes than image_size are handled as transformers does).
--input SCAN  a NIfTI file or DICOM folder; every axial slice is turned into an image (CT: the
              brain, subdural and bone windows as the three channels; MR: the volume scaled to
              [0, 1] by its 0.5 and 99.5 percentiles, repeated on three channels), preprocessed as
              the folder's preprocessor_config.json says (resize, centre crop, normalize; without
              one: resize to image_size), and embedded. OUT receives pooler_output [S, D] and
              patch_mean [S, D] (mean of the last hidden states over the patch tokens), slices
              inferior → superior — a feature cache for frozen-backbone training.

options:
  --batch N       images per run (default 8)
  --threads N     ONNX Runtime intra-op threads (default: ORT's choice)
  --modality M    ct or mr (default: the scan's modality, else ct when its minimum is below −500)
  --json          one JSON object on stdout: {backbone, arch, prefix, out, images, tokens, dim, seconds}
`;

async function readPixels(path: string): Promise<{ data: Float32Array; shape: number[] }> {
  const f = await readSafetensors(path);
  try {
    if (!f.has("pixel_values")) throw new InputError("no tensor named pixel_values", path);
    const shape = f.info("pixel_values").shape;
    if (shape.length !== 4) throw new InputError(`pixel_values must be [N, C, H, W], got [${shape}]`, path);
    return { data: await f.float32("pixel_values"), shape };
  } finally {
    await f.close();
  }
}

function percentile(sorted: Float32Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))] as number;
}

/** Slices [S, 3, H, W] in [0, 1]. */
function sliceImages(
  vol: Volume,
  modality: string,
): { data: Float32Array; shape: [number, number, number, number] } {
  if (modality === "ct") {
    const s = sliceStack(vol, "axial", { windows: ["brain", "subdural", "bone"] });
    return { data: s.data, shape: s.shape as [number, number, number, number] };
  }
  const s = sliceStack(vol, "axial");
  const [n, h, w] = s.shape as [number, number, number];
  const finite = s.data.filter(Number.isFinite).sort();
  const lo = finite.length ? percentile(finite, 0.005) : 0;
  const hi = finite.length ? percentile(finite, 0.995) : 1;
  const span = hi > lo ? hi - lo : 1;
  const out = new Float32Array(n * 3 * h * w);
  for (let i = 0; i < n; i++)
    for (let p = 0; p < h * w; p++) {
      const v = Math.min(Math.max(((s.data[i * h * w + p] as number) - lo) / span, 0), 1);
      for (let c = 0; c < 3; c++) out[(i * 3 + c) * h * w + p] = v;
    }
  return { data: out, shape: [n, 3, h, w] };
}

function minOf(vol: Volume): number {
  const r = vol.real();
  let m = Number.POSITIVE_INFINITY;
  for (let i = 0; i < r.length; i++) if ((r[i] as number) < m) m = r[i] as number;
  return m;
}

export const embed: Command = {
  name: "embed",
  summary: "run a Hugging Face vision backbone on pixel tensors or on a scan's slices",
  usage: USAGE,
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: {
        backbone: { type: "string" },
        pixels: { type: "string" },
        input: { type: "string" },
        out: { type: "string" },
        batch: { type: "string" },
        threads: { type: "string" },
        modality: { type: "string" },
        json: { type: "boolean", default: false },
      },
      strict: true,
    });
    if (!values.backbone) throw new InputError("--backbone DIR is required");
    if (!values.out) throw new InputError("--out OUT.safetensors is required");
    if (!values.pixels === !values.input) throw new InputError("give exactly one of --pixels and --input");
    const intArg = (v: string | undefined, name: string, dflt: number | undefined) => {
      if (v === undefined) return dflt;
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1)
        throw new InputError(`${name} must be a positive integer (got "${v}")`);
      return n;
    };
    const batch = intArg(values.batch, "--batch", 8) as number;
    const threads = intArg(values.threads, "--threads", undefined);
    const t0 = performance.now();
    const loaded = await nn.loadBackbone(values.backbone);
    const progress = terminalProgress("embed");
    const opts = {
      batch,
      onProgress: progress,
      ...(threads !== undefined ? { intraOpThreads: threads } : {}),
    };
    let images: number;
    let tokens: number;
    let dim: number;
    if (values.pixels) {
      const px = await readPixels(values.pixels);
      if (px.shape[1] !== loaded.model.numChannels) {
        throw new InputError(
          `pixel_values has ${px.shape[1]} channels, the backbone takes ${loaded.model.numChannels}`,
          values.pixels,
        );
      }
      const e = await nn.embedPixels(loaded.model, px.data, px.shape, opts);
      [images, tokens, dim] = e.lastShape;
      await writeSafetensors(values.out, {
        last_hidden_state: { dtype: "F32", shape: e.lastShape, data: e.lastHiddenState },
        pooler_output: { dtype: "F32", shape: e.pooledShape, data: e.poolerOutput },
      });
    } else {
      const input = values.input as string;
      const vols = await readScan(input);
      if (vols.length !== 1) throw new InputError(`expected one series, found ${vols.length}`, input);
      const vol = vols[0] as Volume;
      const modality =
        values.modality ??
        (vol.meta.modality ? vol.meta.modality.toLowerCase() : minOf(vol) < -500 ? "ct" : "mr");
      if (modality !== "ct" && modality !== "mr")
        throw new InputError(`--modality must be ct or mr (got "${modality}")`);
      const slices = sliceImages(vol, modality);
      const pre = nn.preprocessImages(
        slices.data,
        slices.shape,
        loaded.preprocessing,
        loaded.imageSize,
        nn.bicubicResize,
      );
      const e = await nn.embedPixels(loaded.model, pre.data, pre.shape, opts);
      [images, tokens, dim] = e.lastShape;
      // Prefix tokens (CLS, registers) come first; the patch grid is the last grid-size tokens.
      const grid = Math.floor(pre.shape[2] / loaded.patchSize) * Math.floor(pre.shape[3] / loaded.patchSize);
      const patchMean = new Float32Array(images * dim);
      for (let i = 0; i < images; i++)
        for (let k = tokens - grid; k < tokens; k++)
          for (let j = 0; j < dim; j++)
            patchMean[i * dim + j] += (e.lastHiddenState[(i * tokens + k) * dim + j] as number) / grid;
      await writeSafetensors(
        values.out,
        {
          pooler_output: { dtype: "F32", shape: e.pooledShape, data: e.poolerOutput },
          patch_mean: { dtype: "F32", shape: [images, dim], data: patchMean },
        },
        { backbone: values.backbone, arch: loaded.spec.arch, plane: "axial", modality, input },
      );
    }
    const seconds = (performance.now() - t0) / 1000;
    const report = {
      backbone: values.backbone,
      arch: loaded.spec.arch,
      prefix: loaded.prefix,
      out: values.out,
      images,
      tokens,
      dim,
      seconds: Number(seconds.toFixed(3)),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else
      process.stdout.write(
        `${loaded.spec.arch} (${values.backbone}): ${images} image(s) → ${tokens} tokens × ${dim} → ${values.out} in ${report.seconds} s\n`,
      );
    return 0;
  },
};
