/**
 * The report's sections, each a function of the report model returning an HTML fragment. Every
 * string that comes from the results (titles, finding names, labels, paths) goes through esc().
 */
import { readFileSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import type { BenchHeatmap, BenchRun, BenchSummaryRow } from "./bench-results.js";
import { findingBars, rocChart, trainingChart } from "./charts.js";
import { DASH, esc, fmt3, fmtCi, fmtDiff, fmtInt, fmtP, fmtPercent, fmtSeconds } from "./format.js";
import { type ReportModel, type Series, seriesOfRun } from "./model.js";
import { legendSample } from "./svg-chart.js";

/** Added-parameter fractions above this get a marker (the MoLRE budget, METHODS.md §1). */
export const ADDED_FRACTION_MARK = 0.005;
const MARK = "†";
const BARS_PER_CHART = 10;

const undef = `<span class="undefined" title="undefined">${DASH}</span>`;
/** A formatted number, or the muted dash when undefined. */
const cell = (s: string): string => (s === DASH ? undef : esc(s));

export function header(m: ReportModel): string {
  const r = m.results;
  const c = r.dataset.cases;
  const rows: [string, string][] = [
    ["created", r.created],
    ["dataset", r.dataset.manifest],
    [
      "cases",
      `${fmtInt(c.train)} train · ${fmtInt(c.val)} validation · ${fmtInt(c.test)} test; ${r.dataset.findings.length} findings`,
    ],
    ["baseline", r.baseline],
    ["runs", `${r.runs.length} (${m.series.length} backbone × method combinations)`],
    ["wall time", fmtSeconds(r.seconds)],
  ];
  if (r.machine) {
    rows.push(["machine", `${r.machine.cpus} CPUs · Node ${r.machine.node} · ${r.machine.platform}`]);
  }
  const nav = [
    ["summary", "Summary"],
    ["runs", "Runs"],
    ["findings", "Per finding"],
    ["bars", "AUC bars"],
    ["roc", "ROC curves"],
    ["training", "Training"],
    ...(m.results.runs.some((run) => (run.heatmaps ?? []).length > 0) ? [["heatmaps", "Heat maps"]] : []),
    ["reading", "How to read this"],
  ];
  return (
    `<header><h1>${esc(r.title)}</h1><dl class="meta">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>` +
    `<nav aria-label="sections"><ol>${nav.map(([id, name]) => `<li><a href="#${id}">${name}</a></li>`).join("")}</ol></nav></header>`
  );
}

function seriesForRow(m: ReportModel, row: BenchSummaryRow): Series | undefined {
  return m.series.find((s) => s.backbone === row.backbone && s.method === row.method);
}

function fractionCell(f: number): string {
  return f > ADDED_FRACTION_MARK
    ? `${esc(fmtPercent(f))} <span class="mark" title="more than 0.5 % of the backbone's parameters">${MARK}</span>`
    : esc(fmtPercent(f));
}

/** DeLong p of each seed's mean-AUC test against the baseline ("baseline" for the baseline's own row). */
function delongCell(m: ReportModel, s: Series | undefined, method: string): string {
  if (method === m.results.baseline) return "baseline";
  const runs = s?.runs ?? [];
  const ps = runs.map((r) => {
    const p = fmtP(r.delong_vs_baseline?.mean?.p);
    return runs.length > 1 ? `${esc(p)} <small>(seed ${esc(String(r.seed))})</small>` : cell(p);
  });
  return ps.length === 0 ? undef : ps.join("<br>");
}

const th = (text: string, cls = ""): string =>
  `<th scope="col"${cls === "" ? "" : ` class="${cls}"`}>${text}</th>`;

export function summarySection(m: ReportModel): string {
  const head = [
    th("backbone", "text"),
    th("method", "text"),
    th("seeds"),
    th("test mean AUC ± SD"),
    th("95 % CI"),
    th("trainable params"),
    th("added params"),
    th("DeLong p vs baseline"),
  ].join("");
  const rows = m.results.summary.map((row) => {
    const s = seriesForRow(m, row);
    const auc =
      row.mean_auc_mean === null
        ? undef
        : row.mean_auc_sd === null
          ? esc(fmt3(row.mean_auc_mean))
          : `${esc(fmt3(row.mean_auc_mean))} ± ${esc(fmt3(row.mean_auc_sd))}`;
    return (
      `<tr><th scope="row" class="text">${esc(row.backbone)}</th><td class="text">${esc(row.method)}</td>` +
      `<td>${row.n_seeds}</td><td>${auc}</td><td>${cell(fmtCi(row.ci_mean))}</td>` +
      `<td>${fmtInt(row.trainable_params)}</td><td>${fractionCell(row.added_param_fraction)}</td>` +
      `<td>${delongCell(m, s, row.method)}</td></tr>`
    );
  });
  return (
    `<section id="summary"><h2>Summary</h2><div class="scroll"><table>` +
    `<caption>Test mean AUC (macro mean over the findings with both classes) per backbone and method, over seeds.</caption>` +
    `<thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table></div>` +
    `<p class="foot">SD: standard deviation over seeds (${DASH} with one seed). 95 % CI: the seeds' bootstrap interval bounds averaged, a rough band. ` +
    `Added params: parameters the method adds, as a fraction of the backbone's; ${MARK} marks more than 0.5 %. ` +
    `DeLong p: paired test of the mean AUC against the ${esc(m.results.baseline)} run with the same backbone and seed.</p></section>`
  );
}

export function runsSection(m: ReportModel): string {
  const head = [
    th("backbone", "text"),
    th("method", "text"),
    th("adapter", "text"),
    th("pooling", "text"),
    th("seed"),
    th("test mean AUC"),
    th("95 % CI"),
    th("Δ vs baseline"),
    th("p (DeLong)"),
    th("trainable params"),
    th("added params"),
    th("epochs (best)"),
    th("train time"),
  ].join("");
  const rows = m.series.flatMap((s) =>
    s.runs.map((r) => {
      const d = r.delong_vs_baseline;
      return (
        `<tr><th scope="row" class="text">${esc(r.backbone)}</th><td class="text">${esc(r.method)}</td>` +
        `<td class="text">${esc(r.adapter)}</td><td class="text">${esc(r.pooling)}</td><td>${esc(String(r.seed))}</td>` +
        `<td>${cell(fmt3(r.test.mean_auc))}</td><td>${cell(fmtCi(r.test.ci))}</td>` +
        `<td>${d === null ? "baseline" : cell(fmtDiff(d.mean?.diff))}</td><td>${d === null ? "" : cell(fmtP(d.mean?.p))}</td>` +
        `<td>${fmtInt(r.trainable_params)}</td><td>${fractionCell(r.added_param_fraction)}</td>` +
        `<td>${r.epochs_run} (${r.best_epoch === null ? DASH : r.best_epoch})</td><td>${esc(fmtSeconds(r.train_seconds))}</td></tr>`
      );
    }),
  );
  return (
    `<section id="runs"><h2>Runs</h2><div class="scroll"><table>` +
    `<caption>One row per backbone, method and seed, on the test split.</caption>` +
    `<thead><tr>${head}</tr></thead><tbody>${rows.join("")}</tbody></table></div></section>`
  );
}

function runHeading(m: ReportModel, r: BenchRun): string {
  const s = seriesOfRun(m, r);
  return `${esc(s.label)}<br><small>seed ${esc(String(r.seed))}</small>`;
}

export function findingsSection(m: ReportModel): string {
  const runs = m.series.flatMap((s) => s.runs);
  const head = [
    th("finding", "text"),
    th("n<sub>pos</sub> / n<sub>neg</sub>"),
    ...runs.map((r) => th(runHeading(m, r))),
  ];
  const rows = m.findings.map((f) => {
    const counts = new Set(
      runs
        .map((r) => r.test.findings[f])
        .filter((x) => x !== undefined)
        .map((x) => `${x!.n_pos} / ${x!.n_neg}`),
    );
    const n = counts.size === 1 ? [...counts][0]! : counts.size === 0 ? DASH : "varies by run";
    const cells = runs.map((r) => {
      const x = r.test.findings[f];
      if (x === undefined) return `<td>${undef}</td>`;
      const delong = r.delong_vs_baseline?.findings[f];
      const vs =
        r.delong_vs_baseline === null
          ? ""
          : `<br><small>${esc(fmtDiff(delong?.diff))}, p ${esc(fmtP(delong?.p))}</small>`;
      const ci = x.ci === null ? "" : ` <small>${esc(fmtCi(x.ci))}</small>`;
      return `<td>${cell(fmt3(x.auc))}${ci}${vs}</td>`;
    });
    return `<tr><th scope="row" class="text">${esc(f)}</th><td>${cell(n)}</td>${cells.join("")}</tr>`;
  });
  return (
    `<section id="findings"><h2>Per finding</h2><div class="scroll"><table>` +
    `<caption>Test AUC [95 % CI] per finding and run; second line: difference from the baseline and paired DeLong p.</caption>` +
    `<thead><tr>${head.join("")}</tr></thead><tbody>${rows.join("")}</tbody></table></div>` +
    `<p class="foot">${DASH}: undefined, because the test cases of that finding lack positives or negatives (never shown as 0.5).</p></section>`
  );
}

function legend(m: ReportModel, kind: "line" | "bar"): string {
  const items = m.series.map(
    (s) => `<li>${legendSample(s.style, kind, m.nextId("legend-hatch"))}${esc(s.label)}</li>`,
  );
  return `<ul class="legend" aria-label="legend">${items.join("")}</ul>`;
}

export function barsSection(m: ReportModel): string {
  // Balanced chunks (12 findings → 6 + 6, not 10 + 2).
  const nCharts = Math.ceil(m.findings.length / BARS_PER_CHART);
  const per = Math.ceil(m.findings.length / Math.max(1, nCharts));
  const charts: string[] = [];
  for (let i = 0; i < m.findings.length; i += per) {
    charts.push(`<figure>${findingBars(m, m.findings.slice(i, i + per))}</figure>`);
  }
  return (
    `<section id="bars"><h2>Test AUC per finding</h2>${legend(m, "bar")}${charts.join("")}` +
    `<p class="foot">Bar: the test AUC (mean over seeds); whisker: the 95 % bootstrap CI (bounds averaged over seeds); dashed line: chance. ` +
    `A dash instead of a bar: AUC undefined.</p></section>`
  );
}

export function rocSection(m: ReportModel): string {
  const anyRun = m.series.flatMap((s) => s.runs);
  const figs = m.findings.map((f) => {
    const x = anyRun.map((r) => r.test.findings[f]).find((v) => v !== undefined);
    const n = x === undefined ? "" : ` · ${x.n_pos} positive, ${x.n_neg} negative`;
    return `<figure>${rocChart(m, f)}<figcaption><strong>${esc(f)}</strong>${esc(n)}</figcaption></figure>`;
  });
  return (
    `<section id="roc"><h2>ROC curves (test split)</h2>${legend(m, "line")}<div class="figs">${figs.join("")}</div>` +
    `<p class="foot">One line per run (the seeds of a method share its style); dashed diagonal: chance.</p></section>`
  );
}

export function trainingSection(m: ReportModel): string {
  // Losses start the axis at 0 (when none is negative), so their scale is not exaggerated.
  const loss = trainingChart(m, "Training loss per epoch", "train loss", (e) => e.train_loss, { yFloor: 0 });
  const auc = trainingChart(
    m,
    "Validation mean AUC per epoch",
    "validation mean AUC",
    (e) => e.val_mean_auc,
    {
      yFloor: 0.5,
      yCeil: 1,
    },
  );
  const figs = [loss, auc]
    .filter((svg): svg is string => svg !== null)
    .map((svg) => `<figure>${svg}</figure>`);
  const body =
    figs.length === 0
      ? "<p>No training history recorded.</p>"
      : `<div class="figs wide">${figs.join("")}</div>`;
  const best = m.series
    .flatMap((s) =>
      s.runs.map(
        (r) => `${esc(s.label)} seed ${esc(String(r.seed))}: ${r.best_epoch === null ? DASH : r.best_epoch}`,
      ),
    )
    .join("; ");
  return (
    `<section id="training"><h2>Training curves</h2>${legend(m, "line")}${body}` +
    `<p class="foot">Best epoch (validation mean AUC, the checkpoint evaluated on test): ${best}.</p></section>`
  );
}

export interface ImageOptions {
  baseDir: string;
  inline: boolean;
}

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** An <img> for a heat map PNG: embedded as a data: URI, or linked by its relative path. */
function heatmapImage(h: BenchHeatmap, alt: string, opts: ImageOptions): string {
  const missing = (why: string) =>
    `<div class="missing" role="img" aria-label="${esc(alt)}">${esc(why)}</div>`;
  // A URL is not a file next to the report; linking it would make the report fetch from outside.
  if (/^[a-z][a-z0-9+.-]*:/i.test(h.png) && !/^[a-z]:[\\/]/i.test(h.png)) {
    return missing(`not a file path: ${h.png}`);
  }
  if (!opts.inline) {
    if (isAbsolute(h.png)) return missing(`absolute path, not linked: ${h.png}`);
    return `<img src="${esc(encodeURI(h.png.replaceAll("\\", "/")))}" alt="${esc(alt)}">`;
  }
  let bytes: Buffer;
  try {
    bytes = readFileSync(resolve(opts.baseDir, h.png));
  } catch {
    return missing(`image not found: ${h.png}`);
  }
  if (bytes.length < 8 || PNG_MAGIC.some((b, i) => bytes[i] !== b))
    return missing(`not a PNG file: ${h.png}`);
  return `<img src="data:image/png;base64,${bytes.toString("base64")}" alt="${esc(alt)}">`;
}

export function heatmapSection(m: ReportModel, opts: ImageOptions): string {
  const figs = m.series.flatMap((s) =>
    s.runs.flatMap((r) =>
      (r.heatmaps ?? []).map((h) => {
        const who = `${s.label}, seed ${r.seed}`;
        const alt = `Heat map of ${h.finding} for case ${h.case_id} (${who}), predicted probability ${h.probability.toFixed(3)}`;
        return (
          `<figure>${heatmapImage(h, alt, opts)}<figcaption><strong>${esc(h.finding)}</strong> · case ${esc(h.case_id)} · ` +
          `p = ${esc(h.probability.toFixed(3))}<br>${esc(who)}</figcaption></figure>`
        );
      }),
    ),
  );
  if (figs.length === 0) return "";
  return (
    `<section id="heatmaps" class="heatmaps"><h2>Sample heat maps</h2><div class="figs">${figs.join("")}</div>` +
    `<p class="foot">Slice attention × slice weight over the scan (METHODS.md §2): where the model looked, not a segmentation.</p></section>`
  );
}

export function readingSection(m: ReportModel): string {
  return (
    `<section id="reading"><h2>How to read this</h2><ul>` +
    "<li><strong>AUC</strong> per finding is the ROC area on the test split (ties count ½, as scikit-learn). " +
    "The <strong>mean AUC</strong> is the unweighted mean over the findings that have both positives and negatives in the test cases.</li>" +
    `<li>An AUC is <strong>undefined</strong> (shown as ${DASH}, never 0.5) when a finding's test cases lack positives or negatives; it is left out of the mean.</li>` +
    "<li><strong>95 % CIs</strong> come from a stratified bootstrap per finding (positives and negatives resampled separately) and, for the mean AUC, a case bootstrap; they describe the test set's sampling noise, not the seed-to-seed variation (the SD does).</li>" +
    `<li><strong>DeLong p-values</strong> are paired: each run is compared with the ${esc(m.results.baseline)} run of the same backbone and seed on the same test cases. Many findings mean many tests; a small p for one finding is weak evidence alone.</li>` +
    "<li><strong>Added params</strong> are those a method adds to the frozen backbone (adapters, experts, routers), as a fraction of the backbone's parameter count.</li>" +
    "</ul></section>"
  );
}

export function configSection(m: ReportModel): string {
  return (
    `<section id="config"><h2>Configuration</h2><details><summary>The bench configuration as resolved</summary>` +
    `<pre>${esc(JSON.stringify(m.results.config, null, 2))}</pre></details></section>`
  );
}

export function footer(): string {
  return "<footer>Made by medadapt. Research software, not a medical device: not for diagnosis or treatment decisions.</footer>";
}
