/**
 * The contract between the trainer and what it trains. A model plugs in by describing its
 * trainable weights and emitting its logits into a graph; the trainer owns the loss, the
 * compiled programs (one per batch shape), the optimizer, checkpoints and the loop.
 */
import type { Graph, Value } from "../engine/index.js";
import type { Rng } from "../random/rng.js";

/** A trainable weight: its shape and the host array the optimizer updates in place. */
export interface ParamRef {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

export interface Trainable {
  /**
   * Trainable weights by graph parameter name. `forward` must emit each of them as a trainable
   * graph parameter of the same name over the same `data` array (nn's `Parameter` fits), so the
   * optimizer's in-place updates reach every compiled program.
   */
  params(): ReadonlyMap<string, ParamRef>;
  /**
   * Emits the model into `g` for the given graph inputs (one per batch input, same names and
   * shapes) and returns the logits [B, F]. `aux`, if given, is a scalar added to the loss (e.g.
   * MoLRE's load-balancing term, already weighted).
   */
  forward(g: Graph, inputs: Readonly<Record<string, Value>>, mode: { training: boolean }): ForwardOutput;
  /**
   * Values for extra inputs the training graph declares beyond the batch's (e.g. dropout masks),
   * for global optimizer step `step` (0-based). They must depend only on (seed, step) so that a
   * resumed run draws the same ones.
   */
  stepFeeds?(graph: Graph, at: { seed: number; step: number }): Record<string, Float32Array>;
  /**
   * Optimizer groups (first match wins; unmatched weights use the top-level lr/weight decay).
   * Overrides the config's groups when given; the config's are the METHODS.md defaults.
   */
  groups?(): readonly GroupSpec[];
  /** JSON describing the model (backbone, method, adapter config), stored with checkpoints. */
  describe?(): Record<string, unknown>;
}

export interface ForwardOutput {
  logits: Value;
  aux?: Value;
}

/** An optimizer group: parameters whose name matches `match` (a RegExp source). */
export interface GroupSpec {
  name: string;
  match: string;
  lr?: number;
  weightDecay?: number;
}

/** One tensor of a batch, row-major, first axis the batch. */
export interface BatchTensor {
  data: Float32Array;
  shape: readonly number[];
}

export interface TrainBatch {
  inputs: Readonly<Record<string, BatchTensor>>;
  /** [B, F] labels: 1, 0, or NaN for "not labelled" (masked out of the loss and the AUC). */
  labels: Float32Array;
  ids?: readonly string[];
}

/** What a training epoch's batches may depend on: nothing but the seed and the epoch. */
export interface EpochContext {
  seed: number;
  /** 0-based. */
  epoch: number;
  /** This epoch's stream (phantom's xoshiro128**), derived from (seed, epoch) alone. */
  rng: Rng;
}

/** The data the trainer consumes. Any async iterable of batches works (e.g. the prefetcher's). */
export interface TrainData {
  findings: readonly string[];
  /** Batches per training epoch (for the schedule's length and the ETA). */
  stepsPerEpoch: number;
  /** The training batches of one epoch, in an order that depends only on `ctx`. */
  train(ctx: EpochContext): AsyncIterable<TrainBatch>;
  /** The validation batches (fixed order). */
  val(): AsyncIterable<TrainBatch>;
  /** Training labels [N, F] (NaN = missing), for positive weights from prevalence. */
  trainLabels?: Float32Array;
}
