// Speed of the training data path on synthetic head-CT-sized scans written as NIfTI (.nii.gz).
// Usage: npm run bench:data [-- --json] [--n 8] [--shape 512x512x32] [--size 224] [--repeat 2]
// Reported: per-scan preprocessing (read + reorient + windows + slices + resize) for the axial
// slice path, the three-plane path and the 3D path; augmentation per prepared case; loader
// throughput (scans/s) with 0, 1 and 2 worker threads; feature cache put/get per case.
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  applyAugment,
  augmentConfig,
  type DataCase,
  drawAugment,
  FeatureCache,
  loadBatches,
  mat4,
  prepareCase,
  preprocessConfig,
  Volume,
  writeNifti,
} from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    n: { type: "string", default: "8" },
    shape: { type: "string", default: "512x512x32" },
    size: { type: "string", default: "224" },
    repeat: { type: "string", default: "2" },
  },
});
const n = Math.max(2, Number(values.n));
const shape = values.shape.split("x").map(Number) as [number, number, number];
const size = Number(values.size);
const repeat = Math.max(1, Number(values.repeat));

const dir = mkdtempSync(join(tmpdir(), "medadapt-bench-data-"));
process.on("exit", () => rmSync(dir, { recursive: true, force: true }));

/** A head-like scan: an ellipse of brain (30 HU) in a bone ring (1000 HU) in air, plus noise. */
function scan(seed: number): Volume {
  const [nx, ny, nz] = shape;
  const data = new Int16Array(nx * ny * nz);
  let x = seed * 2654435761 + 1;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const r = Math.hypot((i - nx / 2) / (0.4 * nx), (j - ny / 2) / (0.45 * ny));
        x = (x * 1103515245 + 12345) >>> 0;
        const noise = ((x >>> 16) % 11) - 5;
        data[i + nx * (j + ny * k)] = (r < 0.93 ? 30 : r < 1 ? 1000 : -1000) + noise + 1024;
      }
  const affine = mat4([
    [-0.45, 0, 0, 115],
    [0, -0.45, 0, 115],
    [0, 0, 5, -80],
    [0, 0, 0, 1],
  ]);
  return new Volume({ data, dtype: "int16", shape, affine, scaling: { slope: 1, intercept: -1024 } });
}

const cases: DataCase[] = [];
for (let c = 0; c < n; c++) {
  const path = join(dir, `c${c}.nii.gz`);
  await writeNifti(path, scan(c));
  cases.push({
    id: `c${c}`,
    images: [path],
    contrasts: ["image"],
    masks: {},
    labels: Float32Array.of(c % 2),
    patient: `c${c}`,
    line: c + 2,
  });
}

async function best(fn: () => Promise<unknown>): Promise<number> {
  let ms = Number.POSITIVE_INFINITY;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    await fn();
    ms = Math.min(ms, performance.now() - t0);
  }
  return ms;
}

const rows: { task: string; unit: string; value: number }[] = [];
const axial = preprocessConfig({ size: [size, size], slices: shape[2] });
const three = preprocessConfig({ size: [size, size], planes: ["axial", "coronal", "sagittal"], slices: 32 });
const vol = preprocessConfig({ layout: "volume", size: [128, 128], slices: 64, spacing: [1, 1, 2] });
for (const [name, cfg] of [
  [`axial slices [${shape[2]}, 3, ${size}, ${size}]`, axial],
  [`3 planes [32, 3, ${size}, ${size}] each`, three],
  ["3D, 1×1×2 mm, [3, 64, 128, 128]", vol],
] as const) {
  const ms = await best(async () => {
    for (const c of cases) await prepareCase(c, cfg);
  });
  rows.push({ task: `prepare: ${name}`, unit: "ms/scan", value: ms / n });
}

const prepared = await prepareCase(cases[0]!, axial);
const aug = augmentConfig();
const augMs = await best(async () => {
  for (let e = 0; e < 4; e++) applyAugment(prepared, drawAugment(aug, 0, e, prepared.id));
});
rows.push({ task: `augment: axial [${shape[2]}, 3, ${size}, ${size}]`, unit: "ms/scan", value: augMs / 4 });

for (const workers of [0, 1, 2]) {
  const ms = await best(async () => {
    for await (const _ of loadBatches(cases, {
      config: axial,
      batchSize: 2,
      workers,
      augment: { config: aug, seed: 0, epoch: 0 },
    })) {
      // consume
    }
  });
  rows.push({ task: `loader, augmented, ${workers} worker(s)`, unit: "scans/s", value: (n * 1000) / ms });
}

const cache = new FeatureCache(join(dir, "cache"), { preprocess: axial, backbone: { id: "bench" } });
const feats = {
  slices: { dtype: "F32" as const, shape: [shape[2], 384], data: new Float32Array(shape[2] * 384) },
};
const putMs = await best(async () => {
  for (const c of cases) await cache.put(c, feats);
});
const getMs = await best(async () => {
  for (const c of cases) await cache.get(c);
});
rows.push({ task: `cache put [${shape[2]}, 384] f32`, unit: "ms/scan", value: putMs / n });
rows.push({ task: `cache get [${shape[2]}, 384] f32`, unit: "ms/scan", value: getMs / n });

const machine = { cpus: cpus().length, load1: Number(loadavg()[0]!.toFixed(2)) };
if (values.json) {
  process.stdout.write(`${JSON.stringify({ n, shape, size, repeat, machine, rows }, null, 2)}\n`);
} else {
  const w = Math.max(...rows.map((r) => r.task.length));
  process.stdout.write(`${"task".padEnd(w)}  ${"value".padStart(9)}  unit\n`);
  for (const r of rows)
    process.stdout.write(`${r.task.padEnd(w)}  ${r.value.toFixed(1).padStart(9)}  ${r.unit}\n`);
  process.stdout.write(
    `${n} scans of ${shape.join("×")} int16 (.nii.gz), best of ${repeat}; ${machine.cpus} CPUs, load average ${machine.load1}\n`,
  );
}
