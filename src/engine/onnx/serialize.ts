// IR → ONNX ModelProto (opset 20, IR version 9). Frozen parameters and constants become
// initializers; trainable parameters and inputs become graph inputs; requested values become
// graph outputs under the caller's names.
import onnxProto from "onnx-proto";
import { type AnyTypedArray, type DType, onnxTypeCode, typedArray } from "../ir/dtype.js";
import type { Node, Shape, Value } from "../ir/graph.js";
import { type EmitCtx, opDef } from "../ops/registry.js";

const { onnx } = onnxProto;

export const OPSET = 20;

export interface SerializeOptions {
  /** Initializers larger than this many bytes in total go to a side file (ONNX external data). */
  externalDataThreshold?: number;
  /** File name (relative to the model) of the external data; needed when external data is used. */
  externalDataLocation?: string;
  /** Write trainable parameters as initializers too (a deployable model with no weight inputs). */
  freezeParams?: boolean;
  /** The model's metadata_props (key → value), e.g. what a deployed model predicts. */
  metadata?: Readonly<Record<string, string>>;
  /** The model's producer_version. */
  producerVersion?: string;
}

export interface Serialized {
  model: Uint8Array;
  /** Bytes of the external data file, when the model uses one. */
  externalData: Uint8Array | undefined;
  /** Values fed at run time, in graph-input order (inputs, then trainable parameters). */
  feeds: Value[];
  outputs: { name: string; value: Value }[];
}

/** Nodes needed for `outputs`, in graph order. */
export function collectNodes(outputs: readonly Value[]): Node[] {
  const need = new Set<Node>();
  const stack = outputs.map((v) => v.producer).filter((n): n is Node => n !== undefined);
  while (stack.length) {
    const n = stack.pop() as Node;
    if (need.has(n)) continue;
    need.add(n);
    for (const x of n.inputs) if (x.producer && !need.has(x.producer)) stack.push(x.producer);
  }
  const graph = outputs[0]?.graph;
  return graph ? graph.nodes.filter((n) => need.has(n)) : [];
}

export function bytesOf(a: AnyTypedArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function valueInfo(name: string, dtype: DType, shape: Shape): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: { elemType: onnxTypeCode[dtype], shape: { dim: shape.map((d) => ({ dimValue: d })) } },
    },
  };
}

