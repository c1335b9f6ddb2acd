// The auxiliary mask decoder and loss against hand computations: patch tokens → LayerNorm →
// Linear → patch grid → bilinear (half-pixel) upsampling; BCE + soft Dice per scan, weighted.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { tinyDinov2Config } from "../../../test/tiny-vit.js";
import { compile, Graph, randn, releaseSessions } from "../../engine/index.js";
import { Dinov2Model } from "../../nn/index.js";
import { BuildContext } from "../../nn/module.js";
import { AnyMc3d } from "./anymc3d.js";
import { AuxDecoder, auxMaskLoss } from "./aux-decoder.js";

after(() => releaseSessions());

test("AuxDecoder: patch logits (after the CLS token) upsampled bilinearly with half-pixel centres", async () => {
  const d = 4;
  const dec = new AuxDecoder(d, [2, 2]);
  const w = Float32Array.of(0.5, -1, 2, 0.25);
  dec.getParameter("proj.weight").data = w;
  dec.getParameter("proj.bias").data = Float32Array.of(0.1);
  dec.getParameter("norm.weight").data = Float32Array.of(1, 2, 1, 0.5);
  dec.getParameter("norm.bias").data = Float32Array.of(0, 0.1, -0.2, 0);
  // One image 4×4, patch 2 → grid 2×2; tokens = [CLS, 4 patches].
  const tokens = Float32Array.from(randn(5 * d, 3));
  const g = new Graph();
  const x = g.input("t", [1, 5, d]);
  const y = dec.logits(new BuildContext(dec, { graph: g }), x, [4, 4]);
  assert.deepEqual(y.shape, [1, 4, 4]);
  const out = (await (await compile({ y })).run({ t: tokens })).y as Float32Array;
  // By hand: per patch token LayerNorm (eps 1e-6) then w·x + b.
  const nw = [1, 2, 1, 0.5];
  const nb = [0, 0.1, -0.2, 0];
  const v = [1, 2, 3, 4].map((t) => {
    const row = [...tokens.subarray(t * d, (t + 1) * d)];
    const mean = row.reduce((a, b) => a + b, 0) / d;
    const vr = row.reduce((a, b) => a + (b - mean) ** 2, 0) / d;
    const n = row.map((r, i) => ((r - mean) / Math.sqrt(vr + 1e-6)) * nw[i]! + nb[i]!);
    return n.reduce((a, b, i) => a + b * w[i]!, 0.1);
  });
  // Along each axis 2 → 4 with half-pixel centres: x = (o + ½)/2 − ½ → −¼ (clamped 0), ¼, ¾, 1¼ (clamped 1).
  const taps = [
    [1, 0],
    [0.75, 0.25],
    [0.25, 0.75],
    [0, 1],
  ];
  for (let r = 0; r < 4; r++)
    for (let c = 0; c < 4; c++) {
      let want = 0;
      for (let a = 0; a < 2; a++)
        for (let b = 0; b < 2; b++) want += taps[r]![a]! * taps[c]![b]! * v[a * 2 + b]!;
      assert.ok(Math.abs(out[r * 4 + c]! - want) < 1e-5, `${r},${c}: ${out[r * 4 + c]} vs ${want}`);
    }
});

test("auxMaskLoss = Σ_b w_b (mean BCE_b + soft Dice_b) by hand", async () => {
  const shape = [2, 2, 2, 3]; // B, S, H, W
  const n = 24;
  const logits = Float32Array.from(randn(n, 8), (v) => 2 * v);
  const targets = Float32Array.from(randn(n, 9), (v) => (v > 0.3 ? 1 : 0));
  targets.fill(0, 12); // the second scan has no foreground
  const weights = Float32Array.of(0.7, 0.3);
  const g = new Graph();
  const loss = auxMaskLoss(g.input("z", shape), g.input("t", shape), g.input("w", [2]));
  const res = await (await compile({ loss })).run({ z: logits, t: targets, w: weights });
  const got = (res.loss as Float32Array)[0]!;
  let want = 0;
  for (let b = 0; b < 2; b++) {
    let bce = 0;
    let inter = 0;
    let sp = 0;
    let st = 0;
    for (let q = b * 12; q < (b + 1) * 12; q++) {
      const x = logits[q]!;
      const t = targets[q]!;
      const p = 1 / (1 + Math.exp(-x));
      bce += -(t * Math.log(p) + (1 - t) * Math.log(1 - p)) / 12;
      inter += p * t;
      sp += p;
      st += t;
    }
    const dice = 1 - (2 * inter + 1) / (sp + st + 1);
    want += weights[b]! * (bce + dice);
  }
  assert.ok(Math.abs(got - want) < 1e-5, `${got} vs ${want}`);
});

test("AnyMc3d with aux: mask logits per view [B, S, H, W] in training graphs only", () => {
  const backbone = new Dinov2Model(tinyDinov2Config({ hidden_size: 8 }));
  const m = new AnyMc3d(backbone, { findings: 2, views: ["axial", "coronal"], aux: { patch: [4, 4] } });
  assert.ok(m.hasAux);
  for (const training of [true, false]) {
    const g = new Graph();
    const out = m.classify(new BuildContext(m, { graph: g, training }), {
      axial: g.input("axial", [2, 3, 1, 16, 16]),
      coronal: g.input("coronal", [2, 5, 1, 16, 12]),
    });
    if (!training) {
      assert.equal(out.auxLogits, undefined);
      continue;
    }
    assert.deepEqual(out.auxLogits?.axial?.shape, [2, 3, 16, 16]);
    assert.deepEqual(out.auxLogits?.coronal?.shape, [2, 5, 16, 12]);
  }
  assert.equal(new AnyMc3d(backbone, { findings: 2 }).hasAux, false);
});
