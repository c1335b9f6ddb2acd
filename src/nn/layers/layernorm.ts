import { layerNorm, type Value } from "../../engine/index.js";
import { type BuildContext, Module, Parameter } from "../module.js";

/** LayerNorm over the last axis with affine weight and bias (torch.nn.LayerNorm). */
export class LayerNorm extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter;

  constructor(
    readonly dim: number,
    readonly eps = 1e-5,
  ) {
    super();
    this.weight = this.addParam("weight", new Parameter([dim], new Float32Array(dim).fill(1)));
    this.bias = this.addParam("bias", new Parameter([dim]));
  }

  forward(ctx: BuildContext, x: Value): Value {
    return layerNorm(x, ctx.param(this.weight), ctx.param(this.bias), { epsilon: this.eps });
  }
}
