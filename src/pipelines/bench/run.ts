/**
 * `medadapt bench`: every backbone × method × seed of a bench config trained through the task
 * pipeline (run folder `out/runs/<backbone>-<label>-s<seed>`), its best weights predicting the
 * test split, evaluated with src/eval, DeLong-tested against the baseline of the same backbone and
 * seed, summarised over seeds into `out/results.json` (the BenchResults contract of src/report).
 *
 * Resumable at two levels: a run whose `bench-run.json` exists is read back, not redone; a run
 * killed while training continues from its last checkpoint (the trainer's exact resume).
 */
import { existsSync } from "node:fs";
import { mkdir, readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join, relative } from "node:path";
import { writeFileAtomic } from "../../io/atomic.js";
import type { BenchResults, BenchRun } from "../../report/bench-results.js";
import { findCheckpoint, readCheckpoint } from "../../train/checkpoint.js";
import type { ProgressSink } from "../../train/progress.js";
import { RunDir } from "../../train/run-dir.js";
import type { TrainOptions } from "../../train/trainer.js";
import { heatmapForScan } from "../classification/heatmap.js";
import { runTask } from "../classification/job.js";
import { type LoadedTaskModel, loadTaskModel } from "../classification/predict.js";
import { type BenchConfig, type BenchMethod, taskConfigFor } from "./config.js";
import { delongVsBaseline, summaryRows, testResults } from "./evaluate.js";
import { cacheableRun, runCachedTask } from "./frozen.js";
import { predictSplit, type SplitPredictions, writePredictionsCsv } from "./predict-split.js";
import { splitCases } from "./split-cases.js";

/** A finished run's record in its folder; its presence means "skip this run". */
export const RUN_RECORD = "bench-run.json";
export const PREDICTIONS_CSV = "test_predictions.csv";

export interface BenchOptions {
  /** One line per run and event (default: stderr); null for none. */
  log?: ((line: string) => void) | null;
  /** The trainer's per-epoch progress (default stderr); null for none. */
  progress?: ProgressSink | null;
  /** Stops at the next batch boundary; finished runs stay recorded, the current one resumes next time. */
  signal?: AbortSignal;
  /** Writes the HTML report of the results (src/report's writer); absent: results.json only. */
  report?: (path: string, results: BenchResults) => Promise<unknown>;
}

export interface BenchOutcome {
  results: BenchResults | null;
  resultsPath: string;
  reportPath: string | null;
  /** True when the signal stopped the bench before every run finished. */
  aborted: boolean;
}

interface RunRecord {
  format: "medadapt.bench-run/1";
  run: BenchRun;
  predictions: {
    ids: string[];
    findings: string[];
    probs: number[];
    labels: (number | null)[];
    epoch: number;
  };
}

function toRecord(run: BenchRun, p: SplitPredictions): RunRecord {
  return {
    format: "medadapt.bench-run/1",
    run,
    predictions: {
      ids: p.ids,
      findings: p.findings,
      probs: Array.from(p.probs),
      // JSON has no NaN: a missing label is null.
      labels: Array.from(p.labels, (v) => (Number.isNaN(v) ? null : v)),
      epoch: p.epoch,
    },
  };
}

async function readRecord(path: string): Promise<{ run: BenchRun; pred: SplitPredictions }> {
  const r = JSON.parse(await readFile(path, "utf8")) as RunRecord;
  const p = r.predictions;
  return {
    run: r.run,
    pred: {
      ids: p.ids,
      findings: p.findings,
      probs: Float32Array.from(p.probs),
      labels: Float32Array.from(p.labels, (v) => (v === null ? Number.NaN : v)),
      epoch: p.epoch,
    },
  };
}

const fmt = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? "n/a" : x.toFixed(d));

/**
 * Heat maps of the run's most confident true positives on the test split (one case each, its
 * most probable positive finding), as PNG overlays in RUN_DIR/heatmaps/.
 */
