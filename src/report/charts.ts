/**
 * The report's figures: ROC curves per finding, per-finding AUC bars with CI whiskers, and
 * training curves. Each returns one SVG string; the layout constants are exported because the
 * tests map data to pixels by hand with them.
 */
import type { BenchRun } from "./bench-results.js";
import { esc, fmt3, fmtCi } from "./format.js";
import { type ReportModel, type Series, seriesOfRun } from "./model.js";
import {
  axes,
  bar,
  coord,
  hatchPattern,
  type LineSeries,
  leftMarginFor,
  niceScale,
  Plot,
  seriesPath,
  svgOpen,
} from "./svg-chart.js";

/** ROC small multiple: 230 × 230 px, a 180 × 180 px plot area whose top-left corner is (40, 10). */
export const ROC_SIZE = 230;
export const ROC_MARGIN = { left: 40, right: 10, top: 10, bottom: 40 };

const UNIT_TICKS = [0, 0.2, 0.4, 0.6, 0.8, 1];

/** The ROC curves of one finding: one line per run (a series' seeds share its style) and the chance diagonal. */
export function rocChart(model: ReportModel, finding: string): string {
  const plot = new Plot(ROC_SIZE, ROC_SIZE, ROC_MARGIN, { min: 0, max: 1 }, { min: 0, max: 1 });
  const lines: string[] = [];
  const drawn: string[] = [];
  for (const s of model.series) {
    for (const run of s.runs) {
      const roc = run.test.roc[finding];
      if (roc === undefined || roc.fpr.length === 0) continue;
      // A curve with NaN rates belongs to a finding without both classes: there is no curve.
      if (![...roc.fpr, ...roc.tpr].every(Number.isFinite)) continue;
      const label = s.runs.length > 1 ? `${s.label}, seed ${run.seed}` : s.label;
      const points = roc.fpr.map((x, i) => [x, roc.tpr[i]!] as const);
      lines.push(seriesPath(plot, { label, style: s.style, points }));
      drawn.push(`${label} (AUC ${fmt3(run.test.findings[finding]?.auc)})`);
    }
  }
  const title = `ROC curves, ${finding}`;
  const desc =
    drawn.length > 0
      ? `False positive rate (x) against true positive rate (y) on the test split: ${drawn.join("; ")}.`
      : "No ROC curve: the test split lacks positives or negatives for this finding.";
  const diagonal = `<line class="chance" x1="${coord(plot.px(0))}" y1="${coord(plot.py(0))}" x2="${coord(plot.px(1))}" y2="${coord(plot.py(1))}"/>`;
  const empty =
    drawn.length > 0
      ? ""
      : `<text class="note" x="${coord(plot.px(0.5))}" y="${coord(plot.py(0.5))}" text-anchor="middle">no curve: a class is missing</text>`;
  return (
    svgOpen(ROC_SIZE, ROC_SIZE, title, desc) +
    axes(
      plot,
      { ticks: UNIT_TICKS, label: "false positive rate" },
      { ticks: UNIT_TICKS, label: "true positive rate" },
    ) +
    diagonal +
    lines.join("") +
    empty +
    "</svg>"
  );
}

/** A series' AUC for one finding: the mean over its seeds with a defined AUC, and their CI bounds averaged. */
export function seriesFindingAuc(
  s: Series,
  finding: string,
): { auc: number | null; ci: [number, number] | null; defined: number } {
  const values = s.runs.map((r) => r.test.findings[finding]).filter((f) => f !== undefined && f.auc !== null);
  const cis = values.map((f) => f!.ci).filter((ci) => ci !== null);
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return {
    auc: values.length === 0 ? null : mean(values.map((f) => f!.auc!)),
    ci: cis.length === 0 ? null : [mean(cis.map((c) => c![0])), mean(cis.map((c) => c![1]))],
    defined: values.length,
  };
}

