// Speed of safetensors I/O and half-precision conversion, one core.
// Usage: npm run bench:safetensors [-- --json] [--mb 256] [--tensors 64] [--repeat 3]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  bf16ToFloat32,
  f16ToFloat32,
  float32ToBF16,
  float32ToF16,
  Rng,
  readSafetensors,
  type SafetensorsInput,
  writeSafetensors,
} from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    mb: { type: "string", default: "256" },
    tensors: { type: "string", default: "64" },
    repeat: { type: "string", default: "3" },
  },
});
const count = Number(values.tensors);
const repeat = Number(values.repeat);
const per = Math.floor((Number(values.mb) * 2 ** 20) / 4 / count);

const rng = new Rng(1);
const data = Array.from({ length: count }, () =>
  Float32Array.from({ length: per }, () => rng.uniform(-2, 2)),
);
const f32Tensors: SafetensorsInput = Object.fromEntries(
  data.map((d, i) => [`blocks.${i}.weight`, { dtype: "F32" as const, shape: [per], data: d }]),
);
const bf16Tensors: SafetensorsInput = Object.fromEntries(
  data.map((d, i) => [`blocks.${i}.weight`, { dtype: "BF16" as const, shape: [per], data: d }]),
);

interface Row {
  op: string;
  /** Bytes of Float32 data the operation covers (the file size for whole-file operations). */
  mb: number;
  ms: number;
  mbPerS: number;
}
const rows: Row[] = [];

async function time(op: string, mb: number, fn: () => unknown): Promise<void> {
  await fn();
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  rows.push({ op, mb, ms: best, mbPerS: mb / (best / 1000) });
}

const totalMb = (per * count * 4) / 2 ** 20;
const oneMb = (per * 4) / 2 ** 20;
const dir = mkdtempSync(join(tmpdir(), "medadapt-bench-"));
try {
  const f32Path = join(dir, "f32.safetensors");
  const bf16Path = join(dir, "bf16.safetensors");
  await time(`write F32 (${count} tensors)`, totalMb, () => writeSafetensors(f32Path, f32Tensors));
  await time("write BF16 from Float32", totalMb, () => writeSafetensors(bf16Path, bf16Tensors));
  await time("open + parse header", totalMb, async () => (await readSafetensors(f32Path)).close());
  await time("read all F32 tensors", totalMb, async () => {
    const f = await readSafetensors(f32Path);
    for (const name of f.names()) await f.tensor(name);
    await f.close();
  });
  await time("read one F32 tensor", oneMb, async () => {
    const f = await readSafetensors(f32Path);
    await f.tensor(`blocks.${count >> 1}.weight`);
    await f.close();
  });
  await time("read all BF16 → Float32", totalMb, async () => {
    const f = await readSafetensors(bf16Path);
    for (const name of f.names()) await f.float32(name);
    await f.close();
  });
  const src = data[0]!;
  const half = float32ToF16(src);
  const brain = float32ToBF16(src);
  await time("float32ToF16 (memory)", oneMb, () => float32ToF16(src, half));
  await time("f16ToFloat32 (memory)", oneMb, () => f16ToFloat32(half));
  await time("float32ToBF16 (memory)", oneMb, () => float32ToBF16(src, brain));
  await time("bf16ToFloat32 (memory)", oneMb, () => bf16ToFloat32(brain));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (values.json) {
  console.log(JSON.stringify({ tensors: count, elementsPerTensor: per, repeat, rows }, null, 2));
} else {
  console.log(
    `${count} tensors × ${per} Float32 = ${totalMb.toFixed(0)} MB, best of ${repeat} (file in ${tmpdir()})`,
  );
  console.log(`${"operation".padEnd(30)} ${"MB".padStart(7)} ${"ms".padStart(9)} ${"MB/s".padStart(8)}`);
  for (const r of rows) {
    console.log(
      `${r.op.padEnd(30)} ${r.mb.toFixed(0).padStart(7)} ${r.ms.toFixed(1).padStart(9)} ${r.mbPerS.toFixed(0).padStart(8)}`,
    );
  }
}
