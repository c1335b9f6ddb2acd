// AnyMC3D speed: inference latency per scan (compiled forward, B = 1) and training throughput
// (scans/s through the trainer: forward + backward + AdamW, batches from memory) per method, with
// the training step's time as a ratio to the plain forward of the same batch.
// Usage: npm run bench:tasks [-- --json] [--backbone tiny-dinov2] [--size 32] [--slices 8]
//        [--scans 32] [--batch 4] [--methods linear_probe,lora,molre] [--pooling attention]
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { engine, nn, pipelines, train as T, tasks } from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    backbone: { type: "string", default: "tiny-dinov2" },
    size: { type: "string", default: "32" },
    slices: { type: "string", default: "8" },
    scans: { type: "string", default: "32" },
    batch: { type: "string", default: "4" },
    methods: { type: "string", default: "linear_probe,lora,molre" },
    pooling: { type: "string", default: "attention" },
    repeats: { type: "string", default: "5" },
  },
});
const size = Number(values.size);
const slices = Number(values.slices);
const scans = Number(values.scans);
const batch = Number(values.batch);
const repeats = Number(values.repeats);
const methods = values.methods.split(",");
const C = 3;
const findings = ["f0", "f1", "f2"];

async function build(method: string) {
  const mc = tasks.taskModelConfig({ backbone: values.backbone, method, pooling: values.pooling });
  return tasks.buildTaskModel(mc, {
    findings: findings.length,
    views: ["axial"],
    channels: C,
    size: [size, size],
    seed: 1,
  });
}

function set(n: number, seed: number): T.ArraySet {
  const per = slices * C * size * size;
  const data = Float32Array.from(engine.randn(n * per, seed), (v) => v * 0.5);
  const labels = Float32Array.from({ length: n * findings.length }, (_, i) =>
    (i * 7919 + seed) % 3 === 0 ? 1 : 0,
  );
  return { inputs: { axial: { data, shape: [n, slices, C, size, size] } }, labels };
}

async function forwardSeconds(model: tasks.AnyMc3d, b: number): Promise<number> {
  const g = new engine.Graph();
  const x = g.input("axial", [b, slices, C, size, size], "float32");
  const logits = model.classify(new nn.BuildContext(model, { graph: g }), { axial: x }).logits;
  const p = await engine.compile({ logits });
  const feed = { axial: Float32Array.from(engine.randn(b * slices * C * size * size, 3)) };
  await p.run(feed);
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now();
    await p.run(feed);
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, c) => a - c)[0]!;
}

interface Row {
  method: string;
  trainable: number;
  added: number;
  forward_s_per_scan: number;
  train_scans_per_s: number;
  step_over_forward: number;
}

const root = mkdtempSync(join(tmpdir(), "medadapt-bench-tasks-"));
const load0 = loadavg()[0]!;
const rows: Row[] = [];
try {
  for (const method of methods) {
    const built = await build(method);
    const fwd1 = await forwardSeconds(built.model, 1);
    const fwdB = await forwardSeconds(built.model, batch);
    const data = T.memoryData(findings, set(scans, 1), set(batch, 2), { batchSize: batch, dropLast: true });
    const cfg = T.trainConfig({
      runDir: join(root, method),
      train: { epochs: 2, batchSize: batch, earlyStopping: { patience: 0 } },
    });
    const r = await T.train(
      pipelines.anyMc3dTrainable(built.model, { loadBalanceWeight: built.loadBalanceWeight }),
      data,
      cfg,
      { progress: null },
    );
    // Epoch 2: programs compiled, JIT warm; its one validation batch (a forward) is taken out.
    const steps = Math.floor(scans / batch);
    const sec = Math.max(1e-9, r.history[1]!.seconds - fwdB);
    rows.push({
      method,
      trainable: built.summary.trainableParams,
      added: built.summary.addedParams,
      forward_s_per_scan: fwd1,
      train_scans_per_s: (steps * batch) / sec,
      step_over_forward: sec / steps / fwdB,
    });
    engine.releaseSessions();
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
const setup = {
  backbone: values.backbone,
  input: `${slices}×${C}×${size}²`,
  scans,
  batch,
  pooling: values.pooling,
  load_before: load0,
  load_after: loadavg()[0]!,
};
if (values.json) {
  process.stdout.write(`${JSON.stringify({ setup, rows })}\n`);
} else {
  console.log(
    `AnyMC3D ${setup.backbone}, ${setup.input} per scan, batch ${batch}, ${scans} training scans (load ${load0.toFixed(1)} → ${setup.load_after.toFixed(1)})`,
  );
  const head = ["method", "trainable", "added", "forward s/scan", "train scans/s", "step/forward"];
  const cells = rows.map((r) => [
    r.method,
    String(r.trainable),
    String(r.added),
    r.forward_s_per_scan.toFixed(4),
    r.train_scans_per_s.toFixed(2),
    r.step_over_forward.toFixed(2),
  ]);
  const w = head.map((h, k) => Math.max(h.length, ...cells.map((c) => c[k]!.length)));
  for (const line of [head, ...cells])
    console.log(line.map((c, k) => (k === 0 ? c.padEnd(w[k]!) : c.padStart(w[k]!))).join("  "));
}
