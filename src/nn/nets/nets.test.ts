import assert from "node:assert/strict";
import { after, test } from "node:test";
import { fixture } from "../../../test/paths.js";
import {
  compile,
  grad,
  gradCheck,
  mul,
  randn,
  reduceSum,
  releaseSessions,
  type Value,
} from "../../engine/index.js";
import { loadBackbone } from "../checkpoints/hf.js";
import { BuildContext } from "../module.js";
import { Cnn3d } from "./cnn3d.js";
import { Vit3d } from "./vit3d.js";

after(() => releaseSessions());

test("tiny DINOv2 at a non-native size: pixel gradients match finite differences (float32)", async () => {
  const { model } = await loadBackbone(fixture("nn", "dinov2"));
  const rep = await gradCheck(
    { x: { shape: [1, 3, 14, 21] } },
    ({ x }) => {
      const ctx = new BuildContext(model, { graph: (x as Value).graph });
      return model.embed(ctx, x as Value).poolerOutput;
    },
    { dtype: "float32", eps: 1e-2 },
  );
  assert.deepEqual(rep.failures, []);
});

test("tiny DINOv2: gradients of trainable parameters (positions through interpolation, LayerScale) match finite differences", async () => {
  const { model } = await loadBackbone(fixture("nn", "dinov2"));
  const pos = model.getParameter("embeddings.position_embeddings");
  const ls = model.getParameter("encoder.layer.1.layer_scale2.lambda1");
  pos.trainable = true;
  ls.trainable = true;
  const ctx = new BuildContext(model);
  const x = ctx.graph.input("x", [1, 3, 14, 21]);
  const out = model.embed(ctx, x).lastHiddenState;
  const w = ctx.graph.constant(Float32Array.from(randn(out.size, 5)), out.shape);
  const loss = reduceSum(mul(out, w));
  const [gPos, gLs] = grad(loss, [ctx.param(pos), ctx.param(ls)]) as [Value, Value];
  const prog = await compile({ loss, gPos, gLs });
  const lossOnly = await compile({ loss });
  const xs = Float32Array.from(randn(x.size, 3));
  const res = await prog.run({ x: xs });
  const eps = 1e-2;
  for (const [p, g, idx] of [
    [pos, res.gPos as Float32Array, [0, 40, 33 * 7, 16 * 32 + 5]],
    [ls, res.gLs as Float32Array, [0, 17, 31]],
  ] as const) {
    for (const i of idx) {
      const orig = p.data[i] as number;
      p.data[i] = orig + eps;
      const lp = ((await lossOnly.run({ x: xs })).loss as Float32Array)[0] as number;
      p.data[i] = orig - eps;
      const lm = ((await lossOnly.run({ x: xs })).loss as Float32Array)[0] as number;
      p.data[i] = orig;
      const numeric = (lp - lm) / (2 * eps);
      const analytic = g[i] as number;
      assert.ok(
        Math.abs(analytic - numeric) <= 2e-3 + 2e-2 * Math.abs(numeric),
        `[${i}] ${analytic} vs ${numeric}`,
      );
    }
  }
});

test("ViT 3D and CNN 3D: output shapes and parameter counts from their shapes", async () => {
  const v = new Vit3d({
    in_channels: 1,
    hidden_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    mlp_ratio: 2,
    patch_size: [4, 4, 4],
  });
  const d = 24;
  const block = 2 * 2 * d + (3 * d * d + 3 * d) + (d * d + d) + (d * 2 * d + 2 * d) + (2 * d * d + d);
  assert.equal(v.parameterCount(), d + (64 * d + d) + 2 * block + 2 * d);
  const c = new Cnn3d({ in_channels: 1, widths: [4, 8], depths: [1, 1] });
  const conv = (i: number, o: number, k: number) => i * o * k + o;
  assert.equal(
    c.parameterCount(),
    conv(1, 4, 27) + 2 * conv(4, 4, 27) + conv(4, 8, 27) + conv(8, 8, 27) + conv(4, 8, 1),
  );
  for (const [m, tokens] of [
    [v, 1 + 2 * 2 * 2],
    [c, 2 * 2 * 2],
  ] as const) {
    const ctx = new BuildContext(m);
    const x = ctx.graph.input("x", [2, 1, 8, 8, 8]);
    const o = m.embed(ctx, x);
    assert.deepEqual(o.lastHiddenState.shape, [2, tokens, m.hiddenSize]);
    const r = await (await compile({ a: o.lastHiddenState, b: o.poolerOutput })).run({
      x: Float32Array.from(randn(x.size, 1)),
    });
    assert.ok((r.b as Float32Array).every(Number.isFinite));
  }
});
