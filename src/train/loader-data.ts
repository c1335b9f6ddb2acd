/**
 * TrainData over the data layer's prefetching loader: cases from a manifest split, prepared (and,
 * for training, augmented and shuffled from (seed, epoch)) by its worker pool.
 */
import type { AugmentConfig } from "../data/augment.js";
import type { DataCase } from "../data/manifest.js";
import { type Batch, type LoaderOptions, loadBatches, stackView } from "../data/prefetch.js";
import type { BatchTensor, EpochContext, TrainBatch, TrainData } from "./trainable.js";

/**
 * A loader batch as the trainer's: one input per view, named by its plane ("axial", "coronal",
 * "sagittal", or "volume"), each stacked to [B, …view shape].
 */
export function trainBatchOf(batch: Batch): TrainBatch {
  const inputs: Record<string, BatchTensor> = {};
  const views = batch.cases[0]?.input.views ?? [];
  views.forEach((v, i) => {
    inputs[v.plane] = stackView(batch, i);
  });
  return { inputs, labels: batch.labels, ids: batch.ids };
}

export interface LoaderDataOptions {
  findings: readonly string[];
  train: readonly DataCase[];
  val: readonly DataCase[];
  /** Preprocessing, batch size, workers, masks; shuffling and augmentation are set per epoch. */
  loader: Omit<LoaderOptions, "shuffle" | "augment">;
  /** Training-time augmentation, drawn from (seed, epoch, case id). */
  augment?: AugmentConfig;
}

export function loaderData(opts: LoaderDataOptions): TrainData {
  const { findings, train, val, loader, augment } = opts;
  const n = train.length;
  const steps = loader.dropLast ? Math.floor(n / loader.batchSize) : Math.ceil(n / loader.batchSize);
  const trainLabels = new Float32Array(n * findings.length);
  train.forEach((c, i) => {
    trainLabels.set(c.labels, i * findings.length);
  });
  return {
    findings,
    stepsPerEpoch: steps,
    trainLabels,
    async *train(ctx: EpochContext) {
      const epochOpts: LoaderOptions = { ...loader, shuffle: { seed: ctx.seed, epoch: ctx.epoch } };
      if (augment) epochOpts.augment = { config: augment, seed: ctx.seed, epoch: ctx.epoch };
      for await (const b of loadBatches(train, epochOpts)) yield trainBatchOf(b);
    },
    async *val() {
      for await (const b of loadBatches(val, { ...loader, dropLast: false })) yield trainBatchOf(b);
    },
  };
}
