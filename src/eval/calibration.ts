export interface ReliabilityBin {
  /** Bin edges; the bin holds probabilities p with lo < p ≤ hi (the first bin also holds 0). */
  lo: number;
  hi: number;
  count: number;
  /** Mean predicted probability and observed fraction of positives; null for an empty bin. */
  meanPredicted: number | null;
  fractionPositive: number | null;
}

export interface Calibration {
  /** Expected calibration error: Σ_b (n_b / N) · |fractionPositive_b − meanPredicted_b|. */
  ece: number | null;
  /** Largest per-bin gap over non-empty bins (maximum calibration error). */
  mce: number | null;
  bins: ReliabilityBin[];
  n: number;
}

/**
 * Calibration of one finding's predicted probabilities with equal-width bins over [0, 1]
 * (default 10). Edges are k/B as numpy's linspace makes them, and a probability on an edge goes to
 * the lower bin, exactly like scikit-learn's calibration_curve(strategy="uniform"), whose
 * (prob_true, prob_pred) are the non-empty bins' (fractionPositive, meanPredicted) here. This is
 * the positive-class (binary) ECE, not the top-label ECE. Unlabelled (NaN) cases are skipped;
 * ece is null when no case is labelled.
 */
export function calibration(labels: ArrayLike<number>, probs: ArrayLike<number>, nBins = 10): Calibration {
  if (!Number.isInteger(nBins) || nBins < 1) throw new RangeError("nBins must be a positive integer");
  const edges = new Float64Array(nBins + 1);
  for (let k = 0; k < nBins; k++) edges[k] = k * (1 / nBins);
  edges[nBins] = 1;
  const count = new Float64Array(nBins);
  const sumP = new Float64Array(nBins);
  const sumY = new Float64Array(nBins);
  let n = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (y !== 0 && y !== 1) continue;
    const p = probs[i]!;
    if (!(p >= 0 && p <= 1)) throw new RangeError(`probability ${p} of case ${i} is not in [0, 1]`);
    const b = binOf(edges, p);
    count[b]!++;
    sumP[b]! += p;
    sumY[b]! += y;
    n++;
  }
  const bins: ReliabilityBin[] = [];
  let ece = 0;
  let mce = 0;
  for (let b = 0; b < nBins; b++) {
    const c = count[b]!;
    const meanPredicted = c > 0 ? sumP[b]! / c : null;
    const fractionPositive = c > 0 ? sumY[b]! / c : null;
    if (c > 0) {
      const gap = Math.abs(fractionPositive! - meanPredicted!);
      ece += (c / n) * gap;
      mce = Math.max(mce, gap);
    }
    bins.push({ lo: edges[b]!, hi: edges[b + 1]!, count: c, meanPredicted, fractionPositive });
  }
  return { ece: n > 0 ? ece : null, mce: n > 0 ? mce : null, bins, n };
}

/** Index b with edges[b] < p ≤ edges[b+1] (numpy searchsorted on the inner edges, side "left"). */
function binOf(edges: Float64Array, p: number): number {
  let lo = 0;
  let hi = edges.length - 2;
  // Smallest inner edge index k (1..B−1) with edges[k] ≥ p; the bin is k − 1, or B − 1 if none.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid + 1]! >= p) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Expected calibration error alone (see calibration()). */
export function expectedCalibrationError(
  labels: ArrayLike<number>,
  probs: ArrayLike<number>,
  nBins = 10,
): number | null {
  return calibration(labels, probs, nBins).ece;
}
