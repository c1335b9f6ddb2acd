import { Rng } from "../random/rng.js";
import { mannWhitneyU } from "./roc.js";
import { type ScoreGroups, scoreGroups } from "./score-groups.js";

export interface BootstrapOptions {
  /** Number of bootstrap replicates (default 1000). */
  replicates?: number;
  /** PRNG seed (default 0); the same seed gives the same interval. */
  seed?: number;
  /** Two-sided coverage of the interval (default 0.95). */
  level?: number;
}

export interface BootstrapCi {
  /** Percentile interval [lower, upper]. */
  ci: [number, number];
  /** Standard deviation of the replicate AUCs (the bootstrap standard error). */
  se: number;
  replicates: number;
}

/**
 * Stratified bootstrap CI of one finding's AUC: each replicate draws nPos positives and nNeg
 * negatives with replacement, separately, so every replicate has both classes and the class
 * balance of the data; the interval is the percentile interval of the replicate AUCs (linear
 * interpolation between order statistics, numpy's default). Null when a class is absent.
 */
export function bootstrapAucCi(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  options: BootstrapOptions = {},
): BootstrapCi | null {
  return bootstrapAucCiFromGroups(scoreGroups(labels, scores), options);
}

/**
 * The sort is done once: a replicate only counts how often each case is drawn, adds the counts
 * to its score group, and walks the groups (O(n) per replicate instead of O(n log n)).
 */
export function bootstrapAucCiFromGroups(
  groups: ScoreGroups,
  options: BootstrapOptions = {},
): BootstrapCi | null {
  const { nPos, nNeg } = groups;
  if (nPos === 0 || nNeg === 0) return null;
  const replicates = options.replicates ?? 1000;
  if (!Number.isInteger(replicates) || replicates < 1)
    throw new RangeError("replicates must be a positive integer");
  const level = options.level ?? 0.95;
  const aucs = bootstrapAucReplicates(groups, replicates, new Rng(options.seed ?? 0));
  aucs.sort();
  const alpha = (1 - level) / 2;
  return {
    ci: [quantileSorted(aucs, alpha), quantileSorted(aucs, 1 - alpha)],
    se: standardDeviation(aucs),
    replicates,
  };
}

/**
 * The replicate AUCs, drawing from `rng` first nPos positive indices, then nNeg negative indices
 * (indices into the positives / negatives in ascending score order), per replicate.
 */
export function bootstrapAucReplicates(groups: ScoreGroups, replicates: number, rng: Rng): Float64Array {
  const { nPos, nNeg } = groups;
  const g = groups.values.length;
  // Integer counts: the scatter below is the hot loop, and int32 increments beat float64 ones.
  const posW = new Int32Array(g);
  const negW = new Int32Array(g);
  const aucs = new Float64Array(replicates);
  const drawPos = new Uint32Array(nPos);
  const drawNeg = new Uint32Array(nNeg);
  const { posGroup, negGroup } = groups;
  for (let r = 0; r < replicates; r++) {
    posW.fill(0);
    negW.fill(0);
    rng.intsBelow(nPos, drawPos);
    rng.intsBelow(nNeg, drawNeg);
    for (let k = 0; k < nPos; k++) posW[posGroup[drawPos[k]!]!]!++;
    for (let k = 0; k < nNeg; k++) negW[negGroup[drawNeg[k]!]!]!++;
    aucs[r] = mannWhitneyU(posW, negW) / (nPos * nNeg);
  }
  return aucs;
}

/** Quantile of sorted data with linear interpolation (Hyndman–Fan type 7, numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

function standardDeviation(x: Float64Array): number {
  if (x.length < 2) return 0;
  let mean = 0;
  for (const v of x) mean += v;
  mean /= x.length;
  let ss = 0;
  for (const v of x) ss += (v - mean) ** 2;
  return Math.sqrt(ss / (x.length - 1));
}
