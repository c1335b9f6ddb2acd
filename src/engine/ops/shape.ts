// Movement ops: Reshape, Transpose, Concat, Split, Slice, Gather, Expand, Squeeze, Unsqueeze, Pad, Identity.
// Static arguments (shapes, axes, starts…) live in attrs and are emitted as int64 initializer inputs.
import type { Attrs, Shape, Value } from "../ir/graph.js";
import { shapeStr, sizeOf } from "../ir/graph.js";
import { cast, equal } from "./elementwise.js";
import { matmul } from "./matmul.js";
import { unbroadcast } from "./reduce.js";
import {
  apply,
  apply1,
  attrInts,
  attrNum,
  attrStr,
  broadcastShapes,
  defineOp,
  fail,
  normAxis,
  sameDtype,
} from "./registry.js";

const ints = (a: Attrs, k: string): number[] => attrInts(a, k) ?? fail(`missing attribute ${k}`);

// ---------- Reshape
defineOp("Reshape", {
  infer: ([x], a) => {
    const shape = ints(a, "shape");
    if (sizeOf(shape) !== (x as Value).size) fail(`cannot reshape to ${shapeStr(shape)}`);
    return [{ shape, dtype: (x as Value).dtype }];
  },
  onnxInputs: (n, c, names) => [names[0] as string, c.int64(ints(n.attrs, "shape"))],
  grad: ({ node, dys: [dy] }) => [reshape(dy as Value, (node.inputs[0] as Value).shape)],
});

/** Reshape; `shape` may hold one -1 (inferred) and 0s (copy the input's dimension). */
export function reshape(x: Value, shape: Shape): Value {
  const s = shape.map((d, i) => (d === 0 ? (x.shape[i] ?? fail("0 beyond rank")) : d));
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    const known = sizeOf(s.filter((d) => d !== -1));
    s[neg] = known === 0 ? 0 : x.size / known;
  }
  if (s.length === x.rank && s.every((d, i) => d === x.shape[i])) return x;
  return apply1("Reshape", [x], { shape: s });
}

// ---------- Transpose
defineOp("Transpose", {
  infer: ([x], a) => {
    const v = x as Value;
    const perm = attrInts(a, "perm") ?? v.shape.map((_, i) => v.rank - 1 - i);
    if (perm.length !== v.rank || [...perm].sort((p, q) => p - q).some((p, i) => p !== i))
      fail(`bad perm ${perm}`);
    return [{ shape: perm.map((p) => v.shape[p] as number), dtype: v.dtype }];
  },
  onnxAttrs: { perm: "ints" },
  grad: ({ node, dys: [dy] }) => {
    const perm = ints(node.attrs, "perm");
    const inv = perm.map((_, i) => perm.indexOf(i));
    return [transpose(dy as Value, inv)];
  },
});

export function transpose(x: Value, perm?: readonly number[]): Value {
  const p = perm ? perm.map((a) => normAxis(a, x.rank)) : x.shape.map((_, i) => x.rank - 1 - i);
  if (p.every((q, i) => q === i)) return x;
  return apply1("Transpose", [x], { perm: p });
}

/** Swaps the last two axes. */
export function transposeLast2(x: Value): Value {
  const perm = x.shape.map((_, i) => i);
  perm[x.rank - 1] = x.rank - 2;
  perm[x.rank - 2] = x.rank - 1;
  return transpose(x, perm);
}

// ---------- Concat
defineOp("Concat", {
  infer: (xs, a) => {
    const dtype = sameDtype(xs);
    const x0 = xs[0] as Value;
    const axis = normAxis(attrNum(a, "axis", 0), x0.rank);
    const shape = [...x0.shape];
    shape[axis] = 0;
    for (const x of xs) {
      if (x.rank !== x0.rank || x.shape.some((d, i) => i !== axis && d !== x0.shape[i])) {
        fail(`shapes differ outside axis ${axis}`);
      }
      shape[axis] = (shape[axis] as number) + (x.shape[axis] as number);
    }
    return [{ shape, dtype }];
  },
  onnxAttrs: { axis: "int" },
  grad: ({ node, dys: [dy], needs }) => {
    const axis = normAxis(attrNum(node.attrs, "axis", 0), (dy as Value).rank);
    const parts = split(
      dy as Value,
      node.inputs.map((x) => x.shape[axis] as number),
      axis,
    );
    return parts.map((p, i) => (needs[i] ? p : undefined));
  },
});

