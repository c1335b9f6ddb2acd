// Trainer throughput and overhead on the frozen-feature path (an MLP head over cached slice-pooled
// embeddings): a bare compiled step + clip + AdamW vs. the full loop (validation AUC, checkpoint
// each epoch, metrics, logs), plus checkpoint write/read times.
// Usage: npm run bench:train [-- --json] [--cases 1024] [--dim 768] [--hidden 256] [--findings 75] [--batch 32] [--epochs 4]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { clipGradNorm, engine, train as T } from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    cases: { type: "string", default: "1024" },
    dim: { type: "string", default: "768" },
    hidden: { type: "string", default: "256" },
    findings: { type: "string", default: "75" },
    batch: { type: "string", default: "32" },
    epochs: { type: "string", default: "4" },
    threads: { type: "string", default: "0" },
  },
});
const n = Number(values.cases);
const dim = Number(values.dim);
const hidden = Number(values.hidden);
const nf = Number(values.findings);
const batchSize = Number(values.batch);
const epochs = Number(values.epochs);
const threads = Number(values.threads);

const findings = Array.from({ length: nf }, (_, i) => `f${i}`);
function set(cases: number, seed: number): T.ArraySet {
  const x = Float32Array.from(engine.randn(cases * dim, seed));
  const u = engine.randn(cases * nf, seed + 100);
  // Finding f is x[f mod dim] > 0.5, with ~10 % of labels missing.
  const labels = Float32Array.from({ length: cases * nf }, (_, i) =>
    u[i]! > 1.28 ? Number.NaN : Number(x[Math.floor(i / nf) * dim + ((i % nf) % dim)]! > 0.5),
  );
  return { inputs: { features: { data: x, shape: [cases, dim] } }, labels };
}
const data = T.memoryData(findings, set(n, 1), set(Math.max(64, n / 4), 2), { batchSize, dropLast: true });
const model = () => T.linearProbe({ dim, findings: nf, hidden, seed: 1 });
const root = mkdtempSync(join(tmpdir(), "medadapt-bench-train-"));
const cfg = (runDir: string) =>
  T.trainConfig({
    runDir,
    train: { epochs, batchSize, groups: [], threads, earlyStopping: { patience: 0 } },
  });

interface Row {
  what: string;
  ms: number;
  note: string;
}
const rows: Row[] = [];

try {
  // 1. Bare: compiled step + clip + AdamW over one epoch, after a warm-up epoch.
  const bare = new T.Trainer(model(), data, cfg(join(root, "bare")));
  const ctx = (e: number) => T.epochContext(0, e);
  const bareEpoch = async (e: number) => {
    let steps = 0;
    for await (const b of data.train(ctx(e))) {
      const { step } = await bare.stepFor(b);
      const { targets, mask } = T.splitLabels(b.labels);
      const { grads } = await step.run({
        features: b.inputs.features!.data,
        "labels.targets": targets,
        "labels.mask": mask,
      });
      clipGradNorm(grads, 1);
      bare.optimizer.step(grads);
      steps++;
    }
    return steps;
  };
  await bareEpoch(0);
  // Best of three epochs: the machine is shared, the minimum is the least disturbed figure.
  let bareMs = Number.POSITIVE_INFINITY;
  let t0 = 0;
  for (let e = 1; e <= 3; e++) {
    t0 = performance.now();
    const steps = await bareEpoch(e);
    bareMs = Math.min(bareMs, (performance.now() - t0) / steps);
  }
  rows.push({
    what: "bare step (run + clip + AdamW)",
    ms: bareMs,
    note: `${((batchSize * 1000) / bareMs).toFixed(0)} cases/s`,
  });
  await bare.validate(0); // compiles the prediction programs
  t0 = performance.now();
  await bare.validate(0);
  const valMs = performance.now() - t0;
  rows.push({
    what: "validation (predict + per-finding AUC)",
    ms: valMs,
    note: `${Math.max(64, n / 4)} cases × ${nf} findings`,
  });

  // 2. The full loop.
  t0 = performance.now();
  const res = await T.train(model(), data, cfg(join(root, "run")), { progress: null });
  const totalMs = performance.now() - t0;
  // Best epoch after the first (which compiles).
  const epochMs = Math.min(...res.history.slice(1).map((r) => r.seconds)) * 1000;
  const perStep = epochMs / data.stepsPerEpoch;
  rows.push({
    what: "trainer epoch, best (steps + val + checkpoint)",
    ms: epochMs,
    note: `${data.stepsPerEpoch} steps; ${(perStep / bareMs).toFixed(2)}× the bare step per step incl. validation and checkpoint`,
  });
  rows.push({ what: "train() total (incl. compile, summary)", ms: totalMs, note: `${epochs} epochs` });

  // 3. Checkpoints.
  const trainer = new T.Trainer(model(), data, cfg(join(root, "ck")));
  const last = join(root, "run", "checkpoints", "last");
  const ck = await T.readCheckpoint(last);
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    t0 = performance.now();
    await T.writeCheckpoint(join(root, "ck", "last"), {
      params: trainer.params,
      optimizer: trainer.optimizer,
      state: ck.state,
    });
    times.push(performance.now() - t0);
  }
  const weights = [...trainer.params.values()].reduce((s, p) => s + p.data.length, 0);
  const bytes =
    statSync(join(last, "params.safetensors")).size + statSync(join(last, "optimizer.safetensors")).size;
  rows.push({
    what: "checkpoint write (weights + AdamW state)",
    ms: Math.min(...times),
    note: `${(weights / 1e6).toFixed(2)} M weights, ${(bytes / 1e6).toFixed(1)} MB`,
  });
  t0 = performance.now();
  const again = await T.readCheckpoint(last);
  T.restoreParams(trainer.params, again.params, last);
  rows.push({ what: "checkpoint read + restore weights", ms: performance.now() - t0, note: "" });
  await engine.releaseSessions();

  const setup = { cases: n, dim, hidden, findings: nf, batchSize, epochs, threads: threads || "ORT default" };
  if (values.json) {
    console.log(JSON.stringify({ setup, rows }, null, 2));
  } else {
    console.log(
      `MLP head ${dim}→${hidden}→${nf} over ${n} cached feature vectors, batch ${batchSize}, ${epochs} epochs`,
    );
    console.log(`${"what".padEnd(46)} ${"ms".padStart(9)}  note`);
    for (const r of rows) console.log(`${r.what.padEnd(46)} ${r.ms.toFixed(2).padStart(9)}  ${r.note}`);
  }
} finally {
  rmSync(root, { recursive: true, force: true });
}
