import { Rng } from "../random/rng.js";
import { quantileSorted } from "./bootstrap.js";
import { column, type FindingMatrix } from "./finding-matrix.js";
import { mannWhitneyU } from "./roc.js";
import { lowerBound, scoreGroups } from "./score-groups.js";

export interface MeanAucCi {
  /** Percentile interval of the replicate macro-mean AUCs. */
  ci: [number, number];
  se: number;
  replicates: number;
  /** Replicates in which some finding had lost a class and was left out of that replicate's mean. */
  incomplete: number;
}

/** One finding prepared for resampling: each case's score group (−1 = unlabelled) and label. */
interface Prepared {
  caseGroup: Int32Array;
  positive: Uint8Array;
  groups: number;
}

function prepare(labels: FindingMatrix, probs: FindingMatrix): Prepared[] {
  const out: Prepared[] = [];
  for (let j = 0; j < labels.cols; j++) {
    const y = column(labels, j);
    const p = column(probs, j);
    const g = scoreGroups(y, p);
    // Findings without both classes are not in the mean, so they are not resampled either.
    if (g.nPos === 0 || g.nNeg === 0) continue;
    const caseGroup = new Int32Array(labels.rows).fill(-1);
    const positive = new Uint8Array(labels.rows);
    for (let i = 0; i < labels.rows; i++) {
      if (y[i] !== 0 && y[i] !== 1) continue;
      caseGroup[i] = lowerBound(g.values, p[i]!);
      positive[i] = y[i]!;
    }
    out.push({ caseGroup, positive, groups: g.values.length });
  }
  return out;
}

/**
 * Replicate macro-mean AUCs of a case bootstrap: each replicate draws N cases with replacement
 * (all findings of a case together, which keeps the correlation between findings) and averages
 * the AUCs of the findings that have both classes in the replicate, like macroAuc. A stratified
 * draw is impossible here (a case is positive for one finding and negative for another). Each
 * finding is grouped by score once; a replicate only counts case multiplicities per group.
 */
export function bootstrapMeanAucReplicates(
  labels: FindingMatrix,
  probs: FindingMatrix,
  replicates: number,
  rng: Rng,
): { means: Float64Array; incomplete: number } {
  const prepared = prepare(labels, probs);
  const n = labels.rows;
  const means = new Float64Array(replicates);
  const draws = new Uint32Array(n);
  const mult = new Int32Array(n);
  const posW = new Int32Array(Math.max(0, ...prepared.map((f) => f.groups)));
  const negW = new Int32Array(posW.length);
  let incomplete = 0;
  for (let r = 0; r < replicates; r++) {
    mult.fill(0);
    rng.intsBelow(n, draws);
    for (let k = 0; k < n; k++) mult[draws[k]!]!++;
    let sum = 0;
    let defined = 0;
    for (const f of prepared) {
      const pw = posW.subarray(0, f.groups).fill(0);
      const nw = negW.subarray(0, f.groups).fill(0);
      let nPos = 0;
      let nNeg = 0;
      for (let i = 0; i < n; i++) {
        const w = mult[i]!;
        const g = f.caseGroup[i]!;
        if (w === 0 || g < 0) continue;
        if (f.positive[i] === 1) {
          pw[g]! += w;
          nPos += w;
        } else {
          nw[g]! += w;
          nNeg += w;
        }
      }
      if (nPos === 0 || nNeg === 0) continue;
      sum += mannWhitneyU(pw, nw) / (nPos * nNeg);
      defined++;
    }
    if (defined < prepared.length) incomplete++;
    means[r] = defined > 0 ? sum / defined : Number.NaN;
  }
  return { means, incomplete };
}

/** Percentile CI of the macro-mean AUC from a case bootstrap; null when no finding has both classes. */
export function bootstrapMeanAucCi(
  labels: FindingMatrix,
  probs: FindingMatrix,
  options: { replicates?: number; seed?: number; level?: number } = {},
): MeanAucCi | null {
  const replicates = options.replicates ?? 1000;
  if (!Number.isInteger(replicates) || replicates < 1)
    throw new RangeError("replicates must be a positive integer");
  const { means, incomplete } = bootstrapMeanAucReplicates(
    labels,
    probs,
    replicates,
    new Rng(options.seed ?? 0),
  );
  const ok = means.filter((m) => !Number.isNaN(m)).sort();
  if (ok.length === 0) return null;
  const alpha = (1 - (options.level ?? 0.95)) / 2;
  let mean = 0;
  for (const v of ok) mean += v;
  mean /= ok.length;
  let ss = 0;
  for (const v of ok) ss += (v - mean) ** 2;
  return {
    ci: [quantileSorted(ok, alpha), quantileSorted(ok, 1 - alpha)],
    se: ok.length > 1 ? Math.sqrt(ss / (ok.length - 1)) : 0,
    replicates,
    incomplete,
  };
}
