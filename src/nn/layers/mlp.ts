// Feed-forward blocks. Children are looked up by name at build time, so an adapter that replaces
// a Linear (setModule) is used by the next build.
import { mul, split, type Value } from "../../engine/index.js";
import { type BuildContext, Module, place } from "../module.js";
import { type Activation, activate } from "./activation.js";
import { Linear } from "./linear.js";

/** fc2(act(fc1(x))); child names default to fc1/fc2 (DINOv3 calls them up_proj/down_proj). */
export class Mlp extends Module {
  constructor(
    dim: number,
    hidden: number,
    readonly act: Activation,
    readonly names: { fc1: string; fc2: string } = { fc1: "fc1", fc2: "fc2" },
    bias = true,
  ) {
    super();
    place(this, names.fc1, new Linear(dim, hidden, { bias }));
    place(this, names.fc2, new Linear(hidden, dim, { bias }));
  }

  forward(ctx: BuildContext, x: Value): Value {
    const h = activate(this.act, this.getModule(this.names.fc1).forward(ctx, x));
    return this.getModule(this.names.fc2).forward(ctx, h);
  }
}

/** down(act(gate(x)) · up(x)): SwiGLU when act is SiLU (DINOv3's gated MLP). */
export class GatedMlp extends Module {
  constructor(
    dim: number,
    hidden: number,
    readonly act: Activation,
    bias = true,
  ) {
    super();
    this.addModule("gate_proj", new Linear(dim, hidden, { bias }));
    this.addModule("up_proj", new Linear(dim, hidden, { bias }));
    this.addModule("down_proj", new Linear(hidden, dim, { bias }));
  }

  forward(ctx: BuildContext, x: Value): Value {
    const gate = activate(this.act, this.getModule("gate_proj").forward(ctx, x));
    const up = this.getModule("up_proj").forward(ctx, x);
    return this.getModule("down_proj").forward(ctx, mul(gate, up));
  }
}

/**
 * DINOv2's SwiGLU FFN: one fused input Linear `weights_in` [2·h, d] whose halves are (x1, x2),
 * output weights_out(silu(x1)·x2), with h = ((⌊d·ratio·2/3⌋ + 7) // 8)·8.
 */
export class FusedSwiGlu extends Module {
  readonly hidden: number;

  constructor(dim: number, mlpRatio: number) {
    super();
    const h = Math.floor(dim * mlpRatio);
    this.hidden = Math.floor((Math.floor((h * 2) / 3) + 7) / 8) * 8;
    this.addModule("weights_in", new Linear(dim, 2 * this.hidden));
    this.addModule("weights_out", new Linear(this.hidden, dim));
  }

  forward(ctx: BuildContext, x: Value): Value {
    const h = this.getModule("weights_in").forward(ctx, x);
    const [x1, x2] = split(h, [this.hidden, this.hidden], -1) as [Value, Value];
    return this.getModule("weights_out").forward(ctx, mul(activate("silu", x1), x2));
  }
}
