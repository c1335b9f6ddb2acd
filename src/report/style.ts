/**
 * The report's only stylesheet, inlined. Colours come from variables that follow the reader's
 * light/dark preference and fall back to black on white in print; SVG text and axes use
 * currentColor so the charts follow too.
 */
export const REPORT_CSS = `
:root { color-scheme: light dark; --fg: #1b1b1b; --bg: #ffffff; --muted: #5f5f5f; --rule: #d4d4d4; --grid: rgba(128, 128, 128, 0.28); --head: #f2f2f2; }
@media (prefers-color-scheme: dark) { :root { --fg: #e8e8e8; --bg: #161616; --muted: #a8a8a8; --rule: #444444; --head: #222222; } }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); max-width: 1120px; margin: 0 auto; padding: 1.5rem; }
h1 { font-size: 1.6rem; margin: 0 0 .6rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .6rem; border-bottom: 1px solid var(--rule); padding-bottom: .2rem; }
nav ol { display: flex; flex-wrap: wrap; gap: .2rem 1.2rem; padding: 0; list-style: none; }
a { color: inherit; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: .4rem 0; }
caption { caption-side: top; text-align: left; color: var(--muted); padding-bottom: .3rem; }
th, td { padding: .3rem .6rem; border-bottom: 1px solid var(--rule); text-align: right; white-space: nowrap; vertical-align: top; }
thead th { background: var(--head); }
th.text, td.text { text-align: left; }
td small { color: var(--muted); }
.foot { color: var(--muted); font-size: .92em; }
.undefined { color: var(--muted); }
svg.chart { max-width: 100%; height: auto; color: var(--fg); font: 10px system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
svg.chart text { fill: currentColor; }
svg .grid { stroke: var(--grid); stroke-width: 1; }
svg .frame { fill: none; stroke: currentColor; stroke-width: 1; }
svg .series { fill: none; stroke-width: 1.8; stroke-linejoin: round; }
svg .chance { stroke: var(--muted); stroke-width: 1; stroke-dasharray: 4 4; }
svg .whisker { fill: none; stroke: currentColor; stroke-width: 1.2; }
svg text.note { fill: var(--muted); }
.figs { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 1rem; }
.figs.wide { grid-template-columns: repeat(auto-fill, minmax(460px, 1fr)); }
.figs svg.chart { width: 100%; }
figure { margin: .4rem 0; break-inside: avoid; }
figcaption { font-size: .9em; color: var(--muted); overflow-wrap: anywhere; }
ul.legend { list-style: none; padding: 0; margin: .4rem 0; display: flex; flex-wrap: wrap; gap: .3rem 1.4rem; }
ul.legend svg { vertical-align: middle; margin-right: .35rem; }
.heatmaps .figs { grid-template-columns: repeat(auto-fill, minmax(360px, 1fr)); }
.heatmaps img { width: 100%; height: auto; image-rendering: pixelated; background: #000; }
.missing { border: 1px dashed var(--rule); padding: 1rem; color: var(--muted); }
pre { overflow-x: auto; background: var(--head); padding: .6rem; font-size: .85em; }
footer { margin-top: 2.5rem; color: var(--muted); border-top: 1px solid var(--rule); padding-top: .5rem; }
@media print {
  :root { --fg: #000000; --bg: #ffffff; --muted: #444444; --rule: #999999; --head: #eeeeee; }
  body { max-width: none; padding: 0; font-size: 10.5px; }
  nav { display: none; }
  .scroll { overflow: visible; }
  /* Paper cannot scroll: wide tables wrap their cells instead of running off the page. */
  th, td { white-space: normal; padding: .15rem .3rem; }
  table { font-size: .9em; }
  h2 { break-after: avoid; }
  table, figure { break-inside: avoid; }
}
`;
