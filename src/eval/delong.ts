import { InputError } from "../errors.js";
import { twoSidedP } from "./normal.js";
import { midranks } from "./score-groups.js";

/**
 * DeLong's structural components of one model's AUC (DeLong, DeLong & Clarke-Pearson 1988),
 * computed with the midrank algorithm of Sun & Xu (2014) in O(n log n):
 * v10[i] = (Tz_i − Tx_i) / n for positive i and v01[j] = 1 − (Tz_j − Ty_j) / m for negative j,
 * where Tz, Tx, Ty are midranks among all cases, among positives and among negatives. v10[i] is
 * the fraction of negatives that positive i outranks (ties 1/2); the AUC is the mean of either.
 */
export interface StructuralComponents {
  auc: number;
  /** Case indices (into the input arrays) of the positives and negatives, in input order. */
  posIndex: Uint32Array;
  negIndex: Uint32Array;
  v10: Float64Array;
  v01: Float64Array;
}

export function structuralComponents(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
): StructuralComponents | null {
  const { posIndex, negIndex } = splitIndex(labels);
  return componentsFor(posIndex, negIndex, scores);
}

function splitIndex(labels: ArrayLike<number>): { posIndex: Uint32Array; negIndex: Uint32Array } {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y === 1) pos.push(i);
    else if (y === 0) neg.push(i);
    else if (!Number.isNaN(y)) throw new InputError(`label ${y} at case ${i} is not 0, 1 or missing`);
  }
  return { posIndex: Uint32Array.from(pos), negIndex: Uint32Array.from(neg) };
}

function componentsFor(
  posIndex: Uint32Array,
  negIndex: Uint32Array,
  scores: ArrayLike<number>,
): StructuralComponents | null {
  const m = posIndex.length;
  const n = negIndex.length;
  if (m === 0 || n === 0) return null;
  const x = new Float64Array(m);
  const y = new Float64Array(n);
  const z = new Float64Array(m + n);
  for (let i = 0; i < m; i++) z[i] = x[i] = scores[posIndex[i]!]!;
  for (let j = 0; j < n; j++) z[m + j] = y[j] = scores[negIndex[j]!]!;
  for (const v of z) if (Number.isNaN(v)) throw new InputError("scores contain NaN");
  const tx = midranks(x);
  const ty = midranks(y);
  const tz = midranks(z);
  const v10 = new Float64Array(m);
  const v01 = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < m; i++) {
    v10[i] = (tz[i]! - tx[i]!) / n;
    sum += v10[i]!;
  }
  for (let j = 0; j < n; j++) v01[j] = 1 - (tz[m + j]! - ty[j]!) / m;
  return { auc: sum / m, posIndex, negIndex, v10, v01 };
}

/** DeLong variance of one AUC: S10/m + S01/n with S the sample variances of the components. */
export function delongVariance(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  const c = structuralComponents(labels, scores);
  if (c === null) return null;
  return covariance(c.v10, c.v10) / c.v10.length + covariance(c.v01, c.v01) / c.v01.length;
}

export interface PairedDelong {
  aucA: number;
  aucB: number;
  /** aucA − aucB. */
  diff: number;
  /** Estimated variance of diff: var A + var B − 2 cov(A, B). */
  variance: number;
  varA: number;
  varB: number;
  covAB: number;
  /** diff / √variance; 0 when both are 0, ±Infinity when only the variance is 0. */
  z: number;
  /** Two-sided p-value from the standard normal. */
  p: number;
  /** 95 % Wald interval of diff: diff ± 1.959964·√variance. */
  ci95: [number, number];
}

/** The 0.975 quantile of the standard normal. */
const Z975 = 1.959963984540054;

/** Completes a paired comparison from the two AUCs and the variance terms. */
export function pairedResult(
  aucA: number,
  aucB: number,
  varA: number,
  varB: number,
  covAB: number,
  variance: number,
): PairedDelong {
  const diff = aucA - aucB;
  const z = zScore(diff, variance);
  const half = Z975 * Math.sqrt(variance);
  return {
    aucA,
    aucB,
    diff,
    variance,
    varA,
    varB,
    covAB,
    z,
    p: twoSidedP(z),
    ci95: [diff - half, diff + half],
  };
}

/**
 * Paired DeLong test of two models' AUCs on the same cases (same labels). Null when the labelled
 * cases lack positives or negatives.
 */
export function delongTest(
  labels: ArrayLike<number>,
  scoresA: ArrayLike<number>,
  scoresB: ArrayLike<number>,
): PairedDelong | null {
  if (scoresA.length !== labels.length || scoresB.length !== labels.length) {
    throw new InputError("labels and both score arrays must have the same length");
  }
  const { posIndex, negIndex } = splitIndex(labels);
  const a = componentsFor(posIndex, negIndex, scoresA);
  const b = componentsFor(posIndex, negIndex, scoresB);
  if (a === null || b === null) return null;
  const m = posIndex.length;
  const n = negIndex.length;
  const varA = covariance(a.v10, a.v10) / m + covariance(a.v01, a.v01) / n;
  const varB = covariance(b.v10, b.v10) / m + covariance(b.v01, b.v01) / n;
  const covAB = covariance(a.v10, b.v10) / m + covariance(a.v01, b.v01) / n;
  // Rounding can push a variance that is exactly 0 in theory (identical models) slightly negative.
  const variance = Math.max(0, varA + varB - 2 * covAB);
  return pairedResult(a.auc, b.auc, varA, varB, covAB, variance);
}

export function zScore(diff: number, variance: number): number {
  if (variance > 0) return diff / Math.sqrt(variance);
  if (Math.abs(diff) < 1e-15) return 0;
  return diff > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
}

/** Sample covariance (denominator k − 1); 0 for fewer than two values. */
export function covariance(a: Float64Array, b: Float64Array): number {
  const k = a.length;
  if (k < 2) return 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < k; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= k;
  mb /= k;
  let s = 0;
  for (let i = 0; i < k; i++) s += (a[i]! - ma) * (b[i]! - mb);
  return s / (k - 1);
}
