/**
 * The native 3D path (METHODS.md §1–2, issue #6): a 3D backbone (the zoo's ViT3D or 3D CNN, or
 * a tiny version) over the whole volume [B, C, D, H, W], its pooled embedding (ViT3D: the CLS
 * token; CNN: the global average) and a linear head — the "3D architecture" AnyMC3D is compared
 * with, trained by the same methods (linear probe, LoRA, MoLRE, full) through the same pipelines.
 *
 * It is an `AnyMc3d` with one input view named "volume", so everything written against AnyMC3D's
 * API (the trainer's Trainable, train, predict, the plugin files) runs it unchanged: `classify`
 * returns logits, the embedding, and for the "volume" view uniform weights over the D slices (a
 * native 3D model has no slice pooling to explain itself with).
 * Module names: `backbone.*`, `head` (and an unused, parameter-free `pool.volume`).
 */
import { reshape, type Value } from "../../engine/index.js";
import type { BuildContext } from "../../nn/module.js";
import type { VisionBackbone } from "../../nn/nets/backbone.js";
import type { Plane } from "../../volume/slices.js";
import { AnyMc3d, type AnyMc3dOutputs } from "./anymc3d.js";

/** The input name of the volume layout (src/data's ModelView plane "volume"). */
export const VOLUME_VIEW = "volume";

export interface Native3dOptions {
  findings: number;
  seed?: number;
}

export class Native3d extends AnyMc3d {
  constructor(backbone: VisionBackbone, opts: Native3dOptions) {
    // "volume" is not a slice plane; it only names the single input, as the loader does.
    super(backbone, {
      findings: opts.findings,
      views: [VOLUME_VIEW as unknown as Plane],
      pooling: "mean",
      fusion: "mean",
      ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    });
  }

  override encodeSlices(_ctx: BuildContext, _stack: Value): Value {
    throw new Error("Native3d: a 3D model encodes whole volumes (classify), not slice stacks");
  }

  override classify(ctx: BuildContext, inputs: Readonly<Record<string, Value>>): AnyMc3dOutputs {
    const x = inputs[VOLUME_VIEW];
    if (!x) throw new Error(`Native3d: no input "${VOLUME_VIEW}" (have ${Object.keys(inputs).join(", ")})`);
    if (x.rank !== 5)
      throw new Error(`Native3d: expected a volume [B, C, D, H, W], got [${x.shape.join(", ")}]`);
    const [b, , d] = x.shape as [number, number, number];
    const embedding = reshape(this.backbone.embed(ctx, x).poolerOutput, [b, this.hiddenSize]);
    const weights = ctx.graph.constant(new Float64Array(b * d).fill(1 / d), [b, d], embedding.dtype);
    return {
      logits: this.getModule("head").forward(ctx, embedding),
      sliceWeights: { [VOLUME_VIEW]: weights },
      embedding,
    };
  }
}
