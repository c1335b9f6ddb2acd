// The bench on a tiny phantom set with a tiny random backbone: the results file against the
// report layer's validator, the frozen-embedding path against the full model, DeLong of a run
// against itself, resume after a stop and a rerun that reads finished runs back.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { compile, Graph, releaseSessions } from "../../engine/index.js";
import { macroAuc } from "../../eval/findings.js";
import { BuildContext } from "../../nn/module.js";
import { generateHeadCtSet } from "../../phantom/index.js";
import { parseBenchResults } from "../../report/bench-results.js";
import { readCheckpoint } from "../../train/checkpoint.js";
import { loadTaskModel } from "../classification/predict.js";
import { type BenchConfig, benchConfig, taskConfigFor } from "./config.js";
import { delongVsBaseline } from "./evaluate.js";
import { classifyEmbeddings } from "./frozen.js";
import { predictSplit } from "./predict-split.js";
import { RUN_RECORD, runBench } from "./run.js";

let dir = "";
let manifest = "";
const FINDINGS = ["generalized_atrophy", "scalp_hematoma"];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "medadapt-bench-"));
  manifest = (
    await generateHeadCtSet(join(dir, "set"), {
      n: 20,
      seed: 5,
      shape: [32, 32, 8],
      workers: 1,
      prevalence: { generalized_atrophy: 0.5, scalp_hematoma: 0.4 },
    })
  ).manifest;
});
after(() => {
  releaseSessions();
  rmSync(dir, { recursive: true, force: true });
});

function config(out: string, epochs = 2): BenchConfig {
  return benchConfig({
    title: "tiny",
    data: {
      manifest,
      findings: FINDINGS,
      // A stratified 10/5/5 split, so the test split holds both classes of both findings.
      split: { fractions: { train: 0.5, val: 0.25, test: 0.25 }, seed: 1, force: true },
      preprocess: { size: [32, 32], slices: 4, planes: ["axial"] },
    },
    train: { epochs, batchSize: 4, earlyStopping: { patience: 0 } },
    model: { initStd: 0.3 },
    backbones: ["tiny-dinov2"],
    methods: [
      { label: "base", method: "linear_probe", pooling: "mean" },
      { label: "lora", method: "lora", adapter: { r: 2, lora_alpha: 4 } },
    ],
    seeds: [3],
    out,
    bootstrap: 100,
    heatmaps: 1,
  });
}

test("results.json passes the report's validator and describes every run", async () => {
  const out = join(dir, "a");
  const res = await runBench(config(out), { log: null, progress: null });
  assert.equal(res.aborted, false);
  const r = parseBenchResults(JSON.parse(readFileSync(res.resultsPath, "utf8")), res.resultsPath);
  assert.deepEqual(
    r.runs.map((x) => [x.method, x.adapter, x.pooling, x.seed]),
    [
      ["base", "linear_probe", "mean", 3],
      ["lora", "lora", "attention", 3],
    ],
  );
  assert.deepEqual(r.dataset.findings, FINDINGS);
  assert.deepEqual(r.dataset.cases, { train: 10, val: 5, test: 5 });
  assert.equal(r.runs[0]!.delong_vs_baseline, null);
  assert.ok(r.runs[1]!.delong_vs_baseline?.mean);
  // The linear probe trains the head only: D·F + F weights, nothing added to the backbone.
  assert.equal(r.runs[0]!.trainable_params, 32 * 2 + 2);
  assert.equal(r.runs[0]!.added_params, 0);
  assert.ok(r.runs[1]!.added_params > 0);
  const { readManifest } = await import("../../data/manifest.js");
  const truth = new Map(
    (await readManifest(manifest, { labels: FINDINGS })).cases.map((x) => [x.id, x.labels]),
  );
  for (const run of r.runs) {
    // One heat map: a test case positive for the finding it is drawn for.
    assert.equal(run.heatmaps?.length, 1);
    const h = run.heatmaps![0]!;
    assert.equal(truth.get(h.case_id)![FINDINGS.indexOf(h.finding)], 1);
    assert.ok(readFileSync(join(out, h.png)).subarray(1, 4).toString() === "PNG");
    assert.equal(run.epochs_run, 2);
    assert.equal(run.history.length, 2);
    assert.ok(existsSync(join(out, run.predictions_csv!)));
  }
  // One seed: the summary's mean is the run's value and there is no SD.
  for (const s of r.summary) {
    const run = r.runs.find((x) => x.method === s.method)!;
    assert.equal(s.n_seeds, 1);
    assert.equal(s.mean_auc_mean, run.test.mean_auc);
    assert.equal(s.mean_auc_sd, null);
  }
});

