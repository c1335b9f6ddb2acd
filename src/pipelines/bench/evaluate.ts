/**
 * A run's test predictions → the `test` and `delong_vs_baseline` parts of the bench results, and
 * the seeds → summary rows. All statistics come from src/eval (`evaluateFindings`, the same code
 * as `medadapt eval`), so a bench's numbers equal `medadapt eval` on its predictions CSV.
 */
import type { FindingMatrix } from "../../eval/finding-matrix.js";
import { evaluateFindings } from "../../eval/report.js";
import type { BenchRun, BenchSummaryRow } from "../../report/bench-results.js";
import type { SplitPredictions } from "./predict-split.js";

const matrix = (rows: number, cols: number, data: Float32Array): FindingMatrix => ({ rows, cols, data });

/** Per-finding AUC with stratified-bootstrap CIs, the mean AUC with its case-bootstrap CI, ROC corners. */
export function testResults(p: SplitPredictions, bootstrap: number, seed = 0): BenchRun["test"] {
  const n = p.ids.length;
  const f = p.findings.length;
  const r = evaluateFindings(matrix(n, f, p.labels), matrix(n, f, p.probs), {
    names: p.findings,
    bootstrap,
    seed,
    curves: true,
  });
  const findings: BenchRun["test"]["findings"] = {};
  const roc: BenchRun["test"]["roc"] = {};
  for (const [name, fr] of Object.entries(r.findings)) {
    findings[name] = { auc: fr.auc, ci: fr.ci, n_pos: fr.n_pos, n_neg: fr.n_neg };
    // A finding without both classes has no curve (its rates would be NaN).
    if (fr.auc !== null && fr.roc) roc[name] = { fpr: fr.roc.fpr, tpr: fr.roc.tpr };
  }
  return { mean_auc: r.mean_auc, ci: r.mean_ci, findings, roc };
}

/** `b`'s rows reordered to `a`'s case order (both predicted the same split). */
function aligned(a: SplitPredictions, b: SplitPredictions): Float32Array {
  const f = a.findings.length;
  if (b.findings.join() !== a.findings.join()) throw new Error("bench: runs predict different findings");
  const at = new Map(b.ids.map((id, i) => [id, i]));
  const out = new Float32Array(a.probs.length);
  a.ids.forEach((id, i) => {
    const j = at.get(id);
    if (j === undefined) throw new Error(`bench: case '${id}' is missing from the baseline's predictions`);
    out.set(b.probs.subarray(j * f, (j + 1) * f), i * f);
  });
  return out;
}

/** Paired DeLong tests of `run` against `baseline` on the same cases: per finding and for the mean AUC. */
export function delongVsBaseline(
  run: SplitPredictions,
  baseline: SplitPredictions,
): NonNullable<BenchRun["delong_vs_baseline"]> {
  const n = run.ids.length;
  const f = run.findings.length;
  const r = evaluateFindings(matrix(n, f, run.labels), matrix(n, f, run.probs), {
    names: run.findings,
    bootstrap: 0,
    compare: matrix(n, f, aligned(run, baseline)),
  });
  const findings: Record<string, { diff: number; p: number } | null> = {};
  for (const [name, fr] of Object.entries(r.findings)) {
    const c = fr.compare;
    findings[name] = c && c.diff !== null && c.p !== null ? { diff: c.diff, p: c.p } : null;
  }
  const m = r.compare;
  return { mean: m && m.diff !== null && m.p !== null ? { diff: m.diff, p: m.p } : null, findings };
}

/** One row per (backbone, method) in first-seen order: mean and sample SD of the test mean AUC over seeds. */
export function summaryRows(runs: readonly BenchRun[]): BenchSummaryRow[] {
  const groups = new Map<string, BenchRun[]>();
  for (const r of runs) {
    const k = JSON.stringify([r.backbone, r.method]);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  return [...groups.values()].map((rs) => {
    const first = rs[0]!;
    const aucs = rs.map((r) => r.test.mean_auc).filter((a): a is number => a !== null);
    const mean = aucs.length ? aucs.reduce((s, a) => s + a, 0) / aucs.length : null;
    const sd =
      mean !== null && aucs.length > 1
        ? Math.sqrt(aucs.reduce((s, a) => s + (a - mean) ** 2, 0) / (aucs.length - 1))
        : null;
    const cis = rs.map((r) => r.test.ci).filter((c): c is [number, number] => c !== null);
    const ci_mean: [number, number] | null = cis.length
      ? [cis.reduce((s, c) => s + c[0], 0) / cis.length, cis.reduce((s, c) => s + c[1], 0) / cis.length]
      : null;
    return {
      backbone: first.backbone,
      method: first.method,
      n_seeds: rs.length,
      mean_auc_mean: mean,
      mean_auc_sd: sd,
      ci_mean,
      added_param_fraction: first.added_param_fraction,
      trainable_params: first.trainable_params,
    };
  });
}
