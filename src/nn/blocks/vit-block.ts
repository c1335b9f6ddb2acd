// A pre-norm transformer block with the child names of a given checkpoint family:
//   x = x + ls1(attn(norm1(x)));  x = x + ls2(mlp(norm2(x)))
import { add, type Value } from "../../engine/index.js";
import type { Activation } from "../layers/activation.js";
import { type AttentionOptions, MultiHeadAttention } from "../layers/attention.js";
import { LayerNorm } from "../layers/layernorm.js";
import { LayerScale } from "../layers/layerscale.js";
import { FusedSwiGlu, GatedMlp, Mlp } from "../layers/mlp.js";
import { type BuildContext, Module, place } from "../module.js";

export type MlpSpec =
  | { kind: "plain"; hidden: number; act: Activation; names?: { fc1: string; fc2: string }; bias?: boolean }
  | { kind: "gated"; hidden: number; act: Activation; bias?: boolean }
  | { kind: "swiglu"; mlpRatio: number };

export interface VitBlockSpec {
  dim: number;
  heads: number;
  eps: number;
  names: { norm1: string; norm2: string; attention: string; mlp: string; ls1?: string; ls2?: string };
  attention: AttentionOptions;
  mlp: MlpSpec;
  /** Initial LayerScale value when `names.ls1/ls2` are set. */
  layerScale?: number;
}

export class VitBlock extends Module {
  constructor(readonly spec: VitBlockSpec) {
    super();
    const { dim, names } = spec;
    place(this, names.norm1, new LayerNorm(dim, spec.eps));
    place(this, names.attention, new MultiHeadAttention(dim, spec.heads, spec.attention));
    if (names.ls1) place(this, names.ls1, new LayerScale(dim, spec.layerScale ?? 1));
    place(this, names.norm2, new LayerNorm(dim, spec.eps));
    const m = spec.mlp;
    place(
      this,
      names.mlp,
      m.kind === "plain"
        ? new Mlp(dim, m.hidden, m.act, m.names, m.bias)
        : m.kind === "gated"
          ? new GatedMlp(dim, m.hidden, m.act, m.bias)
          : new FusedSwiGlu(dim, m.mlpRatio),
    );
    if (names.ls2) place(this, names.ls2, new LayerScale(dim, spec.layerScale ?? 1));
  }

  /** `cos`/`sin`: optional rotary tables for the patch tokens. */
  forward(ctx: BuildContext, x: Value, cos?: Value, sin?: Value): Value {
    const n = this.spec.names;
    const sub = (path: string, v: Value) => this.getModule(path).forward(ctx, v);
    let h = this.getModule(n.attention).forward(ctx, sub(n.norm1, x), ...(cos && sin ? [cos, sin] : []));
    if (n.ls1) h = sub(n.ls1, h);
    const x1 = add(x, h);
    let m = sub(n.mlp, sub(n.norm2, x1));
    if (n.ls2) m = sub(n.ls2, m);
    return add(x1, m);
  }
}
