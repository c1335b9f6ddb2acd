// The exported ONNX file, run in a fresh plain onnxruntime-node session (no medadapt code in the
// loop), gives predict's probabilities and slice weights: LoRA merged into the base weights (no
// lora_ tensor left in the file), MoLRE's routed experts kept as graph ops.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import onnxProto from "onnx-proto";
import * as ort from "onnxruntime-node";
import { adapterLayers, LoraLayer } from "../../adapt/index.js";
import { readManifest } from "../../data/manifest.js";
import { releaseSessions } from "../../engine/index.js";
import { exportTaskModel } from "./export.js";
import { type LoadedTaskModel, loadTaskModel, predictScan, prepareScan } from "./predict.js";
import { phantomSet, trainRun } from "./test-runs.js";

const { onnx } = onnxProto;

let dir = "";
let scans: string[][] = [];
const runs: Record<string, string> = {};
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "medadapt-export-"));
  const manifest = await phantomSet(dir);
  scans = (await readManifest(manifest)).cases.slice(0, 2).map((c) => c.images);
  runs.lora = await trainRun(dir, "lora", manifest, { method: "lora", adapter: { r: 2 } });
  runs.molre = await trainRun(dir, "molre", manifest, { method: "molre", adapter: { r: 2, num_experts: 3 } });
});
after(() => {
  releaseSessions();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the file in a plain ORT session on each scan's preprocessed input. */
async function runPlain(m: LoadedTaskModel, file: string, images: string[]) {
  const session = await ort.InferenceSession.create(file);
  const input = await prepareScan(m, images);
  const feeds: Record<string, ort.Tensor> = {};
  for (const v of input.views) feeds[v.plane] = new ort.Tensor("float32", v.data, [1, ...v.shape]);
  const out = await session.run(feeds);
  await session.release();
  return {
    probabilities: [...(out.probabilities!.data as Float32Array)],
    sliceWeights: [...(out.slice_weights!.data as Float32Array)],
  };
}

function model(file: string) {
  return onnx.ModelProto.decode(readFileSync(file));
}

test("LoRA merged: plain onnxruntime equals predict (1e-4), and the file holds no lora_ tensor", async () => {
  const m = await loadTaskModel(runs.lora!);
  // A clearly non-zero update, so merged and unmerged weights differ by more than the tolerance.
  for (const [, l] of adapterLayers(m.built.model.backbone))
    if (l instanceof LoraLayer)
      for (const p of l.adapterParams(l.active[0]!).values())
        p.data = Float32Array.from(p.data, (x, i) => x * 20 + 0.05 * Math.sin(i));
  const before = new Map([...m.built.model.namedParameters()].map(([n, p]) => [n, p.data.slice()]));
  const file = join(dir, "lora.onnx");
  const pending = exportTaskModel(m, file);
  // Other plugins share these arrays: by the time the export first yields (to write the file),
  // the merged weights must already be restored, so nothing else in the process sees them.
  for (const [n, p] of m.built.model.namedParameters())
    assert.deepEqual(p.data, before.get(n), `${n} while exporting`);
  const r = await pending;
  assert.ok(r.merged.length > 0 && r.unmerged.length === 0, JSON.stringify(r.unmerged));
  assert.deepEqual(
    r.outputs.map((o) => o.name),
    ["probabilities", "slice_weights"],
  );
  // The model in memory is back to its exact weights.
  for (const [n, p] of m.built.model.namedParameters()) assert.deepEqual(p.data, before.get(n), n);

  const proto = model(file);
  const names = proto.graph!.initializer!.map((t) => t.name!);
  assert.ok(names.length > 10);
  assert.ok(!names.some((n) => n.includes("lora_")), names.filter((n) => n.includes("lora_")).join(" "));
  assert.deepEqual(
    proto.graph!.input!.map((i) => i.name),
    ["axial"],
  );
  const meta = Object.fromEntries(proto.metadataProps!.map((p) => [p.key!, p.value!]));
  assert.deepEqual(JSON.parse(meta["medadapt.findings"]!), m.findings);
  assert.deepEqual(JSON.parse(meta["medadapt.preprocess"]!), m.config.data.preprocess);
  assert.equal(
    meta["medadapt.version"],
    JSON.parse(readFileSync(new URL("../../../../package.json", import.meta.url), "utf8")).version,
  );

  let moved = 0;
  for (const images of scans) {
    const want = await predictScan(m, images);
    const got = await runPlain(m, file, images);
    for (const [i, f] of m.findings.entries())
      assert.ok(
        Math.abs(got.probabilities[i]! - want.probabilities[f]!) < 1e-4,
        `${f}: ${got.probabilities[i]} vs ${want.probabilities[f]}`,
      );
    for (const [i, w] of want.sliceWeights.axial!.entries())
      assert.ok(Math.abs(got.sliceWeights[i]! - w) < 1e-4);
    // Without the adapter the probabilities differ: the merge carried the update.
    for (const [, l] of adapterLayers(m.built.model.backbone)) l.enabled = false;
    const plain = await predictScan(m, images);
    for (const [, l] of adapterLayers(m.built.model.backbone)) l.enabled = true;
    for (const f of m.findings) moved += Math.abs(plain.probabilities[f]! - want.probabilities[f]!);
  }
  assert.ok(moved > 1e-3, `the LoRA update moves the probabilities (${moved})`);
});

test("MoLRE (3 experts, soft routing): kept as graph ops, plain onnxruntime equals predict (1e-4)", async () => {
  const m = await loadTaskModel(runs.molre!);
  const file = join(dir, "molre.onnx");
  const r = await exportTaskModel(m, file);
  assert.equal(r.merged.length, 0);
  assert.ok(r.unmerged.length > 0 && /router/.test(r.unmerged[0]!.reason), JSON.stringify(r.unmerged[0]));
  const names = model(file).graph!.initializer!.map((t) => t.name!);
  assert.ok(
    names.some((n) => n.includes("molre_router")),
    "the router is in the graph",
  );
  for (const images of scans) {
    const want = await predictScan(m, images);
    const got = await runPlain(m, file, images);
    for (const [i, f] of m.findings.entries())
      assert.ok(Math.abs(got.probabilities[i]! - want.probabilities[f]!) < 1e-4, f);
  }
});

test("the native 3D path (tiny ViT3D + LoRA, volume input [1, C, D, H, W]) exports merged and runs in plain onnxruntime", async () => {
  const manifest = join(dir, "set", "manifest.csv");
  const run = await trainRun(
    dir,
    "vit3d",
    manifest,
    { backbone: "tiny-vit3d", method: "lora", adapter: { r: 2 } },
    {
      layout: "volume",
    },
  );
  const m = await loadTaskModel(run);
  const file = join(dir, "vit3d.onnx");
  const r = await exportTaskModel(m, file);
  assert.deepEqual(r.inputs, [{ name: "volume", shape: [1, 3, 8, 32, 32] }]);
  assert.ok(r.merged.length > 0 && r.unmerged.length === 0);
  const session = await ort.InferenceSession.create(file);
  for (const images of scans) {
    const input = await prepareScan(m, images);
    const v = input.views[0]!;
    const out = await session.run({ volume: new ort.Tensor("float32", v.data, [1, ...v.shape]) });
    const want = await predictScan(m, images);
    for (const [i, f] of m.findings.entries())
      assert.ok(Math.abs((out.probabilities!.data as Float32Array)[i]! - want.probabilities[f]!) < 1e-4, f);
  }
  await session.release();
});
