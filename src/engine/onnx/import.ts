// ONNX ModelProto → IR. Nodes of the supported op set become IR nodes; float initializers become
// parameters (frozen by default, trainable on request); shape arithmetic on constants (the
// Shape → Slice → Concat → Reshape chains that exporters emit) is folded at import time, since
// the IR's shapes are static.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import onnxProto from "onnx-proto";
import { type AnyTypedArray, type DType, dtypeOfOnnxCode, typedArray } from "../ir/dtype.js";
import { Graph, sizeOf, type Value } from "../ir/graph.js";
import * as E from "../ops/index.js";
import { apply, apply1 } from "../ops/registry.js";

const { onnx } = onnxProto;
type INode = onnxProto.onnx.INodeProto;
type ITensor = onnxProto.onnx.ITensorProto;
type IAttr = onnxProto.onnx.IAttributeProto;

export interface ImportOptions {
  /** Which initializers become trainable parameters (default: none). */
  trainable?: (name: string) => boolean;
  /** Static shapes for inputs whose dimensions are symbolic (e.g. a dynamic batch axis). */
  inputShapes?: Record<string, number[]>;
  /** Folder for external data files (default: the model file's folder). */
  baseDir?: string;
}

export interface ImportedModel {
  graph: Graph;
  inputs: Record<string, Value>;
  outputs: Record<string, Value>;
  /** Parameters created from float initializers, by initializer name. */
  params: Record<string, Value>;
}

/** A host-side constant (initializer, Constant node, or folded shape arithmetic). */
interface Const {
  dtype: DType;
  shape: number[];
  data: AnyTypedArray;
}

const num = (v: unknown): number =>
  typeof v === "number" ? v : Number((v as { toString(): string }).toString());

function decodeTensor(t: ITensor, baseDir: string | undefined): Const {
  const dtype = dtypeOfOnnxCode[t.dataType ?? 0];
  if (!dtype) throw new Error(`ONNX import: tensor ${t.name}: unsupported data type ${t.dataType}`);
  const shape = (t.dims ?? []).map(num);
  const n = sizeOf(shape);
  let raw = t.rawData?.length ? t.rawData : undefined;
  if (t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) {
    const kv = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
    if (!baseDir)
      throw new Error(`ONNX import: tensor ${t.name} uses external data; pass a file path or baseDir`);
    const file = readFileSync(join(baseDir, kv.location as string));
    const off = Number(kv.offset ?? 0);
    raw = file.subarray(off, off + Number(kv.length ?? file.length - off));
  }
  if (raw) {
    const copy = new Uint8Array(raw); // aligned copy
    const buf = copy.buffer;
    const data =
      dtype === "float32"
        ? new Float32Array(buf, 0, n)
        : dtype === "float64"
          ? new Float64Array(buf, 0, n)
          : dtype === "int64"
            ? new BigInt64Array(buf, 0, n)
            : new Uint8Array(buf, 0, n);
    return { dtype, shape, data };
  }
  const src =
    dtype === "float32"
      ? (t.floatData ?? [])
      : dtype === "float64"
        ? (t.doubleData ?? [])
        : dtype === "int64"
          ? (t.int64Data ?? []).map(num)
          : (t.int32Data ?? []);
  return { dtype, shape, data: typedArray(dtype, src as number[]) };
}

const constNums = (c: Const): number[] => Array.from(c.data as ArrayLike<number | bigint>, (v) => Number(v));

function attrMap(n: INode, baseDir: string | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const a of n.attribute ?? []) out[a.name as string] = attrValue(a, baseDir);
  return out;
}

function attrValue(a: IAttr, baseDir: string | undefined): unknown {
  const T = onnx.AttributeProto.AttributeType;
  switch (a.type) {
    case T.INT:
      return num(a.i);
    case T.INTS:
      return (a.ints ?? []).map(num);
    case T.FLOAT:
      return a.f;
    case T.FLOATS:
      return a.floats;
    case T.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.TENSOR:
      return decodeTensor(a.t as ITensor, baseDir);
    default:
      return undefined;
  }
}

