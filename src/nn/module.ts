// The module tree: like torch.nn.Module, a tree of named children and named parameters whose
// dotted paths are the PyTorch / Hugging Face state-dict keys. Modules hold host weights; a
// BuildContext turns the tree into an engine graph, emitting each Parameter once.
import { Graph, type Value } from "../engine/index.js";

/**
 * A host weight in PyTorch layout (Linear weight [out, in]); optimizers update `data` in place.
 * The initial values may be given as a function, run on first access of `data`, so a model that
 * is about to be loaded from a checkpoint (or only counted) never allocates its random init.
 */
export class Parameter {
  readonly shape: number[];
  trainable: boolean;
  readonly size: number;
  #data: Float32Array | undefined;
  #init: (() => Float32Array) | undefined;

  constructor(shape: readonly number[], data?: Float32Array | (() => Float32Array), trainable = true) {
    this.shape = [...shape];
    this.size = this.shape.reduce((a, b) => a * b, 1);
    if (typeof data === "function") this.#init = data;
    else if (data) this.data = data;
    this.trainable = trainable;
  }

  get data(): Float32Array {
    if (!this.#data) {
      const d = this.#init ? this.#init() : new Float32Array(this.size);
      this.#init = undefined;
      this.data = d;
    }
    return this.#data as Float32Array;
  }

  set data(d: Float32Array) {
    if (d.length !== this.size) {
      throw new Error(`Parameter: ${d.length} values for shape [${this.shape.join(",")}]`);
    }
    this.#data = d;
    this.#init = undefined;
  }
}

export abstract class Module {
  /** Child modules in registration order (the order of the state dict). */
  readonly children = new Map<string, Module>();
  /** This module's own parameters in registration order. */
  readonly params = new Map<string, Parameter>();

  /** Emits this module's computation into `ctx.graph`. */
  abstract forward(ctx: BuildContext, ...inputs: Value[]): Value;

  protected addModule<M extends Module>(name: string, m: M): M {
    checkName(name);
    this.children.set(name, m);
    return m;
  }

  protected addParam(name: string, p: Parameter): Parameter {
    checkName(name);
    this.params.set(name, p);
    return p;
  }

  /** This module (path = prefix) and every descendant, depth first, children in order. */
  *namedModules(prefix = ""): Generator<[string, Module]> {
    yield [prefix, this];
    for (const [name, child] of this.children) yield* child.namedModules(join(prefix, name));
  }

  /** Every parameter of the subtree with its dotted path (own parameters before children's). */
  *namedParameters(prefix = ""): Generator<[string, Parameter]> {
    for (const [name, p] of this.params) yield [join(prefix, name), p];
    for (const [name, child] of this.children) yield* child.namedParameters(join(prefix, name));
  }

  /** The parameters by dotted path, like torch's `state_dict()` (shared objects, not copies). */
  stateDict(): Map<string, Parameter> {
    return new Map(this.namedParameters());
  }

  getModule(path: string): Module {
    let m: Module = this;
    if (path === "") return m;
    for (const part of path.split(".")) {
      const next = m.children.get(part);
      if (!next) throw new Error(`getModule: no module "${path}" (stopped at "${part}")`);
      m = next;
    }
    return m;
  }

  getParameter(path: string): Parameter {
    const dot = path.lastIndexOf(".");
    const owner = dot < 0 ? this : this.getModule(path.slice(0, dot));
    const p = owner.params.get(path.slice(dot + 1));
    if (!p) throw new Error(`getParameter: no parameter "${path}"`);
    return p;
  }

  /** Replaces the module at `path` (e.g. a Linear by an adapter wrapping it). */
  setModule(path: string, m: Module): void {
    const dot = path.lastIndexOf(".");
    const parent = dot < 0 ? this : this.getModule(path.slice(0, dot));
    const name = path.slice(dot + 1);
    if (!parent.children.has(name)) throw new Error(`setModule: no module "${path}"`);
    parent.children.set(name, m);
  }

  /** Marks every parameter of the subtree frozen; returns this. */
  freeze(): this {
    for (const [, p] of this.namedParameters()) p.trainable = false;
    return this;
  }

  unfreeze(): this {
    for (const [, p] of this.namedParameters()) p.trainable = true;
    return this;
  }

  /** Number of scalar weights (each Parameter object counted once, even if shared). */
  parameterCount(opts: { trainable?: boolean } = {}): number {
    const seen = new Set<Parameter>();
    let n = 0;
    for (const [, p] of this.namedParameters()) {
      if (seen.has(p)) continue;
      seen.add(p);
      if (opts.trainable === undefined || p.trainable === opts.trainable) n += p.size;
    }
    return n;
  }
}

/**
 * A plain holder of children (like torch's ModuleDict / ModuleList: numbered children are list
 * items). It has no computation of its own; its owner calls the children.
 */
export class Container extends Module {
  add<M extends Module>(name: string, m: M): M {
    return this.addModule(name, m);
  }

  forward(): Value {
    throw new Error("Container has no forward; call its children");
  }
}

/**
 * Places `m` at dotted `path` under `root`, creating Containers for missing intermediate levels
 * (so a module can reproduce nested checkpoint names such as `attention.output.dense`).
 */
export function place<M extends Module>(root: Module, path: string, m: M): M {
  const parts = path.split(".");
  let parent = root;
  for (const part of parts.slice(0, -1)) {
    let next = parent.children.get(part);
    if (!next) {
      next = new Container();
      parent.children.set(part, next);
    }
    parent = next;
  }
  const last = parts[parts.length - 1] as string;
  checkName(last);
  parent.children.set(last, m);
  return m;
}

function join(prefix: string, name: string): string {
  return prefix === "" ? name : `${prefix}.${name}`;
}

function checkName(name: string): void {
  if (name === "" || name.includes(".")) throw new Error(`module: bad child or parameter name "${name}"`);
}

/**
 * Turns a module tree into a graph. Each Parameter becomes one graph parameter named by its path
 * in `root` (trainable ones are fed from `data` at every run, frozen ones are initializers).
 */
export class BuildContext {
  readonly graph: Graph;
  training: boolean;
  readonly #names = new Map<Parameter, string>();
  readonly #values = new Map<Parameter, Value>();

  constructor(root: Module, opts: { graph?: Graph; training?: boolean } = {}) {
    this.graph = opts.graph ?? new Graph();
    this.training = opts.training ?? false;
    for (const [name, p] of root.namedParameters()) if (!this.#names.has(p)) this.#names.set(p, name);
  }

  /** The graph value of `p`, emitted on first use. */
  param(p: Parameter): Value {
    let v = this.#values.get(p);
    if (!v) {
      const name = this.#names.get(p);
      if (name === undefined) throw new Error("BuildContext: parameter is not part of the root module");
      v = this.graph.param(name, p.shape, p.data, { trainable: p.trainable });
      this.#values.set(p, v);
    }
    return v;
  }

  /** The dotted name `p` has in the root module. */
  nameOf(p: Parameter): string | undefined {
    return this.#names.get(p);
  }
}