export function concat(xs: readonly Value[], axis: number): Value {
  if (xs.length === 1) return xs[0] as Value;
  return apply1("Concat", xs, { axis: normAxis(axis, (xs[0] as Value).rank) });
}

// ---------- Split
defineOp("Split", {
  infer: ([x], a) => {
    const v = x as Value;
    const axis = normAxis(attrNum(a, "axis", 0), v.rank);
    const sizes = ints(a, "split");
    if (sizes.reduce((p, q) => p + q, 0) !== v.shape[axis])
      fail(`split ${sizes} does not sum to ${v.shape[axis]}`);
    return sizes.map((s) => {
      const shape = [...v.shape];
      shape[axis] = s;
      return { shape, dtype: v.dtype };
    });
  },
  onnxAttrs: { axis: "int" },
  onnxInputs: (n, c, names) => [names[0] as string, c.int64(ints(n.attrs, "split"))],
  grad: ({ node, dys }) => {
    const x = node.inputs[0] as Value;
    const axis = normAxis(attrNum(node.attrs, "axis", 0), x.rank);
    const parts = node.outputs.map((o, i) => dys[i] ?? zeros(o.shape, o.dtype, x));
    return [concat(parts, axis)];
  },
});

export function split(x: Value, sizes: readonly number[], axis: number): Value[] {
  if (sizes.length === 1) return [x];
  return apply("Split", [x], { axis: normAxis(axis, x.rank), split: [...sizes] });
}

/** A zero tensor (an Expand of a scalar, so no big initializer is stored). */
export function zeros(shape: Shape, dtype: Value["dtype"], like: Value): Value {
  return expand(like.graph.scalar(0, dtype), shape);
}

// ---------- Slice (static starts/ends/axes/steps, normalised at build time)
interface SliceSpec {
  starts: number[];
  ends: number[];
  axes: number[];
  steps: number[];
}

function sliceSpec(a: Attrs): SliceSpec {
  return { starts: ints(a, "starts"), ends: ints(a, "ends"), axes: ints(a, "axes"), steps: ints(a, "steps") };
}

defineOp("Slice", {
  infer: ([x], a) => {
    const v = x as Value;
    const s = sliceSpec(a);
    const shape = [...v.shape];
    s.axes.forEach((axis, i) => {
      const ax = normAxis(axis, v.rank);
      const [st, en, step] = [s.starts[i] as number, s.ends[i] as number, s.steps[i] as number];
      if (step === 0) fail("step 0");
      shape[ax] =
        step > 0 ? Math.max(0, Math.ceil((en - st) / step)) : Math.max(0, Math.ceil((st - en) / -step));
    });
    return [{ shape, dtype: v.dtype }];
  },
  onnxInputs: (n, c, names) => {
    const s = sliceSpec(n.attrs);
    return [names[0] as string, c.int64(s.starts), c.int64(s.ends), c.int64(s.axes), c.int64(s.steps)];
  },
  grad: ({ node, dys: [dy] }) => {
    const x = node.inputs[0] as Value;
    const s = sliceSpec(node.attrs);
    if (s.steps.some((st) => st !== 1)) throw new Error("Slice: gradient supports step 1 only");
    const pads = new Array(2 * x.rank).fill(0);
    s.axes.forEach((axis, i) => {
      const ax = normAxis(axis, x.rank);
      const st = s.starts[i] as number;
      const len = (dy as Value).shape[ax] as number;
      pads[ax] = st;
      pads[ax + x.rank] = (x.shape[ax] as number) - st - len;
    });
    return [pad(dy as Value, pads)];
  },
});

