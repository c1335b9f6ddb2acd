// LoRA: identity at init, merge = unmerged, conv (patch embedding) LoRA, several adapters, and
// the PEFT layout against files written in Python with PEFT's key names and torch's outputs.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, test } from "node:test";
import { fixture, tempDir } from "../../../test/paths.js";
import { compile, randn, releaseSessions, type Value } from "../../engine/index.js";
import { InputError } from "../../errors.js";
import { readSafetensors, writeSafetensors } from "../../io/safetensors/index.js";
import { BuildContext, Conv, Linear, Module, patchTokens } from "../../nn/index.js";
import { adapterLayers, dropoutFeeds } from "../base.js";
import { applyMethod, loadAdapter, saveAdapter } from "../index.js";
import { maxAbsDiff, runModel, ToyDinov2 } from "../toy-models.js";
import { LoraLayer } from "./layer.js";

after(() => releaseSessions());

const PIX = [2, 3, 4, 4];
const pixels = Float32Array.from(randn(2 * 3 * 16, 5));

function toy(seed = 1): ToyDinov2 {
  const m = new ToyDinov2();
  let s = seed;
  for (const [, p] of m.namedParameters()) p.data = Float32Array.from(randn(p.size, s++), (v) => v * 0.3);
  return m;
}

function randomizeB(m: ToyDinov2, name = "default", seed = 50): void {
  let s = seed;
  for (const [, layer] of adapterLayers(m)) {
    const b = layer.adapterParams(name).get("lora_B.weight");
    if (b) b.data = Float32Array.from(randn(b.size, s++), (v) => v * 0.5);
  }
}

test("at init (B = 0) the adapted model computes exactly the base model", async () => {
  const m = toy();
  const before = (await runModel(m, PIX, pixels)).y as Float32Array;
  const s = applyMethod(m, { method: "lora", r: 2, targetModules: ["query", "value", "projection"] });
  assert.equal(s.targets.length, 3);
  assert.ok(m.getModule("embeddings.patch_embeddings.projection") instanceof LoraLayer);
  const after_ = (await runModel(m, PIX, pixels)).y as Float32Array;
  // B·A·x is exactly 0, but ORT fuses the graph differently once the adapter's Add is present.
  assert.ok(maxAbsDiff(before, after_) < 1e-6, `${maxAbsDiff(before, after_)}`);
});

test("merged equals unmerged (linear and conv targets); unmerge restores the base weights", async () => {
  const m = toy();
  applyMethod(m, { method: "lora", r: 2, alpha: 6, targetModules: ["query", "value", "projection", "fc1"] });
  randomizeB(m);
  const base = (await runModel(m, PIX, pixels)).y as Float32Array;
  const w0 = Float32Array.from(m.getParameter("encoder.layer.0.mlp.fc1.base_layer.weight").data);
  for (const [, l] of adapterLayers(m)) l.enabled = false;
  const plain = (await runModel(m, PIX, pixels)).y as Float32Array;
  assert.ok(maxAbsDiff(plain, base) > 1e-3, "the adapter must change the output");
  for (const [, l] of adapterLayers(m)) {
    l.enabled = true;
    l.merge();
  }
  const merged = (await runModel(m, PIX, pixels)).y as Float32Array;
  assert.ok(maxAbsDiff(merged, base) < 1e-5, `merged vs unmerged ${maxAbsDiff(merged, base)}`);
  for (const [, l] of adapterLayers(m)) l.unmerge();
  assert.ok(maxAbsDiff(m.getParameter("encoder.layer.0.mlp.fc1.base_layer.weight").data, w0) < 1e-6);
  const again = (await runModel(m, PIX, pixels)).y as Float32Array;
  assert.ok(maxAbsDiff(again, base) < 1e-5);
});

