// Softmax, LogSoftmax and LayerNormalization.
import type { Value } from "../ir/graph.js";
import { add, div, exp, mul, sqrt, sub } from "./elementwise.js";
import { reduceMean, reduceSum, unbroadcast } from "./reduce.js";
import { apply1, attrNum, defineOp, fail, normAxis } from "./registry.js";

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
    // float64 recomputes the statistics (ONNX's Mean/InvStdDev outputs are float32 only).
    const [x, scale, bias] = node.inputs as [Value, Value, Value | undefined];
    const axis = normAxis(attrNum(node.attrs, "axis", -1), x.rank);
    const eps = attrNum(node.attrs, "epsilon", 1e-5);
    const axes = x.shape.map((_, i) => i).filter((i) => i >= axis);
    const d = dy as Value;
    const [, mean, invStd] = node.outputs;
    const xc = sub(x, mean ?? reduceMean(x, axes, true));
    const rstd = invStd ?? div(1, sqrt(add(reduceMean(mul(xc, xc), axes, true), eps)));
    const xhat = mul(xc, rstd);
    let dx: Value | undefined;
    if (needs[0]) {
      const dxhat = mul(d, scale);
      const t = sub(
        sub(dxhat, reduceMean(dxhat, axes, true)),
        mul(xhat, reduceMean(mul(dxhat, xhat), axes, true)),
      );
      dx = mul(rstd, t);
    }
    return [
      dx,
      needs[1] ? unbroadcast(mul(d, xhat), scale.shape) : undefined,
      bias && needs[2] ? unbroadcast(d, bias.shape) : undefined,
    ];
  },
});

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
