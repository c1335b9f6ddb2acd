// y = x·Wᵀ + b over the last axis (any leading dims), weight in PyTorch layout [out, in].
import { gemm, reshape, type Value } from "../../engine/index.js";
import { lazyNormal } from "../init.js";
import { type BuildContext, Module, Parameter } from "../module.js";

export class Linear extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | undefined;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    opts: { bias?: boolean; std?: number } = {},
  ) {
    super();
    this.weight = this.addParam(
      "weight",
      new Parameter([outFeatures, inFeatures], lazyNormal(outFeatures * inFeatures, opts.std ?? 0.02)),
    );
    this.bias = (opts.bias ?? true) ? this.addParam("bias", new Parameter([outFeatures])) : undefined;
  }

  forward(ctx: BuildContext, x: Value): Value {
    const d = x.shape[x.rank - 1];
    if (d !== this.inFeatures)
      throw new Error(`Linear: input has ${d} features, expected ${this.inFeatures}`);
    const w = ctx.param(this.weight);
    const b = this.bias ? ctx.param(this.bias) : undefined;
    // Gemm with transB reads W in its stored layout; leading dims are folded into the rows.
    const x2 = x.rank === 2 ? x : reshape(x, [-1, this.inFeatures]);
    const y = gemm(x2, w, b, { transB: true });
    return x.rank === 2 ? y : reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
  }
}
