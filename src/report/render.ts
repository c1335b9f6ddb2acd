/**
 * The benchmark report: one self-contained HTML file (inline CSS and SVG, heat maps as data:
 * URIs), readable offline and in print. The same results give the same bytes: nothing but
 * `results.created` dates it.
 */
import { dirname, resolve } from "node:path";
import { writeFileAtomic } from "../io/atomic.js";
import type { BenchResults } from "./bench-results.js";
import { esc } from "./format.js";
import { reportModel } from "./model.js";
import {
  barsSection,
  configSection,
  findingsSection,
  footer,
  header,
  heatmapSection,
  readingSection,
  rocSection,
  runsSection,
  summarySection,
  trainingSection,
} from "./sections.js";
import { REPORT_CSS } from "./style.js";

export interface RenderOptions {
  /** Folder the heat map paths are relative to (the report's folder); default: the working directory. */
  baseDir?: string;
  /** Embed heat map PNGs as data: URIs (default true); false links them by relative path. */
  inlineImages?: boolean;
}

export function renderBenchReport(results: BenchResults, opts: RenderOptions = {}): string {
  const m = reportModel(results);
  const images = { baseDir: resolve(opts.baseDir ?? "."), inline: opts.inlineImages ?? true };
  const body = [
    header(m),
    "<main>",
    summarySection(m),
    runsSection(m),
    findingsSection(m),
    barsSection(m),
    rocSection(m),
    trainingSection(m),
    heatmapSection(m, images),
    readingSection(m),
    configSection(m),
    "</main>",
    footer(),
  ].join("\n");
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n' +
    '<meta name="generator" content="medadapt">\n' +
    `<title>${esc(results.title)}</title>\n<style>${REPORT_CSS}</style>\n</head>\n<body>\n${body}\n</body>\n</html>\n`
  );
}

/**
 * Renders and writes the report atomically; heat map paths resolve against the report's folder
 * unless `baseDir` says otherwise. Returns the HTML written.
 */
export async function writeBenchReport(
  path: string,
  results: BenchResults,
  opts: RenderOptions = {},
): Promise<string> {
  const html = renderBenchReport(results, { ...opts, baseDir: opts.baseDir ?? dirname(resolve(path)) });
  await writeFileAtomic(path, html);
  return html;
}
