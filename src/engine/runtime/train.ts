import { gradTrainable } from "../autodiff.js";
import type { Value } from "../ir/graph.js";
import { type CompileOptions, TrainStep } from "./program.js";

/**
 * Compiles loss + gradients of every trainable parameter of the loss's graph (and any `extra`
 * outputs, e.g. logits) into one program. Frozen parameters stay initializers and get no gradient.
 */
export function compileTrainStep(
  loss: Value,
  opts: CompileOptions & { extra?: Record<string, Value> } = {},
): Promise<TrainStep> {
  const { extra = {}, ...rest } = opts;
  return TrainStep.create(loss, gradTrainable(loss), extra, rest);
}
