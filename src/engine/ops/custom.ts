// Values whose gradient is written by hand, as torch.autograd.Function or jax.custom_vjp do: the
// forward is built from ordinary ops, and a CustomGradient node marks its result. ONNX sees an
// Identity (which ORT removes); autodiff calls the node's rule instead of differentiating the
// forward's nodes. Composites use it where knowing the whole expression gives a cheaper backward
// than the chain of its ops' rules (ops/attention.ts).
import type { Node, Value } from "../ir/graph.js";
import { apply1, defineOp } from "./registry.js";

/** Gradients of the marked value's inputs, given its upstream gradient and which inputs need one. */
export type VectorJacobian = (dy: Value, needs: readonly boolean[]) => (Value | undefined)[];

const rules = new WeakMap<Node, VectorJacobian>();

defineOp("CustomGradient", {
  infer: ([y]) => [{ shape: (y as Value).shape, dtype: (y as Value).dtype }],
  onnxOp: "Identity",
  // Only the forward's result is an ONNX input; the others exist for autodiff.
  onnxInputs: (_node, _ctx, names) => [names[0] as string],
  grad: ({ node, dys: [dy], needs }) => {
    const rule = rules.get(node);
    if (!rule) throw new Error("CustomGradient: node has no gradient rule");
    // The forward's own nodes get no gradient: the rule covers them.
    return [undefined, ...rule(dy as Value, needs.slice(1))];
  },
});

/**
 * `forward` (computed from `inputs` by ordinary ops) with the gradient `vjp` gives for `inputs`.
 * `inputs` must list every value on a path to the loss that `forward` reads; gradients do not
 * flow through the forward's nodes themselves.
 */
export function customGradient(forward: Value, inputs: readonly Value[], vjp: VectorJacobian): Value {
  const y = apply1("CustomGradient", [forward, ...inputs]);
  rules.set(y.producer as Node, vjp);
  return y;
}
