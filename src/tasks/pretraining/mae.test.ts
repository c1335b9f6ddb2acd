import assert from "node:assert/strict";
import { test } from "node:test";
import { AdamW, compile, compileTrainStep, Graph, gradCheck, randn, type Value } from "../../engine/index.js";
import { backboneSpec } from "../../nn/checkpoints/configs.js";
import { buildBackbone } from "../../nn/checkpoints/hf.js";
import { resetInitSeed } from "../../nn/init.js";
import { BuildContext } from "../../nn/module.js";
import type { Dinov2Model } from "../../nn/nets/dinov2.js";
import { Rng } from "../../random/rng.js";
import { drawKept, keptCount, Mae, patchTargets } from "./mae.js";

/** A DINOv2 of width 8; by default 16² inputs of 2 channels in 4² patches (16 patch tokens). */
function tinyBackbone(seed = 3, image = 16, patch = 4, channels = 2): Dinov2Model {
  resetInitSeed(seed);
  return buildBackbone(
    backboneSpec(
      {
        model_type: "dinov2",
        hidden_size: 8,
        num_hidden_layers: 1,
        num_attention_heads: 2,
        mlp_ratio: 2,
        image_size: image,
        patch_size: patch,
        num_channels: channels,
      },
      "test",
    ),
  ) as Dinov2Model;
}

function tinyMae(seed = 3, image = 16, patch = 4, channels = 2): Mae {
  const mae = new Mae(tinyBackbone(seed, image, patch, channels), {
    decoderDim: 8,
    decoderDepth: 1,
    decoderHeads: 2,
  });
  mae.unfreeze();
  mae.decoder_pos_embed.trainable = false;
  return mae;
}

test("keptCount follows MAE's int(L · (1 − ratio))", () => {
  assert.equal(keptCount(64, 0.75), 16);
  assert.equal(keptCount(16, 0.75), 4);
  assert.equal(keptCount(10, 0.75), 2);
  assert.equal(keptCount(4, 0.9), 1);
});

test("drawKept: sorted distinct indices in range, different per image, seeded", () => {
  const a = drawKept(new Rng(5), 50, 64, 16);
  const b = drawKept(new Rng(5), 50, 64, 16);
  assert.deepEqual(a, b);
  const counts = new Array(64).fill(0);
  const rows = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const row = Array.from(a.subarray(i * 16, (i + 1) * 16), Number);
    rows.add(row.join(","));
    for (let j = 1; j < 16; j++) assert.ok((row[j] as number) > (row[j - 1] as number));
    for (const r of row) {
      assert.ok(r >= 0 && r < 64);
      counts[r]++;
    }
  }
  assert.equal(rows.size, 50);
  // 800 draws over 64 positions: every position is drawn (expected 12.5 each).
  assert.ok(counts.every((c) => c > 0));
});

test("visible tokens are the embeddings of the hand-picked patches, CLS first", async () => {
  const mae = tinyMae();
  const g = new Graph();
  const pixels = g.input("pixels", [2, 2, 16, 16]);
  const keep = g.input("keep", [2, 4], "int64");
  const ctx = new BuildContext(mae, { graph: g });
  const full = mae.backbone.getModule("embeddings").forward(ctx, pixels);
  const visible = mae.visibleTokens(ctx, pixels, keep);
  assert.deepEqual(visible.shape, [2, 5, 8]);
  const prog = await compile({ full, visible });
  const picks = [
    [0, 5, 6, 15],
    [3, 7, 8, 12],
  ];
  const out = await prog.run({
    pixels: Float32Array.from(randn(2 * 2 * 16 * 16, 4)),
    keep: BigInt64Array.from(picks.flat().map(BigInt)),
  });
  const f = out.full as Float32Array;
  const v = out.visible as Float32Array;
  for (let b = 0; b < 2; b++)
    for (let j = 0; j < 5; j++) {
      const src = j === 0 ? 0 : 1 + (picks[b]![j - 1] as number);
      for (let d = 0; d < 8; d++)
        assert.equal(v[(b * 5 + j) * 8 + d], f[(b * 17 + src) * 8 + d], `image ${b} token ${j} dim ${d}`);
    }
});

test("patchTargets: MAE's patchify order and per-patch normalisation, by hand", () => {
  // One image, 2 channels, 4×4, patch 2: channel 0 holds 0…15 row-major, channel 1 is 10 × that.
  const px = new Float32Array(32);
  for (let i = 0; i < 16; i++) {
    px[i] = i;
    px[16 + i] = 10 * i;
  }
  const raw = patchTargets(px, [1, 2, 4, 4], 2, false);
  // Patch (row 0, col 1) covers pixels 2, 3, 6, 7; order (y, x, channel).
  assert.deepEqual(Array.from(raw.subarray(8, 16)), [2, 20, 3, 30, 6, 60, 7, 70]);
  const norm = patchTargets(px, [1, 2, 4, 4], 2, true);
  // Its mean is 198/8 = 24.75; unbiased variance = Σ(x − 24.75)² / 7.
  const vals = [2, 20, 3, 30, 6, 60, 7, 70];
  // (x − 24.75)²: 517.5625 + 22.5625 + 473.0625 + 27.5625 + 351.5625 + 1242.5625 + 315.0625 + 2047.5625
  const sd = Math.sqrt(4997.5 / 7 + 1e-6);
  for (const [j, x] of vals.entries()) assert.ok(Math.abs((norm[8 + j] as number) - (x - 24.75) / sd) < 1e-6);
  // A constant patch becomes zeros (no division by zero).
  const flat = patchTargets(new Float32Array(32).fill(0.3), [1, 2, 4, 4], 2, true);
  assert.ok(flat.every((x) => Math.abs(x) < 1e-6));
});

