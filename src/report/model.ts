/**
 * What the report's sections share: the findings in display order and the series, one per
 * (backbone, method), each with its runs (one per seed) and its drawing style.
 */
import type { BenchResults, BenchRun } from "./bench-results.js";
import { type SeriesStyle, seriesStyle } from "./svg-chart.js";

export interface Series {
  backbone: string;
  method: string;
  /** "method", or "backbone / method" when the bench has several backbones. */
  label: string;
  style: SeriesStyle;
  runs: BenchRun[];
}

export interface ReportModel {
  results: BenchResults;
  findings: string[];
  series: Series[];
  /** Element ids unique within the document (SVG patterns), numbered in output order. */
  nextId(prefix: string): string;
}

export function reportModel(results: BenchResults): ReportModel {
  // The dataset's order first, then any finding only a run mentions.
  const findings = [...results.dataset.findings];
  for (const run of results.runs) {
    for (const f of [...Object.keys(run.test.findings), ...Object.keys(run.test.roc)]) {
      if (!findings.includes(f)) findings.push(f);
    }
  }
  const backbones = new Set(results.runs.map((r) => r.backbone));
  for (const row of results.summary) backbones.add(row.backbone);
  const series: Series[] = [];
  const add = (backbone: string, method: string): Series => {
    let s = series.find((x) => x.backbone === backbone && x.method === method);
    if (s === undefined) {
      s = {
        backbone,
        method,
        label: backbones.size > 1 ? `${backbone} / ${method}` : method,
        style: seriesStyle(series.length),
        runs: [],
      };
      series.push(s);
    }
    return s;
  };
  for (const run of results.runs) add(run.backbone, run.method).runs.push(run);
  for (const row of results.summary) add(row.backbone, row.method);
  let n = 0;
  return { results, findings, series, nextId: (prefix) => `${prefix}-${++n}` };
}

/** The series a run belongs to. */
export function seriesOfRun(model: ReportModel, run: BenchRun): Series {
  return model.series.find((s) => s.runs.includes(run))!;
}
