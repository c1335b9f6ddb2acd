/**
 * Training data for auxiliary pixel supervision: the loader's batches (src/train's loaderData) with
 * each training batch also carrying the case masks, preprocessed (and augmented) exactly as the
 * images — `aux_mask.<view>` [B, S, H, W] foreground and `aux_weight` [B] = present_b / Σ present.
 * Validation batches stay as they are: the decoder is a training signal, not a prediction.
 */
import { loadBatches, stackMask } from "../../data/prefetch.js";
import { type LoaderDataOptions, loaderData, trainBatchOf } from "../../train/loader-data.js";
import type { BatchTensor, TrainData } from "../../train/trainable.js";
import { AUX_MASK_INPUT, AUX_WEIGHT_INPUT } from "./trainable.js";

export function auxLoaderData(opts: LoaderDataOptions, mask: string): TrainData {
  const base = loaderData(opts);
  const { train, loader, augment } = opts;
  return {
    ...base,
    async *train(ctx) {
      const epochOpts = {
        ...loader,
        masks: [...new Set([...(loader.masks ?? []), mask])],
        shuffle: { seed: ctx.seed, epoch: ctx.epoch },
        ...(augment ? { augment: { config: augment, seed: ctx.seed, epoch: ctx.epoch } } : {}),
      };
      for await (const b of loadBatches(train, epochOpts)) {
        const tb = trainBatchOf(b);
        const inputs: Record<string, BatchTensor> = { ...tb.inputs };
        let present: Float32Array | undefined;
        (b.cases[0]?.input.views ?? []).forEach((v, i) => {
          const m = stackMask(b, mask, i);
          inputs[AUX_MASK_INPUT(v.plane)] = { data: m.data, shape: m.shape };
          present = m.present;
        });
        const p = present ?? new Float32Array(b.cases.length);
        const n = p.reduce((a, x) => a + x, 0);
        inputs[AUX_WEIGHT_INPUT] = { data: p.map((x) => x / Math.max(1, n)), shape: [p.length] };
        yield { ...tb, inputs };
      }
    },
  };
}
