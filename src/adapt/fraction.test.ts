// The added-parameter fraction, hand-counted on known shapes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loraLayerParams, molreLayerParams } from "./fraction.js";
import { applyMethod, planMethod } from "./index.js";
import { ToyPair } from "./toy-models.js";

test("per-layer counts: LoRA r·(d_in+d_out); MoLRE K·r·(d_in+d_out) + K·d_in", () => {
  assert.equal(loraLayerParams(768, 768, 8), 12288);
  assert.equal(loraLayerParams(3, 768, 8, 16 * 16), 8 * 3 * 256 + 768 * 8);
  // ViT-B/16, K=4, r=4 on q and v of 12 layers: 12·2·(4·4·1536 + 4·768) = 663 552
  assert.equal(12 * 2 * molreLayerParams(768, 768, 4, 4), 663552);
});

test("LoRA on q and v of a known tree: 64 added over 146 backbone parameters, warned", () => {
  // q_proj, v_proj: Linear(10, 6) = 66 each; head Linear(6, 2) = 14 (excluded from the backbone).
  const m = new ToyPair(10, 6, 2);
  const s = applyMethod(m, {
    method: "lora",
    r: 2,
    targetModules: ["q_proj", "v_proj"],
    modulesToSave: ["head"],
  });
  assert.equal(s.backboneParams, 132);
  assert.equal(s.addedParams, 2 * (2 * 10 + 6 * 2));
  assert.equal(s.fraction, 64 / 132);
  assert.equal(s.trainableParams, 64 + 14);
  assert.deepEqual(s.targets, ["encoder.self_attn.q_proj", "encoder.self_attn.v_proj"]);
  assert.equal(s.warnings.length, 1);
  assert.match(s.warnings[0] as string, /above 0\.5 %/);
});

test("MoLRE K=3 r=2: 2·(3·2·16 + 3·10) added", () => {
  const m = new ToyPair(10, 6, 2);
  const s = applyMethod(m, { method: "molre", r: 2, numExperts: 3, targetModules: ["q_proj", "v_proj"] });
  assert.equal(s.addedParams, 2 * (3 * 2 * 16 + 3 * 10));
  assert.equal(s.backboneParams, 132 + 14);
  assert.equal(s.trainableParams, s.addedParams);
});

test("below 0.5 % there is no warning", () => {
  // Linear(400, 400): 160 400 parameters each; r=1 on q adds 800 (0.25 %).
  const m = new ToyPair(400, 400, 1);
  const s = applyMethod(m, { method: "lora", r: 1, targetModules: ["q_proj"] });
  assert.equal(s.addedParams, 800);
  assert.equal(s.backboneParams, 2 * 160400 + 401);
  assert.equal(s.fraction, 800 / (2 * 160400 + 401));
  assert.equal(s.warnings.length, 0);
});

test("baselines add nothing: linear probe trains the head only, full trains everything", () => {
  const a = new ToyPair(10, 6, 2);
  const p = applyMethod(a, { method: "linear_probe", modulesToSave: ["head"] });
  assert.deepEqual([p.addedParams, p.trainableParams, p.backboneParams, p.fraction], [0, 14, 132, 0]);
  const b = new ToyPair(10, 6, 2);
  const f = applyMethod(b, { method: "full" });
  assert.deepEqual([f.addedParams, f.trainableParams, f.fraction], [0, 146, 0]);
});

test("planMethod reports what applyMethod would do and leaves the model unchanged", () => {
  const m = new ToyPair(10, 6, 2);
  const names = [...m.namedParameters()].map(([k]) => k);
  const plan = planMethod(m, { method: "molre", r: 2, numExperts: 3, targetModules: ["q_proj", "v_proj"] });
  assert.deepEqual(
    [...m.namedParameters()].map(([k]) => k),
    names,
  );
  assert.ok([...m.namedParameters()].every(([, p]) => p.trainable));
  assert.deepEqual(
    plan,
    applyMethod(new ToyPair(10, 6, 2), {
      method: "molre",
      r: 2,
      numExperts: 3,
      targetModules: ["q_proj", "v_proj"],
    }),
  );
});