/** Imports an ONNX model (file path or bytes). */
export function importOnnx(source: string | Uint8Array, opts: ImportOptions = {}): ImportedModel {
  const bytes = typeof source === "string" ? readFileSync(source) : source;
  const baseDir = opts.baseDir ?? (typeof source === "string" ? dirname(source) : undefined);
  const model = onnx.ModelProto.decode(bytes);
  const graphProto = model.graph;
  if (!graphProto) throw new Error("ONNX import: the model has no graph");
  for (const o of model.opsetImport ?? []) {
    if (o.domain && o.domain !== "ai.onnx")
      throw new Error(`ONNX import: operator domain "${o.domain}" is not supported`);
    // Before opset 13 Softmax, Split, Squeeze and the reductions had other semantics.
    if (!o.domain && num(o.version) < 13)
      throw new Error(`ONNX import: opset ${num(o.version)} is not supported (13 or later)`);
  }
  const g = new Graph();
  const consts = new Map<string, Const>();
  const values = new Map<string, Value>();
  const params: Record<string, Value> = {};
  const inputs: Record<string, Value> = {};
  for (const t of graphProto.initializer ?? []) consts.set(t.name as string, decodeTensor(t, baseDir));

  for (const vi of graphProto.input ?? []) {
    const name = vi.name as string;
    if (consts.has(name)) continue;
    const tt = vi.type?.tensorType;
    const dtype = dtypeOfOnnxCode[tt?.elemType ?? 0];
    if (!dtype) throw new Error(`ONNX import: input ${name} has an unsupported type`);
    const dims = (tt?.shape?.dim ?? []).map((d) =>
      d.dimValue !== undefined && d.dimValue !== null ? num(d.dimValue) : -1,
    );
    const shape = opts.inputShapes?.[name] ?? dims;
    if (shape.some((d) => d < 0)) {
      throw new Error(`ONNX import: input ${name} has symbolic dimensions; give its shape in inputShapes`);
    }
    const v = g.input(name, shape, dtype);
    inputs[name] = v;
    values.set(name, v);
  }

  /** The IR value for an ONNX name: floats become parameters, other constants IR constants. */
  const valueFor = (name: string): Value => {
    const v = values.get(name);
    if (v) return v;
    const c = consts.get(name);
    if (!c) throw new Error(`ONNX import: unknown value "${name}"`);
    let nv: Value;
    if (
      (c.dtype === "float32" || c.dtype === "float64") &&
      (graphProto.initializer ?? []).some((t) => t.name === name)
    ) {
      nv = g.param(safeName(name, g), c.shape, c.data, { trainable: opts.trainable?.(name) ?? false });
      params[name] = nv;
    } else nv = g.constant(c.data, c.shape);
    values.set(name, nv);
    return nv;
  };
  const constOf = (name: string | undefined, what: string): Const => {
    const c = name ? consts.get(name) : undefined;
    if (!c) throw new Error(`ONNX import: ${what} must be a constant`);
    return c;
  };
  const optConst = (name: string | undefined): Const | undefined => (name ? consts.get(name) : undefined);

  for (const node of graphProto.node ?? []) {
    const op = node.opType as string;
    const ins = (node.input ?? []) as string[];
    const outs = (node.output ?? []) as string[];
    const at = attrMap(node, baseDir);
    try {
      if (op === "Constant") {
        consts.set(outs[0] as string, constantNode(at));
        continue;
      }
      if (op === "Shape") {
        const x =
          values.get(ins[0] as string) ??
          (consts.has(ins[0] as string) ? undefined : valueFor(ins[0] as string));
        const shape = x ? x.shape : (consts.get(ins[0] as string) as Const).shape;
        const r = shape.length;
        const norm = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
        const s = shape.slice(norm(num(at.start ?? 0)), norm(num(at.end ?? r)));
        consts.set(outs[0] as string, { dtype: "int64", shape: [s.length], data: typedArray("int64", s) });
        continue;
      }
      const inConsts = ins.filter((n) => n !== "").map((n) => consts.get(n));
      if (FOLDABLE.has(op) && inConsts.every((c) => c && c.dtype === "int64")) {
        consts.set(outs[0] as string, fold(op, inConsts as Const[]));
        continue;
      }
      const results = convert(op, ins, at, { valueFor, constOf, optConst });
      results.forEach((v, i) => {
        if (outs[i]) values.set(outs[i] as string, v);
      });
    } catch (e) {
      throw new Error(`ONNX import: node ${node.name || op} (${op}): ${(e as Error).message}`);
    }
  }
  const outputs: Record<string, Value> = {};
  for (const o of graphProto.output ?? []) outputs[o.name as string] = valueFor(o.name as string);
  return { graph: g, inputs, outputs, params };
}

function safeName(name: string, g: Graph): string {
  let n = /^v\d+$/.test(name) || name.startsWith("__") ? `p_${name}` : name;
  while (g.paramByName(n) || g.inputs.some((v) => v.name === n)) n = `${n}_`;
  return n;
}