async function sampleHeatmaps(
  c: BenchConfig,
  model: LoadedTaskModel,
  pred: SplitPredictions,
  runDir: string,
): Promise<NonNullable<BenchRun["heatmaps"]>> {
  const f = pred.findings.length;
  const picks: { i: number; j: number; p: number }[] = [];
  pred.ids.forEach((_, i) => {
    let best = -1;
    for (let j = 0; j < f; j++)
      if (pred.labels[i * f + j] === 1 && (best < 0 || pred.probs[i * f + j]! > pred.probs[i * f + best]!))
        best = j;
    if (best >= 0) picks.push({ i, j: best, p: pred.probs[i * f + best]! });
  });
  picks.sort((a, b) => b.p - a.p);
  const { cases } = await splitCases(model.config, "test");
  const byId = new Map(cases.map((x) => [x.id, x]));
  const out: NonNullable<BenchRun["heatmaps"]> = [];
  for (const { i, j, p } of picks.slice(0, c.heatmaps)) {
    const id = pred.ids[i]!;
    const finding = pred.findings[j]!;
    const png = join(runDir, "heatmaps", `${id}_${finding}.png`.replace(/[^A-Za-z0-9_.-]+/g, "_"));
    await mkdir(dirname(png), { recursive: true });
    await heatmapForScan(model, byId.get(id)!.images, { finding, png });
    out.push({ case_id: id, finding, probability: p, png: relative(c.out, png) });
  }
  return out;
}

/** Trains (or resumes, or skips when finished) one grid cell, then predicts and evaluates its test split. */
async function benchRun(
  c: BenchConfig,
  backbone: string,
  m: BenchMethod,
  seed: number,
  opts: BenchOptions,
  log: (line: string) => void,
): Promise<{ run: BenchRun; pred: SplitPredictions } | null> {
  const cfg = taskConfigFor(c, backbone, m, seed);
  const record = join(cfg.runDir, RUN_RECORD);
  if (existsSync(record)) {
    log(`  already done (${relative(c.out, record)}): read back`);
    return readRecord(record);
  }
  const run = new RunDir(cfg.runDir);
  const ck0 = (await findCheckpoint(run.lastCheckpoint)) ? await readCheckpoint(run.lastCheckpoint) : null;
  // The frozen path's one-off embedding pass is part of its training cost.
  let embedSeconds = 0;
  if (!ck0?.state.finished) {
    const trainOpts: TrainOptions = {};
    if (opts.progress !== undefined) trainOpts.progress = opts.progress;
    if (opts.signal) trainOpts.signal = opts.signal;
    if (ck0) log(`  resuming after epoch ${ck0.state.epochsDone}`);
    let status: string;
    if (c.cacheFeatures && cacheableRun(cfg)) {
      const r = await runCachedTask(cfg, join(c.out, "cache"), { ...trainOpts, log }, "bench config");
      embedSeconds = r.cache.seconds;
      status = r.result.status;
    } else {
      const r = await runTask(ck0 ? { resumeDir: cfg.runDir } : cfg, trainOpts, "bench config");
      status = r.result.status;
    }
    if (status === "aborted") return null;
  }
  const ck = await readCheckpoint(run.lastCheckpoint);
  const d = (ck.state.model ?? {}) as {
    backbone?: { params?: number };
    trainableParams?: number;
    addedParams?: number;
    addedFraction?: number;
    pooling?: string;
  };
  const model = await loadTaskModel(cfg.runDir);
  const pred = await predictSplit(model, "test");
  const csv = join(cfg.runDir, PREDICTIONS_CSV);
  await writePredictionsCsv(csv, pred);
  const history = ck.state.history;
  const heatmaps = c.heatmaps > 0 ? await sampleHeatmaps(c, model, pred, cfg.runDir) : undefined;
  const result: BenchRun = {
    backbone,
    method: m.label,
    adapter: m.method,
    pooling: d.pooling ?? (cfg.model.pooling as string | undefined) ?? "attention",
    seed,
    run_dir: cfg.runDir,
    backbone_params: d.backbone?.params ?? 0,
    trainable_params: d.trainableParams ?? 0,
    added_params: d.addedParams ?? 0,
    added_param_fraction: d.addedFraction ?? 0,
    // Summed over epochs, so a resumed run counts every epoch once (+ the embedding pass, if any).
    train_seconds: history.reduce((s, h) => s + h.seconds, 0) + embedSeconds,
    epochs_run: ck.state.epochsDone,
    best_epoch: ck.state.best?.epoch ?? null,
    history: history.map((h) => ({ epoch: h.epoch, train_loss: h.trainLoss, val_mean_auc: h.valMeanAuc })),
    test: testResults(pred, c.bootstrap),
    delong_vs_baseline: null,
    predictions_csv: relative(c.out, csv),
    ...(heatmaps ? { heatmaps } : {}),
  };
  await writeFileAtomic(record, `${JSON.stringify(toRecord(result, pred))}\n`);
  return { run: result, pred };
}

