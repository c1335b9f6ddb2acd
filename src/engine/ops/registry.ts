import type { DType } from "../ir/dtype.js";
import { type Attrs, type Node, type Shape, shapeStr, type Value } from "../ir/graph.js";

/** How an IR attribute is written as an ONNX attribute. */
export type AttrKind = "int" | "ints" | "float" | "floats" | "string" | "dtype";

export interface OutInfo {
  shape: Shape;
  dtype: DType;
}

/** What a gradient rule receives: the node, upstream gradients per output, and which inputs need one. */
export interface GradCtx {
  node: Node;
  dys: readonly (Value | undefined)[];
  needs: readonly boolean[];
}

/** What an ONNX emitter can ask for: names of int64 / typed constants (initializers). */
export interface EmitCtx {
  int64(values: readonly number[]): string;
  scalarOf(dtype: DType, value: number): string;
}

/**
 * One operator: its shape rule, how it is written to ONNX, and its gradient rule. Every op has
 * exactly one definition, found by its ONNX name.
 */
export interface OpDef {
  infer(inputs: readonly Value[], attrs: Attrs): OutInfo[];
  /** The ONNX op type written for it; default: the op's name. */
  onnxOp?: string;
  /** Attributes written as ONNX attributes; other attrs are static data emitted as inputs. */
  onnxAttrs?: Readonly<Record<string, AttrKind>>;
  /** ONNX input names; default: the IR inputs. Ops whose static data is an input since opset 13/18 override it. */
  onnxInputs?(node: Node, c: EmitCtx, names: readonly string[]): string[];
  /** One gradient per input (undefined where none is needed or the input is not differentiable). */
  grad?(c: GradCtx): (Value | undefined)[];
}

const registry = new Map<string, OpDef>();

export function defineOp(name: string, def: OpDef): void {
  if (registry.has(name)) throw new Error(`op ${name} defined twice`);
  registry.set(name, def);
}

export function opDef(name: string): OpDef {
  const d = registry.get(name);
  if (!d) throw new Error(`op ${name} is not supported by the engine`);
  return d;
}

export function supportedOps(): string[] {
  return [...registry.keys()].sort();
}

/** A shape-rule failure; `apply` prefixes it with the op name and the input shapes. */
export class ShapeError extends Error {}

export function fail(msg: string): never {
  throw new ShapeError(msg);
}

/** Builds a node of `op`, inferring its outputs; shape errors name the op and the shapes. */
export function apply(op: string, inputs: readonly Value[], attrs: Attrs = {}): Value[] {
  const def = opDef(op);
  const first = inputs[0];
  if (!first) throw new Error(`${op}: no inputs`);
  let outs: OutInfo[];
  try {
    outs = def.infer(inputs, attrs);
  } catch (e) {
    if (e instanceof ShapeError) {
      const shapes = inputs.map((x) => `${shapeStr(x.shape)}:${x.dtype}`).join(", ");
      throw new Error(`${op}: ${e.message} (inputs ${shapes}; attrs ${JSON.stringify(attrs)})`);
    }
    throw e;
  }
  return first.graph.addNode(op, inputs, attrs, outs);
}

export function apply1(op: string, inputs: readonly Value[], attrs: Attrs = {}): Value {
  return apply(op, inputs, attrs)[0] as Value;
}

/** Normalises a possibly negative axis against `rank`. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

export function sameDtype(inputs: readonly Value[]): DType {
  const d = (inputs[0] as Value).dtype;
  for (const x of inputs) if (x.dtype !== d) fail(`dtypes differ (${inputs.map((v) => v.dtype).join(", ")})`);
  return d;
}

/** Numpy-style broadcast of shapes. */
export function broadcastShapes(...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const k = s.length - rank + i;
      const e = k >= 0 ? (s[k] as number) : 1;
      if (e === 1) continue;
      if (d !== 1 && d !== e) fail(`shapes ${shapes.map(shapeStr).join(" and ")} do not broadcast`);
      d = e;
    }
    out.push(d);
  }
  return out;
}

export function attrNum(attrs: Attrs, key: string, dflt: number): number {
  const v = attrs[key];
  return typeof v === "number" ? v : dflt;
}

export function attrInts(attrs: Attrs, key: string): number[] | undefined {
  const v = attrs[key];
  return Array.isArray(v) ? [...(v as number[])] : undefined;
}

export function attrStr(attrs: Attrs, key: string, dflt: string): string {
  const v = attrs[key];
  return typeof v === "string" ? v : dflt;
}