export const BAR_WIDTH = 12;
export const BAR_GAP = 16;
/** Bar chart margins; the left one is at least 44 px and grows so the first rotated label fits. */
export const BAR_MARGIN = { left: 44, right: 10, top: 12 };
export const BAR_PLOT_HEIGHT = 180;
const LABEL_CHARS = 24;

/** Grouped bars: one group per finding, one bar per series (AUC, y from 0 to 1) with its CI whisker. */
export function findingBars(model: ReportModel, findings: readonly string[]): string {
  const n = model.series.length;
  const groupWidth = n * BAR_WIDTH + BAR_GAP;
  const longest = Math.min(LABEL_CHARS, Math.max(1, ...findings.map((f) => f.length)));
  // Labels are rotated 35°: about 6 px per character, times sin 35°, below the axis.
  const bottom = Math.ceil(22 + longest * 6 * 0.574);
  // A label rotated 35° reaches left of its group's centre by about 6 px × characters × cos 35°.
  const reach = Math.ceil(longest * 6 * 0.82);
  const left = Math.max(BAR_MARGIN.left, reach - BAR_GAP / 2 - (n * BAR_WIDTH) / 2 + 4);
  const width = left + BAR_MARGIN.right + Math.max(1, findings.length) * groupWidth;
  const height = BAR_MARGIN.top + BAR_PLOT_HEIGHT + bottom;
  const plot = new Plot(
    width,
    height,
    { ...BAR_MARGIN, left, bottom },
    { min: 0, max: 1 },
    { min: 0, max: 1 },
  );
  const patterns = model.series.map((s) => ({ id: model.nextId("hatch"), hatch: s.style.hatch }));
  const parts: string[] = [];
  const zero = plot.py(0);
  findings.forEach((finding, g) => {
    const x0 = left + g * groupWidth + BAR_GAP / 2;
    model.series.forEach((s, i) => {
      const x = x0 + i * BAR_WIDTH;
      const cx = x + BAR_WIDTH / 2;
      const v = seriesFindingAuc(s, finding);
      const seeds = s.runs.length > 1 ? ` (${v.defined} of ${s.runs.length} seeds)` : "";
      if (v.auc === null) {
        parts.push(
          `<g><title>${esc(`${s.label}, ${finding}: AUC undefined (a class is missing)`)}</title>` +
            `<text class="note" x="${coord(cx)}" y="${coord(zero - 4)}" text-anchor="middle">—</text></g>`,
        );
        return;
      }
      const top = plot.py(v.auc);
      const tip = `${s.label}, ${finding}: AUC ${fmt3(v.auc)}, 95% CI ${fmtCi(v.ci)}${seeds}`;
      let whisker = "";
      if (v.ci !== null) {
        const [lo, hi] = [plot.py(v.ci[0]), plot.py(v.ci[1])];
        whisker =
          `<path class="whisker" d="M${coord(cx)} ${coord(lo)}V${coord(hi)}` +
          `M${coord(cx - 3)} ${coord(lo)}H${coord(cx + 3)}M${coord(cx - 3)} ${coord(hi)}H${coord(cx + 3)}"/>`;
      }
      parts.push(
        `<g><title>${esc(tip)}</title>${bar(s.style, x + 1, top, BAR_WIDTH - 2, zero - top, patterns[i]!.id)}${whisker}</g>`,
      );
    });
    const label = finding.length > LABEL_CHARS ? `${finding.slice(0, LABEL_CHARS - 1)}…` : finding;
    const lx = x0 + (n * BAR_WIDTH) / 2;
    parts.push(
      `<text transform="translate(${coord(lx)} ${coord(zero + 10)}) rotate(-35)" text-anchor="end">` +
        `<title>${esc(finding)}</title>${esc(label)}</text>`,
    );
  });
  const chance = `<line class="chance" x1="${coord(plot.px(0))}" y1="${coord(plot.py(0.5))}" x2="${coord(left + plot.plotWidth)}" y2="${coord(plot.py(0.5))}"/>`;
  const yTicks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  const grid = yTicks
    .map((t) => {
      const py = coord(plot.py(t));
      return (
        `<line class="grid" x1="${coord(left)}" y1="${py}" x2="${coord(left + plot.plotWidth)}" y2="${py}"/>` +
        `<text x="${coord(left - 4)}" y="${py}" text-anchor="end" dominant-baseline="middle">${t.toFixed(1)}</text>`
      );
    })
    .join("");
  const frame = `<polyline class="frame" points="${coord(left)},${coord(plot.py(1))} ${coord(left)},${coord(zero)} ${coord(left + plot.plotWidth)},${coord(zero)}"/>`;
  const yTitle = `<text transform="translate(${coord(Math.max(11, left - 34))} ${coord(BAR_MARGIN.top + BAR_PLOT_HEIGHT / 2)}) rotate(-90)" text-anchor="middle">test AUC</text>`;
  const title = `Test AUC per finding and method: ${findings.join(", ")}`;
  const desc =
    "Bars: mean test AUC over seeds; whiskers: 95% bootstrap CI bounds averaged over seeds; dashed line: chance (0.5); a dash instead of a bar: AUC undefined.";
  return (
    svgOpen(width, height, title, desc) +
    `<defs>${patterns
      .filter((p) => p.hatch !== 0)
      .map((p) => hatchPattern(p.id, p.hatch))
      .join("")}</defs>` +
    `<g class="axes">${grid}${frame}${yTitle}</g>` +
    chance +
    parts.join("") +
    "</svg>"
  );
}

