// A hand-built BenchResults for the report tests: 2 methods × 2 seeds × 3 findings, one finding
// (midline_shift) without positives in the test split, so its AUC is undefined in every run.
import type { BenchResults, BenchRun } from "../src/index.js";

type Finding = BenchRun["test"]["findings"][string];

function run(
  method: "baseline" | "molre",
  seed: number,
  mean: number,
  ci: [number, number],
  hemorrhage: [number, [number, number]],
  fracture: [number, [number, number]],
  delongMean: { diff: number; p: number } | null,
): BenchRun {
  const f = (auc: number, c: [number, number], nPos: number, nNeg: number): Finding => ({
    auc,
    ci: c,
    n_pos: nPos,
    n_neg: nNeg,
  });
  const molre = method === "molre";
  return {
    backbone: "tiny-dinov2",
    method,
    adapter: molre ? "molre" : "linear_probe",
    pooling: molre ? "attention" : "mean",
    seed,
    run_dir: `/runs/tiny-dinov2-${method}-s${seed}`,
    backbone_params: 1_000_000,
    trainable_params: molre ? 1_234_567 : 195,
    added_params: molre ? 7_200 : 100,
    added_param_fraction: molre ? 0.0072 : 0.0001,
    train_seconds: molre ? 125.4 : 12.25,
    epochs_run: 3,
    best_epoch: 2,
    history: [
      { epoch: 1, train_loss: 0.9, val_loss: 0.95, val_mean_auc: null },
      { epoch: 2, train_loss: 0.6, val_loss: 0.7, val_mean_auc: 0.7 },
      { epoch: 3, train_loss: 0.45, val_mean_auc: 0.68 },
    ],
    test: {
      mean_auc: mean,
      ci,
      findings: {
        hemorrhage: f(hemorrhage[0], hemorrhage[1], 4, 8),
        fracture: f(fracture[0], fracture[1], 3, 9),
        midline_shift: { auc: null, ci: null, n_pos: 0, n_neg: 12 },
      },
      roc: {
        hemorrhage: { fpr: [0, 0, 0.5, 1], tpr: [0, 0.5, 1, 1] },
        fracture: { fpr: [0, 1 / 3, 1], tpr: [0, 2 / 3, 1] },
        // scikit-learn's rates without positives: tpr is NaN.
        midline_shift: { fpr: [0, 0.5, 1], tpr: [Number.NaN, Number.NaN, Number.NaN] },
      },
    },
    delong_vs_baseline:
      delongMean === null
        ? null
        : {
            mean: delongMean,
            findings: {
              hemorrhage: { diff: 0.15, p: 0.04 },
              fracture: { diff: 0.05, p: 0.6 },
              midline_shift: null,
            },
          },
  };
}

export function sampleBenchResults(): BenchResults {
  return {
    kind: "medadapt-bench",
    version: 1,
    created: "2026-11-28T01:30:00.000Z",
    title: "medadapt demo: head CT phantom",
    config: { out: "/runs", seeds: [0, 1] },
    dataset: {
      manifest: "/data/manifest.csv",
      findings: ["hemorrhage", "fracture", "midline_shift"],
      cases: { train: 20, val: 6, test: 12 },
    },
    baseline: "baseline",
    runs: [
      run("baseline", 0, 0.7, [0.55, 0.85], [0.8, [0.6, 0.95]], [0.6, [0.4, 0.8]], null),
      run("baseline", 1, 0.74, [0.6, 0.88], [0.9, [0.75, 1]], [0.58, [0.35, 0.8]], null),
      run("molre", 0, 0.8, [0.66, 0.93], [0.95, [0.85, 1]], [0.65, [0.45, 0.85]], { diff: 0.1, p: 0.0123 }),
      run("molre", 1, 0.82, [0.7, 0.94], [0.97, [0.9, 1]], [0.67, [0.5, 0.86]], {
        diff: 0.08,
        p: 0.00001234,
      }),
    ],
    summary: [
      {
        backbone: "tiny-dinov2",
        method: "baseline",
        n_seeds: 2,
        mean_auc_mean: 0.72,
        mean_auc_sd: Math.sqrt(0.0008),
        ci_mean: [0.575, 0.865],
        added_param_fraction: 0.0001,
        trainable_params: 195,
      },
      {
        backbone: "tiny-dinov2",
        method: "molre",
        n_seeds: 2,
        mean_auc_mean: 0.81,
        mean_auc_sd: Math.sqrt(0.0002),
        ci_mean: [0.68, 0.935],
        added_param_fraction: 0.0072,
        trainable_params: 1_234_567,
      },
    ],
    seconds: 312.5,
    machine: { cpus: 2, node: "v20.20.2", platform: "linux" },
  };
}