/**
 * Slice with ONNX semantics (negative indices count from the end; out-of-range ends clamp).
 * Indices are resolved at build time, so the node's attrs are always explicit and in range.
 */
export function slice(
  x: Value,
  starts: readonly number[],
  ends: readonly number[],
  axes?: readonly number[],
  steps?: readonly number[],
): Value {
  const ax = (axes ?? starts.map((_, i) => i)).map((a) => normAxis(a, x.rank));
  const st = steps ?? ax.map(() => 1);
  const S: number[] = [];
  const E: number[] = [];
  ax.forEach((a, i) => {
    const dim = x.shape[a] as number;
    const step = st[i] as number;
    let s = starts[i] as number;
    let e = ends[i] as number;
    if (s < 0) s += dim;
    if (e < 0) e += dim;
    if (step > 0) {
      s = Math.min(Math.max(s, 0), dim);
      e = Math.min(Math.max(e, 0), dim);
    } else {
      s = Math.min(Math.max(s, 0), dim - 1);
      e = Math.min(Math.max(e, -1), dim - 1);
    }
    S.push(s);
    // -1 as an end with a negative step would mean "from the end" to ONNX, so write the open bound.
    E.push(step < 0 && e === -1 ? -(2 ** 53) : e);
  });
  return apply1("Slice", [x], { starts: S, ends: E, axes: ax, steps: [...st] });
}

// ---------- Gather
defineOp("Gather", {
  infer: ([x, idx], a) => {
    const v = x as Value;
    const i = idx as Value;
    if (i.dtype !== "int64") fail("indices must be int64");
    const axis = normAxis(attrNum(a, "axis", 0), v.rank);
    return [{ shape: [...v.shape.slice(0, axis), ...i.shape, ...v.shape.slice(axis + 1)], dtype: v.dtype }];
  },
  onnxAttrs: { axis: "int" },
  grad: ({ node, dys: [dy] }) => {
    // Scatter-add written as a one-hot MatMul, so it runs on every execution provider.
    const [x, idx] = node.inputs as [Value, Value];
    const axis = normAxis(attrNum(node.attrs, "axis", 0), x.rank);
    const D = x.shape[axis] as number;
    const K = idx.size;
    const g = x.graph;
    const range = g.constant(
      Array.from({ length: D }, (_, i) => i),
      [1, D],
      "int64",
    );
    const onehot = cast(equal(reshape(idx, [K, 1]), range), x.dtype); // [K, D]
    const d = dy as Value;
    // dy: [pre, idx..., post] → [K, pre*post] with the index axes first
    const pre = x.shape.slice(0, axis);
    const post = x.shape.slice(axis + 1);
    const ir = idx.rank;
    const perm = [
      ...Array.from({ length: ir }, (_, i) => pre.length + i),
      ...pre.map((_, i) => i),
      ...post.map((_, i) => pre.length + ir + i),
    ];
    const dyT = reshape(transpose(d, perm), [K, sizeOf(pre) * sizeOf(post)]);
    const dxT = matmul(transpose(onehot, [1, 0]), dyT); // [D, pre*post]
    const dx = transpose(reshape(dxT, [D, ...pre, ...post]), [
      ...pre.map((_, i) => i + 1),
      0,
      ...post.map((_, i) => pre.length + 1 + i),
    ]);
    return [dx, undefined];
  },
});

export function gather(x: Value, indices: Value, axis = 0): Value {
  return apply1("Gather", [x, indices], { axis: normAxis(axis, x.rank) });
}

// ---------- Expand
defineOp("Expand", {
  infer: ([x], a) => [
    { shape: broadcastShapes((x as Value).shape, ints(a, "shape")), dtype: (x as Value).dtype },
  ],
  onnxInputs: (n, c, names) => [names[0] as string, c.int64(ints(n.attrs, "shape"))],
  grad: ({ node, dys: [dy] }) => [unbroadcast(dy as Value, (node.inputs[0] as Value).shape)],
});

