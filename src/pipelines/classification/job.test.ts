// A training job stopped after its first epoch and resumed in a fresh model (random backbone
// rebuilt from the seed, trainable weights from the checkpoint) ends exactly where the run that
// never stopped ends; multi-view (axial + coronal) MoLRE runs through the same job.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { readManifest } from "../../data/manifest.js";
import { compile, Graph, releaseSessions, sigmoid } from "../../engine/index.js";
import { BuildContext } from "../../nn/module.js";
import { generateHeadCtSet } from "../../phantom/index.js";
import { readCheckpoint, restoreParams } from "../../train/checkpoint.js";
import { trainConfig } from "../../train/config.js";
import { buildForConfig, runTask } from "./job.js";
import { loadTaskModel, predictScan } from "./predict.js";
import { anyMc3dTrainable } from "./trainable.js";

let dir = "";
let manifest = "";
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "medadapt-tasks-"));
  manifest = (await generateHeadCtSet(join(dir, "set"), { n: 6, seed: 2, shape: [32, 32, 8], workers: 1 }))
    .manifest;
});
after(() => {
  releaseSessions();
  rmSync(dir, { recursive: true, force: true });
});

function cfg(runDir: string, model: Record<string, unknown>, planes = ["axial"]) {
  return trainConfig({
    seed: 4,
    runDir,
    data: {
      manifest,
      findings: ["any_intracranial_hemorrhage", "hydrocephalus"],
      preprocess: { size: [32, 32], slices: 8, planes },
    },
    model,
    train: { epochs: 2, batchSize: 2 },
  });
}

const metrics = (run: string) =>
  readFileSync(join(run, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => {
      const { seconds: _s, ...rest } = JSON.parse(l);
      return rest;
    });

test("stop after epoch 1 + resume in a fresh process state = the uninterrupted run (random tiny backbone rebuilt from the seed)", async () => {
  const model = { backbone: "tiny-dinov3", method: "lora", adapter: { r: 2 }, initStd: 0.2 };
  const whole = join(dir, "whole");
  const a = await runTask(cfg(whole, model), { progress: null });
  assert.equal(a.result.status, "completed");

  const cut = join(dir, "cut");
  const ctl = new AbortController();
  // The progress line of epoch 1 is written once it is checkpointed; stop in epoch 2.
  const sink = {
    write(text: string) {
      if (text.includes("epoch 1/2")) ctl.abort();
    },
  };
  const k = await runTask(cfg(cut, model), { progress: sink, signal: ctl.signal });
  assert.equal(k.result.status, "aborted");
  assert.equal(k.result.epochsDone, 1);
  const b = await runTask({ resumeDir: cut }, { progress: null });
  assert.equal(b.result.epochsDone, 2);
  assert.deepEqual(metrics(cut), metrics(whole));

  // predict rebuilds the model from the run folder alone and reads its best weights: on the
  // validation scans it gives what the training-time pipeline (loader batches through the model
  // the trainer trained, with the best checkpoint's weights) gives.
  const loaded = await loadTaskModel(whole);
  const best = await readCheckpoint(join(whole, "checkpoints", "best"));
  assert.equal(loaded.epoch, best.state.epochsDone);
  const m = a.setup.built.model;
  restoreParams(anyMc3dTrainable(m).params(), best.params, "best");
  const byId = new Map<string, number[]>();
  for await (const batch of a.setup.data.val()) {
    const g = new Graph();
    const inputs = Object.fromEntries(
      Object.entries(batch.inputs).map(([k, t]) => [k, g.input(k, t.shape, "float32")]),
    );
    const probs = sigmoid(m.classify(new BuildContext(m, { graph: g }), inputs).logits);
    const res = await (await compile({ probs })).run(
      Object.fromEntries(Object.entries(batch.inputs).map(([k, t]) => [k, t.data])),
    );
    batch.ids!.forEach((id, i) => {
      byId.set(id, [...(res.probs as Float32Array).subarray(i * 2, i * 2 + 2)]);
    });
  }
  assert.ok(byId.size > 0);
  const cases = (await readManifest(manifest)).cases;
  // The same model without the checkpoint's weights (head, query, LoRA as initialised).
  const fresh = { ...loaded, built: await buildForConfig(loaded.config, loaded.findings, 1) };
  let moved = 0;
  for (const [id, want] of byId) {
    const c = cases.find((x) => x.id === id)!;
    const p = await predictScan(loaded, c.images);
    const got = Object.values(p.probabilities);
    for (let f = 0; f < 2; f++) assert.ok(Math.abs(got[f]! - want[f]!) < 1e-5, `${id}: ${got} vs ${want}`);
    const untrained = Object.values((await predictScan(fresh, c.images)).probabilities);
    moved += Math.abs(got[0]! - untrained[0]!) + Math.abs(got[1]! - untrained[1]!);
  }
  assert.ok(moved > 1e-4, "the trained weights are in use");
});

test("two views (axial + coronal) with MoLRE and concatenated view embeddings train through the job", async () => {
  const run = join(dir, "views");
  const r = await runTask(
    cfg(run, { backbone: "tiny-dinov2", method: "molre", fusion: "concat" }, ["axial", "coronal"]),
    { progress: null },
  );
  assert.equal(r.result.status, "completed");
  const m = r.setup.built.model;
  assert.deepEqual([...m.views], ["axial", "coronal"]);
  // Head over [axial | coronal] embeddings: 2 findings × 2·32 inputs.
  assert.deepEqual(m.getParameter("head.weight").shape, [2, 64]);
  const names = [...r.setup.built.model.namedParameters()].filter(([, p]) => p.trainable).map(([n]) => n);
  assert.ok(names.includes("pool.axial.query") && names.includes("pool.coronal.query"), names.join(" "));
  assert.ok(
    names.some((n) => n.includes("molre_")),
    names.join(" "),
  );
  assert.equal(metrics(run).length, 2);
});
