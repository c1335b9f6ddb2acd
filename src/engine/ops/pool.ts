// MaxPool and AveragePool (1D/2D/3D, floor mode). MaxPool's gradient scatters through the
// indices output of a second MaxPool (ScatterElements with reduction "add"); AveragePool's is a
// depthwise ConvTranspose with a constant kernel after dividing by each window's count.
import type { Attrs, Value } from "../ir/graph.js";
import { convTranspose } from "./conv.js";
import { mul } from "./elementwise.js";
import { apply, apply1, attrInts, attrNum, defineOp, fail } from "./registry.js";
import { expand, reshape } from "./shape.js";

export interface PoolOptions {
  strides?: readonly number[];
  pads?: readonly number[];
  dilations?: readonly number[];
  /** AveragePool only: whether padded cells count in the divisor (ONNX default: no). */
  countIncludePad?: boolean;
}

interface PoolParams {
  kernel: number[];
  strides: number[];
  pads: number[];
  dilations: number[];
}

function params(a: Attrs): PoolParams {
  const kernel = attrInts(a, "kernel_shape") ?? fail("missing kernel_shape");
  const n = kernel.length;
  return {
    kernel,
    strides: attrInts(a, "strides") ?? new Array(n).fill(1),
    pads: attrInts(a, "pads") ?? new Array(2 * n).fill(0),
    dilations: attrInts(a, "dilations") ?? new Array(n).fill(1),
  };
}

function poolShape(x: Value, a: Attrs): number[] {
  const p = params(a);
  const nsp = p.kernel.length;
  if (x.rank !== nsp + 2) fail(`input rank ${x.rank} does not match a ${nsp}-D kernel`);
  if (attrNum(a, "ceil_mode", 0) !== 0) fail("ceil_mode=1 is not supported");
  return [
    x.shape[0] as number,
    x.shape[1] as number,
    ...x.shape.slice(2).map((d, i) => {
      const span = (p.dilations[i] as number) * ((p.kernel[i] as number) - 1) + 1;
      const o =
        Math.floor(
          (d + (p.pads[i] as number) + (p.pads[i + nsp] as number) - span) / (p.strides[i] as number),
        ) + 1;
      if (o < 1) fail(`window does not fit spatial axis ${i}`);
      return o;
    }),
  ];
}

defineOp("MaxPool", {
  // attr `indices: 1` adds ONNX's second output (flat int64 argmax indices into the whole input).
  infer: ([x], a) => {
    const shape = poolShape(x as Value, a);
    const outs = [{ shape, dtype: (x as Value).dtype }];
    if (attrNum(a, "indices", 0)) outs.push({ shape, dtype: "int64" });
    return outs;
  },
  onnxAttrs: { kernel_shape: "ints", strides: "ints", pads: "ints", dilations: "ints" },
  grad: ({ node, dys: [dy] }) => {
    const x = node.inputs[0] as Value;
    const [, idx] = apply("MaxPool", [x], { ...node.attrs, indices: 1 }) as [Value, Value];
    const zeros = expand(x.graph.scalar(0, x.dtype), [x.size]);
    const flat = apply1("ScatterElements", [zeros, reshape(idx, [-1]), reshape(dy as Value, [-1])], {
      axis: 0,
      reduction: "add",
    });
    return [reshape(flat, x.shape)];
  },
});

defineOp("AveragePool", {
  infer: ([x], a) => [{ shape: poolShape(x as Value, a), dtype: (x as Value).dtype }],
  onnxAttrs: { kernel_shape: "ints", strides: "ints", pads: "ints", count_include_pad: "int" },
  grad: ({ node, dys: [dy] }) => {
    const x = node.inputs[0] as Value;
    const d = dy as Value;
    const p = params(node.attrs);
    const nsp = p.kernel.length;
    const c = x.shape[1] as number;
    const inclPad = attrNum(node.attrs, "count_include_pad", 0) === 1;
    const outSp = d.shape.slice(2);
    const div = divisors(x.shape.slice(2), outSp, p, inclPad);
    const g = x.graph;
    const scaled = mul(d, g.constant(div, [1, 1, ...outSp], x.dtype));
    const ones = expand(g.scalar(1, x.dtype), [c, 1, ...p.kernel]);
    const outputPadding = x.shape.slice(2).map((X, i) => {
      const full = (p.strides[i] as number) * ((outSp[i] as number) - 1) + (p.kernel[i] as number);
      return (X as number) - (full - (p.pads[i] as number) - (p.pads[i + nsp] as number));
    });
    return [
      convTranspose(scaled, ones, undefined, { strides: p.strides, pads: p.pads, group: c, outputPadding }),
    ];
  },
});

/** 1/(cells counted in each window), over the output grid (windows are boxes, so per-axis counts multiply). */
function divisors(
  inSp: readonly number[],
  outSp: readonly number[],
  p: PoolParams,
  inclPad: boolean,
): Float64Array {
  const nsp = inSp.length;
  const perAxis = outSp.map((O, i) => {
    const k = p.kernel[i] as number;
    return Array.from({ length: O }, (_, o) => {
      if (inclPad) return k;
      const start = o * (p.strides[i] as number) - (p.pads[i] as number);
      return Math.min(start + k, inSp[i] as number) - Math.max(start, 0);
    });
  });
  const total = outSp.reduce((a, b) => a * b, 1);
  const out = new Float64Array(total);
  for (let f = 0; f < total; f++) {
    let rem = f;
    let prod = 1;
    for (let i = nsp - 1; i >= 0; i--) {
      const O = outSp[i] as number;
      prod *= (perAxis[i] as number[])[rem % O] as number;
      rem = Math.floor(rem / O);
    }
    out[f] = 1 / prod;
  }
  return out;
}

defineOp("ScatterElements", {
  infer: ([data, idx, upd]) => {
    if ((idx as Value).dtype !== "int64") fail("indices must be int64");
    if ((upd as Value).dtype !== (data as Value).dtype) fail("updates dtype differs from data's");
    return [{ shape: (data as Value).shape, dtype: (data as Value).dtype }];
  },
  onnxAttrs: { axis: "int", reduction: "string" },
});

function poolAttrs(kernel: readonly number[], o: PoolOptions): Record<string, number[]> {
  const n = kernel.length;
  return {
    kernel_shape: [...kernel],
    strides: [...(o.strides ?? kernel)],
    pads: [...(o.pads ?? new Array(2 * n).fill(0))],
  };
}

/** MaxPool; strides default to the kernel size. */
export function maxPool(x: Value, kernel: readonly number[], opts: PoolOptions = {}): Value {
  const dil = [...(opts.dilations ?? kernel.map(() => 1))];
  return apply1("MaxPool", [x], { ...poolAttrs(kernel, opts), dilations: dil });
}

/** AveragePool; strides default to the kernel size. */
export function avgPool(x: Value, kernel: readonly number[], opts: PoolOptions = {}): Value {
  return apply1("AveragePool", [x], {
    ...poolAttrs(kernel, opts),
    count_include_pad: opts.countIncludePad ? 1 : 0,
  });
}