export function expand(x: Value, shape: Shape): Value {
  const out = broadcastShapes(x.shape, shape);
  if (out.length === x.rank && out.every((d, i) => d === x.shape[i])) return x;
  return apply1("Expand", [x], { shape: out });
}

// ---------- Squeeze / Unsqueeze
function squeezeShape(shape: Shape, axes: number[]): number[] {
  const ax = axes.map((a) => normAxis(a, shape.length));
  for (const a of ax) if (shape[a] !== 1) fail(`cannot squeeze axis ${a} of size ${shape[a]}`);
  return shape.filter((_, i) => !ax.includes(i));
}

function unsqueezeShape(shape: Shape, axes: number[]): number[] {
  const rank = shape.length + axes.length;
  const ax = axes.map((a) => normAxis(a, rank));
  const out: number[] = [];
  let k = 0;
  for (let i = 0; i < rank; i++) out.push(ax.includes(i) ? 1 : (shape[k++] as number));
  return out;
}

for (const [op, rule] of [
  ["Squeeze", squeezeShape],
  ["Unsqueeze", unsqueezeShape],
] as const) {
  defineOp(op, {
    infer: ([x], a) => [{ shape: rule((x as Value).shape, ints(a, "axes")), dtype: (x as Value).dtype }],
    onnxInputs: (n, c, names) => [names[0] as string, c.int64(ints(n.attrs, "axes"))],
    grad: ({ node, dys: [dy] }) => [reshape(dy as Value, (node.inputs[0] as Value).shape)],
  });
}

export function squeeze(x: Value, axes: readonly number[]): Value {
  return apply1("Squeeze", [x], { axes: axes.map((a) => normAxis(a, x.rank)) });
}

export function unsqueeze(x: Value, axes: readonly number[]): Value {
  const rank = x.rank + axes.length;
  return apply1("Unsqueeze", [x], { axes: axes.map((a) => normAxis(a, rank)) });
}

// ---------- Pad
defineOp("Pad", {
  infer: ([x], a) => {
    const v = x as Value;
    const pads = ints(a, "pads");
    if (pads.length !== 2 * v.rank) fail(`pads needs ${2 * v.rank} values`);
    const shape = v.shape.map((d, i) => d + (pads[i] as number) + (pads[i + v.rank] as number));
    if (shape.some((d) => d < 0)) fail(`pads ${pads} crop below zero`);
    return [{ shape, dtype: v.dtype }];
  },
  onnxAttrs: { mode: "string" },
  onnxInputs: (n, c, names) => {
    const value = attrNum(n.attrs, "value", 0);
    const x = n.inputs[0] as Value;
    const ins = [names[0] as string, c.int64(ints(n.attrs, "pads"))];
    if (value !== 0) ins.push(c.scalarOf(x.dtype, value));
    return ins;
  },
  grad: ({ node, dys: [dy] }) => {
    if (attrStr(node.attrs, "mode", "constant") !== "constant") {
      throw new Error(`Pad: gradient supports mode "constant" only, not "${node.attrs.mode}"`);
    }
    const pads = ints(node.attrs, "pads");
    const x = node.inputs[0] as Value;
    if (pads.some((p) => p < 0)) throw new Error("Pad: gradient of negative pads is not supported");
    const axes = x.shape.map((_, i) => i);
    return [
      slice(
        dy as Value,
        axes.map((i) => pads[i] as number),
        axes.map((i) => (pads[i] as number) + (x.shape[i] as number)),
        axes,
      ),
    ];
  },
});

/** Pad with ONNX `pads` layout (all begins, then all ends); mode "constant" | "reflect" | "edge". */
export function pad(x: Value, pads: readonly number[], mode = "constant", value = 0): Value {
  if (pads.every((p) => p === 0)) return x;
  return apply1("Pad", [x], { pads: [...pads], mode, value });
}

// ---------- Identity
defineOp("Identity", {
  infer: ([x]) => [{ shape: (x as Value).shape, dtype: (x as Value).dtype }],
  grad: ({ dys: [dy] }) => [dy],
});

export function identity(x: Value): Value {
  return apply1("Identity", [x]);
}
