/**
 * The results of `medadapt bench` / `medadapt demo` (results.json), shared by the bench that
 * writes them (src/pipelines/bench) and the report that renders them. Field names are snake_case
 * because the file is also what users and scripts read. Changes: additive optional fields only.
 */
import { readFile } from "node:fs/promises";
import { InputError } from "../errors.js";
import { shapeChecks } from "./json-shape.js";

export interface BenchResults {
  kind: "medadapt-bench";
  version: 1;
  /** ISO time. */
  created: string;
  /** e.g. "medadapt demo: head CT phantom". */
  title: string;
  /** The bench config as resolved (paths absolute). */
  config: Record<string, unknown>;
  dataset: { manifest: string; findings: string[]; cases: { train: number; val: number; test: number } };
  /** The method label DeLong tests compare against, e.g. "baseline". */
  baseline: string;
  runs: BenchRun[];
  /** One row per (backbone, method): the mean and SD of the test mean AUC over seeds. */
  summary: BenchSummaryRow[];
  /** Wall time of the whole bench. */
  seconds: number;
  machine?: { cpus: number; node: string; platform: string };
}

export interface BenchRun {
  backbone: string;
  /** The label in the config ("baseline", "lora", "molre", …). */
  method: string;
  /** The adaptation method id: "linear_probe" | "lora" | "molre" | "full". */
  adapter: string;
  pooling: string;
  seed: number;
  run_dir: string;
  backbone_params: number;
  trainable_params: number;
  added_params: number;
  added_param_fraction: number;
  train_seconds: number;
  epochs_run: number;
  best_epoch: number | null;
  history: BenchEpoch[];
  test: {
    mean_auc: number | null;
    ci: [number, number] | null;
    findings: Record<string, BenchFindingResult>;
    /** ROC points per finding (from src/eval's rocCurve), fpr and tpr ascending. */
    roc: Record<string, { fpr: number[]; tpr: number[] }>;
  };
  /** Paired DeLong against the baseline run with the same backbone and seed; null for the baseline itself. */
  delong_vs_baseline: {
    /** The mean-AUC paired test (src/eval's delongMeanTest) if available. */
    mean: { diff: number; p: number } | null;
    findings: Record<string, { diff: number; p: number } | null>;
  } | null;
  /** Sample heat maps (PNG overlays) written next to the report; paths relative to the report file. */
  heatmaps?: BenchHeatmap[];
  /** Test-split probabilities, relative to the report file. */
  predictions_csv?: string;
}

export interface BenchEpoch {
  epoch: number;
  train_loss: number;
  val_loss?: number | null;
  val_mean_auc: number | null;
}

export interface BenchFindingResult {
  auc: number | null;
  ci: [number, number] | null;
  n_pos: number;
  n_neg: number;
}

export interface BenchHeatmap {
  case_id: string;
  finding: string;
  probability: number;
  png: string;
}

export interface BenchSummaryRow {
  backbone: string;
  method: string;
  n_seeds: number;
  mean_auc_mean: number | null;
  mean_auc_sd: number | null;
  /** Per-seed CIs' bounds averaged (as a rough band). */
  ci_mean: [number, number] | null;
  added_param_fraction: number;
  trainable_params: number;
}

/**
 * Checks parsed JSON (or its text) against the BenchResults contract. Throws a one-line
 * InputError naming `source` and the first bad key. Unknown keys pass (later versions only add
 * optional fields). ROC rates that were NaN (a finding without both classes) are written by
 * JSON.stringify as null; they come back as NaN so the type stays number[].
 */
