// Reductions: ReduceSum, ReduceMean, ReduceMax. The IR keeps `axes` explicit (normalised, never
// empty); the emitter writes them as the int64 input that opset 18 expects for all three.
import { typedArray } from "../ir/dtype.js";
import type { Attrs, Shape, Value } from "../ir/graph.js";
import { sizeOf } from "../ir/graph.js";
import { cast, div, equal, mul } from "./elementwise.js";
import { apply1, attrInts, attrNum, defineOp, normAxis } from "./registry.js";
import { expand, reshape } from "./shape.js";

function reducedShape(shape: Shape, axes: number[], keep: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

const axesOf = (x: Value, a: Attrs): number[] => attrInts(a, "axes") ?? x.shape.map((_, i) => i);
const keepOf = (a: Attrs): boolean => attrNum(a, "keepdims", 1) === 1;

/** The upstream gradient reshaped to keepdims form and expanded to the input's shape. */
function spread(dy: Value, x: Value, axes: number[]): Value {
  return expand(reshape(dy, reducedShape(x.shape, axes, true)), x.shape);
}

const common = {
  infer: ([x]: readonly Value[], a: Attrs) => {
    const v = x as Value;
    return [{ shape: reducedShape(v.shape, axesOf(v, a), keepOf(a)), dtype: v.dtype }];
  },
  onnxAttrs: { keepdims: "int" } as const,
  onnxInputs: (
    n: { attrs: Attrs; inputs: readonly Value[] },
    c: { int64(v: readonly number[]): string },
    names: readonly string[],
  ) => [names[0] as string, c.int64(axesOf(n.inputs[0] as Value, n.attrs))],
};

defineOp("ReduceSum", {
  ...common,
  grad: ({ node, dys: [dy] }) => {
    const x = node.inputs[0] as Value;
    return [spread(dy as Value, x, axesOf(x, node.attrs))];
  },
});

defineOp("ReduceMean", {
  ...common,
  grad: ({ node, dys: [dy] }) => {
    const x = node.inputs[0] as Value;
    const axes = axesOf(x, node.attrs);
    const n = sizeOf(axes.map((a) => x.shape[a] as number));
    return [spread(div(dy as Value, x.graph.scalar(n, x.dtype)), x, axes)];
  },
});

defineOp("ReduceMax", {
  ...common,
  grad: ({ node, dys: [dy] }) => {
    // The gradient is shared equally among tied maxima.
    const x = node.inputs[0] as Value;
    const y = node.outputs[0] as Value;
    const axes = axesOf(x, node.attrs);
    const mask = cast(equal(x, spread(y, x, axes)), x.dtype);
    const count = reduceSum(mask, axes, true);
    return [mul(mask, spread(div(reshape(dy as Value, count.shape), count), x, axes))];
  },
});

function reduce(op: string, x: Value, axes: readonly number[] | undefined, keepdims: boolean): Value {
  const ax = [...new Set((axes ?? x.shape.map((_, i) => i)).map((a) => normAxis(a, x.rank)))].sort(
    (p, q) => p - q,
  );
  if (ax.length === 0) return x;
  return apply1(op, [x], { axes: ax, keepdims: keepdims ? 1 : 0 });
}

export const reduceSum = (x: Value, axes?: readonly number[], keepdims = false): Value =>
  reduce("ReduceSum", x, axes, keepdims);
export const reduceMean = (x: Value, axes?: readonly number[], keepdims = false): Value =>
  reduce("ReduceMean", x, axes, keepdims);
export const reduceMax = (x: Value, axes?: readonly number[], keepdims = false): Value =>
  reduce("ReduceMax", x, axes, keepdims);

/**
 * Sums a broadcast gradient back to `shape` (ReduceSum over the broadcast axes, then Reshape).
 * A sum over leading axes only (a bias gradient) is a [1, rows]·[rows, cols] MatMul with ones:
 * ORT's ReduceSum over leading axes is slower than a full elementwise pass, the MatMul ~3× faster.
 */
export function unbroadcast(g: Value, shape: Shape): Value {
  if (g.rank === shape.length && g.shape.every((d, i) => d === shape[i])) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  g.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const k = axes.length;
  const prefix = axes.every((a, i) => a === i);
  const rows = sizeOf(g.shape.slice(0, k));
  if (prefix && rows > 1 && k < g.rank && (g.dtype === "float32" || g.dtype === "float64")) {
    const ones = onesRow(g, rows);
    return reshape(apply1("MatMul", [ones, reshape(g, [rows, sizeOf(g.shape.slice(k))])]), shape);
  }
  return reshape(reduceSum(g, axes, true), shape);
}

const onesCache = new WeakMap<object, Map<string, Value>>();

/** A [1, n] row of ones as a constant, one per graph, dtype and length. */
function onesRow(like: Value, n: number): Value {
  let m = onesCache.get(like.graph);
  if (!m) {
    m = new Map();
    onesCache.set(like.graph, m);
  }
  const key = `${like.dtype}:${n}`;
  let v = m.get(key);
  if (!v) {
    v = like.graph.constant(typedArray(like.dtype, new Array<number>(n).fill(1)), [1, n], like.dtype);
    m.set(key, v);
  }
  return v;
}
