// Speed of the host-side optimizer updates, clipping and state save/load, one core.
// Usage: npm run bench:optim [-- --json] [--params 10000000] [--tensors 100] [--repeat 5]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { AdamW, clipGradNorm, loadOptimizerState, Rng, SGD, saveOptimizerState } from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    params: { type: "string", default: "10000000" },
    tensors: { type: "string", default: "100" },
    repeat: { type: "string", default: "5" },
  },
});
const total = Number(values.params);
const count = Number(values.tensors);
const repeat = Number(values.repeat);
const per = Math.ceil(total / count);

const rng = new Rng(1);
const rand = () => rng.uniform(-0.5, 0.5);
const filled = () => Float32Array.from({ length: per }, rand);
const params = new Map(Array.from({ length: count }, (_, i) => [`layer.${i}.weight`, filled()] as const));
const grads = new Map([...params.keys()].map((n) => [n, filled()] as const));
const n = per * count;

interface Row {
  op: string;
  params: number;
  /** Best wall-clock time over the repeats. */
  ms: number;
  nsPerParam: number;
}
const rows: Row[] = [];

async function time(op: string, fn: () => unknown): Promise<void> {
  await fn(); // warm-up: JIT and first-step state allocation happen outside the timing.
  let best = Number.POSITIVE_INFINITY;
  for (let r = 0; r < repeat; r++) {
    const t0 = performance.now();
    await fn();
    best = Math.min(best, performance.now() - t0);
  }
  rows.push({ op, params: n, ms: best, nsPerParam: (best * 1e6) / n });
}

const adamw = new AdamW(params, { lr: 1e-4, weightDecay: 0.01 });
await time("AdamW step", () => adamw.step(grads));
const ams = new AdamW(params, { lr: 1e-4, amsgrad: true });
await time("AdamW step (amsgrad)", () => ams.step(grads));
const sgd = new SGD(params, { lr: 1e-4, momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
await time("SGD step (nesterov, wd)", () => sgd.step(grads));
await time("clipGradNorm (L2, no clip)", () => clipGradNorm(grads, 1e9));
await time("clipGradNorm (L2, clips)", () => clipGradNorm(grads, 1e-3));
await time("AdamW stateDict (copy)", () => adamw.stateDict());
const dir = mkdtempSync(join(tmpdir(), "medadapt-bench-"));
try {
  const path = join(dir, "optimizer.safetensors");
  await time("AdamW save state (safetensors)", () => saveOptimizerState(path, adamw));
  await time("AdamW load state (safetensors)", () => loadOptimizerState(path, adamw));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (values.json) {
  console.log(JSON.stringify({ params: n, tensors: count, repeat, rows }, null, 2));
} else {
  console.log(`${(n / 1e6).toFixed(1)} M Float32 parameters in ${count} tensors, best of ${repeat}`);
  console.log(`${"operation".padEnd(32)} ${"ms".padStart(9)} ${"ns/param".padStart(9)}`);
  for (const r of rows)
    console.log(`${r.op.padEnd(32)} ${r.ms.toFixed(1).padStart(9)} ${r.nsPerParam.toFixed(2).padStart(9)}`);
}
