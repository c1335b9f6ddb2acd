import { type AnyTypedArray, type DType, dtypeOfArray, typedArray } from "./dtype.js";

export type Shape = readonly number[];

/** Attribute values of a node: numbers, number lists, strings. */
export type AttrValue = number | readonly number[] | string;
export type Attrs = Readonly<Record<string, AttrValue>>;

export type ValueKind = "input" | "param" | "const" | "node";

/** A statically shaped, typed value in a graph: a graph input, a parameter, a constant or a node output. */
export class Value {
  readonly id: number;
  readonly name: string;
  /** The node that computes this value (for kind "node"). */
  producer: Node | undefined;
  /** Data of parameters and constants. For trainable parameters it is updated in place by optimizers. */
  data: AnyTypedArray | undefined;
  trainable = false;

  constructor(
    readonly graph: Graph,
    readonly kind: ValueKind,
    readonly shape: Shape,
    readonly dtype: DType,
    name?: string,
  ) {
    this.id = graph.nextId();
    this.name = name ?? `v${this.id}`;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}[${this.shape.join(",")}]:${this.dtype}`;
  }
}

/** One ONNX-style operator application. `attrs` hold every static argument (axes, shapes, pads…). */
export class Node {
  constructor(
    readonly op: string,
    readonly inputs: readonly Value[],
    readonly attrs: Attrs,
    readonly outputs: readonly Value[],
  ) {}
}

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(",")}]`;
}

/**
 * A tensor program under construction. Nodes are appended in creation order, which is a
 * topological order because a node can only use values that already exist.
 */
export class Graph {
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly params: Value[] = [];
  private counter = 0;
  private readonly names = new Set<string>();
  private readonly scalars = new Map<string, Value>();

  nextId(): number {
    return this.counter++;
  }

  private claim(name: string): string {
    if (this.names.has(name)) throw new Error(`graph: the name "${name}" is already used`);
    if (/^v\d+$/.test(name) || name.startsWith("__")) throw new Error(`graph: "${name}" is a reserved name`);
    this.names.add(name);
    return name;
  }

  /** A value fed at every run. */
  input(name: string, shape: Shape, dtype: DType = "float32"): Value {
    checkShape(shape, `input ${name}`);
    const v = new Value(this, "input", [...shape], dtype, this.claim(name));
    this.inputs.push(v);
    return v;
  }

  /**
   * A named weight. Trainable parameters become graph inputs fed from `data` each run (so an
   * optimizer can update `data` in place); frozen ones become initializers that ORT pre-packs.
   */
  param(name: string, shape: Shape, data: AnyTypedArray, opts: { trainable?: boolean } = {}): Value {
    checkShape(shape, `param ${name}`);
    if (data.length !== sizeOf(shape)) {
      throw new Error(`param ${name}: ${data.length} values for shape ${shapeStr(shape)}`);
    }
    const v = new Value(this, "param", [...shape], dtypeOfArray(data), this.claim(name));
    v.data = data;
    v.trainable = opts.trainable ?? false;
    this.params.push(v);
    return v;
  }

  /** A constant tensor (an initializer). */
  constant(values: AnyTypedArray | ArrayLike<number>, shape: Shape, dtype?: DType): Value {
    const typed = ArrayBuffer.isView(values) ? (values as AnyTypedArray) : undefined;
    const data =
      typed && (dtype === undefined || dtype === dtypeOfArray(typed))
        ? typed
        : typedArray(dtype ?? "float32", Array.from(values as ArrayLike<number | bigint>, Number));
    if (data.length !== sizeOf(shape))
      throw new Error(`constant: ${data.length} values for shape ${shapeStr(shape)}`);
    const v = new Value(this, "const", [...shape], dtypeOfArray(data));
    v.data = data;
    return v;
  }

  /** A cached scalar constant (shape []) of `dtype`. */
  scalar(value: number, dtype: DType = "float32"): Value {
    const key = `${dtype}:${value}`;
    let v = this.scalars.get(key);
    if (!v) {
      v = this.constant(typedArray(dtype, [value]), [], dtype);
      this.scalars.set(key, v);
    }
    return v;
  }

  /** Appends a node; used by the op definitions, which infer the output shapes. */
  addNode(
    op: string,
    inputs: readonly Value[],
    attrs: Attrs,
    outs: readonly { shape: Shape; dtype: DType }[],
  ): Value[] {
    for (const x of inputs) {
      if (x.graph !== this) throw new Error(`${op}: input ${x} belongs to another graph`);
    }
    const outputs = outs.map((o) => new Value(this, "node", [...o.shape], o.dtype));
    const node = new Node(op, inputs, attrs, outputs);
    for (const o of outputs) o.producer = node;
    this.nodes.push(node);
    return outputs;
  }

  /** Trainable float32 parameters' current values, by name (the map an optimizer updates in place). */
  trainableValues(): Map<string, Float32Array> {
    const m = new Map<string, Float32Array>();
    for (const p of this.params) if (p.trainable && p.data instanceof Float32Array) m.set(p.name, p.data);
    return m;
  }

  paramByName(name: string): Value | undefined {
    return this.params.find((p) => p.name === name);
  }
}

function checkShape(shape: Shape, what: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${what}: bad shape ${shapeStr(shape)}`);
  }
}
