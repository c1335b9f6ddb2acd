// test/fixtures/eval/sklearn_cases.json (written by make_sklearn_fixtures.py with scikit-learn),
// parsed once with its full type for the eval and CLI tests.
import { readFileSync } from "node:fs";
import { fixture } from "./paths.js";

/** One binary case: labels, scores and what scikit-learn computed from them. */
export interface SklearnCase {
  name: string;
  y: number[];
  s: number[];
  auc: number;
  roc: { fpr: number[]; tpr: number[]; thresholds_after_first: number[] };
  roc_all: { fpr: number[]; tpr: number[]; thresholds_after_first: number[] };
  calibration: { prob_true: number[]; prob_pred: number[]; counts: number[]; ece: number };
  "accuracy_at_0.5": number;
  "f1_at_0.5": number;
  sensitivity_at_specificity: Record<
    string,
    { sensitivity: number; specificity: number; threshold: number | null }
  >;
}

/** Cases × findings labels and probabilities, with per-finding AUCs (null: one class only). */
export interface SklearnMultilabel {
  labels: number[][];
  probs: number[][];
  auc: (number | null)[];
  mean_auc: number;
  n_evaluated: number;
}

export const sklearn = JSON.parse(readFileSync(fixture("eval", "sklearn_cases.json"), "utf8")) as {
  sklearn_version: string;
  cases: SklearnCase[];
  multilabel: SklearnMultilabel;
};