function constantNode(at: Record<string, unknown>): Const {
  if (at.value) return at.value as Const;
  if (at.value_float !== undefined)
    return { dtype: "float32", shape: [], data: typedArray("float32", [at.value_float as number]) };
  if (at.value_floats)
    return {
      dtype: "float32",
      shape: [(at.value_floats as number[]).length],
      data: typedArray("float32", at.value_floats as number[]),
    };
  if (at.value_int !== undefined)
    return { dtype: "int64", shape: [], data: typedArray("int64", [at.value_int as number]) };
  if (at.value_ints)
    return {
      dtype: "int64",
      shape: [(at.value_ints as number[]).length],
      data: typedArray("int64", at.value_ints as number[]),
    };
  throw new Error("unsupported Constant attribute");
}

const FOLDABLE = new Set([
  "Concat",
  "Slice",
  "Gather",
  "Unsqueeze",
  "Squeeze",
  "Cast",
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Identity",
  "Reshape",
]);

/** Evaluates int64 shape arithmetic on constants (1-D and scalars, which is what exporters emit). */
function fold(op: string, cs: Const[]): Const {
  const vals = cs.map(constNums);
  const mk = (v: number[], shape = [v.length]): Const => ({
    dtype: "int64",
    shape,
    data: typedArray("int64", v),
  });
  const [a, b] = vals as [number[], number[]];
  switch (op) {
    case "Identity":
      return cs[0] as Const;
    case "Concat":
      return mk(vals.flat());
    case "Unsqueeze":
      return mk(a, (cs[0] as Const).shape.length === 0 ? [1] : [1, ...(cs[0] as Const).shape]);
    case "Squeeze":
      return mk(a, a.length === 1 ? [] : [a.length]);
    case "Reshape":
      return mk(a, b.some((d) => d < 0) ? [a.length] : b);
    case "Cast":
      return mk(a, (cs[0] as Const).shape);
    case "Gather": {
      const idx = b.map((i) => (i < 0 ? i + a.length : i));
      return mk(
        idx.map((i) => a[i] as number),
        (cs[1] as Const).shape,
      );
    }
    case "Slice": {
      const [st, en] = [vals[1] as number[], vals[2] as number[]];
      const step = (vals[4] as number[] | undefined)?.[0] ?? 1;
      const n = a.length;
      const clamp = (v: number) => Math.min(Math.max(v < 0 ? v + n : v, 0), n);
      const out: number[] = [];
      for (let i = clamp(st[0] as number); step > 0 ? i < clamp(en[0] as number) : false; i += step)
        out.push(a[i] as number);
      return mk(out);
    }
    default: {
      const f = {
        Add: (x: number, y: number) => x + y,
        Sub: (x: number, y: number) => x - y,
        Mul: (x: number, y: number) => x * y,
        Div: (x: number, y: number) => Math.trunc(x / y),
      }[op];
      if (!f) throw new Error(`cannot fold ${op}`);
      const n = Math.max(a.length, b.length);
      const shape = a.length >= b.length ? (cs[0] as Const).shape : (cs[1] as Const).shape;
      return mk(
        Array.from({ length: n }, (_, i) =>
          f(a[a.length === 1 ? 0 : i] as number, b[b.length === 1 ? 0 : i] as number),
        ),
        shape,
      );
    }
  }
}

interface Ctx {
  valueFor(name: string): Value;
  constOf(name: string | undefined, what: string): Const;
  optConst(name: string | undefined): Const | undefined;
}

const ELEMENTWISE = [
  "Add",
  "Sub",
  "Mul",
  "Div",
  "Pow",
  "Less",
  "Greater",
  "Equal",
  "LessOrEqual",
  "GreaterOrEqual",
  "Where",
];
const UNARY = ["Neg", "Exp", "Log", "Sqrt", "Tanh", "Sigmoid", "Relu", "Abs", "Erf", "Identity"];

/** Resolves auto_pad into explicit pads (SAME_* need the input and kernel sizes). */
function explicitPads(
  at: Record<string, unknown>,
  spatial: readonly number[],
  kernel: readonly number[],
  strides: number[],
  dil: number[],
): number[] {
  const mode = (at.auto_pad as string | undefined) ?? "NOTSET";
  const n = spatial.length;
  if (mode === "NOTSET") return (at.pads as number[] | undefined) ?? new Array(2 * n).fill(0);
  if (mode === "VALID") return new Array(2 * n).fill(0);
  const pads = new Array(2 * n).fill(0);
  spatial.forEach((d, i) => {
    const s = strides[i] as number;
    const out = Math.ceil(d / s);
    const total = Math.max(0, (out - 1) * s + (dil[i] as number) * ((kernel[i] as number) - 1) + 1 - d);
    const small = Math.floor(total / 2);
    pads[i] = mode === "SAME_UPPER" ? small : total - small;
    pads[i + n] = total - (pads[i] as number);
  });
  return pads;
}

