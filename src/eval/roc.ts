import { type ScoreGroups, scoreGroups } from "./score-groups.js";

/**
 * Mann–Whitney U of grouped scores: pairs (positive, negative) where the positive scores higher
 * count 1, ties count 1/2. Weights per group let the bootstrap reuse one grouping.
 */
export function mannWhitneyU(posCount: ArrayLike<number>, negCount: ArrayLike<number>): number {
  let u = 0;
  let negBelow = 0;
  for (let g = 0; g < posCount.length; g++) {
    const cn = negCount[g]!;
    u += posCount[g]! * (negBelow + 0.5 * cn);
    negBelow += cn;
  }
  return u;
}

/** AUC of already grouped scores; null when either class is absent. */
export function aucFromGroups(groups: ScoreGroups): number | null {
  if (groups.nPos === 0 || groups.nNeg === 0) return null;
  return mannWhitneyU(groups.posCount, groups.negCount) / (groups.nPos * groups.nNeg);
}

/**
 * Area under the ROC curve of one finding, equal to scikit-learn's roc_auc_score: the
 * Mann–Whitney statistic with ties counted 1/2. Labels are 1, 0 or NaN (unlabelled, skipped).
 * Returns null, never 0.5, when the cases lack positives or negatives.
 */
export function rocAuc(labels: ArrayLike<number>, scores: ArrayLike<number>): number | null {
  return aucFromGroups(scoreGroups(labels, scores));
}

export interface RocCurve {
  /** False positive rate, true positive rate and threshold per point; a case is called positive when its score ≥ threshold. The first point is (0, 0) at threshold +Infinity. */
  fpr: Float64Array;
  tpr: Float64Array;
  thresholds: Float64Array;
}

/**
 * ROC curve like scikit-learn's roc_curve (≥ 1.3): one point per distinct score, descending,
 * then, with dropIntermediate (default), only the corners (points where the second difference of
 * the false or true positive counts is non-zero, plus both ends). Rates are NaN when a class is
 * absent, as in scikit-learn.
 */
export function rocCurve(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  options: { dropIntermediate?: boolean } = {},
): RocCurve {
  return rocCurveFromGroups(scoreGroups(labels, scores), options);
}

export function rocCurveFromGroups(
  groups: ScoreGroups,
  options: { dropIntermediate?: boolean } = {},
): RocCurve {
  const g = groups.values.length;
  let tps = new Float64Array(g);
  let fps = new Float64Array(g);
  let thr = new Float64Array(g);
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < g; k++) {
    const src = g - 1 - k;
    tp += groups.posCount[src]!;
    fp += groups.negCount[src]!;
    tps[k] = tp;
    fps[k] = fp;
    thr[k] = groups.values[src]!;
  }
  if ((options.dropIntermediate ?? true) && g > 2) {
    const keep: number[] = [0];
    for (let k = 1; k < g - 1; k++) {
      const d2f = fps[k + 1]! - 2 * fps[k]! + fps[k - 1]!;
      const d2t = tps[k + 1]! - 2 * tps[k]! + tps[k - 1]!;
      if (d2f !== 0 || d2t !== 0) keep.push(k);
    }
    keep.push(g - 1);
    tps = Float64Array.from(keep, (k) => tps[k]!);
    fps = Float64Array.from(keep, (k) => fps[k]!);
    thr = Float64Array.from(keep, (k) => thr[k]!);
  }
  const n = tps.length + 1;
  const fpr = new Float64Array(n);
  const tpr = new Float64Array(n);
  const thresholds = new Float64Array(n);
  thresholds[0] = Number.POSITIVE_INFINITY;
  for (let k = 1; k < n; k++) {
    fpr[k] = fps[k - 1]! / groups.nNeg;
    tpr[k] = tps[k - 1]! / groups.nPos;
    thresholds[k] = thr[k - 1]!;
  }
  if (groups.nNeg === 0) fpr.fill(Number.NaN);
  if (groups.nPos === 0) tpr.fill(Number.NaN);
  return { fpr, tpr, thresholds };
}