export function serialize(outputs: Record<string, Value>, opts: SerializeOptions = {}): Serialized {
  const outs = Object.entries(outputs);
  if (outs.length === 0) throw new Error("serialize: no outputs");
  const nodes = collectNodes(outs.map(([, v]) => v));
  const used = new Map<number, Value>();
  for (const n of nodes) for (const x of n.inputs) used.set(x.id, x);
  for (const [, v] of outs) used.set(v.id, v);
  // Optional outputs nobody reads stay unnamed, so ORT neither computes nor keeps them.
  const optionalOutputs = new Set(["LayerNormalization", "MaxPool"]);
  const outputName = (n: Node, o: Value, i: number) =>
    i === 0 || used.has(o.id) || !optionalOutputs.has(n.op) ? o.name : "";
  const graph = (outs[0] as [string, Value])[1].graph;

  const fed = (p: Value) => p.trainable && !opts.freezeParams;
  const feeds = [...graph.inputs, ...graph.params.filter(fed)].filter((v) => used.has(v.id));
  const initValues = [...used.values()].filter((v) => v.kind === "const" || (v.kind === "param" && !fed(v)));

  const initializers: { name: string; dtype: DType; shape: Shape; data: AnyTypedArray }[] = initValues.map(
    (v) => ({
      name: v.name,
      dtype: v.dtype,
      shape: v.shape,
      data: v.data as AnyTypedArray,
    }),
  );
  const constCache = new Map<string, string>();
  const ctx: EmitCtx = {
    int64(values) {
      const key = `i64:${values.join(",")}`;
      let name = constCache.get(key);
      if (!name) {
        name = `__c${constCache.size}`;
        constCache.set(key, name);
        initializers.push({
          name,
          dtype: "int64",
          shape: [values.length],
          data: typedArray("int64", values),
        });
      }
      return name;
    },
    scalarOf(dtype, value) {
      const key = `${dtype}:${value}`;
      let name = constCache.get(key);
      if (!name) {
        name = `__c${constCache.size}`;
        constCache.set(key, name);
        initializers.push({ name, dtype, shape: [], data: typedArray(dtype, [value]) });
      }
      return name;
    },
  };

  const nodeProtos: onnxProto.onnx.INodeProto[] = nodes.map((n, k) => {
    const def = opDef(n.op);
    const names = n.inputs.map((x) => x.name);
    const attribute: onnxProto.onnx.IAttributeProto[] = [];
    for (const [key, kind] of Object.entries(def.onnxAttrs ?? {})) {
      const v = n.attrs[key];
      if (v === undefined) continue;
      attribute.push(attr(key, kind, v));
    }
    return {
      opType: def.onnxOp ?? n.op,
      name: `${def.onnxOp ?? n.op}_${k}`,
      input: def.onnxInputs ? def.onnxInputs(n, ctx, names) : names,
      output: trimEmpty(n.outputs.map((o, i) => outputName(n, o, i))),
      attribute,
    };
  });
  for (const [name, v] of outs)
    nodeProtos.push({ opType: "Identity", name: `out_${name}`, input: [v.name], output: [name] });

  const total = initializers.reduce((s, t) => s + t.data.byteLength, 0);
  const external = opts.externalDataThreshold !== undefined && total > opts.externalDataThreshold;
  let externalData: Uint8Array | undefined;
  let tensorProtos: onnxProto.onnx.ITensorProto[];
  if (external) {
    const location = opts.externalDataLocation ?? "model.onnx.data";
    const chunks: { offset: number; bytes: Uint8Array }[] = [];
    let offset = 0;
    tensorProtos = initializers.map((t) => {
      const base = { name: t.name, dims: [...t.shape], dataType: onnxTypeCode[t.dtype] };
      if (t.data.byteLength < 1024) return { ...base, rawData: bytesOf(t.data) };
      offset = Math.ceil(offset / 4096) * 4096; // page-aligned, so ORT can map it
      chunks.push({ offset, bytes: bytesOf(t.data) });
      const entry = {
        ...base,
        dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
        externalData: [
          { key: "location", value: location },
          { key: "offset", value: String(offset) },
          { key: "length", value: String(t.data.byteLength) },
        ],
      };
      offset += t.data.byteLength;
      return entry;
    });
    externalData = new Uint8Array(offset);
    for (const c of chunks) externalData.set(c.bytes, c.offset);
  } else {
    tensorProtos = initializers.map((t) => ({
      name: t.name,
      dims: [...t.shape],
      dataType: onnxTypeCode[t.dtype],
      rawData: bytesOf(t.data),
    }));
  }

  const model = onnx.ModelProto.encode({
    irVersion: 9, // opset 20 belongs to IR version 9
    producerName: "medadapt",
    ...(opts.producerVersion !== undefined ? { producerVersion: opts.producerVersion } : {}),
    ...(opts.metadata
      ? { metadataProps: Object.entries(opts.metadata).map(([key, value]) => ({ key, value })) }
      : {}),
    opsetImport: [{ domain: "", version: OPSET }],
    graph: {
      name: "medadapt",
      node: nodeProtos,
      initializer: tensorProtos,
      input: feeds.map((v) => valueInfo(v.name, v.dtype, v.shape)),
      output: outs.map(([name, v]) => valueInfo(name, v.dtype, v.shape)),
    },
  }).finish();
  return { model, externalData, feeds, outputs: outs.map(([name, value]) => ({ name, value })) };
}

function attr(name: string, kind: string, v: unknown): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  switch (kind) {
    case "int":
      return { name, type: T.INT, i: v as number };
    case "ints":
      return { name, type: T.INTS, ints: [...(v as number[])] };
    case "float":
      return { name, type: T.FLOAT, f: v as number };
    case "floats":
      return { name, type: T.FLOATS, floats: [...(v as number[])] };
    case "string":
      return { name, type: T.STRING, s: new TextEncoder().encode(v as string) };
    case "dtype":
      return { name, type: T.INT, i: onnxTypeCode[v as DType] };
    default:
      throw new Error(`attribute ${name}: unknown kind ${kind}`);
  }
}

function trimEmpty(names: string[]): string[] {
  let n = names.length;
  while (n > 1 && names[n - 1] === "") n--;
  return names.slice(0, n);
}
