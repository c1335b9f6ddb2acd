// Multi-label statistics over findings: the macro mean AUC and the paired DeLong test of it.
import { InputError } from "../errors.js";
import {
  type PairedDelong,
  pairedResult,
  type StructuralComponents,
  structuralComponents,
} from "./delong.js";
import { column, type FindingMatrix } from "./finding-matrix.js";
import { aucFromGroups } from "./roc.js";
import { scoreGroups } from "./score-groups.js";

export function checkSameShape(a: FindingMatrix, b: FindingMatrix, what: string): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new InputError(`${what}: shape ${b.rows}×${b.cols} differs from the labels' ${a.rows}×${a.cols}`);
  }
}

/** Mean of the defined values; null when none is defined. */
export function macroMean(values: readonly (number | null)[]): number | null {
  const defined = values.filter((v): v is number => v !== null);
  return defined.length === 0 ? null : defined.reduce((s, v) => s + v, 0) / defined.length;
}

export interface MacroAuc {
  /** AUC per finding; null where the cases lack positives or negatives for it. */
  perFinding: (number | null)[];
  /** Mean over the findings with a defined AUC (undefined ones are left out, not counted as 0.5). */
  mean: number | null;
  nEvaluated: number;
}

export function macroAuc(labels: FindingMatrix, probs: FindingMatrix): MacroAuc {
  checkSameShape(labels, probs, "probabilities");
  const perFinding: (number | null)[] = [];
  for (let j = 0; j < labels.cols; j++)
    perFinding.push(aucFromGroups(scoreGroups(column(labels, j), column(probs, j))));
  return { perFinding, mean: macroMean(perFinding), nEvaluated: perFinding.filter((a) => a !== null).length };
}

/**
 * Paired DeLong-type test of the difference of two models' macro-mean AUCs over findings that
 * share cases. Each finding's paired DeLong variance is Σ_i c_i² with per-case terms
 * c_i = (Δv_i − ΔAUC) / √(k(k−1)) (k = that finding's positives for a positive case, negatives for
 * a negative one); the mean's variance is Σ_i (mean over findings of c_{f,i})², so a case's terms
 * in different findings add before squaring, which carries the covariance between findings that
 * comes from shared cases. With one finding this is exactly the paired DeLong test.
 */
export function delongMeanTest(
  labels: FindingMatrix,
  probsA: FindingMatrix,
  probsB: FindingMatrix,
): PairedDelong | null {
  checkSameShape(labels, probsA, "probabilities A");
  checkSameShape(labels, probsB, "probabilities B");
  const influence = new Float64Array(labels.rows);
  const influenceA = new Float64Array(labels.rows);
  const influenceB = new Float64Array(labels.rows);
  let sumA = 0;
  let sumB = 0;
  let evaluated = 0;
  for (let j = 0; j < labels.cols; j++) {
    const y = column(labels, j);
    const a = structuralComponents(y, column(probsA, j));
    const b = structuralComponents(y, column(probsB, j));
    if (a === null || b === null) continue;
    evaluated++;
    sumA += a.auc;
    sumB += b.auc;
    addCaseTerms(influence, a, b);
    // Each model's own variance: the same decomposition with the other model's terms set to 0.
    addCaseTerms(influenceA, a, null);
    addCaseTerms(influenceB, b, null);
  }
  if (evaluated === 0) return null;
  // Terms were summed over findings; the mean divides each case's sum by the number of findings.
  const f2 = evaluated * evaluated;
  const variance = sumOfSquares(influence) / f2;
  const varA = sumOfSquares(influenceA) / f2;
  const varB = sumOfSquares(influenceB) / f2;
  return pairedResult(sumA / evaluated, sumB / evaluated, varA, varB, (varA + varB - variance) / 2, variance);
}

function addCaseTerms(into: Float64Array, a: StructuralComponents, b: StructuralComponents | null): void {
  const m = a.v10.length;
  const n = a.v01.length;
  const dAuc = a.auc - (b?.auc ?? 0);
  // With a single positive (negative) the sample variance is undefined; its term is taken as 0.
  const sm = m > 1 ? Math.sqrt(m * (m - 1)) : Number.POSITIVE_INFINITY;
  const sn = n > 1 ? Math.sqrt(n * (n - 1)) : Number.POSITIVE_INFINITY;
  for (let i = 0; i < m; i++) into[a.posIndex[i]!]! += (a.v10[i]! - (b?.v10[i] ?? 0) - dAuc) / sm;
  for (let j = 0; j < n; j++) into[a.negIndex[j]!]! += (a.v01[j]! - (b?.v01[j] ?? 0) - dAuc) / sn;
}

function sumOfSquares(x: Float64Array): number {
  let s = 0;
  for (const v of x) s += v * v;
  return s;
}
