// attention's hand-written gradient (ops/custom.ts) against central finite differences, and its
// forward against the plain expression it replaces.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { grad } from "../autodiff.js";
import { gradCheck, randn } from "../gradcheck.js";
import { Graph, type Value } from "../ir/graph.js";
import { compile } from "../runtime/program.js";
import { releaseSessions } from "../runtime/session.js";
import * as E from "./index.js";

after(() => releaseSessions());

test("attention: q, k and v gradients match finite differences (float64, Tq ≠ Tk, dv ≠ d)", async () => {
  const rep = await gradCheck(
    { q: { shape: [2, 3, 4, 5] }, k: { shape: [2, 3, 6, 5] }, v: { shape: [2, 3, 6, 7] } },
    ({ q, k, v }) => E.attention(q as Value, k as Value, v as Value).out,
  );
  assert.deepEqual(rep.failures, [], `worst ${rep.worstGrad}`);
});

test("attention: gradients through transposed head views and an explicit scale (float64)", async () => {
  // The layout a ViT builds: [B, T, H·d] → [B, H, T, d] views, so dq, dk, dv flow through Transposes.
  const heads = (x: Value) => E.transpose(E.reshape(x, [2, 5, 2, 3]), [0, 2, 1, 3]);
  const rep = await gradCheck(
    { q: { shape: [2, 5, 6] }, k: { shape: [2, 5, 6] }, v: { shape: [2, 5, 6] } },
    ({ q, k, v }) => E.attention(heads(q as Value), heads(k as Value), heads(v as Value), 0.7).out,
  );
  assert.deepEqual(rep.failures, [], `worst ${rep.worstGrad}`);
});

test("attention: output and probabilities equal softmax(scale·q·kᵀ)·v built from plain ops", async () => {
  const g = new Graph();
  const q = g.input("q", [1, 2, 4, 3]);
  const k = g.input("k", [1, 2, 5, 3]);
  const v = g.input("v", [1, 2, 5, 2]);
  const { out, probs } = E.attention(q, k, v);
  const p = E.softmax(E.div(E.matmul(q, E.transposeLast2(k)), Math.sqrt(3)), -1);
  const prog = await compile({ out, probs, ref: E.matmul(p, v), refP: p });
  const feeds = {
    q: Float32Array.from(randn(24, 1)),
    k: Float32Array.from(randn(30, 2)),
    v: Float32Array.from(randn(20, 3)),
  };
  const r = await prog.run(feeds);
  for (const [a, b] of [
    ["out", "ref"],
    ["probs", "refP"],
  ] as const) {
    const x = r[a] as Float32Array;
    const y = r[b] as Float32Array;
    for (let i = 0; i < x.length; i++)
      assert.ok(Math.abs((x[i] as number) - (y[i] as number)) < 1e-6, `${a}[${i}]`);
  }
});

test("attention: only the gradients asked for are built (no dq/dk products for v alone)", () => {
  const g = new Graph();
  const q = g.param("q", [1, 1, 4, 3], new Float32Array(12));
  const k = g.param("k", [1, 1, 4, 3], new Float32Array(12));
  const v = g.param("v", [1, 1, 4, 3], new Float32Array(12), { trainable: true });
  const loss = E.reduceSum(E.attention(q, k, v).out);
  const before = g.nodes.length;
  grad(loss, [v]);
  const products = g.nodes.slice(before).filter((n) => n.op === "MatMul");
  assert.equal(products.length, 1, "dv = Pᵀ·dO only");
});

test("attention: mismatched shapes are build-time errors naming the operands", () => {
  const g = new Graph();
  const q = g.input("q", [1, 2, 4, 3]);
  assert.throws(
    () => E.attention(q, g.input("k", [1, 2, 4, 5]), g.input("v", [1, 2, 4, 3])),
    /q .*k .*do not fit/,
  );
  assert.throws(
    () => E.attention(q, g.input("kk", [1, 3, 4, 3]), g.input("vv", [1, 3, 4, 3])),
    /leading axes/,
  );
});