export function parseBenchResults(json: unknown, source: string): BenchResults {
  let value = json;
  if (typeof json === "string") {
    try {
      value = JSON.parse(json);
    } catch (err) {
      throw new InputError(`not valid JSON (${(err as Error).message.split("\n")[0]})`, source);
    }
  }
  const c = shapeChecks(source);
  const auc = c.nullable((v, p) => {
    const x = c.number(v, p);
    return x >= 0 && x <= 1 ? x : c.fail(p, "must be in [0, 1]", v);
  });
  const rate = (v: unknown, p: string): number => (v === null ? Number.NaN : (auc(v, p) as number));
  const o = c.record(value, "the results");
  c.literal("medadapt-bench")(o.kind, "kind");
  c.literal(1)(o.version, "version");

  const ds = c.record(o.dataset, "dataset");
  const cases = c.record(ds.cases, "dataset.cases");
  const dataset: BenchResults["dataset"] = {
    manifest: c.string(ds.manifest, "dataset.manifest"),
    findings: c.array(c.string)(ds.findings, "dataset.findings"),
    cases: {
      train: c.count(cases.train, "dataset.cases.train"),
      val: c.count(cases.val, "dataset.cases.val"),
      test: c.count(cases.test, "dataset.cases.test"),
    },
  };

  const pair = (v: unknown, p: string): { diff: number; p: number } => {
    const r = c.record(v, p);
    return { diff: c.number(r.diff, `${p}.diff`), p: c.number(r.p, `${p}.p`) };
  };

  const run = (v: unknown, p: string): BenchRun => {
    const r = c.record(v, p);
    const test = c.record(r.test, `${p}.test`);
    const finding = (fv: unknown, fp: string): BenchFindingResult => {
      const f = c.record(fv, fp);
      return {
        auc: auc(f.auc, `${fp}.auc`),
        ci: c.nullable(c.interval)(f.ci, `${fp}.ci`),
        n_pos: c.count(f.n_pos, `${fp}.n_pos`),
        n_neg: c.count(f.n_neg, `${fp}.n_neg`),
      };
    };
    const curve = (cv: unknown, cp: string): { fpr: number[]; tpr: number[] } => {
      const k = c.record(cv, cp);
      const fpr = c.array(rate)(k.fpr, `${cp}.fpr`);
      const tpr = c.array(rate)(k.tpr, `${cp}.tpr`);
      if (fpr.length !== tpr.length)
        c.fail(`${cp}.tpr`, `must have as many points as fpr (${fpr.length})`, tpr.length);
      return { fpr, tpr };
    };
    const epoch = (ev: unknown, ep: string): BenchEpoch => {
      const e = c.record(ev, ep);
      const out: BenchEpoch = {
        epoch: c.count(e.epoch, `${ep}.epoch`),
        train_loss: c.number(e.train_loss, `${ep}.train_loss`),
        val_mean_auc: auc(e.val_mean_auc, `${ep}.val_mean_auc`),
      };
      const valLoss = c.optional(c.nullable(c.number))(e.val_loss, `${ep}.val_loss`);
      if (valLoss !== undefined) out.val_loss = valLoss;
      return out;
    };
    const delong = c.nullable((dv, dp) => {
      const d = c.record(dv, dp);
      return {
        mean: c.nullable(pair)(d.mean, `${dp}.mean`),
        findings: c.mapOf(c.nullable(pair))(d.findings, `${dp}.findings`),
      };
    });
    const heatmap = (hv: unknown, hp: string): BenchHeatmap => {
      const h = c.record(hv, hp);
      return {
        case_id: c.string(h.case_id, `${hp}.case_id`),
        finding: c.string(h.finding, `${hp}.finding`),
        probability: c.number(h.probability, `${hp}.probability`),
        png: c.string(h.png, `${hp}.png`),
      };
    };
    const out: BenchRun = {
      backbone: c.string(r.backbone, `${p}.backbone`),
      method: c.string(r.method, `${p}.method`),
      adapter: c.string(r.adapter, `${p}.adapter`),
      pooling: c.string(r.pooling, `${p}.pooling`),
      seed: c.number(r.seed, `${p}.seed`),
      run_dir: c.string(r.run_dir, `${p}.run_dir`),
      backbone_params: c.count(r.backbone_params, `${p}.backbone_params`),
      trainable_params: c.count(r.trainable_params, `${p}.trainable_params`),
      added_params: c.count(r.added_params, `${p}.added_params`),
      added_param_fraction: c.number(r.added_param_fraction, `${p}.added_param_fraction`),
      train_seconds: c.number(r.train_seconds, `${p}.train_seconds`),
      epochs_run: c.count(r.epochs_run, `${p}.epochs_run`),
      best_epoch: c.nullable(c.count)(r.best_epoch, `${p}.best_epoch`),
      history: c.array(epoch)(r.history, `${p}.history`),
      test: {
        mean_auc: auc(test.mean_auc, `${p}.test.mean_auc`),
        ci: c.nullable(c.interval)(test.ci, `${p}.test.ci`),
        findings: c.mapOf(finding)(test.findings, `${p}.test.findings`),
        roc: c.mapOf(curve)(test.roc, `${p}.test.roc`),
      },
      delong_vs_baseline: delong(r.delong_vs_baseline, `${p}.delong_vs_baseline`),
    };
    const heatmaps = c.optional(c.array(heatmap))(r.heatmaps, `${p}.heatmaps`);
    if (heatmaps !== undefined) out.heatmaps = heatmaps;
    const csv = c.optional(c.string)(r.predictions_csv, `${p}.predictions_csv`);
    if (csv !== undefined) out.predictions_csv = csv;
    return out;
  };

  const summaryRow = (v: unknown, p: string): BenchSummaryRow => {
    const s = c.record(v, p);
    return {
      backbone: c.string(s.backbone, `${p}.backbone`),
      method: c.string(s.method, `${p}.method`),
      n_seeds: c.count(s.n_seeds, `${p}.n_seeds`),
      mean_auc_mean: auc(s.mean_auc_mean, `${p}.mean_auc_mean`),
      mean_auc_sd: c.nullable(c.number)(s.mean_auc_sd, `${p}.mean_auc_sd`),
      ci_mean: c.nullable(c.interval)(s.ci_mean, `${p}.ci_mean`),
      added_param_fraction: c.number(s.added_param_fraction, `${p}.added_param_fraction`),
      trainable_params: c.count(s.trainable_params, `${p}.trainable_params`),
    };
  };

  const out: BenchResults = {
    kind: "medadapt-bench",
    version: 1,
    created: c.string(o.created, "created"),
    title: c.string(o.title, "title"),
    config: c.record(o.config, "config"),
    dataset,
    baseline: c.string(o.baseline, "baseline"),
    runs: c.array(run)(o.runs, "runs"),
    summary: c.array(summaryRow)(o.summary, "summary"),
    seconds: c.number(o.seconds, "seconds"),
  };
  if (o.machine !== undefined) {
    const m = c.record(o.machine, "machine");
    out.machine = {
      cpus: c.count(m.cpus, "machine.cpus"),
      node: c.string(m.node, "machine.node"),
      platform: c.string(m.platform, "machine.platform"),
    };
  }
  return out;
}

/** Reads and checks a results.json; a missing file is an InputError too. */
export async function readBenchResults(path: string): Promise<BenchResults> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(
      `cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      path,
    );
  }
  return parseBenchResults(text, path);
}