export async function runBench(c: BenchConfig, opts: BenchOptions = {}): Promise<BenchOutcome> {
  const t0 = performance.now();
  const log = opts.log === null ? () => {} : (opts.log ?? ((l: string) => process.stderr.write(`${l}\n`)));
  const resultsPath = join(c.out, "results.json");
  // Baseline first within each (backbone, seed), so a partial bench still has its reference.
  const methods = [...c.methods].sort(
    (a, b) => Number(b.label === c.baseline) - Number(a.label === c.baseline),
  );
  const cells = c.backbones.flatMap((b) => c.seeds.flatMap((s) => methods.map((m) => ({ b, s, m }))));
  const done: { run: BenchRun; pred: SplitPredictions }[] = [];
  for (const [i, { b, s, m }] of cells.entries()) {
    const t = performance.now();
    log(
      `[${i + 1}/${cells.length}] ${b} · ${m.label} (${m.method}${m.pooling ? `, ${m.pooling} pooling` : ""}) · seed ${s}`,
    );
    const r = await benchRun(c, b, m, s, opts, log);
    if (!r) {
      log("  stopped; run the same command again to resume");
      return { results: null, resultsPath, reportPath: null, aborted: true };
    }
    const te = r.run.test;
    log(
      `  test mean AUC ${fmt(te.mean_auc)} [${fmt(te.ci?.[0])}, ${fmt(te.ci?.[1])}], best epoch ${r.run.best_epoch ?? "n/a"} of ${r.run.epochs_run}, ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );
    done.push(r);
  }
  for (const r of done) {
    if (r.run.method === c.baseline) continue;
    const base = done.find(
      (x) => x.run.method === c.baseline && x.run.backbone === r.run.backbone && x.run.seed === r.run.seed,
    );
    r.run.delong_vs_baseline = base ? delongVsBaseline(r.pred, base.pred) : null;
  }
  const first = taskConfigFor(c, c.backbones[0]!, c.methods[0]!, c.seeds[0]!);
  const [tr, va, te] = await Promise.all(
    (["train", "val", "test"] as const).map((sp) => splitCases(first, sp)),
  );
  const runs = done.map((r) => r.run);
  const results: BenchResults = {
    kind: "medadapt-bench",
    version: 1,
    created: new Date().toISOString(),
    title: c.title,
    config: JSON.parse(JSON.stringify(c)) as Record<string, unknown>,
    dataset: {
      manifest: first.data.manifest as string,
      findings: tr!.findings,
      cases: { train: tr!.cases.length, val: va!.cases.length, test: te!.cases.length },
    },
    baseline: c.baseline,
    runs,
    summary: summaryRows(runs),
    seconds: (performance.now() - t0) / 1000,
    machine: {
      cpus: availableParallelism(),
      node: process.version,
      platform: `${process.platform}-${process.arch}`,
    },
  };
  await writeFileAtomic(resultsPath, `${JSON.stringify(results, null, 1)}\n`);
  let reportPath: string | null = null;
  if (opts.report) {
    reportPath = join(c.out, "report.html");
    await opts.report(reportPath, results);
  }
  return { results, resultsPath, reportPath, aborted: false };
}
