// A ViT block (pre-norm, MHA with q,k,v,o linears, GELU MLP, residuals) with LoRA on q and v:
// gradients for the input and the LoRA matrices against finite differences; frozen weights get
// no gradient; a tiny model trains to near-zero loss with the project's SGD.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { grad } from "./autodiff.js";
import { gradCheck, randn } from "./gradcheck.js";
import type { AnyTypedArray } from "./ir/dtype.js";
import { Graph, type Value } from "./ir/graph.js";
import { mse } from "./losses.js";
import * as E from "./ops/index.js";
import { SGD } from "./optim/index.js";
import { compile } from "./runtime/program.js";
import { releaseSessions } from "./runtime/session.js";
import { compileTrainStep } from "./runtime/train.js";

after(() => releaseSessions());

const [B, N, D, H, F, r] = [2, 4, 8, 2, 12, 2];

function param(
  g: Graph,
  name: string,
  shape: number[],
  seed: number,
  scale: number,
  dtype: "float32" | "float64",
  trainable = false,
): Value {
  const v = Array.from(
    randn(
      shape.reduce((a, b) => a * b, 1),
      seed,
    ),
    (x) => x * scale,
  );
  return g.param(name, shape, dtype === "float64" ? Float64Array.from(v) : Float32Array.from(v), {
    trainable,
  });
}

interface Lora {
  qa: Value;
  qb: Value;
  va: Value;
  vb: Value;
}

/** One pre-norm ViT block; `gelu` is swappable because ORT has no float64 Erf kernel. */
function block(x: Value, lora: Lora, dtype: "float32" | "float64", gelu: (v: Value) => Value): Value {
  const g = x.graph;
  const p = (name: string, shape: number[], seed: number, scale = 0.3) =>
    param(g, name, shape, seed, scale, dtype);
  const ln1 = E.layerNorm(x, p("ln1.g", [D], 1, 1), p("ln1.b", [D], 2, 0.1));
  const lin = (y: Value, w: Value, b: Value) => E.add(E.matmul(y, w), b);
  let q = lin(ln1, p("q.w", [D, D], 3), p("q.b", [D], 4, 0.1));
  const k = lin(ln1, p("k.w", [D, D], 5), p("k.b", [D], 6, 0.1));
  let v = lin(ln1, p("v.w", [D, D], 7), p("v.b", [D], 8, 0.1));
  q = E.add(q, E.mul(E.matmul(E.matmul(ln1, lora.qa), lora.qb), 2));
  v = E.add(v, E.mul(E.matmul(E.matmul(ln1, lora.va), lora.vb), 2));
  const heads = (t: Value) => E.transpose(E.reshape(t, [B, N, H, D / H]), [0, 2, 1, 3]);
  const att = E.softmax(E.div(E.matmul(heads(q), E.transposeLast2(heads(k))), Math.sqrt(D / H)), -1);
  const o = E.reshape(E.transpose(E.matmul(att, heads(v)), [0, 2, 1, 3]), [B, N, D]);
  const x1 = E.add(x, lin(o, p("o.w", [D, D], 9), p("o.b", [D], 10, 0.1)));
  const ln2 = E.layerNorm(x1, p("ln2.g", [D], 11, 1), p("ln2.b", [D], 12, 0.1));
  const h = gelu(lin(ln2, p("fc1.w", [D, F], 13), p("fc1.b", [F], 14, 0.1)));
  return E.add(x1, lin(h, p("fc2.w", [F, D], 15), p("fc2.b", [D], 16, 0.1)));
}

test("ViT block with LoRA on q and v: input and LoRA gradients match finite differences (float64)", async () => {
  const rep = await gradCheck(
    {
      x: { shape: [B, N, D] },
      qa: { shape: [D, r] },
      qb: { shape: [r, D] },
      va: { shape: [D, r] },
      vb: { shape: [r, D] },
    },
    ({ x, qa, qb, va, vb }) => block(x as Value, { qa, qb, va, vb } as Lora, "float64", E.geluTanh),
  );
  assert.deepEqual(rep.failures, [], `worst ${rep.worstGrad}`);
});

