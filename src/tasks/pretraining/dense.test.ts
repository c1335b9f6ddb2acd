import assert from "node:assert/strict";
import { test } from "node:test";
import { AdamW, compile, compileTrainStep, Graph } from "../../engine/index.js";
import { backboneSpec } from "../../nn/checkpoints/configs.js";
import { buildBackbone } from "../../nn/checkpoints/hf.js";
import { resetInitSeed } from "../../nn/init.js";
import { BuildContext } from "../../nn/module.js";
import type { Dinov2Model } from "../../nn/nets/dinov2.js";
import { Rng } from "../../random/rng.js";
import { DenseLabels, labelComposition, labelTargets } from "./dense.js";

test("labelTargets: one-hot per pixel, patches row-major, pixels row-major within a patch", () => {
  // One 4×4 label map, patch 2, 3 classes. Pixel (y, x) holds (y + x) % 3.
  const labels = Float32Array.from({ length: 16 }, (_, q) => (Math.floor(q / 4) + (q % 4)) % 3);
  const t = labelTargets(labels, [1, 4, 4], 2, 3);
  assert.equal(t.length, 16 * 3);
  // Hand-written pixel order: patch (0,0): (0,0) (0,1) (1,0) (1,1); patch (0,1): (0,2) (0,3) (1,2) (1,3); …
  const order = [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
    [0, 2],
    [0, 3],
    [1, 2],
    [1, 3],
    [2, 0],
    [2, 1],
    [3, 0],
    [3, 1],
    [2, 2],
    [2, 3],
    [3, 2],
    [3, 3],
  ];
  order.forEach(([y, x], i) => {
    const want = [0, 0, 0];
    want[(y! + x!) % 3] = 1;
    assert.deepEqual(Array.from(t.subarray(i * 3, i * 3 + 3)), want, `pixel ${i} = (${y}, ${x})`);
  });
  assert.throws(
    () => labelTargets(Float32Array.of(0, 1, 3, 0), [1, 2, 2], 2, 3),
    /label 3 is not an integer in 0\.\.2/,
  );
  assert.throws(() => labelTargets(Float32Array.of(0, 0.5, 1, 0), [1, 2, 2], 2, 3), /label 0\.5/);
});

function tinyBackbone(): Dinov2Model {
  resetInitSeed(5);
  return buildBackbone(
    backboneSpec(
      {
        model_type: "dinov2",
        hidden_size: 16,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        mlp_ratio: 2,
        image_size: 8,
        patch_size: 4,
        num_channels: 1,
      },
      "test",
    ),
  ) as Dinov2Model;
}

test("DenseLabels: loss at init is about 2 ln K; training on label maps that follow the pixels learns them", async () => {
  const model = new DenseLabels(tinyBackbone(), 3);
  model.unfreeze();
  // Images whose pixels are 0, 0.5 or 1; the label of a pixel is its intensity class.
  const B = 4;
  const rng = new Rng(11);
  const labels = Float32Array.from({ length: B * 64 }, () => rng.intBelow(3));
  const pixels = labels.map((k) => k / 2);
  const target = labelTargets(labels, [B, 8, 8], 4, 3);
  const composition = labelComposition(labels, [B, 8, 8], 3);
  const g = new Graph();
  const ctx = new BuildContext(model, { graph: g, training: true });
  const loss = model.forward(
    ctx,
    g.input("pixels", [B, 1, 8, 8]),
    g.input("target", [B, 64, 3]),
    g.input("composition", [B, 3]),
  );
  const step = await compileTrainStep(loss);
  const params = new Map([...step.params].map(([n, v]) => [n, v.data as Float32Array]));
  const opt = new AdamW(params, { lr: 1e-2, weightDecay: 0 });
  const first = (await step.run({ pixels, target, composition })).loss;
  // Near-uniform predictions at init: each of the two cross-entropies ≈ ln 3.
  assert.ok(Math.abs(first - 2 * Math.log(3)) < 0.5, `initial loss ${first}`);
  let last = first;
  for (let i = 0; i < 150; i++) {
    const r = await step.run({ pixels, target, composition });
    opt.step(r.grads);
    last = r.loss;
  }
  // The composition term cannot go below the compositions' own entropy.
  let entropy = 0;
  for (const p of composition) if (p > 0) entropy -= (p * Math.log(p)) / B;
  assert.ok(last - entropy < 0.25 * (first - entropy), `loss ${first} → ${last} (floor ${entropy})`);
  // The argmax of the logits gives back most pixels' labels, in labelTargets' order.
  const g2 = new Graph();
  const l = model.logits(new BuildContext(model, { graph: g2 }), g2.input("pixels", [B, 1, 8, 8]));
  const out = (await (await compile({ logits: l.pixels })).run({ pixels })) as Record<string, Float32Array>;
  let right = 0;
  for (let i = 0; i < B * 64; i++) {
    const row = Array.from(out.logits!.subarray(i * 3, i * 3 + 3));
    if (target[i * 3 + row.indexOf(Math.max(...row))] === 1) right++;
  }
  assert.ok(right / (B * 64) > 0.9, `${right} of ${B * 64} pixels`);
});

test("labelComposition: the fraction of each class per map", () => {
  const c = labelComposition(Float32Array.of(0, 2, 2, 2, 1, 1, 1, 1), [2, 2, 2], 3);
  assert.deepEqual(Array.from(c), [0.25, 0, 0.75, 0, 1, 0]);
});
