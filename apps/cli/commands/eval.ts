import { parseArgs } from "node:util";
import { type EvalReport, evaluateFindings, InputError, readEvalInputs } from "../../../src/index.js";
import { type Command, noPositionals } from "../command.js";
import { formatTable } from "../format.js";

const USAGE = `usage: medadapt eval --predictions PRED.csv --labels MANIFEST.csv [--split NAME]
                     [--bootstrap N] [--seed S] [--compare PRED2.csv] [--specificity LIST]
                     [--threshold T] [--curves] [--json]

Evaluates predicted probabilities against labels, finding by finding: ROC AUC (ties count 1/2,
as scikit-learn), stratified bootstrap 95% CI, sensitivity at fixed specificity, calibration
error (ECE, 10 equal-width bins), and the macro mean AUC over the findings that have both
positives and negatives (others are reported as null and left out of the mean). See docs/eval.md.

PRED.csv has an 'id' column and one probability column per finding; MANIFEST.csv has an 'id'
column and 0/1 label columns (an empty cell = not labelled for that finding). A label column is a
column both files have; other manifest columns (image, split, report, ...) are ignored.

options:
  --predictions PATH  predicted probabilities (CSV)
  --labels PATH       labels manifest (CSV)
  --split NAME        keep only manifest rows whose 'split' column is NAME; predictions for
                      cases of other splits are ignored
  --bootstrap N       bootstrap replicates for the CIs (default 1000; 0 = no CIs)
  --seed S            bootstrap seed (default 0): the same seed gives the same CIs
  --compare PATH      a second model's predictions on the same cases: adds a paired DeLong test
                      per finding and for the mean AUC
  --specificity LIST  specificities for sensitivity-at-specificity (default 0.9,0.95)
  --threshold T       threshold for accuracy/F1/sensitivity/specificity counts (default 0.5;
                      a case is called positive when p >= T)
  --curves            with --json: add each finding's ROC curve and reliability-diagram bins
  --json              print the report as JSON: {"findings": {NAME: {"auc", "ci", "n_pos",
                      "n_neg", ...}}, "mean_auc", "n_findings_evaluated", ...}

Research software, not a medical device.
`;

function nonNegativeInt(s: string, flag: string): number {
  if (!/^\d+$/.test(s.trim())) throw new InputError(`must be a non-negative integer, got '${s}'`, flag);
  return Number(s);
}

function specificities(s: string): number[] {
  const out = s.split(",").map((x) => Number(x.trim()));
  if (out.length === 0 || !out.every((x) => Number.isFinite(x) && x >= 0 && x <= 1)) {
    throw new InputError(`must be numbers in [0, 1] separated by commas, got '${s}'`, "--specificity");
  }
  return out;
}

const num = (x: number | null | undefined, digits = 3): string =>
  x === null || x === undefined ? "—" : x.toFixed(digits);

function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined) return "—";
  // Below ~1e-300 the normal tail underflows to 0.
  if (p === 0) return "<1e-300";
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

/** The readable table: one row per finding, then the mean. */
export function formatReport(r: EvalReport, specs: number[]): string {
  const names = Object.keys(r.findings);
  const compare = r.compare !== undefined;
  const head = ["finding", "n_pos", "n_neg", "AUC", "95% CI", ...specs.map((s) => `sens@spec${s}`), "ECE"];
  if (compare) head.push("AUC_B", "diff", "p (DeLong)");
  const rows = names.map((name) => {
    const f = r.findings[name]!;
    const row = [
      name,
      String(f.n_pos),
      String(f.n_neg),
      num(f.auc),
      f.ci ? `[${num(f.ci[0])}, ${num(f.ci[1])}]` : "—",
      ...specs.map((s) => num(f.sensitivity_at_specificity[String(s)]?.sensitivity)),
      num(f.ece),
    ];
    if (compare) row.push(num(f.compare?.auc_b), num(f.compare?.diff), pValue(f.compare?.p));
    return row;
  });
  const out = formatTable([head, ...rows], true);
  const skipped = names.length - r.n_findings_evaluated;
  out.push(
    "",
    `mean AUC over ${r.n_findings_evaluated} of ${names.length} findings: ${num(r.mean_auc)}` +
      (r.mean_ci ? ` [${num(r.mean_ci[0])}, ${num(r.mean_ci[1])}]` : "") +
      (skipped > 0 ? ` (${skipped} without both classes left out)` : ""),
  );
  if (r.compare) {
    out.push(
      `model B mean AUC: ${num(r.compare.mean_auc_b)}; difference ${num(r.compare.diff)}` +
        (r.compare.diff_ci ? ` [${num(r.compare.diff_ci[0])}, ${num(r.compare.diff_ci[1])}]` : "") +
        ", " +
        `p = ${pValue(r.compare.p)} (paired DeLong over findings)`,
    );
  }
  out.push(
    `${r.n_cases} cases; CIs: ${r.bootstrap.replicates > 0 ? `${r.bootstrap.replicates} stratified bootstrap replicates, seed ${r.bootstrap.seed}` : "none"}.`,
    r.note,
  );
  return `${out.join("\n")}\n`;
}

function showProgress(done: number, total: number): void {
  process.stderr.write(done < total ? `\revaluating: ${done}/${total - 1} findings` : "\r\x1b[K");
}

export const evalCommand: Command = {
  name: "eval",
  summary: "evaluate predicted probabilities: AUC per finding with CIs, mean AUC, DeLong comparison",
  usage: USAGE,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        predictions: { type: "string" },
        labels: { type: "string" },
        split: { type: "string" },
        bootstrap: { type: "string" },
        seed: { type: "string" },
        compare: { type: "string" },
        specificity: { type: "string" },
        threshold: { type: "string" },
        curves: { type: "boolean", default: false },
        json: { type: "boolean", default: false },
      },
      allowPositionals: true,
    });
    noPositionals(positionals);
    if (values.predictions === undefined) throw new InputError("--predictions PRED.csv is required");
    if (values.labels === undefined) throw new InputError("--labels MANIFEST.csv is required");
    const bootstrap = values.bootstrap === undefined ? 1000 : nonNegativeInt(values.bootstrap, "--bootstrap");
    const seed = values.seed === undefined ? 0 : nonNegativeInt(values.seed, "--seed");
    const specs = values.specificity === undefined ? [0.9, 0.95] : specificities(values.specificity);
    const threshold = values.threshold === undefined ? 0.5 : Number(values.threshold);
    if (
      values.threshold !== undefined &&
      !(values.threshold.trim() !== "" && threshold >= 0 && threshold <= 1)
    ) {
      throw new InputError(`must be a number in [0, 1], got '${values.threshold}'`, "--threshold");
    }
    const inputs = await readEvalInputs({
      predictions: values.predictions,
      labels: values.labels,
      ...(values.compare === undefined ? {} : { compare: values.compare }),
      ...(values.split === undefined ? {} : { split: values.split }),
    });
    const report = evaluateFindings(inputs.labels, inputs.probs, {
      names: inputs.findings,
      bootstrap,
      seed,
      specificities: specs,
      threshold,
      curves: values.curves,
      ...(inputs.compare ? { compare: inputs.compare } : {}),
      // Progress only on a terminal: piped stderr (CI logs, tests) stays clean.
      ...(process.stderr.isTTY ? { onProgress: showProgress } : {}),
    });
    process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report, specs));
    return 0;
  },
};
