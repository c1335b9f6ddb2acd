// Conv and ConvTranspose, 1D/2D/3D, with strides, explicit pads, dilations and groups.
// Gradients: Conv's input-gradient is a ConvTranspose, its weight-gradient a Conv with batch and
// channel swapped (strides and dilations swap roles); ConvTranspose's are the mirror images.
import type { Attrs, Value } from "../ir/graph.js";
import { reduceSum } from "./reduce.js";
import { apply1, attrInts, attrNum, defineOp, fail, sameDtype } from "./registry.js";
import { reshape, slice, transpose } from "./shape.js";

export interface ConvOptions {
  strides?: readonly number[];
  /** ONNX layout: all begins, then all ends. */
  pads?: readonly number[];
  dilations?: readonly number[];
  group?: number;
}

interface ConvParams {
  strides: number[];
  pads: number[];
  dilations: number[];
  group: number;
}

function params(a: Attrs, nsp: number): ConvParams {
  return {
    strides: attrInts(a, "strides") ?? new Array(nsp).fill(1),
    pads: attrInts(a, "pads") ?? new Array(2 * nsp).fill(0),
    dilations: attrInts(a, "dilations") ?? new Array(nsp).fill(1),
    group: attrNum(a, "group", 1),
  };
}

function fullAttrs(nsp: number, o: ConvOptions): ConvParams {
  const p = {
    strides: [...(o.strides ?? new Array(nsp).fill(1))],
    pads: [...(o.pads ?? new Array(2 * nsp).fill(0))],
    dilations: [...(o.dilations ?? new Array(nsp).fill(1))],
    group: o.group ?? 1,
  };
  if (p.strides.length !== nsp || p.dilations.length !== nsp || p.pads.length !== 2 * nsp) {
    throw new Error(`conv: strides/dilations need ${nsp} values and pads ${2 * nsp}`);
  }
  return p;
}

const convAttrKinds = { strides: "ints", pads: "ints", dilations: "ints", group: "int" } as const;

function checkBias(bias: Value | undefined, m: number): void {
  if (bias && (bias.rank !== 1 || bias.shape[0] !== m)) fail(`bias must have shape [${m}]`);
}

defineOp("Conv", {
  infer: ([x, w, b], a) => {
    const [X, W] = [x as Value, w as Value];
    const dtype = sameDtype([X, W]);
    const nsp = X.rank - 2;
    if (nsp < 1 || W.rank !== X.rank) fail("input must be (N, C, spatial…) and weight (M, C/group, kernel…)");
    const p = params(a, nsp);
    const m = W.shape[0] as number;
    if ((X.shape[1] as number) !== (W.shape[1] as number) * p.group)
      fail(`channels ${X.shape[1]} ≠ ${W.shape[1]}·group ${p.group}`);
    if (m % p.group !== 0) fail(`output channels ${m} not divisible by group ${p.group}`);
    checkBias(b, m);
    const sp = X.shape.slice(2).map((d, i) => {
      const k = W.shape[i + 2] as number;
      const span = (p.dilations[i] as number) * (k - 1) + 1;
      const o =
        Math.floor(
          (d + (p.pads[i] as number) + (p.pads[i + nsp] as number) - span) / (p.strides[i] as number),
        ) + 1;
      if (o < 1) fail(`kernel does not fit spatial axis ${i}`);
      return o;
    });
    return [{ shape: [X.shape[0] as number, m, ...sp], dtype }];
  },
  onnxAttrs: convAttrKinds,
  grad: ({ node, dys: [dy], needs }) => {
    const [x, w, b] = node.inputs as [Value, Value, Value | undefined];
    const d = dy as Value;
    const p = params(node.attrs, x.rank - 2);
    return [
      needs[0] ? convTransposeToShape(d, w, p, x.shape.slice(2)) : undefined,
      needs[1] ? convWeightGrad(x, d, w.shape, p) : undefined,
      b && needs[2]
        ? reduceSum(
            d,
            d.shape.map((_, i) => i).filter((i) => i !== 1),
          )
        : undefined,
    ];
  },
});

