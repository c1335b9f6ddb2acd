/**
 * Writes a head CT phantom dataset: per scan an int16 HU image, uint8 hemorrhage and anatomy
 * masks (.nii.gz), a report (.txt) and optionally a preview PNG; then `manifest.csv` and
 * `taxonomy.csv`. Scans are independent (one random stream per index), so any number of
 * worker threads produces identical files.
 */
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { writeFileAtomic } from "../../io/atomic.js";
import { writeNifti } from "../../io/nifti/index.js";
import { startWorker, stopWorker } from "../../worker.js";
import { csvField, formatManifest, type ManifestRow } from "../manifest.js";
import { previewPng } from "../preview.js";
import { FINDINGS } from "../taxonomy.js";
import { defaultSpacing, renderHeadCt } from "./render.js";
import { writeReport } from "./report.js";
import { caseId, type HeadCtOptions, sampleHeadCt } from "./sample.js";
import { assignSplits } from "./split.js";

export interface HeadCtSetOptions extends HeadCtOptions {
  n: number;
  seed?: number;
  shape?: [number, number, number];
  /** mm; default from `defaultSpacing(shape)`. */
  spacing?: [number, number, number];
  preview?: boolean;
  /** Worker threads (default: available cores, at most n; 1 = in this thread). */
  workers?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface HeadCtSetSummary {
  dir: string;
  manifest: string;
  n: number;
  workers: number;
  seconds: number;
  shape: [number, number, number];
  spacing: [number, number, number];
  /** Positive count per finding (all 75, taxonomy order). */
  counts: Record<string, number>;
  splits: Record<string, number>;
}

/** Everything a worker needs to write scan `index`. */
export interface CaseJob {
  dir: string;
  seed: number;
  shape: [number, number, number];
  spacing: [number, number, number];
  options: HeadCtOptions;
  preview: boolean;
}

export function casePaths(id: string) {
  return {
    image: `images/${id}.nii.gz`,
    hemorrhage_mask: `masks/${id}_hemorrhage.nii.gz`,
    anatomy_mask: `masks/${id}_anatomy.nii.gz`,
    report: `reports/${id}.txt`,
    preview: `previews/${id}.png`,
  };
}

/** Renders and writes scan `index` of the set. */
export async function writeHeadCtCase(job: CaseJob, index: number): Promise<void> {
  const c = sampleHeadCt(job.seed, index, job.options);
  const r = renderHeadCt(c, { shape: job.shape, spacing: job.spacing });
  const p = casePaths(c.id);
  await writeNifti(join(job.dir, p.image), r.image);
  await writeNifti(join(job.dir, p.hemorrhage_mask), r.hemorrhage);
  await writeNifti(join(job.dir, p.anatomy_mask), r.anatomy);
  await writeFileAtomic(join(job.dir, p.report), writeReport(c));
  if (job.preview)
    await writeFileAtomic(join(job.dir, p.preview), previewPng(r.image, r.hemorrhage, r.anatomy));
}

export async function generateHeadCtSet(dir: string, opts: HeadCtSetOptions): Promise<HeadCtSetSummary> {
  const t0 = performance.now();
  const seed = opts.seed ?? 0;
  const shape = opts.shape ?? [128, 128, 32];
  const spacing = opts.spacing ?? defaultSpacing(shape);
  const options: HeadCtOptions = {};
  if (opts.difficulty) options.difficulty = opts.difficulty;
  if (opts.prevalence) options.prevalence = opts.prevalence;
  if (opts.findings) options.findings = opts.findings;
  const job: CaseJob = { dir, seed, shape, spacing, options, preview: opts.preview ?? false };
  for (const sub of ["images", "masks", "reports", ...(job.preview ? ["previews"] : [])])
    await mkdir(join(dir, sub), { recursive: true });

  // Truth comes from the case description alone, so splits are known before rendering.
  const cases = Array.from({ length: opts.n }, (_, index) => ({
    index,
    findings: sampleHeadCt(seed, index, options).findings,
  }));
  const splits = assignSplits(seed, cases);

  const workers = Math.max(1, Math.min(opts.workers ?? availableParallelism(), opts.n));
  let done = 0;
  const tick = () => opts.onProgress?.(++done, opts.n);
  if (workers === 1) {
    for (let i = 0; i < opts.n; i++) {
      await writeHeadCtCase(job, i);
      tick();
    }
  } else {
    await runInWorkers(job, opts.n, workers, tick);
  }

  const rows: ManifestRow[] = cases.map((c, i) => {
    const id = caseId(seed, c.index);
    const p = casePaths(id);
    const present = new Set(c.findings);
    return {
      id,
      image: p.image,
      hemorrhage_mask: p.hemorrhage_mask,
      anatomy_mask: p.anatomy_mask,
      report: p.report,
      split: splits[i]!,
      labels: Uint8Array.from(FINDINGS, (f) => (present.has(f.name) ? 1 : 0)),
    };
  });
  const manifest = join(dir, "manifest.csv");
  await writeFileAtomic(join(dir, "taxonomy.csv"), taxonomyCsv());
  await writeFileAtomic(manifest, formatManifest(rows));
  const counts: Record<string, number> = {};
  for (const f of FINDINGS) counts[f.name] = rows.reduce((s, r) => s + r.labels[f.id]!, 0);
  const splitCounts: Record<string, number> = { train: 0, val: 0, test: 0 };
  for (const r of rows) splitCounts[r.split]!++;
  return {
    dir,
    manifest,
    n: opts.n,
    workers,
    seconds: (performance.now() - t0) / 1000,
    shape,
    spacing,
    counts,
    splits: splitCounts,
  };
}

/** The taxonomy as CSV, for tools that read the dataset without this library. */
export function taxonomyCsv(): string {
  const head = "id,name,display,category,parent,renderable";
  const rows = FINDINGS.map((f) =>
    [String(f.id), f.name, csvField(f.display), f.category, f.parent ?? "", f.renderable ? "1" : "0"].join(
      ",",
    ),
  );
  return `${[head, ...rows].join("\n")}\n`;
}

function runInWorkers(job: CaseJob, n: number, count: number, tick: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let next = 0;
    let finished = 0;
    let failed = false;
    const pool: Worker[] = [];
    const stopAll = () => Promise.all(pool.map((w) => stopWorker(w)));
    const feed = (w: Worker) => {
      if (next < n) w.postMessage({ index: next++ });
    };
    for (let i = 0; i < count; i++) {
      const w = startWorker(new URL("./worker.js", import.meta.url), { workerData: job });
      pool.push(w);
      w.on("message", (m: { index: number; error?: string }) => {
        if (failed) return;
        if (m.error !== undefined) {
          failed = true;
          void stopAll().then(() => reject(new Error(`scan ${m.index}: ${m.error}`)));
          return;
        }
        tick();
        if (++finished === n) {
          void stopAll().then(() => resolve());
          return;
        }
        feed(w);
      });
      w.on("error", (err) => {
        if (failed) return;
        failed = true;
        void stopAll().then(() => reject(err));
      });
      feed(w);
    }
  });
}
