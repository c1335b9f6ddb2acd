// Speed of the volume geometry operations on a synthetic int16 CT-sized volume, one core.
// Usage: npm run bench:resample [-- --json] [--size 256,256,160] [--repeat 3]
import { parseArgs } from "node:util";
import {
  cropOrPad,
  mat4,
  normalizeZScore,
  Rng,
  reorient,
  resample,
  resampleTo,
  scalePercentiles,
  sliceStack,
  Volume,
  windowCT,
} from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    size: { type: "string", default: "256,256,160" },
    repeat: { type: "string", default: "3" },
  },
});
const [nx, ny, nz] = values.size.split(",").map(Number) as [number, number, number];
const repeat = Number(values.repeat);

const data = new Int16Array(nx * ny * nz);
const rng = new Rng(1);
for (let i = 0; i < data.length; i++) data[i] = rng.int(-1024, 1975);
const volume = new Volume({
  data,
  dtype: "int16",
  shape: [nx, ny, nz],
  affine: mat4([
    [-0.5, 0, 0, 60],
    [0, -0.5, 0, 70],
    [0, 0, 1, -80],
    [0, 0, 0, 1],
  ]),
  scaling: { slope: 1, intercept: 0 },
});

interface Row {
  op: string;
  outputVoxels: number;
  /** Best wall-clock time, and best CPU time (user + system) — the latter is steadier on a busy machine. */
  ms: number;
  cpuMs: number;
  /** Output voxels per second, from the best wall-clock and the best CPU time. */
  mVoxelsPerS: number;
  mVoxelsPerCpuS: number;
}
const rows: Row[] = [];

function time(op: string, fn: () => { voxels: number }): void {
  fn(); // warm-up: lets the JIT compile the kernel before timing.
  let best = Number.POSITIVE_INFINITY;
  let cpu = Number.POSITIVE_INFINITY;
  let voxels = 0;
  for (let r = 0; r < repeat; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    voxels = fn().voxels;
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    best = Math.min(best, ms);
    cpu = Math.min(cpu, (c.user + c.system) / 1000);
  }
  rows.push({
    op,
    outputVoxels: voxels,
    ms: best,
    cpuMs: cpu,
    mVoxelsPerS: voxels / best / 1000,
    mVoxelsPerCpuS: voxels / cpu / 1000,
  });
}

// A grid turned 0.2 rad in-plane that stays mostly inside the scan (few fill voxels).
const c = Math.cos(0.2);
const s = Math.sin(0.2);
const oblique = mat4([
  [-0.6 * c, 0.6 * s, 0, 45],
  [-0.6 * s, -0.6 * c, 0, 62],
  [0, 0, 1.1, -75],
  [0, 0, 0, 1],
]);

time("reorient LPS→RAS (int16 copy)", () => reorient(volume, "RAS"));
time("reorient LPS→PIR (int16 copy)", () => reorient(volume, "PIR"));
time("resample linear 0.5→0.7 mm", () => resample(volume, { spacing: [0.7, 0.7, 1] }));
time("resample linear up 0.5→0.4 mm", () => resample(volume, { spacing: [0.4, 0.4, 0.8] }));
time("resample nearest 0.5→0.7 mm", () => resample(volume, { spacing: [0.7, 0.7, 1], mode: "nearest" }));
time("resampleTo oblique linear", () => resampleTo(volume, [180, 180, 130], oblique));
time("resampleTo oblique nearest", () => resampleTo(volume, [180, 180, 130], oblique, "nearest"));
time("windowCT 3 presets", () => {
  const w = windowCT(volume, ["brain", "subdural", "bone"]);
  return { voxels: w.data.length };
});
time("z-score (all voxels)", () => normalizeZScore(volume));
time("percentile 1/99 rescale", () => scalePercentiles(volume, { lower: 1, upper: 99 }));
time("cropOrPad to 224×224×160", () => cropOrPad(volume, [224, 224, 160]));
time("sliceStack axial", () => {
  const st = sliceStack(volume, "axial");
  return { voxels: st.data.length };
});

if (values.json) {
  console.log(JSON.stringify({ shape: [nx, ny, nz], dtype: "int16", repeat, rows }, null, 2));
} else {
  console.log(
    `input int16 [${nx}, ${ny}, ${nz}] = ${((nx * ny * nz) / 1e6).toFixed(1)} M voxels, best of ${repeat}`,
  );
  const head = ["out voxels", "wall ms", "cpu ms", "M vox/s", "M vox/cpu s"]
    .map((h) => h.padStart(11))
    .join(" ");
  console.log(`${"operation".padEnd(34)} ${head}`);
  for (const r of rows) {
    const cells = [r.outputVoxels, r.ms, r.cpuMs, r.mVoxelsPerS, r.mVoxelsPerCpuS].map((x, i) =>
      i === 0 ? String(x) : x.toFixed(1),
    );
    console.log(`${r.op.padEnd(34)} ${cells.map((x) => x.padStart(11)).join(" ")}`);
  }
  console.log("Best of the runs for wall and CPU time separately; on a shared machine trust the CPU column.");
}