test("the delta weight is scaling·B·A (hand-computed on 2×2)", () => {
  const lin = new Linear(2, 2);
  const layer = new LoraLayer(lin, { kind: "linear", inFeatures: 2, outFeatures: 2 }, "x");
  layer.addAdapter("a", { r: 1, alpha: 3, dropout: 0, useRslora: false, init: "kaiming", seed: 0 });
  layer.adapterParams("a").get("lora_A.weight")?.data.set([1, 2]);
  layer.adapterParams("a").get("lora_B.weight")?.data.set([3, -1]);
  // scaling 3/1; B·A = [[3, 6], [-1, -2]]
  assert.deepEqual([...layer.deltaWeight("a")], [9, 18, -3, -6]);
  const rs = new LoraLayer(new Linear(2, 2), { kind: "linear", inFeatures: 2, outFeatures: 2 }, "y");
  rs.addAdapter("a", { r: 4, alpha: 8, dropout: 0, useRslora: true, init: "kaiming", seed: 0 });
  assert.equal(rs.settings.get("a")?.scaling, 4); // alpha/√r
});

test("kaiming-uniform A lies within ±1/√fan_in and is not constant; B starts at zero", () => {
  const m = toy();
  applyMethod(m, { method: "lora", r: 4, targetModules: ["fc2", "projection"] });
  const fc2 = m.getModule("encoder.layer.0.mlp.fc2") as LoraLayer;
  const a = fc2.adapterParams("default").get("lora_A.weight")?.data as Float32Array;
  const bound = 1 / Math.sqrt(16);
  assert.ok(a.every((v) => Math.abs(v) <= bound));
  assert.ok(Math.max(...a) > bound * 0.5 && Math.min(...a) < -bound * 0.5);
  assert.ok(
    fc2
      .adapterParams("default")
      .get("lora_B.weight")
      ?.data.every((v) => v === 0),
  );
  const pe = m.getModule("embeddings.patch_embeddings.projection") as LoraLayer;
  const ca = pe.adapterParams("default").get("lora_A.weight");
  assert.deepEqual(ca?.shape, [4, 3, 2, 2]);
  assert.deepEqual(pe.adapterParams("default").get("lora_B.weight")?.shape, [8, 4, 1, 1]);
  assert.ok(ca?.data.every((v) => Math.abs(v) <= 1 / Math.sqrt(12)));
});

test("two named adapters on one layer add up; deactivating one removes its part", async () => {
  const m = toy();
  applyMethod(m, { method: "lora", r: 2, targetModules: ["query"] });
  applyMethod(m, { method: "lora", r: 1, targetModules: ["query"], adapterName: "second" });
  randomizeB(m, "default", 60);
  randomizeB(m, "second", 70);
  const q = m.getModule("encoder.layer.0.attention.attention.query") as LoraLayer;
  assert.deepEqual(q.active, ["default", "second"]);
  const both = (await runModel(m, PIX, pixels)).y as Float32Array;
  q.active = ["default"];
  const one = (await runModel(m, PIX, pixels)).y as Float32Array;
  assert.ok(maxAbsDiff(both, one) > 1e-4);
  q.merge(["second"]);
  q.active = ["default", "second"];
  const viaMerge = (await runModel(m, PIX, pixels)).y as Float32Array;
  assert.ok(maxAbsDiff(both, viaMerge) < 1e-5);
});

test("training-mode dropout takes its mask as a graph input", () => {
  const m = toy();
  applyMethod(m, { method: "lora", r: 2, dropout: 0.25, targetModules: ["query"] });
  const ctx = new BuildContext(m, { training: true });
  m.forward(ctx, ctx.graph.input("x", PIX));
  assert.deepEqual(
    ctx.graph.inputs.map((v) => v.name),
    ["x", "encoder.layer.0.attention.attention.query.lora_dropout.default"],
  );
  const eval_ = new BuildContext(m);
  m.forward(eval_, eval_.graph.input("x", PIX));
  assert.equal(eval_.graph.inputs.length, 1);
});

