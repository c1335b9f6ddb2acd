import { gelu, geluTanh, relu, silu, type Value } from "../../engine/index.js";
import { InputError } from "../../errors.js";

export type Activation = "gelu" | "gelu_tanh" | "silu" | "relu";

export function activate(act: Activation, x: Value): Value {
  switch (act) {
    case "gelu":
      return gelu(x);
    case "gelu_tanh":
      return geluTanh(x);
    case "silu":
      return silu(x);
    case "relu":
      return relu(x);
  }
}

/** transformers' ACT2FN names for the activations the backbones use. */
export function activationFromHf(name: string, source: string): Activation {
  switch (name) {
    case "gelu":
      return "gelu";
    case "gelu_pytorch_tanh":
    case "gelu_new":
    case "gelu_fast":
      return "gelu_tanh";
    case "silu":
    case "swish":
      return "silu";
    case "relu":
      return "relu";
    default:
      throw new InputError(
        `unsupported hidden_act "${name}" (supported: gelu, gelu_pytorch_tanh, gelu_new, silu, relu)`,
        source,
      );
  }
}