test("MAE loss: gradients with respect to pixels and targets equal central finite differences", async () => {
  // 8² single-channel images in 2² patches: still 16 patches, few enough inputs to perturb each.
  const mae = tinyMae(11, 8, 2, 1);
  // Larger weights than the 0.02 init, so every path carries gradient the check can see.
  for (const [name, p] of mae.namedParameters())
    if (p.trainable && !/norm|bias|lambda1/.test(name))
      p.data = Float32Array.from(randn(p.size, p.size + name.length), (x) => 0.3 * x);
  const keep = [1, 4, 9, 14, 0, 2, 3, 15];
  const report = await gradCheck(
    {
      pixels: { shape: [2, 1, 8, 8] },
      keep: { shape: [2, 4], dtype: "int64", data: keep },
      target: { shape: [2, 16, 4] },
    },
    (x) => {
      const ctx = new BuildContext(mae, { graph: (x.pixels as Value).graph });
      return mae.forward(ctx, x.pixels as Value, x.keep as Value, x.target as Value);
    },
    {
      dtype: "float32",
      eps: 1e-2,
      rtol: 5e-2,
      atol: 2e-4,
    },
  );
  assert.ok(report.worstGrad <= 1, report.failures.join("\n"));
});

test("MAE: parameter gradients equal central finite differences of the loss", async () => {
  const mae = tinyMae(12);
  const g = new Graph();
  const px = Float32Array.from(randn(2 * 2 * 16 * 16, 21));
  const shape = [2, 2, 16, 16] as const;
  const feeds = {
    pixels: px,
    keep: BigInt64Array.from([1, 4, 9, 14, 0, 2, 3, 15].map(BigInt)),
    target: patchTargets(px, shape, 4),
  };
  const loss = mae.forward(
    new BuildContext(mae, { graph: g, training: true }),
    g.input("pixels", [...shape]),
    g.input("keep", [2, 4], "int64"),
    g.input("target", [2, 16, 32]),
  );
  const step = await compileTrainStep(loss);
  const { grads } = await step.run(feeds);
  // Every trainable parameter the loss reaches gets a gradient: the backbone's (through the
  // kept tokens) and the decoder's; the unused DINOv2 mask token and the fixed positions do not.
  const names = [...grads.keys()];
  assert.ok(names.includes("backbone.embeddings.patch_embeddings.projection.weight"));
  assert.ok(names.includes("backbone.encoder.layer.0.attention.attention.query.weight"));
  assert.ok(names.includes("mask_token"));
  assert.ok(!names.includes("decoder_pos_embed"));
  assert.ok(!names.includes("backbone.embeddings.mask_token"));
  const lossOnly = await compile({ loss });
  const at = async () => Number(((await lossOnly.run(feeds)).loss as Float32Array)[0]);
  const probes: [string, number][] = [
    ["mask_token", 3],
    ["backbone.embeddings.position_embeddings", 9],
    ["backbone.embeddings.position_embeddings", 8 * 3 + 1],
    ["backbone.embeddings.cls_token", 2],
    ["backbone.embeddings.patch_embeddings.projection.weight", 17],
    ["backbone.layernorm.weight", 5],
    ["decoder_embed.weight", 30],
    ["decoder_pred.bias", 7],
  ];
  for (const [name, i] of probes) {
    const p = mae.getParameter(name);
    const orig = p.data[i] as number;
    const eps = 1e-2;
    p.data[i] = orig + eps;
    const lp = await at();
    p.data[i] = orig - eps;
    const lm = await at();
    p.data[i] = orig;
    const numeric = (lp - lm) / (2 * eps);
    const analytic = (grads.get(name) as Float32Array)[i] as number;
    assert.ok(
      Math.abs(analytic - numeric) <= 1e-4 + 0.05 * Math.abs(numeric),
      `${name}[${i}]: analytic ${analytic}, numeric ${numeric}`,
    );
  }
});

test("MAE: the loss falls when training on a tiny set", async () => {
  const mae = tinyMae(13);
  const g = new Graph();
  const shape = [4, 2, 16, 16] as const;
  // Four smooth images (a blob at different places), the kind of structure MAE can fill in.
  const px = new Float32Array(4 * 2 * 256);
  for (let b = 0; b < 4; b++)
    for (let c = 0; c < 2; c++)
      for (let y = 0; y < 16; y++)
        for (let x = 0; x < 16; x++)
          px[((b * 2 + c) * 16 + y) * 16 + x] = Math.exp(
            -((x - 4 - 2 * b) ** 2 + (y - 6 - b) ** 2) / (8 + 4 * c),
          );
  const target = patchTargets(px, shape, 4);
  const loss = mae.forward(
    new BuildContext(mae, { graph: g, training: true }),
    g.input("pixels", [...shape]),
    g.input("keep", [4, 4], "int64"),
    g.input("target", [4, 16, 32]),
  );
  const step = await compileTrainStep(loss);
  const params = new Map([...step.params].map(([n, v]) => [n, v.data as Float32Array]));
  const opt = new AdamW(params, { lr: 3e-3, weightDecay: 0 });
  const rng = new Rng(1);
  const losses: number[] = [];
  for (let s = 0; s < 60; s++) {
    const r = await step.run({ pixels: px, keep: drawKept(rng, 4, 16, 4), target });
    losses.push(r.loss);
    opt.step(r.grads);
  }
  const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
  const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
  assert.ok(last < 0.6 * first, `loss ${first.toFixed(3)} → ${last.toFixed(3)}`);
});
