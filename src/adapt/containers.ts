// Parameter holders that give adapter tensors PEFT's state-dict paths
// (`q.lora_A.default.weight`): a keyed container of modules and a module holding one weight.
import type { Value } from "../engine/index.js";
import { type BuildContext, Module, Parameter } from "../nn/index.js";

/** Children by key (adapter names, expert indices); never called as a layer. */
export class ModuleDict<M extends Module = Module> extends Module {
  set<T extends M>(key: string, m: T): T {
    return this.addModule(key, m);
  }

  get(key: string): M | undefined {
    return this.children.get(key) as M | undefined;
  }

  delete(key: string): void {
    this.children.delete(key);
  }

  keys(): string[] {
    return [...this.children.keys()];
  }

  forward(_ctx: BuildContext, ..._inputs: Value[]): Value {
    throw new Error("ModuleDict is a container, not a layer");
  }
}

/** One weight tensor under the name "weight". */
export class Weight extends Module {
  readonly weight: Parameter;

  constructor(shape: readonly number[], data?: Float32Array, trainable = true) {
    super();
    this.weight = this.addParam("weight", new Parameter(shape, data, trainable));
  }

  forward(_ctx: BuildContext, ..._inputs: Value[]): Value {
    throw new Error("Weight holds a tensor; the adapter layer uses it");
  }
}
