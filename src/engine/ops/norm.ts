// Softmax, LogSoftmax and LayerNormalization.
import { sizeOf, type Value } from "../ir/graph.js";
import { add, div, exp, mul, neg, sqrt, sub } from "./elementwise.js";
import { matmul } from "./matmul.js";
import { reduceMean, reduceSum, unbroadcast } from "./reduce.js";
import { apply1, attrNum, defineOp, fail, normAxis } from "./registry.js";
import { reshape } from "./shape.js";

const same = ([x]: readonly Value[]) => [{ shape: (x as Value).shape, dtype: (x as Value).dtype }];

defineOp("Softmax", {
  infer: same,
  onnxAttrs: { axis: "int" },
  grad: ({ node, dys: [dy] }) => {
    const y = node.outputs[0] as Value;
    const axis = normAxis(attrNum(node.attrs, "axis", -1), y.rank);
    const d = dy as Value;
    return [mul(y, sub(d, reduceSum(mul(d, y), [axis], true)))];
  },
});

defineOp("LogSoftmax", {
  infer: same,
  onnxAttrs: { axis: "int" },
  grad: ({ node, dys: [dy] }) => {
    const y = node.outputs[0] as Value;
    const axis = normAxis(attrNum(node.attrs, "axis", -1), y.rank);
    const d = dy as Value;
    return [sub(d, mul(exp(y), reduceSum(d, [axis], true)))];
  },
});

export const softmax = (x: Value, axis = -1): Value =>
  apply1("Softmax", [x], { axis: normAxis(axis, x.rank) });
export const logSoftmax = (x: Value, axis = -1): Value =>
  apply1("LogSoftmax", [x], { axis: normAxis(axis, x.rank) });

defineOp("LayerNormalization", {
  infer: ([x, scale, bias], a) => {
    const v = x as Value;
    const axis = normAxis(attrNum(a, "axis", -1), v.rank);
    const norm = v.shape.slice(axis);
    for (const p of [scale, bias]) {
      if (!p) continue;
      if (p.dtype !== v.dtype) fail("scale/bias dtype differs from the input's");
      const s = p.shape;
      if (s.length > norm.length || s.some((d, i) => d !== 1 && d !== norm[norm.length - s.length + i])) {
        fail(`scale/bias shape must broadcast to the normalised shape [${norm}]`);
      }
    }
    // float32 nodes also expose ONNX's optional Mean and InvStdDev outputs, which the gradient
    // reuses (the serialiser leaves them unnamed when nothing reads them).
    if (v.dtype !== "float32") return [{ shape: v.shape, dtype: v.dtype }];
    const stat = { shape: v.shape.map((d, i) => (i < axis ? d : 1)), dtype: v.dtype };
    return [{ shape: v.shape, dtype: v.dtype }, stat, stat];
  },
  onnxAttrs: { axis: "int", epsilon: "float" },
  grad: ({ node, dys: [dy], needs }) => {
    const [x, scale, bias] = node.inputs as [Value, Value, Value | undefined];
    const axis = normAxis(attrNum(node.attrs, "axis", -1), x.rank);
    const eps = attrNum(node.attrs, "epsilon", 1e-5);
    const d = dy as Value;
    // float32 nodes reuse ORT's Mean/InvStdDev outputs; float64 recomputes them.
    const [, savedMean, savedInvStd] = node.outputs;
    const axes = x.shape.map((_, i) => i).filter((i) => i >= axis);
    const mean = savedMean ?? reduceMean(x, axes, true);
    const rstd = savedInvStd ?? div(1, sqrt(add(reduceMean(square(sub(x, mean)), axes, true), eps)));
    const rows = sizeOf(x.shape.slice(0, axis));
    const cols = sizeOf(x.shape.slice(axis));
    if (scale.size === cols) return layerNormGrad2d(d, x, scale, bias, mean, rstd, rows, cols, needs);
    // Scale broadcast inside the normalised block: the same algebra with plain reductions.
    const xhat = mul(sub(x, mean), rstd);
    const dg = mul(d, scale);
    let dx: Value | undefined;
    if (needs[0]) {
      const m1 = reduceMean(dg, axes, true);
      const m2 = reduceMean(mul(dg, xhat), axes, true);
      dx = mul(rstd, sub(sub(dg, m1), mul(xhat, m2)));
    }
    return [
      dx,
      needs[1] ? unbroadcast(mul(d, xhat), scale.shape) : undefined,
      bias && needs[2] ? unbroadcast(d, bias.shape) : undefined,
    ];
  },
});

/**
 * LayerNorm backward on the [rows, cols] view with a full-size scale γ, in few full-size passes
 * (6 writes for dx, where the textbook form with x̂ written out takes 9): dx is expanded in x
 * instead of x̂ (PyTorch's CPU kernel form), with per-row coefficients (r = 1/σ, μ the mean):
 *   dx = r·(d·γ) + x·b + c,  b = −r³·(mean(dγ·x) − μ·mean(dγ)),  c = −r·mean(dγ) − μ·b.
 * dγ = Σ_rows d·x̂ = rᵀ·(d·x) − (μ·r)ᵀ·d as two skinny MatMuls (ORT's ReduceSum over leading
 * axes is slower than a full pass).
 */
function layerNormGrad2d(
  dy: Value,
  x: Value,
  scale: Value,
  bias: Value | undefined,
  mean: Value,
  rstd: Value,
  rows: number,
  cols: number,
  needs: readonly boolean[],
): (Value | undefined)[] {
  const d = reshape(dy, [rows, cols]);
  const x2 = reshape(x, [rows, cols]);
  const mu = reshape(mean, [rows, 1]);
  const r = reshape(rstd, [rows, 1]);
  // d·x is needed by dγ; with it, Σ dγ·x is a MatMul against γ instead of another full pass.
  const dx2 = needs[1] ? mul(d, x2) : undefined;
  let dx: Value | undefined;
  if (needs[0]) {
    const dg = mul(d, reshape(scale, [cols]));
    const mDg = div(reduceSum(dg, [1], true), cols);
    const mDgX = div(dx2 ? matmul(dx2, reshape(scale, [cols, 1])) : reduceSum(mul(dg, x2), [1], true), cols);
    const b = mul(neg(mul(r, mul(r, r))), sub(mDgX, mul(mu, mDg)));
    const c = sub(neg(mul(r, mDg)), mul(mu, b));
    dx = reshape(add(add(mul(dg, r), mul(x2, b)), c), x.shape);
  }
  let dScale: Value | undefined;
  if (dx2) {
    const rRow = reshape(r, [1, rows]);
    const muR = reshape(mul(mu, r), [1, rows]);
    dScale = reshape(sub(matmul(rRow, dx2), matmul(muR, d)), scale.shape);
  }
  return [dx, dScale, bias && needs[2] ? unbroadcast(dy, bias.shape) : undefined];
}

const square = (v: Value): Value => mul(v, v);

/** LayerNormalization over the axes from `axis` to the last. */
export function layerNorm(
  x: Value,
  scale: Value,
  bias?: Value,
  opts: { axis?: number; epsilon?: number } = {},
): Value {
  const attrs = { axis: normAxis(opts.axis ?? -1, x.rank), epsilon: opts.epsilon ?? 1e-5 };
  return apply1("LayerNormalization", bias ? [x, scale, bias] : [x, scale], attrs);
}
