// The full per-finding evaluation report behind `medadapt eval`, as JSON-ready data.
import { InputError } from "../errors.js";
import { bootstrapAucCiFromGroups } from "./bootstrap.js";
import { calibration } from "./calibration.js";
import { delongTest } from "./delong.js";
import { column, type FindingMatrix } from "./finding-matrix.js";
import { checkSameShape, delongMeanTest, macroMean } from "./findings.js";
import { bootstrapMeanAucCi } from "./mean-bootstrap.js";
import { aucFromGroups, rocCurveFromGroups } from "./roc.js";
import { scoreGroups } from "./score-groups.js";
import { confusionAtThreshold, sensitivityAtSpecificityFromGroups } from "./threshold.js";

/** Options of evaluateFindings; every default is a setting, not a constant. */
export interface EvaluateOptions {
  /** Finding names, one per column (default f0, f1, …). */
  names?: readonly string[];
  /** Bootstrap replicates for the AUC CIs (default 1000; 0 = no CIs). */
  bootstrap?: number;
  seed?: number;
  /** CI coverage (default 0.95). */
  level?: number;
  /** Specificities at which to report sensitivity (default [0.9, 0.95]). */
  specificities?: readonly number[];
  /** Bins for the calibration error (default 10). */
  calibrationBins?: number;
  /** Threshold for accuracy, F1 and the other counts (default 0.5: called positive at p ≥ 0.5). */
  threshold?: number;
  /** Include each finding's ROC curve (corners only) and reliability-diagram bins (default false). */
  curves?: boolean;
  /** A second model's probabilities on the same cases: adds paired DeLong tests. */
  compare?: FindingMatrix;
  /** Called after each finding and after the mean's bootstrap (done of total steps). */
  onProgress?: (done: number, total: number) => void;
}

export interface FindingReport {
  auc: number | null;
  ci: [number, number] | null;
  n_pos: number;
  n_neg: number;
  ece: number | null;
  /** Counts and rates at options.threshold; rates are null where undefined (e.g. F1 without positives). */
  at_threshold: {
    threshold: number;
    tp: number;
    fp: number;
    tn: number;
    fn: number;
    accuracy: number | null;
    sensitivity: number | null;
    specificity: number | null;
    precision: number | null;
    f1: number | null;
  };
  /** With options.curves: ROC corners (the first threshold, +Infinity, is null) and reliability bins. */
  roc?: { fpr: number[]; tpr: number[]; thresholds: (number | null)[] };
  reliability?: {
    lo: number;
    hi: number;
    count: number;
    mean_predicted: number | null;
    fraction_positive: number | null;
  }[];
  /** Keyed by the specificity as written ("0.9"). */
  sensitivity_at_specificity: Record<
    string,
    { sensitivity: number; specificity: number; threshold: number | null } | null
  >;
  compare?: {
    auc_b: number | null;
    diff: number | null;
    /** 95 % Wald interval of diff from the DeLong variance. */
    diff_ci: [number, number] | null;
    z: number | null;
    p: number | null;
  };
}

export interface EvalReport {
  n_cases: number;
  findings: Record<string, FindingReport>;
  mean_auc: number | null;
  /** Case-bootstrap CI of mean_auc (null without bootstrap or without evaluated findings). */
  mean_ci: [number, number] | null;
  n_findings_evaluated: number;
  bootstrap: { replicates: number; seed: number; level: number; method: string; mean_method: string };
  compare?: {
    mean_auc_b: number | null;
    diff: number | null;
    diff_ci: [number, number] | null;
    z: number | null;
    p: number | null;
    method: string;
  };
  note: string;
}

export const RESEARCH_NOTE = "medadapt is research software, not a medical device.";