defineOp("ConvTranspose", {
  infer: ([x, w, b], a) => {
    const [X, W] = [x as Value, w as Value];
    const dtype = sameDtype([X, W]);
    const nsp = X.rank - 2;
    if (nsp < 1 || W.rank !== X.rank) fail("input must be (N, C, spatial…) and weight (C, M/group, kernel…)");
    const p = params(a, nsp);
    const op = attrInts(a, "output_padding") ?? new Array(nsp).fill(0);
    if (X.shape[1] !== W.shape[0]) fail(`channels ${X.shape[1]} ≠ weight's ${W.shape[0]}`);
    const m = (W.shape[1] as number) * p.group;
    checkBias(b, m);
    const sp = X.shape.slice(2).map((d, i) => {
      const k = W.shape[i + 2] as number;
      return (
        (p.strides[i] as number) * (d - 1) +
        (op[i] as number) +
        (p.dilations[i] as number) * (k - 1) +
        1 -
        (p.pads[i] as number) -
        (p.pads[i + nsp] as number)
      );
    });
    if (sp.some((o) => o < 1)) fail("output would be empty");
    return [{ shape: [X.shape[0] as number, m, ...sp], dtype }];
  },
  onnxAttrs: { ...convAttrKinds, output_padding: "ints" },
  grad: ({ node, dys: [dy], needs }) => {
    const [x, w, b] = node.inputs as [Value, Value, Value | undefined];
    const d = dy as Value;
    const p = params(node.attrs, x.rank - 2);
    return [
      needs[0] ? conv(d, w, undefined, p) : undefined,
      needs[1] ? convWeightGrad(d, x, w.shape, p) : undefined,
      b && needs[2]
        ? reduceSum(
            d,
            d.shape.map((_, i) => i).filter((i) => i !== 1),
          )
        : undefined,
    ];
  },
});

export function conv(x: Value, w: Value, bias?: Value, opts: ConvOptions = {}): Value {
  const p = fullAttrs(x.rank - 2, opts);
  return apply1("Conv", bias ? [x, w, bias] : [x, w], { ...p });
}

export function convTranspose(
  x: Value,
  w: Value,
  bias?: Value,
  opts: ConvOptions & { outputPadding?: readonly number[] } = {},
): Value {
  const nsp = x.rank - 2;
  const p = fullAttrs(nsp, opts);
  const output_padding = [...(opts.outputPadding ?? new Array(nsp).fill(0))];
  return apply1("ConvTranspose", bias ? [x, w, bias] : [x, w], { ...p, output_padding });
}

/** The adjoint of Conv(·, w) evaluated at `y`, with output_padding chosen to hit `spatial`. */
function convTransposeToShape(y: Value, w: Value, p: ConvParams, spatial: readonly number[]): Value {
  const nsp = spatial.length;
  const outputPadding = spatial.map((X, i) => {
    const k = w.shape[i + 2] as number;
    const s = p.strides[i] as number;
    const full = s * ((y.shape[i + 2] as number) - 1) + (p.dilations[i] as number) * (k - 1) + 1;
    return X - (full - (p.pads[i] as number) - (p.pads[i + nsp] as number));
  });
  return convTranspose(y, w, undefined, { ...p, outputPadding });
}

/**
 * dW for y = Conv(x, W): a Conv of x (batch and channel swapped, split by group) with dy as the
 * kernel, strides and dilations exchanged; the result is cropped to the kernel size.
 */
function convWeightGrad(x: Value, dy: Value, wShape: readonly number[], p: ConvParams): Value {
  const [n, c] = x.shape as [number, number];
  const sp = x.shape.slice(2);
  const g = p.group;
  const xs = reshape(x, [n, g, c / g, ...sp]);
  const xT = reshape(transpose(xs, [2, 1, 0, ...sp.map((_, i) => i + 3)]), [c / g, g * n, ...sp]);
  const dyT = transpose(dy, [1, 0, ...sp.map((_, i) => i + 2)]); // (M, N, out…)
  const r = conv(xT, dyT, undefined, { strides: p.dilations, dilations: p.strides, pads: p.pads, group: g }); // (C/g, M, k'…)
  const k = wShape.slice(2);
  const cropped = r.shape.slice(2).some((d, i) => d !== k[i])
    ? slice(
        r,
        k.map(() => 0),
        k,
        k.map((_, i) => i + 2),
      )
    : r;
  return transpose(cropped, [1, 0, ...k.map((_, i) => i + 2)]);
}
