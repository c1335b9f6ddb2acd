import { reshape, slice, type Value } from "../../engine/index.js";
import { type BuildContext, Module } from "../module.js";

export interface BackboneOutputs {
  /** [B, T, D] after the final norm. */
  lastHiddenState: Value;
  /** [B, D] (see each backbone's `pooler` description). */
  poolerOutput: Value;
}

/** An image (2D) or volume (3D) encoder: pixels [B, C, …spatial] → tokens and a pooled vector. */
export abstract class VisionBackbone extends Module {
  abstract readonly arch: string;
  abstract readonly hiddenSize: number;
  abstract readonly numChannels: number;
  /** How `poolerOutput` is defined, in words (for `medadapt models` and the docs). */
  abstract readonly pooler: string;

  abstract embed(ctx: BuildContext, pixels: Value): BackboneOutputs;

  forward(ctx: BuildContext, pixels: Value): Value {
    return this.embed(ctx, pixels).lastHiddenState;
  }
}

/** Token 0 of [B, T, D] as [B, D]. */
export function firstToken(x: Value): Value {
  const [b, , d] = x.shape as [number, number, number];
  return reshape(slice(x, [0], [1], [1]), [b, d]);
}
