// Resize (nearest, linear) to static output sizes. Resizing is separable: along each axis it is
// a fixed O×I interpolation matrix, so the gradient applies the transposed matrices (MatMul).
import type { Attrs, Value } from "../ir/graph.js";
import { matmul } from "./matmul.js";
import { apply1, attrInts, attrStr, defineOp, fail } from "./registry.js";
import { transpose } from "./shape.js";

export interface ResizeOptions {
  mode?: "nearest" | "linear";
  coordinateTransformationMode?: "half_pixel" | "pytorch_half_pixel" | "align_corners" | "asymmetric";
  nearestMode?: "round_prefer_floor" | "round_prefer_ceil" | "floor" | "ceil";
}

defineOp("Resize", {
  infer: ([x], a) => {
    const v = x as Value;
    const sizes = attrInts(a, "sizes") ?? fail("missing sizes");
    if (sizes.length !== v.rank) fail(`sizes needs ${v.rank} values`);
    const mode = attrStr(a, "mode", "nearest");
    if (mode !== "nearest" && mode !== "linear") fail(`mode "${mode}" is not supported`);
    return [{ shape: sizes, dtype: v.dtype }];
  },
  onnxAttrs: { mode: "string", coordinate_transformation_mode: "string", nearest_mode: "string" },
  onnxInputs: (n, c, names) => [names[0] as string, "", "", c.int64(attrInts(n.attrs, "sizes") as number[])],
  grad: ({ node, dys: [dy] }) => {
    const x = node.inputs[0] as Value;
    let d = dy as Value;
    for (let ax = 0; ax < x.rank; ax++) {
      const I = x.shape[ax] as number;
      const O = d.shape[ax] as number;
      const R = interpolationMatrix(I, O, node.attrs);
      if (isIdentity(R, I, O)) continue;
      // dx along this axis = dy · R  (R is O×I; dy's axis moved last)
      const perm = d.shape.map((_, i) => i).filter((i) => i !== ax);
      perm.push(ax);
      const inv = perm.map((_, i) => perm.indexOf(i));
      const moved = transpose(d, perm);
      d = transpose(matmul(moved, x.graph.constant(R, [O, I], x.dtype)), inv);
    }
    return [d];
  },
});

function isIdentity(R: Float64Array, I: number, O: number): boolean {
  if (I !== O) return false;
  for (let o = 0; o < O; o++)
    for (let i = 0; i < I; i++) if (R[o * I + i] !== (o === i ? 1 : 0)) return false;
  return true;
}

/** The O×I matrix (row-major) that ONNX Resize applies along one axis. */
export function interpolationMatrix(I: number, O: number, a: Attrs): Float64Array {
  const mode = attrStr(a, "mode", "nearest");
  const ctm = attrStr(a, "coordinate_transformation_mode", "half_pixel");
  const nm = attrStr(a, "nearest_mode", "round_prefer_floor");
  const scale = O / I;
  const R = new Float64Array(O * I);
  for (let o = 0; o < O; o++) {
    let x: number;
    if (ctm === "half_pixel") x = (o + 0.5) / scale - 0.5;
    else if (ctm === "pytorch_half_pixel") x = O > 1 ? (o + 0.5) / scale - 0.5 : 0;
    else if (ctm === "align_corners") x = O === 1 ? 0 : (o * (I - 1)) / (O - 1);
    else if (ctm === "asymmetric") x = o / scale;
    else throw new Error(`Resize: coordinate_transformation_mode "${ctm}" is not supported`);
    if (mode === "nearest") {
      let i: number;
      const f = Math.floor(x);
      if (nm === "floor") i = f;
      else if (nm === "ceil") i = Math.ceil(x);
      else if (x - f === 0.5) i = nm === "round_prefer_ceil" ? f + 1 : f;
      else i = Math.round(x);
      R[o * I + Math.min(Math.max(i, 0), I - 1)] = 1;
    } else {
      const xc = Math.min(Math.max(x, 0), I - 1);
      const i0 = Math.floor(xc);
      const i1 = Math.min(i0 + 1, I - 1);
      const w = xc - i0;
      R[o * I + i0] = (R[o * I + i0] as number) + 1 - w;
      R[o * I + i1] = (R[o * I + i1] as number) + w;
    }
  }
  return R;
}

/** Resize to `sizes` (the full output shape, batch and channel included). */
export function resize(x: Value, sizes: readonly number[], opts: ResizeOptions = {}): Value {
  const attrs: Record<string, string | number[]> = {
    sizes: [...sizes],
    mode: opts.mode ?? "nearest",
    coordinate_transformation_mode: opts.coordinateTransformationMode ?? "half_pixel",
  };
  if ((opts.mode ?? "nearest") === "nearest") attrs.nearest_mode = opts.nearestMode ?? "round_prefer_floor";
  return apply1("Resize", [x], attrs);
}
