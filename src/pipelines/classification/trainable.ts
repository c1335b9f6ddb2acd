/**
 * The AnyMC3D model as the trainer's Trainable (src/train): the seam between the task model and
 * the training loop, so tasks/ stays free of training code.
 */
import { loadBalanceLoss } from "../../adapt/molre/router.js";
import type { AnyMc3d } from "../../tasks/classification/anymc3d.js";
import { moduleTrainable } from "../../train/module-trainable.js";
import type { Trainable } from "../../train/trainable.js";

export interface AnyMc3dTrainableOptions {
  describe?: Record<string, unknown>;
  /** MoLRE's Switch-style load-balancing loss weight, added while training (0 or absent: none). */
  loadBalanceWeight?: number;
}

/**
 * The model as the trainer's Trainable: every trainable Parameter (after `applyMethod`) by path,
 * logits from `classify`, the batch inputs named by view.
 */
export function anyMc3dTrainable(model: AnyMc3d, opts: AnyMc3dTrainableOptions = {}): Trainable {
  const w = opts.loadBalanceWeight ?? 0;
  return moduleTrainable(model, {
    forward: (ctx, inputs) => {
      const logits = model.classify(ctx, inputs).logits;
      const aux = ctx.training && w > 0 ? loadBalanceLoss(ctx.graph, w) : undefined;
      return aux ? { logits, aux } : { logits };
    },
    ...(opts.describe ? { describe: opts.describe } : {}),
  });
}