test("dropout masks: all-ones equals the inference graph; drawn masks drop about p and rescale by 1/(1−p)", async () => {
  const m = toy();
  applyMethod(m, { method: "lora", r: 2, dropout: 0.25, targetModules: ["query"] });
  randomizeB(m);
  const ctx = new BuildContext(m, { training: true });
  const y = m.forward(ctx, ctx.graph.input("x", PIX));
  const program = await compile({ y });
  const maskName = "encoder.layer.0.attention.attention.query.lora_dropout.default";
  const ones = (await program.run({ x: pixels, [maskName]: new Float32Array(2 * 4 * 8).fill(1) }))
    .y as Float32Array;
  const inference = (await runModel(m, PIX, pixels)).y as Float32Array;
  assert.ok(maxAbsDiff(ones, inference) < 1e-6);
  const feeds = dropoutFeeds(ctx.graph, 3);
  assert.deepEqual(Object.keys(feeds), [maskName]);
  const big = dropoutFeeds(ctx.graph, 4)[maskName] as Float32Array;
  const values = new Set(big);
  assert.deepEqual([...values].sort(), [0, 1 / 0.75].map(Math.fround).sort());
  const dropped = big.filter((v) => v === 0).length / big.length;
  assert.ok(dropped > 0.05 && dropped < 0.5, `${dropped}`);
  const masked = (await program.run({ x: pixels, ...feeds })).y as Float32Array;
  assert.ok(maxAbsDiff(masked, inference) > 1e-6);
});

// ---------- PEFT's layout, against the files of test/fixtures/adapt/make_fixtures.py

const dir = fixture("adapt", "peft_lora");

test("loads a PEFT-written adapter: outputs equal torch's LoRA layers, head replaced", async () => {
  const m = new ToyDinov2();
  await m.loadWeights(fixture("adapt", "tiny_dinov2_base.safetensors"));
  const { method, summary } = await loadAdapter(m, dir);
  assert.equal(method, "lora");
  assert.deepEqual(summary.targets, [
    "embeddings.patch_embeddings.projection",
    "encoder.layer.0.attention.attention.query",
    "encoder.layer.0.attention.attention.value",
  ]);
  const ref = await readSafetensors(fixture("adapt", "peft_lora_reference.safetensors"));
  try {
    for (const name of [
      "encoder.layer.0.attention.attention.query",
      "encoder.layer.0.attention.attention.value",
      "embeddings.patch_embeddings.projection",
    ]) {
      const layer = m.getModule(name);
      const x = await ref.float32(`${name}.input`);
      // The patch embedding's convolution keeps [B, D, gh, gw]; the reference holds the tokens
      // DINOv2's embeddings make of it, so compare those.
      const out = await runModel(
        layer,
        ref.info(`${name}.input`).shape,
        x,
        (_ctx, y): Record<string, Value> => (y.rank === 4 ? { tokens: patchTokens(y) } : {}),
      );
      const got = (out.tokens ?? out.y) as Float32Array;
      const want = await ref.float32(`${name}.output`);
      assert.ok(maxAbsDiff(got, want) < 1e-5, `${name}: ${maxAbsDiff(got, want)}`);
    }
    const pe = m.getModule("embeddings.patch_embeddings.projection") as LoraLayer;
    pe.merge();
    const merged = await ref.float32("embeddings.patch_embeddings.projection.merged_weight");
    assert.ok(
      maxAbsDiff(m.getParameter("embeddings.patch_embeddings.projection.base_layer.weight").data, merged) <
        1e-6,
    );
    const adapterFile = await readSafetensors(join(dir, "adapter_model.safetensors"));
    assert.deepEqual(
      [...m.getParameter("classifier.weight").data],
      [...(await adapterFile.float32("base_model.model.classifier.weight"))],
    );
    await adapterFile.close();
    assert.equal(m.getParameter("classifier.weight").trainable, true);
    assert.equal(m.getParameter("encoder.layer.0.mlp.fc1.weight").trainable, false);
  } finally {
    await ref.close();
  }
});