test("ViT block with exact (erf) GELU in float32: LoRA gradients match finite differences", async () => {
  const rep = await gradCheck(
    {
      x: { shape: [B, N, D], grad: false },
      qa: { shape: [D, r] },
      qb: { shape: [r, D] },
      va: { shape: [D, r] },
      vb: { shape: [r, D] },
    },
    ({ x, qa, qb, va, vb }) => block(x as Value, { qa, qb, va, vb } as Lora, "float32", E.gelu),
    { dtype: "float32", eps: 1e-2, rtol: 3e-2, atol: 3e-3 },
  );
  assert.deepEqual(rep.failures, [], `worst ${rep.worstGrad}`);
});

test("trainable LoRA parameters get gradients, frozen weights none (no weight-shaped gradient product)", async () => {
  const g = new Graph();
  const x = g.input("x", [B, N, D], "float64");
  const lora = {
    qa: param(g, "qa", [D, r], 21, 0.3, "float64", true),
    qb: param(g, "qb", [r, D], 22, 0.3, "float64", true),
    va: param(g, "va", [D, r], 23, 0.3, "float64", true),
    vb: param(g, "vb", [r, D], 24, 0.3, "float64", true),
  };
  const y = block(x, lora, "float64", E.geluTanh);
  const loss = E.reduceSum(E.mul(y, y));
  const before = g.nodes.length;
  const grads = grad(loss, [lora.qa, lora.qb, lora.va, lora.vb]);
  const backward = g.nodes.slice(before);
  // A frozen D×D or D×F weight's gradient would be a MatMul with that output shape.
  const weightShaped = backward.filter(
    (n) =>
      n.op === "MatMul" &&
      n.outputs.some(
        (o) =>
          o.rank === 2 &&
          ((o.shape[0] === D && o.shape[1] === D) ||
            (o.shape[0] === D && o.shape[1] === F) ||
            (o.shape[0] === F && o.shape[1] === D)),
      ),
  );
  assert.equal(weightShaped.length, 0);
  const prog = await compile({ loss, gqa: grads[0] as Value }, { optimization: "basic" });
  const lossOnly = await compile({ loss }, { optimization: "basic" });
  const feeds = { x: randn(B * N * D, 5) };
  const out = await prog.run(feeds);
  // Central differences on a few entries of the trainable parameter (fed from its host array).
  const qa = lora.qa.data as Float64Array;
  for (const i of [0, 5, 13]) {
    const orig = qa[i] as number;
    qa[i] = orig + 1e-6;
    const lp = ((await lossOnly.run(feeds)).loss as Float64Array)[0] as number;
    qa[i] = orig - 1e-6;
    const lm = ((await lossOnly.run(feeds)).loss as Float64Array)[0] as number;
    qa[i] = orig;
    const num = (lp - lm) / 2e-6;
    const ana = (out.gqa as Float64Array)[i] as number;
    assert.ok(
      Math.abs(num - ana) <= 1e-6 + 1e-5 * Math.abs(num),
      `qa[${i}]: analytic ${ana}, numeric ${num}`,
    );
  }
});

test("a tiny MLP trains to near-zero loss with SGD on host arrays", async () => {
  const g = new Graph();
  const n = 32;
  const x = g.input("x", [n, 3]);
  const t = g.input("t", [n, 2]);
  const w1 = param(g, "w1", [3, 16], 31, 0.5, "float32", true);
  const b1 = param(g, "b1", [16], 32, 0, "float32", true);
  const w2 = param(g, "w2", [16, 2], 33, 0.5, "float32", true);
  const b2 = param(g, "b2", [2], 34, 0, "float32", true);
  const pred = E.add(E.matmul(E.tanh(E.add(E.matmul(x, w1), b1)), w2), b2);
  const step = await compileTrainStep(mse(pred, t));
  const xs = Float32Array.from(randn(n * 3, 40));
  // A smooth target the network can represent: t = [sin(x0 + x1), x2 · 0.5]
  const ts = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    ts[2 * i] = Math.sin((xs[3 * i] as number) + (xs[3 * i + 1] as number));
    ts[2 * i + 1] = 0.5 * (xs[3 * i + 2] as number);
  }
  const opt = new SGD(g.trainableValues(), { lr: 0.1, momentum: 0.9 });
  let first = Number.NaN;
  let last = Number.NaN;
  for (let it = 0; it < 1500; it++) {
    const { loss, grads } = await step.run({ x: xs, t: ts } as Record<string, AnyTypedArray>);
    if (it === 0) first = loss;
    last = loss;
    opt.step(grads);
  }
  assert.ok(last < 1e-3 * first && last < 2e-3, `loss ${first} → ${last}`);
});
