/**
 * Slice pooling for slice-wise classifiers: per-slice embeddings [B, S, D] → one volume embedding
 * [B, D] and the weight each slice got [B, S] (kept as an output for heat maps). Attention is
 * AnyMC3D's task query; mean and max are the frozen-pooling baseline it is compared against.
 */
import {
  cast,
  div,
  equal,
  matmul,
  reduceMax,
  reduceMean,
  reduceSum,
  reshape,
  softmax,
  type Value,
} from "../../engine/index.js";
import { normalInit } from "../../nn/init.js";
import { type BuildContext, Module, Parameter } from "../../nn/module.js";

export type PoolingKind = "attention" | "mean" | "max";
export const POOLING_KINDS: readonly PoolingKind[] = ["attention", "mean", "max"];

export interface Pooled {
  /** [B, D] */
  embedding: Value;
  /** [B, S]: each slice's share of the pooled vector (sums to 1 over S). */
  weights: Value;
}

/**
 * Normal(0, std²) truncated to ±2·std (timm's trunc_normal_ keeps draws inside [a, b]; a resample
 * of the few outside keeps the distribution instead of piling mass on the bounds).
 */
export function truncNormal(n: number, std: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let filled = 0;
  let s = seed;
  while (filled < n) {
    for (const v of normalInit(n, std, s++)) {
      if (Math.abs(v) <= 2 * std) out[filled++] = v;
      if (filled === n) break;
    }
  }
  return out;
}

/** e [B, S, D], q [D, 1]. */
export function attentionPool(e: Value, q: Value): Pooled {
  const [b, s, d] = e.shape as [number, number, number];
  const scores = div(reshape(matmul(e, q), [b, s]), Math.sqrt(d));
  const weights = softmax(scores, 1);
  const embedding = reshape(matmul(reshape(weights, [b, 1, s]), e), [b, d]);
  return { embedding, weights };
}

export function meanPool(e: Value): Pooled {
  const [b, s] = e.shape as [number, number, number];
  const weights = e.graph.constant(new Float64Array(b * s).fill(1 / s), [b, s], e.dtype);
  return { embedding: reduceMean(e, [1]), weights };
}

/**
 * Feature-wise max over slices. A slice's weight is the share of the D features whose maximum it
 * holds (ties shared), so the baseline can draw heat maps too.
 */
export function maxPool(e: Value): Pooled {
  const [b, , d] = e.shape as [number, number, number];
  const max = reduceMax(e, [1], true);
  const hits = cast(equal(e, max), e.dtype);
  const perFeature = div(hits, reduceSum(hits, [1], true));
  return { embedding: reshape(max, [b, d]), weights: div(reduceSum(perFeature, [2]), d) };
}

export abstract class SlicePool extends Module {
  abstract readonly kind: PoolingKind;
  abstract pool(ctx: BuildContext, e: Value): Pooled;

  forward(ctx: BuildContext, e: Value): Value {
    return this.pool(ctx, e).embedding;
  }
}

/** a = softmax(q·e_i/√D) over slices, v = Σ a_i e_i: invariant to the order of the slices. */
export class AttentionPool extends SlicePool {
  readonly kind = "attention";
  readonly query: Parameter;

  constructor(
    readonly dim: number,
    seed = 1,
  ) {
    super();
    this.query = this.addParam("query", new Parameter([dim, 1], () => truncNormal(dim, 0.02, seed)));
  }

  pool(ctx: BuildContext, e: Value): Pooled {
    return attentionPool(e, ctx.param(this.query));
  }
}

export class MeanPool extends SlicePool {
  readonly kind = "mean";

  pool(_ctx: BuildContext, e: Value): Pooled {
    return meanPool(e);
  }
}

export class MaxPool extends SlicePool {
  readonly kind = "max";

  pool(_ctx: BuildContext, e: Value): Pooled {
    return maxPool(e);
  }
}

export function slicePool(kind: PoolingKind, dim: number, seed = 1): SlicePool {
  switch (kind) {
    case "attention":
      return new AttentionPool(dim, seed);
    case "mean":
      return new MeanPool();
    case "max":
      return new MaxPool();
  }
}
