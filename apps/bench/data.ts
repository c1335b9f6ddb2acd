// Speed of the training data path on synthetic head-CT-sized scans written as NIfTI (.nii.gz).
// Usage: npm run bench:data [-- --json] [--n 8] [--shape 512x512x32] [--size 224] [--repeat 2]
// Reported, as wall and CPU ms per scan and scans/s: preprocessing (read + reorient + windows +
// slices + resize) for the axial slice path, the three-plane path and the 3D path; augmentation
// of a prepared case; the loader (prepare + augment) with 0, 1 and 2 worker threads; feature
// cache put/get.
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

/** CPU time of the whole process (every thread, workers included), in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Best wall time of `repeat` runs, with that run's CPU time. */
async function best(fn: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  let out = { wall: Number.POSITIVE_INFINITY, cpu: 0 };
  for (let i = 0; i < repeat; i++) {
    const c0 = cpuMs();
    const t0 = performance.now();
    await fn();
    const wall = performance.now() - t0;
    if (wall < out.wall) out = { wall, cpu: cpuMs() - c0 };
  }
  return out;
}

/** Per scan: wall and CPU ms, and scans per second of wall time. */
const rows: { task: string; wall_ms: number; cpu_ms: number; scans_per_s: number }[] = [];
const row = (task: string, t: { wall: number; cpu: number }, scans: number) =>
  rows.push({ task, wall_ms: t.wall / scans, cpu_ms: t.cpu / scans, scans_per_s: (scans * 1000) / t.wall });

const axial = preprocessConfig({ size: [size, size], slices: shape[2] });
const three = preprocessConfig({ size: [size, size], planes: ["axial", "coronal", "sagittal"], slices: 32 });
const vol = preprocessConfig({ layout: "volume", size: [128, 128], slices: 64, spacing: [1, 1, 2] });
for (const [name, cfg] of [
  [`axial slices [${shape[2]}, 3, ${size}, ${size}]`, axial],
  [`3 planes [32, 3, ${size}, ${size}] each`, three],
  ["3D, 1×1×2 mm, [3, 64, 128, 128]", vol],
] as const) {
  const t = await best(async () => {
    for (const c of cases) await prepareCase(c, cfg);
  });
  row(`prepare: ${name}`, t, n);
}

const prepared = await prepareCase(cases[0]!, axial);
const aug = augmentConfig();
const augT = await best(async () => {
  for (let e = 0; e < 4; e++) applyAugment(prepared, drawAugment(aug, 0, e, prepared.id));
});
row(`augment: axial [${shape[2]}, 3, ${size}, ${size}]`, augT, 4);

for (const workers of [0, 1, 2]) {
  const t = await best(async () => {
    for await (const _ of loadBatches(cases, {
      config: axial,
      batchSize: 2,
      workers,
      augment: { config: aug, seed: 0, epoch: 0 },
    })) {
      // consume
    }
  });
  row(`loader (prepare + augment), ${workers} worker(s)`, t, n);
}

const cache = new FeatureCache(join(dir, "cache"), { preprocess: axial, backbone: { id: "bench" } });
const feats = {
  slices: { dtype: "F32" as const, shape: [shape[2], 384], data: new Float32Array(shape[2] * 384) },
};
row(
  `cache put [${shape[2]}, 384] f32`,
  await best(async () => {
    for (const c of cases) await cache.put(c, feats);
  }),
  n,
);
row(
  `cache get [${shape[2]}, 384] f32`,
  await best(async () => {
    for (const c of cases) await cache.get(c);
  }),
  n,
);

const machine = { cpus: cpus().length, load1: Number(loadavg()[0]!.toFixed(2)) };
if (values.json) {
  process.stdout.write(`${JSON.stringify({ n, shape, size, repeat, machine, rows }, null, 2)}\n`);
} else {
  const w = Math.max(...rows.map((r) => r.task.length));
  process.stdout.write(
    `${"task".padEnd(w)}  ${"wall ms/scan".padStart(12)}  ${"cpu ms/scan".padStart(11)}  ${"scans/s".padStart(8)}\n`,
  );
  for (const r of rows)
    process.stdout.write(
      `${r.task.padEnd(w)}  ${r.wall_ms.toFixed(1).padStart(12)}  ${r.cpu_ms.toFixed(1).padStart(11)}  ${r.scans_per_s.toFixed(2).padStart(8)}\n`,
    );
  process.stdout.write(
    `${n} scans of ${shape.join("×")} int16 (.nii.gz), best of ${repeat}; cpu counts every thread of the process; ${machine.cpus} CPUs, load average ${machine.load1}\n`,
  );
}
