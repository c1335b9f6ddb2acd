import { InputError } from "../errors.js";

/**
 * Cases of one finding, grouped by distinct score: the sufficient statistic for every rank
 * metric here (AUC, ROC curve, bootstrap, sensitivity at specificity). Built once in
 * O(n log n) by sorting positives and negatives separately and merging, so each metric after it
 * is a linear walk over the groups with exact tie handling.
 */
export interface ScoreGroups {
  /** Distinct scores, ascending. */
  values: Float64Array;
  /** Number of positives / negatives whose score equals values[g]. */
  posCount: Float64Array;
  negCount: Float64Array;
  /** Group of each positive / negative in ascending score order (for resampling by case). */
  posGroup: Uint32Array;
  negGroup: Uint32Array;
  nPos: number;
  nNeg: number;
}

/**
 * Splits scores by label (1 = positive, 0 = negative, NaN = unlabelled and skipped) and groups
 * them by distinct score. Throws InputError for NaN scores of labelled cases or labels that are
 * not 0, 1 or NaN.
 */
export function scoreGroups(labels: ArrayLike<number>, scores: ArrayLike<number>): ScoreGroups {
  if (labels.length !== scores.length) {
    throw new InputError(`labels (${labels.length}) and scores (${scores.length}) differ in length`);
  }
  let nPos = 0;
  let nNeg = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y === 1) nPos++;
    else if (y === 0) nNeg++;
    else if (!Number.isNaN(y)) throw new InputError(`label ${y} at case ${i} is not 0, 1 or missing`);
  }
  const pos = new Float64Array(nPos);
  const neg = new Float64Array(nNeg);
  for (let i = 0, p = 0, q = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y !== 0 && y !== 1) continue;
    const s = scores[i]!;
    if (Number.isNaN(s)) throw new InputError(`score of case ${i} is NaN`);
    if (y === 1) pos[p++] = s;
    else neg[q++] = s;
  }
  // Typed-array sort is numeric and much faster than sorting an index array with a comparator.
  pos.sort();
  neg.sort();
  return mergeSorted(pos, neg);
}

function mergeSorted(pos: Float64Array, neg: Float64Array): ScoreGroups {
  const nPos = pos.length;
  const nNeg = neg.length;
  const values = new Float64Array(nPos + nNeg);
  const posCount = new Float64Array(nPos + nNeg);
  const negCount = new Float64Array(nPos + nNeg);
  const posGroup = new Uint32Array(nPos);
  const negGroup = new Uint32Array(nNeg);
  let g = -1;
  let i = 0;
  let j = 0;
  while (i < nPos || j < nNeg) {
    const v = j >= nNeg || (i < nPos && pos[i]! <= neg[j]!) ? pos[i]! : neg[j]!;
    g++;
    values[g] = v;
    while (i < nPos && pos[i] === v) {
      posGroup[i++] = g;
      posCount[g]!++;
    }
    while (j < nNeg && neg[j] === v) {
      negGroup[j++] = g;
      negCount[g]!++;
    }
  }
  const n = g + 1;
  return {
    values: values.slice(0, n),
    posCount: posCount.slice(0, n),
    negCount: negCount.slice(0, n),
    posGroup,
    negGroup,
    nPos,
    nNeg,
  };
}

/**
 * Midranks (1-based; tied values share the mean of their ranks), as Sun & Xu (2014) use them.
 * One numeric sort of a copy (a typed-array sort, far faster than sorting indices with a
 * comparator), one pass giving each distinct value, held at sorted positions i..j, the rank
 * (i + j) / 2 + 1, then one binary search per value among the distinct values (few, and so
 * cache-resident, when there are many ties).
 */
export function midranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const sorted = Float64Array.from(x).sort();
  const distinct = new Float64Array(n);
  const rank = new Float64Array(n);
  let d = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && sorted[j + 1] === sorted[i]) j++;
    distinct[d] = sorted[i]!;
    rank[d++] = (i + j) / 2 + 1;
    i = j + 1;
  }
  const values = distinct.subarray(0, d);
  const ranks = new Float64Array(n);
  for (let k = 0; k < n; k++) ranks[k] = rank[lowerBound(values, x[k]!)]!;
  return ranks;
}

/** First index whose value is ≥ v. */
export function lowerBound(sorted: Float64Array, v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
