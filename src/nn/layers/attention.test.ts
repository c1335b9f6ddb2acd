import assert from "node:assert/strict";
import { after, test } from "node:test";
import { compile, randn, releaseSessions } from "../../engine/index.js";
import { BuildContext, type Module } from "../module.js";
import { MultiHeadAttention } from "./attention.js";
import type { Linear } from "./linear.js";
import { FusedSwiGlu, GatedMlp } from "./mlp.js";

after(() => releaseSessions());

async function run(m: Module, shape: number[], x: Float32Array): Promise<Float32Array> {
  const ctx = new BuildContext(m);
  const input = ctx.graph.input("x", shape);
  const y = m.forward(ctx, input);
  return (await (await compile({ y })).run({ x })).y as Float32Array;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

test("fused qkv attention equals separate q, k, v with the stacked weights", async () => {
  const [d, h] = [12, 3];
  const sep = new MultiHeadAttention(d, h, { names: { q: "q", k: "k", v: "v", o: "o" } });
  const fused = new MultiHeadAttention(d, h, { layout: "fused", names: { q: "qkv", o: "o" } });
  const qkv = fused.getModule("qkv") as Linear;
  ["q", "k", "v"].forEach((n, i) => {
    const lin = sep.getModule(n) as Linear;
    lin.weight.data = Float32Array.from(randn(d * d, 10 + i), (v) => v * 0.3);
    lin.bias?.data.set(Float32Array.from(randn(d, 20 + i)));
    qkv.weight.data.set(lin.weight.data, i * d * d);
    qkv.bias?.data.set(lin.bias?.data as Float32Array, i * d);
  });
  (fused.getModule("o") as Linear).weight.data = (sep.getModule("o") as Linear).weight.data;
  const x = Float32Array.from(randn(2 * 5 * d, 3));
  const a = await run(sep, [2, 5, d], x);
  const b = await run(fused, [2, 5, d], x);
  assert.ok(maxDiff(a, b) < 1e-5);
});

test("DINOv2's fused SwiGLU equals the gated MLP with the halves of weights_in as gate and up", async () => {
  const d = 8;
  const f = new FusedSwiGlu(d, 4); // hidden = ((⌊32·2/3⌋ + 7) // 8)·8 = 24
  assert.equal(f.hidden, 24);
  const g = new GatedMlp(d, 24, "silu");
  const win = f.getModule("weights_in") as Linear;
  win.weight.data = Float32Array.from(randn(48 * d, 4), (v) => v * 0.4);
  win.bias?.data.set(Float32Array.from(randn(48, 5)));
  (g.getModule("gate_proj") as Linear).weight.data = win.weight.data.slice(0, 24 * d);
  (g.getModule("up_proj") as Linear).weight.data = win.weight.data.slice(24 * d);
  const bias = win.bias?.data ?? new Float32Array(48);
  (g.getModule("gate_proj") as Linear).bias?.data.set(bias.subarray(0, 24));
  (g.getModule("up_proj") as Linear).bias?.data.set(bias.subarray(24));
  const wout = f.getModule("weights_out") as Linear;
  (g.getModule("down_proj") as Linear).weight.data = wout.weight.data;
  const x = Float32Array.from(randn(3 * d, 6));
  assert.ok(maxDiff(await run(f, [3, d], x), await run(g, [3, d], x)) < 1e-5);
});
