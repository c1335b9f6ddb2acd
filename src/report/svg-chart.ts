/**
 * Inline SVG charts for the report, written as strings so the report needs no script, font or
 * library. Series differ by colour AND by line dash, marker shape and bar hatching, so the charts
 * read in grey print and for colour-blind readers. Coordinates are rounded to 0.1 px, which
 * keeps the output small and byte-for-byte deterministic.
 */
import { esc } from "./format.js";

/** Okabe–Ito colours (distinguishable with the common colour-vision deficiencies), then grey. */
const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#8C8C8C", "#F0E442"];
const DASHES = ["", "6 3", "2 3", "8 3 2 3"];
const MARKERS = ["circle", "square", "triangle", "diamond", "cross"] as const;
/** Hatching drawn over a bar's colour: none, "/", "\", horizontal, dots, cross. */
const HATCHES = 6;

export type MarkerKind = (typeof MARKERS)[number];

export interface SeriesStyle {
  color: string;
  /** stroke-dasharray; "" = solid. */
  dash: string;
  marker: MarkerKind;
  hatch: number;
}

/** The style of series `i`; the first four differ in every attribute at once. */
export function seriesStyle(i: number): SeriesStyle {
  return {
    color: PALETTE[i % PALETTE.length]!,
    dash: DASHES[i % DASHES.length]!,
    marker: MARKERS[i % MARKERS.length]!,
    hatch: i % HATCHES,
  };
}

/** A pixel coordinate with one decimal ("-0.0" normalised to "0.0"). */
export function coord(v: number): string {
  const s = v.toFixed(1);
  return s === "-0.0" ? "0.0" : s;
}

/** The plot area inside an SVG of `width` × `height`, and the data → pixel mapping. */
export class Plot {
  readonly plotWidth: number;
  readonly plotHeight: number;
  constructor(
    readonly width: number,
    readonly height: number,
    readonly margin: { left: number; right: number; top: number; bottom: number },
    readonly x: { min: number; max: number },
    readonly y: { min: number; max: number },
  ) {
    this.plotWidth = width - margin.left - margin.right;
    this.plotHeight = height - margin.top - margin.bottom;
  }
  px(x: number): number {
    return this.margin.left + ((x - this.x.min) / (this.x.max - this.x.min)) * this.plotWidth;
  }
  py(y: number): number {
    return this.margin.top + ((this.y.max - y) / (this.y.max - this.y.min)) * this.plotHeight;
  }
}

/** Opening tag with an accessible name (role img + title); `desc` says what a reader would see. */
export function svgOpen(width: number, height: number, title: string, desc?: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}">` +
    `<title>${esc(title)}</title>${desc === undefined ? "" : `<desc>${esc(desc)}</desc>`}`
  );
}

/**
 * A readable axis over [min, max]: about `target` ticks at steps of 1, 2, 2.5 or 5 × 10^k (1, 2
 * or 5 × 10^k ≥ 1 when `integer`), with the ends widened to whole steps.
 */
export function niceScale(
  min: number,
  max: number,
  target = 5,
  integer = false,
): { min: number; max: number; ticks: number[] } {
  if (!(max > min)) {
    const pad = integer ? 1 : Math.abs(min) > 0 ? Math.abs(min) * 0.1 : 1;
    return niceScale(min - pad, max + pad, target, integer);
  }
  const raw = (max - min) / target;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const steps = integer ? [1, 2, 5, 10] : [1, 2, 2.5, 5, 10];
  let step = steps.map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  if (integer) step = Math.max(1, Math.round(step));
  const lo = Math.floor(min / step + 1e-9) * step;
  const hi = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(Number((lo + i * step).toPrecision(12)));
  return { min: ticks[0]!, max: ticks.at(-1)!, ticks };
}

/** Tick labels, all with the decimals needed to print every tick exactly. */
export function tickLabels(ticks: readonly number[]): string[] {
  let d = 0;
  while (d < 6 && ticks.some((t) => Math.abs(Math.round(t * 10 ** d) - t * 10 ** d) > 1e-6)) d++;
  return ticks.map((t) => t.toFixed(d));
}

/** A left margin that fits the y tick labels (about 6 px per character at 10 px) and the axis title. */
export function leftMarginFor(yTicks: readonly number[]): number {
  return Math.max(40, Math.ceil(24 + 6 * Math.max(...tickLabels(yTicks).map((l) => l.length))));
}

export interface AxisSpec {
  ticks: number[];
  label: string;
}

/** Grid lines, axis lines, tick labels and axis titles. */
export function axes(plot: Plot, x: AxisSpec, y: AxisSpec): string {
  const { left, top } = plot.margin;
  const bottom = top + plot.plotHeight;
  const right = left + plot.plotWidth;
  const xl = tickLabels(x.ticks);
  const yl = tickLabels(y.ticks);
  const parts: string[] = ['<g class="axes">'];
  y.ticks.forEach((t, i) => {
    const py = coord(plot.py(t));
    parts.push(
      `<line class="grid" x1="${coord(left)}" y1="${py}" x2="${coord(right)}" y2="${py}"/>`,
      `<text x="${coord(left - 4)}" y="${py}" text-anchor="end" dominant-baseline="middle">${yl[i]}</text>`,
    );
  });
  x.ticks.forEach((t, i) => {
    const px = coord(plot.px(t));
    parts.push(
      `<line class="grid" x1="${px}" y1="${coord(top)}" x2="${px}" y2="${coord(bottom)}"/>`,
      `<text x="${px}" y="${coord(bottom + 12)}" text-anchor="middle">${xl[i]}</text>`,
    );
  });
  parts.push(
    `<polyline class="frame" points="${coord(left)},${coord(top)} ${coord(left)},${coord(bottom)} ${coord(right)},${coord(bottom)}"/>`,
    `<text x="${coord(left + plot.plotWidth / 2)}" y="${coord(bottom + 28)}" text-anchor="middle">${esc(x.label)}</text>`,
    `<text transform="translate(11 ${coord(top + plot.plotHeight / 2)}) rotate(-90)" text-anchor="middle">${esc(y.label)}</text>`,
    "</g>",
  );
  return parts.join("");
}

