import { type ScoreGroups, scoreGroups } from "./score-groups.js";

export interface OperatingPoint {
  /** A case is called positive when its score ≥ threshold (+Infinity: no case is). */
  threshold: number;
  sensitivity: number;
  specificity: number;
}

/**
 * Sensitivity at a required specificity. Rule: among the thresholds the data allow (each distinct
 * score, plus +Infinity), keep those whose specificity is at least `specificity`, i.e. whose false
 * positives number at most ⌊nNeg · (1 − specificity)⌋ (counted, so 0.9 of 10 negatives allows
 * exactly 1); report the one with the highest sensitivity and, among equally sensitive ones, the
 * highest threshold (best specificity). No interpolation between ROC points: the reported
 * threshold achieves the reported pair on these cases.
 * Null when a class is absent.
 */
export function sensitivityAtSpecificity(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  specificity: number,
): OperatingPoint | null {
  return sensitivityAtSpecificityFromGroups(scoreGroups(labels, scores), specificity);
}

export function sensitivityAtSpecificityFromGroups(
  groups: ScoreGroups,
  specificity: number,
): OperatingPoint | null {
  if (!(specificity >= 0 && specificity <= 1))
    throw new RangeError(`specificity ${specificity} is not in [0, 1]`);
  const { nPos, nNeg } = groups;
  if (nPos === 0 || nNeg === 0) return null;
  // The tolerance keeps 1 − 0.9 = 0.09999999999999998 from losing a whole false positive.
  const maxFp = Math.floor(nNeg * (1 - specificity) + 1e-9);
  let threshold = Number.POSITIVE_INFINITY;
  let tp = 0;
  let fp = 0;
  let bestTp = 0;
  let bestFp = 0;
  for (let g = groups.values.length - 1; g >= 0; g--) {
    tp += groups.posCount[g]!;
    fp += groups.negCount[g]!;
    if (fp > maxFp) break;
    // Only a gain in sensitivity moves the threshold down: among equally sensitive thresholds
    // the highest one has the best specificity.
    if (tp > bestTp) {
      threshold = groups.values[g]!;
      bestTp = tp;
      bestFp = fp;
    }
  }
  return { threshold, sensitivity: bestTp / nPos, specificity: 1 - bestFp / nNeg };
}

export interface Confusion {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  accuracy: number;
  /** NaN when undefined (no positives / no negatives / no predicted positives). */
  sensitivity: number;
  specificity: number;
  precision: number;
  /** 2TP / (2TP + FP + FN); NaN when there are neither positives nor predicted positives. */
  f1: number;
}

/** Confusion counts and rates when a case is called positive at score ≥ threshold (default 0.5). */
export function confusionAtThreshold(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold = 0.5,
): Confusion {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y !== 0 && y !== 1) continue;
    const called = scores[i]! >= threshold;
    if (y === 1) called ? tp++ : fn++;
    else called ? fp++ : tn++;
  }
  const ratio = (a: number, b: number): number => (b === 0 ? Number.NaN : a / b);
  return {
    threshold,
    tp,
    fp,
    tn,
    fn,
    accuracy: ratio(tp + tn, tp + fp + tn + fn),
    sensitivity: ratio(tp, tp + fn),
    specificity: ratio(tn, tn + fp),
    precision: ratio(tp, tp + fp),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
  };
}