/** Everything `medadapt eval` reports, as plain JSON-ready data (Infinity thresholds become null). */
export function evaluateFindings(
  labels: FindingMatrix,
  probs: FindingMatrix,
  options: EvaluateOptions = {},
): EvalReport {
  checkSameShape(labels, probs, "probabilities");
  if (options.compare) checkSameShape(labels, options.compare, "comparison probabilities");
  const names = options.names ?? Array.from({ length: labels.cols }, (_, j) => `f${j}`);
  if (names.length !== labels.cols) throw new InputError(`${names.length} names for ${labels.cols} findings`);
  if (new Set(names).size !== names.length) throw new InputError("finding names must be distinct");
  const replicates = options.bootstrap ?? 1000;
  const seed = options.seed ?? 0;
  const level = options.level ?? 0.95;
  const specificities = options.specificities ?? [0.9, 0.95];
  const findings: Record<string, FindingReport> = {};
  const aucs: (number | null)[] = [];
  const aucsB: (number | null)[] = [];
  for (let j = 0; j < labels.cols; j++) {
    const y = column(labels, j);
    const p = column(probs, j);
    const groups = scoreGroups(y, p);
    const auc = aucFromGroups(groups);
    aucs.push(auc);
    // Each finding gets its own stream (seed + j) so adding a finding leaves the others' CIs alone.
    const boot =
      replicates > 0 ? bootstrapAucCiFromGroups(groups, { replicates, seed: seed + j, level }) : null;
    const sens: FindingReport["sensitivity_at_specificity"] = {};
    for (const s of specificities) {
      const op = sensitivityAtSpecificityFromGroups(groups, s);
      sens[String(s)] = op && { ...op, threshold: Number.isFinite(op.threshold) ? op.threshold : null };
    }
    const cal = calibration(y, p, options.calibrationBins ?? 10);
    const conf = confusionAtThreshold(y, p, options.threshold ?? 0.5);
    const report: FindingReport = {
      auc,
      ci: boot?.ci ?? null,
      n_pos: groups.nPos,
      n_neg: groups.nNeg,
      ece: cal.ece,
      at_threshold: {
        ...conf,
        accuracy: finiteOrNull(conf.accuracy),
        sensitivity: finiteOrNull(conf.sensitivity),
        specificity: finiteOrNull(conf.specificity),
        precision: finiteOrNull(conf.precision),
        f1: finiteOrNull(conf.f1),
      },
      sensitivity_at_specificity: sens,
    };
    if (options.curves) {
      const r = rocCurveFromGroups(groups);
      report.roc = {
        fpr: Array.from(r.fpr),
        tpr: Array.from(r.tpr),
        thresholds: Array.from(r.thresholds, (v) => finiteOrNull(v)),
      };
      report.reliability = cal.bins.map((b) => ({
        lo: b.lo,
        hi: b.hi,
        count: b.count,
        mean_predicted: b.meanPredicted,
        fraction_positive: b.fractionPositive,
      }));
    }
    if (options.compare) {
      const pb = column(options.compare, j);
      const aucB = aucFromGroups(scoreGroups(y, pb));
      aucsB.push(aucB);
      const t = delongTest(y, p, pb);
      report.compare = {
        auc_b: aucB,
        diff: t?.diff ?? null,
        diff_ci: t?.ci95 ?? null,
        z: finiteOrNull(t?.z),
        p: t?.p ?? null,
      };
    }
    findings[names[j]!] = report;
    options.onProgress?.(j + 1, labels.cols + 1);
  }
  const out: EvalReport = {
    n_cases: labels.rows,
    findings,
    mean_auc: macroMean(aucs),
    mean_ci:
      replicates > 0
        ? (bootstrapMeanAucCi(labels, probs, { replicates, seed: seed + labels.cols, level })?.ci ?? null)
        : null,
    n_findings_evaluated: aucs.filter((a) => a !== null).length,
    bootstrap: {
      replicates,
      seed,
      level,
      method:
        "stratified (positives and negatives resampled separately), percentile interval; finding j uses seed + j",
      mean_method:
        "cases resampled with all their findings; mean over the findings with both classes in the replicate; percentile interval; seed + number of findings",
    },
    note: RESEARCH_NOTE,
  };
  options.onProgress?.(labels.cols + 1, labels.cols + 1);
  if (options.compare) {
    const t = delongMeanTest(labels, probs, options.compare);
    out.compare = {
      mean_auc_b: macroMean(aucsB),
      diff: t?.diff ?? null,
      diff_ci: t?.ci95 ?? null,
      z: finiteOrNull(t?.z),
      p: t?.p ?? null,
      method:
        "paired DeLong per finding; for the mean, DeLong structural components summed per case over findings (covariance from shared cases included)",
    };
  }
  return out;
}

function finiteOrNull(x: number | undefined): number | null {
  return x === undefined || !Number.isFinite(x) ? null : x;
}