/** A marker of `style`'s shape centred on (x, y) pixels. */
export function marker(style: SeriesStyle, x: number, y: number, r = 3): string {
  const c = `stroke="${style.color}" fill="${style.color}"`;
  switch (style.marker) {
    case "circle":
      return `<circle cx="${coord(x)}" cy="${coord(y)}" r="${r}" ${c}/>`;
    case "square":
      return `<rect x="${coord(x - r)}" y="${coord(y - r)}" width="${2 * r}" height="${2 * r}" ${c}/>`;
    case "triangle":
      return `<polygon points="${coord(x)},${coord(y - r - 0.5)} ${coord(x - r)},${coord(y + r)} ${coord(x + r)},${coord(y + r)}" ${c}/>`;
    case "diamond":
      return `<polygon points="${coord(x)},${coord(y - r - 0.5)} ${coord(x + r + 0.5)},${coord(y)} ${coord(x)},${coord(y + r + 0.5)} ${coord(x - r - 0.5)},${coord(y)}" ${c}/>`;
    case "cross":
      return `<path d="M${coord(x - r)} ${coord(y - r)}L${coord(x + r)} ${coord(y + r)}M${coord(x - r)} ${coord(y + r)}L${coord(x + r)} ${coord(y - r)}" stroke="${style.color}" stroke-width="1.6" fill="none"/>`;
  }
}

export interface LineSeries {
  label: string;
  style: SeriesStyle;
  /** Data points; a non-finite coordinate breaks the line there. */
  points: readonly (readonly [number, number])[];
}

/**
 * One series as polylines (split where a point is not finite) with markers. With many points
 * only about `maxMarkers` carry a marker, evenly spaced, so the line stays legible.
 */
export function seriesPath(plot: Plot, s: LineSeries, maxMarkers = 24): string {
  const segments: string[][] = [];
  let current: string[] = [];
  const marks: string[] = [];
  const every = Math.max(1, Math.ceil(s.points.length / maxMarkers));
  s.points.forEach(([x, y], i) => {
    if (!Number.isFinite(x) || !Number.isFinite(y)) {
      if (current.length > 0) segments.push(current);
      current = [];
      return;
    }
    const px = plot.px(x);
    const py = plot.py(y);
    current.push(`${coord(px)},${coord(py)}`);
    if (i % every === 0 || i === s.points.length - 1) marks.push(marker(s.style, px, py));
  });
  if (current.length > 0) segments.push(current);
  const dash = s.style.dash === "" ? "" : ` stroke-dasharray="${s.style.dash}"`;
  const lines = segments.map(
    (seg) => `<polyline class="series" points="${seg.join(" ")}" stroke="${s.style.color}"${dash}/>`,
  );
  return `<g><title>${esc(s.label)}</title>${lines.join("")}${marks.join("")}</g>`;
}

/** A pattern of hatch `kind` with id `id` (drawn over a bar's own colour). */
export function hatchPattern(id: string, kind: number): string {
  const open = `<pattern id="${esc(id)}" width="6" height="6" patternUnits="userSpaceOnUse">`;
  const line = (d: string) => `<path d="${d}" stroke="#fff" stroke-opacity="0.8" stroke-width="1.2"/>`;
  const body = [
    "",
    line("M-1 7L7 -1M-1 1L1 -1M5 7L7 5"),
    line("M-1 -1L7 7M5 -1L7 1M-1 5L1 7"),
    line("M0 3H6"),
    `<circle cx="3" cy="3" r="1.2" fill="#fff" fill-opacity="0.85"/>`,
    line("M0 3H6M3 0V6"),
  ][kind % HATCHES]!;
  return `${open}${body}</pattern>`;
}

/** A filled bar of `style` with its hatching; `patternId` names its hatch pattern in the same SVG. */
export function bar(
  style: SeriesStyle,
  x: number,
  y: number,
  w: number,
  h: number,
  patternId: string,
): string {
  const geom = `x="${coord(x)}" y="${coord(y)}" width="${coord(w)}" height="${coord(Math.max(0, h))}"`;
  const hatch = style.hatch === 0 ? "" : `<rect ${geom} fill="url(#${esc(patternId)})"/>`;
  return `<rect ${geom} fill="${style.color}" stroke="${style.color}"/>${hatch}`;
}

/** A legend sample (line with marker, or hatched swatch) as a small standalone SVG. */
export function legendSample(style: SeriesStyle, kind: "line" | "bar", patternId: string): string {
  if (kind === "line") {
    const dash = style.dash === "" ? "" : ` stroke-dasharray="${style.dash}"`;
    return (
      `<svg xmlns="http://www.w3.org/2000/svg" class="sample" width="36" height="12" viewBox="0 0 36 12" aria-hidden="true">` +
      `<line x1="1" y1="6" x2="35" y2="6" stroke="${style.color}" stroke-width="2"${dash}/>${marker(style, 18, 6)}</svg>`
    );
  }
  const defs = style.hatch === 0 ? "" : `<defs>${hatchPattern(patternId, style.hatch)}</defs>`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" class="sample" width="20" height="12" viewBox="0 0 20 12" aria-hidden="true">` +
    `${defs}${bar(style, 1, 1, 18, 10, patternId)}</svg>`
  );
}
