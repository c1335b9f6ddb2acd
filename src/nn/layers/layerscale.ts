import { mul, type Value } from "../../engine/index.js";
import { type BuildContext, Module, Parameter } from "../module.js";

/** Per-channel scale of a residual branch (`lambda1`, as DINOv2/DINOv3 name it). */
export class LayerScale extends Module {
  readonly lambda1: Parameter;

  constructor(dim: number, init = 1) {
    super();
    this.lambda1 = this.addParam("lambda1", new Parameter([dim], new Float32Array(dim).fill(init)));
  }

  forward(ctx: BuildContext, x: Value): Value {
    return mul(x, ctx.param(this.lambda1));
  }
}