test("a medadapt-saved adapter has exactly PEFT's keys and config fields; save → load round trip", async (t) => {
  const m = new ToyDinov2();
  await m.loadWeights(fixture("adapt", "tiny_dinov2_base.safetensors"));
  applyMethod(m, {
    method: "lora",
    r: 2,
    lora_alpha: 4,
    lora_dropout: 0.1,
    target_modules: ["projection", "query", "value"],
    modules_to_save: ["classifier"],
    base_model_name_or_path: "tiny-dinov2",
  });
  randomizeB(m);
  const out = tempDir(t);
  await saveAdapter(m, out);

  const peft = await readSafetensors(join(dir, "adapter_model.safetensors"));
  const ours = await readSafetensors(join(out, "adapter_model.safetensors"));
  assert.deepEqual(ours.names().sort(), peft.names().sort());
  for (const k of peft.names()) {
    assert.deepEqual(ours.info(k).shape, peft.info(k).shape, k);
    assert.equal(ours.info(k).dtype, "F32");
  }
  assert.deepEqual(ours.metadata, peft.metadata);
  await peft.close();
  await ours.close();

  const peftCfg = JSON.parse(await readFile(join(dir, "adapter_config.json"), "utf8"));
  const ourCfg = JSON.parse(await readFile(join(out, "adapter_config.json"), "utf8"));
  // Fields that say what the adapter is must agree; PEFT's version-specific extras may be absent.
  for (const k of [
    "peft_type",
    "r",
    "lora_alpha",
    "lora_dropout",
    "target_modules",
    "bias",
    "modules_to_save",
    "init_lora_weights",
    "fan_in_fan_out",
    "task_type",
    "base_model_name_or_path",
    "inference_mode",
    "use_rslora",
    "use_dora",
  ])
    assert.deepEqual(ourCfg[k], peftCfg[k], k);
  for (const k of Object.keys(ourCfg)) assert.ok(k in peftCfg, `field ${k} is not one of PEFT's`);

  const back = new ToyDinov2();
  await back.loadWeights(fixture("adapt", "tiny_dinov2_base.safetensors"));
  await loadAdapter(back, out);
  for (const [k, p] of m.namedParameters()) assert.deepEqual([...back.getParameter(k).data], [...p.data], k);
  const a = (await runModel(m, PIX, pixels)).y as Float32Array;
  const b = (await runModel(back, PIX, pixels)).y as Float32Array;
  assert.equal(maxAbsDiff(a, b), 0);
});

test("loading an adapter that does not fit lists missing, unexpected and mis-shaped keys in one InputError", async (t) => {
  const bad = tempDir(t);
  const src = await readSafetensors(join(dir, "adapter_model.safetensors"));
  const tensors = new Map<string, { dtype: "F32"; shape: number[]; data: Float32Array }>();
  for (const k of src.names()) {
    if (k.includes("value.lora_B")) continue; // missing
    tensors.set(k, { dtype: "F32", shape: src.info(k).shape, data: await src.float32(k) });
  }
  await src.close();
  const qa = "base_model.model.encoder.layer.0.attention.attention.query.lora_A.weight";
  tensors.set(qa, { dtype: "F32", shape: [2, 4], data: new Float32Array(8) }); // mis-shaped
  tensors.set("base_model.model.encoder.layer.0.mlp.fc1.lora_A.weight", {
    dtype: "F32",
    shape: [2, 8],
    data: new Float32Array(16),
  });
  await writeSafetensors(join(bad, "adapter_model.safetensors"), tensors);
  const cfg = await readFile(join(dir, "adapter_config.json"), "utf8");
  await writeSafetensors(join(bad, "unused.safetensors"), new Map());
  const { writeFile } = await import("node:fs/promises");
  await writeFile(join(bad, "adapter_config.json"), cfg);
  const m = new ToyDinov2();
  await assert.rejects(loadAdapter(m, bad), (e: unknown) => {
    assert.ok(e instanceof InputError);
    assert.match(e.message, /adapter_model\.safetensors/);
    assert.match(e.message, /1 missing: .*value\.lora_B\.weight/);
    assert.match(e.message, /1 unexpected: .*mlp\.fc1\.lora_A\.weight/);
    assert.match(e.message, /1 mis-shaped: .*query\.lora_A\.weight \[2,4\] \(model \[2,8\]\)/);
    assert.ok(!e.message.includes("\n"));
    return true;
  });
  // The failed load left the model as it was.
  assert.deepEqual(
    [...m.namedParameters()].map(([k]) => k),
    [...new ToyDinov2().namedParameters()].map(([k]) => k),
  );
});