test("the baseline trained on cached embeddings: its recorded val AUC equals the full model's on the val split", async () => {
  const out = join(dir, "a");
  const c = config(out);
  const cfg = taskConfigFor(c, "tiny-dinov2", c.methods[0]!, 3);
  const ck = await readCheckpoint(join(cfg.runDir, "checkpoints", "best"));
  const m = await loadTaskModel(cfg.runDir, { from: "checkpoint" });
  const val = await predictSplit(m, "val");
  const n = val.ids.length;
  const auc = macroAuc({ rows: n, cols: 2, data: val.labels }, { rows: n, cols: 2, data: val.probs }).mean;
  const best = ck.state.history.find((h) => h.epoch === ck.state.best!.epoch)!;
  assert.ok(auc !== null && best.valMeanAuc !== null);
  assert.ok(Math.abs(auc - best.valMeanAuc) < 1e-9, `${auc} vs ${best.valMeanAuc}`);
});

test("classifyEmbeddings on the backbone's slice embeddings = AnyMc3d.classify on the slices", async () => {
  const c = config(join(dir, "b"));
  const cfg = taskConfigFor(c, "tiny-dinov2", c.methods[0]!, 3);
  const { buildForConfig } = await import("../classification/job.js");
  const built = await buildForConfig(cfg, FINDINGS, 1);
  const model = built.model;
  const x = new Float32Array(2 * 4 * 3 * 32 * 32).map((_, i) => Math.sin(i * 0.37) * 0.5 + 0.5);
  const g = new Graph();
  const ctx = new BuildContext(model, { graph: g });
  const input = g.input("axial", [2, 4, 3, 32, 32], "float32");
  const full = model.classify(ctx, { axial: input }).logits;
  const viaSlices = classifyEmbeddings(model, ctx, { axial: model.encodeSlices(ctx, input) });
  const res = (await (await compile({ full, viaSlices })).run({ axial: x })) as Record<string, Float32Array>;
  for (let i = 0; i < res.full!.length; i++) assert.ok(Math.abs(res.full![i]! - res.viaSlices![i]!) < 1e-5);
});

test("DeLong of a run against itself: p = 1, difference 0", async () => {
  const c = config(join(dir, "a"));
  const cfg = taskConfigFor(c, "tiny-dinov2", c.methods[1]!, 3);
  const pred = await predictSplit(await loadTaskModel(cfg.runDir), "test");
  const d = delongVsBaseline(pred, pred);
  assert.deepEqual(d.mean, { diff: 0, p: 1 });
  for (const f of FINDINGS) assert.deepEqual(d.findings[f], { diff: 0, p: 1 });
});

test("a bench stopped during a run resumes it and ends as the uninterrupted one; a rerun reads runs back", async () => {
  const out = join(dir, "c");
  const ac = new AbortController();
  let epochs = 0;
  // Stop in the middle of the second run (LoRA), after its first epoch.
  const progress = {
    write(text: string) {
      if (/epoch 1\/2/.test(text) && ++epochs === 2) ac.abort();
    },
  };
  const stopped = await runBench(config(out), { log: null, progress, signal: ac.signal });
  assert.equal(stopped.aborted, true);
  const c = config(out);
  const loraDir = taskConfigFor(c, "tiny-dinov2", c.methods[1]!, 3).runDir;
  assert.ok(!existsSync(join(loraDir, RUN_RECORD)));
  const lines: string[] = [];
  const resumed = await runBench(c, { log: (l) => lines.push(l), progress: null });
  assert.ok(
    lines.some((l) => /already done/.test(l)),
    lines.join("\n"),
  );
  assert.ok(
    lines.some((l) => /resuming after epoch 1/.test(l)),
    lines.join("\n"),
  );
  // The reference: the same bench never stopped (the first test's).
  const ref = await runBench(config(join(dir, "a")), { log: null, progress: null });
  const strip = (r: typeof ref) =>
    r.results!.runs.map((x) => ({
      test: x.test,
      d: x.delong_vs_baseline,
      h: x.history.map((e) => e.train_loss),
    }));
  assert.deepEqual(strip(resumed), strip(ref));
  // A rerun trains nothing and reproduces the same results.
  const again: string[] = [];
  const rerun = await runBench(c, { log: (l) => again.push(l), progress: null });
  assert.equal(again.filter((l) => /already done/.test(l)).length, 2);
  assert.deepEqual(strip(rerun), strip(resumed));
});
