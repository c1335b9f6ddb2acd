/**
 * The AnyMC3D model as the trainer's Trainable (src/train): the seam between the task model and
 * the training loop, so tasks/ stays free of training code.
 */
import { loadBalanceLoss } from "../../adapt/molre/router.js";
import { add, mul, type Value } from "../../engine/index.js";
import type { AnyMc3d } from "../../tasks/classification/anymc3d.js";
import { auxMaskLoss } from "../../tasks/classification/aux-decoder.js";
import { moduleTrainable } from "../../train/module-trainable.js";
import type { Trainable } from "../../train/trainable.js";

export interface AnyMc3dTrainableOptions {
  describe?: Record<string, unknown>;
  /** MoLRE's Switch-style load-balancing loss weight, added while training (0 or absent: none). */
  loadBalanceWeight?: number;
  /**
   * Auxiliary pixel supervision (a model built with `aux`): weight of the mask loss. Training
   * batches then carry `aux_mask.<view>` [B, S, H, W] (foreground 0/1) and `aux_weight` [B]
   * (present_b / Σ present), see `auxLoaderData`.
   */
  auxWeight?: number;
}

/** Batch input names of the auxiliary mask targets. */
export const AUX_MASK_INPUT = (view: string) => `aux_mask.${view}`;
export const AUX_WEIGHT_INPUT = "aux_weight";

/**
 * The model as the trainer's Trainable: every trainable Parameter (after `applyMethod`) by path,
 * logits from `classify`, the batch inputs named by view.
 */
export function anyMc3dTrainable(model: AnyMc3d, opts: AnyMc3dTrainableOptions = {}): Trainable {
  const w = opts.loadBalanceWeight ?? 0;
  const auxWeight = opts.auxWeight ?? 0;
  return moduleTrainable(model, {
    forward: (ctx, inputs) => {
      const out = model.classify(ctx, inputs);
      let aux: Value | undefined = ctx.training && w > 0 ? loadBalanceLoss(ctx.graph, w) : undefined;
      if (out.auxLogits && auxWeight > 0 && inputs[AUX_WEIGHT_INPUT]) {
        // Mean over views of each view's mask loss.
        const views = Object.entries(out.auxLogits);
        let sum: Value | undefined;
        for (const [v, logits] of views) {
          const target = inputs[AUX_MASK_INPUT(v)];
          if (!target)
            throw new Error(`anyMc3dTrainable: the training batch has no ${AUX_MASK_INPUT(v)} input`);
          const l = auxMaskLoss(logits, target, inputs[AUX_WEIGHT_INPUT] as Value);
          sum = sum ? add(sum, l) : l;
        }
        const pixel = mul(sum as Value, auxWeight / views.length);
        aux = aux ? add(aux, pixel) : pixel;
      }
      return aux ? { logits: out.logits, aux } : { logits: out.logits };
    },
    ...(opts.describe ? { describe: opts.describe } : {}),
  });
}