export const CURVE_WIDTH = 460;
export const CURVE_HEIGHT = 250;
/** Margins of a training chart; the left one grows with the y tick labels (`leftMarginFor`). */
export const CURVE_MARGIN = { right: 12, top: 12, bottom: 40 };

/** One value per epoch for every run (train loss or validation mean AUC), one line per run. */
export function trainingChart(
  model: ReportModel,
  title: string,
  yLabel: string,
  value: (e: BenchRun["history"][number]) => number | null | undefined,
  options: { yFloor?: number; yCeil?: number } = {},
): string | null {
  const runs = model.series.flatMap((s) => s.runs);
  const pts = runs.flatMap((r) => r.history.map((e) => [e.epoch, value(e)] as const));
  const ys = pts
    .map(([, y]) => y)
    .filter((y): y is number => y !== null && y !== undefined && Number.isFinite(y));
  if (ys.length === 0) return null;
  const epochs = pts.map(([x]) => x);
  const xs = niceScale(Math.min(...epochs), Math.max(...epochs), 6, true);
  let yMin = Math.min(...ys);
  let yMax = Math.max(...ys);
  if (options.yFloor !== undefined) yMin = Math.min(yMin, options.yFloor);
  if (options.yCeil !== undefined) yMax = Math.max(yMax, options.yCeil);
  const yScale = niceScale(yMin, yMax, 5);
  const margin = { ...CURVE_MARGIN, left: leftMarginFor(yScale.ticks) };
  const plot = new Plot(CURVE_WIDTH, CURVE_HEIGHT, margin, xs, yScale);
  const lines = runs.map((run) => {
    const s = seriesOfRun(model, run);
    const series: LineSeries = {
      label: s.runs.length > 1 ? `${s.label}, seed ${run.seed}` : s.label,
      style: s.style,
      points: run.history.map((e) => [e.epoch, value(e) ?? Number.NaN] as const),
    };
    return seriesPath(plot, series);
  });
  const desc = `${yLabel} per epoch, one line per run (backbone, method and seed).`;
  return (
    svgOpen(CURVE_WIDTH, CURVE_HEIGHT, title, desc) +
    axes(plot, { ticks: xs.ticks, label: "epoch" }, { ticks: yScale.ticks, label: yLabel }) +
    lines.join("") +
    "</svg>"
  );
}
