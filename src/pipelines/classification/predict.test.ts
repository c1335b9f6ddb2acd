// predict from the task plugin (PEFT files + task.json) equals predict from the checkpoint on the
// same run; several plugins on one backbone: the frozen weights exist once, each task's
// probabilities equal its own single-model prediction.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { adapterLayers } from "../../adapt/index.js";
import { readManifest } from "../../data/manifest.js";
import { releaseSessions } from "../../engine/index.js";
import type { Parameter } from "../../nn/module.js";
import { loadTaskModel, loadTaskModels, predictScan, predictScanAll } from "./predict.js";
import { phantomSet, trainRun } from "./test-runs.js";

let dir = "";
let scans: string[][] = [];
const runs: Record<string, string> = {};
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "medadapt-predict-"));
  const manifest = await phantomSet(dir);
  scans = (await readManifest(manifest)).cases.slice(0, 3).map((c) => c.images);
  runs.lora = await trainRun(dir, "lora", manifest, { method: "lora", adapter: { r: 2 } });
  runs.molre = await trainRun(dir, "molre", manifest, { method: "molre", adapter: { r: 2, num_experts: 2 } });
  runs.probe = await trainRun(dir, "probe", manifest, { method: "linear_probe", pooling: "mean" });
});
after(() => {
  releaseSessions();
  rmSync(dir, { recursive: true, force: true });
});

test("predict from the plugin equals predict from the best checkpoint, for LoRA, MoLRE and the linear probe", async () => {
  for (const [name, run] of Object.entries(runs)) {
    const fromPlugin = await loadTaskModel(run);
    const fromCheckpoint = await loadTaskModel(run, { from: "checkpoint" });
    assert.equal(fromPlugin.source, "plugin", name);
    assert.equal(fromCheckpoint.source, "checkpoint", name);
    assert.equal(fromPlugin.epoch, fromCheckpoint.epoch, name);
    assert.deepEqual(fromPlugin.findings, fromCheckpoint.findings);
    for (const images of scans) {
      const a = await predictScan(fromPlugin, images);
      const b = await predictScan(fromCheckpoint, images);
      for (const f of fromPlugin.findings)
        assert.ok(
          Math.abs(a.probabilities[f]! - b.probabilities[f]!) < 1e-6,
          `${name} ${f}: ${a.probabilities[f]} vs ${b.probabilities[f]}`,
        );
      for (const [i, w] of a.sliceWeights.axial!.entries())
        assert.ok(Math.abs(w - b.sliceWeights.axial![i]!) < 1e-6);
    }
  }
});

test("a run without a plugin falls back to its checkpoint", async () => {
  const bare = join(dir, "bare");
  cpSync(runs.lora!, bare, { recursive: true });
  rmSync(join(bare, "plugin"), { recursive: true });
  const m = await loadTaskModel(bare);
  assert.equal(m.source, "checkpoint");
  const want = await predictScan(await loadTaskModel(runs.lora!), scans[0]!);
  const got = await predictScan(m, scans[0]!);
  for (const f of m.findings) assert.ok(Math.abs(got.probabilities[f]! - want.probabilities[f]!) < 1e-6);
});

test("three plugins on one backbone: frozen weights once in memory, each task as its single model", async () => {
  const names = ["lora", "molre", "probe"];
  const many = await loadTaskModels(names.map((n) => runs[n]!));
  // LoRA and the probe share one module tree; MoLRE wraps the same layers in another class, so
  // it has its own tree whose base weights are the same arrays.
  assert.equal(many[0]!.built.model.backbone, many[2]!.built.model.backbone);
  const trees = [...new Set(many.map((m) => m.built.model.backbone))];
  const single = await loadTaskModel(runs.lora!);
  const adapterParams = new Set<Parameter>();
  for (const t of [...trees, single.built.model.backbone])
    for (const [, layer] of adapterLayers(t))
      for (const n of layer.adapterNames())
        for (const p of layer.adapterParams(n).values()) adapterParams.add(p);
  const baseArrays = (root: (typeof trees)[number]) =>
    [...root.namedParameters()]
      .map(([, p]) => p)
      .filter((p) => !adapterParams.has(p))
      .map((p) => p.data);
  const oneCopy = new Set(baseArrays(single.built.model.backbone));
  const shared = new Set(trees.flatMap(baseArrays));
  assert.ok(oneCopy.size > 10);
  assert.equal(shared.size, oneCopy.size, "base weight arrays across the three tasks = one backbone's");
  const bytes = (xs: Set<Float32Array>) => [...xs].reduce((n, a) => n + a.byteLength, 0);
  assert.equal(bytes(shared), bytes(oneCopy));
  // Each adapter sits on its tree's layers under its own name.
  const layerNames = new Set(trees.flatMap((t) => adapterLayers(t).flatMap(([, l]) => l.adapterNames())));
  assert.deepEqual([...layerNames].sort(), [many[0]!.adapterName, many[1]!.adapterName].sort());

  for (const images of scans) {
    const all = await predictScanAll(many, images);
    for (const [i, n] of names.entries()) {
      const alone = await predictScan(await loadTaskModel(runs[n]!), images);
      for (const f of many[i]!.findings)
        assert.ok(
          Math.abs(all[i]!.probabilities[f]! - alone.probabilities[f]!) < 1e-6,
          `${n} ${f}: ${all[i]!.probabilities[f]} vs ${alone.probabilities[f]}`,
        );
    }
  }
  // In any order: the active adapter is set per task, not left over from the last one built.
  const again = await predictScan(many[0]!, scans[0]!);
  const alone = await predictScan(await loadTaskModel(runs.lora!), scans[0]!);
  for (const f of many[0]!.findings)
    assert.ok(Math.abs(again.probabilities[f]! - alone.probabilities[f]!) < 1e-6);
});