function convert(op: string, ins: string[], at: Record<string, unknown>, c: Ctx): Value[] {
  const x = () => c.valueFor(ins[0] as string);
  if (ELEMENTWISE.includes(op))
    return [
      apply1(
        op,
        ins.map((n) => c.valueFor(n)),
      ),
    ];
  if (UNARY.includes(op)) return [apply1(op, [x()])];
  switch (op) {
    case "Dropout":
      return [x()];
    case "MatMul":
      return [E.matmul(x(), c.valueFor(ins[1] as string))];
    case "Gemm": {
      const cIn = ins[2] ? c.valueFor(ins[2]) : undefined;
      return [
        E.gemm(x(), c.valueFor(ins[1] as string), cIn, {
          alpha: (at.alpha as number | undefined) ?? 1,
          beta: (at.beta as number | undefined) ?? 1,
          transA: Boolean(at.transA),
          transB: Boolean(at.transB),
        }),
      ];
    }
    case "Softmax":
    case "LogSoftmax":
      return [(op === "Softmax" ? E.softmax : E.logSoftmax)(x(), (at.axis as number | undefined) ?? -1)];
    case "LayerNormalization": {
      const bias = ins[2] ? c.valueFor(ins[2]) : undefined;
      return [
        E.layerNorm(x(), c.valueFor(ins[1] as string), bias, {
          axis: (at.axis as number | undefined) ?? -1,
          epsilon: (at.epsilon as number | undefined) ?? 1e-5,
        }),
      ];
    }
    case "Gelu":
      return [(at.approximate as string | undefined) === "tanh" ? E.geluTanh(x()) : E.gelu(x())];
    case "Cast": {
      const to = dtypeOfOnnxCode[at.to as number];
      if (!to) throw new Error(`unsupported Cast target ${at.to}`);
      return [E.cast(x(), to)];
    }
    case "Flatten": {
      const v = x();
      const axis = (((at.axis as number | undefined) ?? 1) + v.rank) % (v.rank + 1);
      return [E.reshape(v, [sizeOf(v.shape.slice(0, axis)), sizeOf(v.shape.slice(axis))])];
    }
    case "Reshape": {
      const v = x();
      const shape = constNums(c.constOf(ins[1], "Reshape's shape"));
      return [
        E.reshape(v, at.allowzero ? shape : shape.map((d, i) => (d === 0 ? (v.shape[i] as number) : d))),
      ];
    }
    case "Transpose":
      return [E.transpose(x(), at.perm as number[] | undefined)];
    case "Concat":
      return [
        E.concat(
          ins.map((n) => c.valueFor(n)),
          at.axis as number,
        ),
      ];
    case "Split": {
      const v = x();
      const axis = (at.axis as number | undefined) ?? 0;
      const ax = axis < 0 ? axis + v.rank : axis;
      let sizes =
        (at.split as number[] | undefined) ?? (ins[1] ? constNums(c.constOf(ins[1], "split")) : undefined);
      if (!sizes) {
        const parts = (at.num_outputs as number | undefined) ?? 0;
        const dim = v.shape[ax] as number;
        if (!parts) throw new Error("Split needs split sizes or num_outputs");
        const each = Math.ceil(dim / parts);
        sizes = Array.from({ length: parts }, (_, i) => Math.min(each, dim - i * each));
      }
      return E.split(v, sizes, ax);
    }
    case "Slice": {
      const st = constNums(c.constOf(ins[1], "starts"));
      const en = constNums(c.constOf(ins[2], "ends"));
      const axes = c.optConst(ins[3]);
      const steps = c.optConst(ins[4]);
      return [E.slice(x(), st, en, axes ? constNums(axes) : undefined, steps ? constNums(steps) : undefined)];
    }
    case "Gather":
      return [E.gather(x(), c.valueFor(ins[1] as string), (at.axis as number | undefined) ?? 0)];
    case "Expand":
      return [E.expand(x(), constNums(c.constOf(ins[1], "Expand's shape")))];
    case "Squeeze":
    case "Unsqueeze": {
      const v = x();
      const axes =
        (at.axes as number[] | undefined) ?? (ins[1] ? constNums(c.constOf(ins[1], "axes")) : undefined);
      if (op === "Unsqueeze") return [E.unsqueeze(v, axes as number[])];
      return [E.squeeze(v, axes ?? v.shape.flatMap((d, i) => (d === 1 ? [i] : [])))];
    }
    case "Pad": {
      const v = x();
      const pads = (at.pads as number[] | undefined) ?? constNums(c.constOf(ins[1], "pads"));
      const cv = c.optConst(ins[2]);
      if (ins[3]) throw new Error("Pad with an axes input is not supported");
      return [
        E.pad(
          v,
          pads,
          (at.mode as string | undefined) ?? "constant",
          cv ? constNums(cv)[0] : ((at.value as number | undefined) ?? 0),
        ),
      ];
    }
    case "ReduceSum":
    case "ReduceMean":
    case "ReduceMax": {
      const v = x();
      let axes =
        (at.axes as number[] | undefined) ?? (ins[1] ? constNums(c.constOf(ins[1], "axes")) : undefined);
      if (axes && axes.length === 0) axes = undefined;
      if (!axes && at.noop_with_empty_axes) return [v];
      const keep = ((at.keepdims as number | undefined) ?? 1) === 1;
      const f = op === "ReduceSum" ? E.reduceSum : op === "ReduceMean" ? E.reduceMean : E.reduceMax;
      return [f(v, axes, keep)];
    }
    case "Conv":
    case "ConvTranspose": {
      const v = x();
      const w = c.valueFor(ins[1] as string);
      const b = ins[2] ? c.valueFor(ins[2]) : undefined;
      const nsp = v.rank - 2;
      const strides = (at.strides as number[] | undefined) ?? new Array(nsp).fill(1);
      const dilations = (at.dilations as number[] | undefined) ?? new Array(nsp).fill(1);
      const kernel = w.shape.slice(2);
      const group = (at.group as number | undefined) ?? 1;
      if (op === "Conv") {
        const pads = explicitPads(at, v.shape.slice(2), kernel, strides, dilations);
        return [E.conv(v, w, b, { strides, dilations, pads, group })];
      }
      if (at.auto_pad && at.auto_pad !== "NOTSET") throw new Error("ConvTranspose auto_pad is not supported");
      if (at.output_shape) throw new Error("ConvTranspose output_shape is not supported");
      const pads = (at.pads as number[] | undefined) ?? new Array(2 * nsp).fill(0);
      const outputPadding = (at.output_padding as number[] | undefined) ?? new Array(nsp).fill(0);
      return [E.convTranspose(v, w, b, { strides, dilations, pads, group, outputPadding })];
    }
    case "MaxPool":
    case "AveragePool": {
      const v = x();
      const kernel = at.kernel_shape as number[];
      const strides = (at.strides as number[] | undefined) ?? kernel.map(() => 1);
      const dil = (at.dilations as number[] | undefined) ?? kernel.map(() => 1);
      if (at.ceil_mode) throw new Error("ceil_mode=1 is not supported");
      const pads = explicitPads(at, v.shape.slice(2), kernel, strides, dil);
      if (op === "MaxPool") {
        if ((at.storage_order as number | undefined) ?? 0)
          throw new Error("storage_order=1 is not supported");
        return apply("MaxPool", [v], { kernel_shape: kernel, strides, pads, dilations: dil });
      }
      return [E.avgPool(v, kernel, { strides, pads, countIncludePad: Boolean(at.count_include_pad) })];
    }
    case "Resize": {
      const v = x();
      const sizesC = c.optConst(ins[3]);
      const scalesC = c.optConst(ins[2]);
      let sizes: number[];
      if (sizesC?.data.length) sizes = constNums(sizesC);
      else if (scalesC?.data.length) {
        const sc = Array.from(scalesC.data as Float32Array);
        sizes = v.shape.map((d, i) => Math.floor(d * (sc[i] as number)));
      } else throw new Error("Resize needs constant scales or sizes");
      const mode = (at.mode as string | undefined) ?? "nearest";
      if (mode !== "nearest" && mode !== "linear") throw new Error(`Resize mode ${mode} is not supported`);
      return [
        E.resize(v, sizes, {
          mode,
          coordinateTransformationMode: ((at.coordinate_transformation_mode as string | undefined) ??
            "half_pixel") as E.ResizeOptions["coordinateTransformationMode"],
          nearestMode: ((at.nearest_mode as string | undefined) ??
            "round_prefer_floor") as E.ResizeOptions["nearestMode"],
        }),
      ];
    }
    default:
      throw new Error(`op ${op} is not supported by the engine`);
  }
}