test("bad configs are InputErrors naming the field", () => {
  assert.throws(() => applyMethod(toy(), { method: "lora", r: 0 }), /r must be a positive integer/);
  assert.throws(() => applyMethod(toy(), { method: "lora", target_modules: ["nothing_here"] }), /matched no/);
  assert.throws(
    () => applyMethod(toy(), { method: "lora", target_modules: "(" }),
    /not a valid regular expression/,
  );
  assert.throws(() => applyMethod(toy(), { method: "nope" }), /unknown adaptation method "nope"/);
});

test("LoRA on plain convolutions (2D 3×3 padded, 3D strided): merged equals unmerged", async () => {
  class Convs extends Module {
    constructor(readonly kind: "2d" | "3d") {
      super();
      if (kind === "2d") this.addModule("conv", new Conv(3, 5, [3, 3], { stride: [1, 1], padding: [1, 1] }));
      else this.addModule("conv", new Conv(2, 4, [2, 2, 2], { stride: [2, 2, 2] }));
    }
    forward(ctx: BuildContext, x: Value): Value {
      return this.getModule("conv").forward(ctx, x);
    }
  }
  const cases: ["2d" | "3d", number[]][] = [
    ["2d", [2, 3, 5, 5]],
    ["3d", [1, 2, 4, 4, 4]],
  ];
  for (const [kind, shape] of cases) {
    const m = new Convs(kind);
    const x = Float32Array.from(
      randn(
        shape.reduce((p, q) => p * q, 1),
        8,
      ),
    );
    const s = applyMethod(m, { method: "lora", r: 2, targetModules: ["conv"], init: "random" });
    assert.deepEqual(s.targets, ["conv"]);
    const base = (await runModel(m, shape, x)).y as Float32Array;
    const layer = m.getModule("conv") as LoraLayer;
    layer.enabled = false;
    const plain = (await runModel(m, shape, x)).y as Float32Array;
    assert.equal(plain.length, base.length);
    assert.ok(maxAbsDiff(plain, base) > 1e-3, kind);
    layer.enabled = true;
    layer.merge();
    assert.ok(maxAbsDiff((await runModel(m, shape, x)).y as Float32Array, base) < 1e-5, kind);
  }
});

test('init "gaussian" draws A from N(0, 1/r²) and keeps B at zero', () => {
  const m = new ToyDinov2({ channels: 3, patch: 2, dim: 64, hidden: 64, classes: 3, layers: 1 });
  applyMethod(m, { method: "lora", r: 4, init: "gaussian", targetModules: ["fc1"] });
  const p = (m.getModule("encoder.layer.0.mlp.fc1") as LoraLayer).adapterParams("default");
  const a = p.get("lora_A.weight")?.data as Float32Array;
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const sd = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  assert.ok(Math.abs(sd - 0.25) < 0.03, `${sd}`);
  assert.ok(Math.abs(mean) < 0.03);
  assert.ok(p.get("lora_B.weight")?.data.every((v) => v === 0));
});
