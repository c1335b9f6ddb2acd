import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { sampleBenchResults } from "../../test/bench-results.js";
import { tempDir } from "../../test/paths.js";
import { parseBenchResults, renderBenchReport, writeBenchReport } from "./index.js";

/** The fragment of one <section id=...>. */
function section(html: string, id: string): string {
  const start = html.indexOf(`<section id="${id}"`);
  assert.ok(start >= 0, `section ${id}`);
  return html.slice(start, html.indexOf("</section>", start));
}

/** The <tr> whose row header is `name`. */
function row(fragment: string, name: string): string {
  const m = fragment.match(new RegExp(`<tr><th scope="row" class="text">${name}</th>(.*?)</tr>`));
  assert.ok(m, `row ${name}`);
  return m[1]!;
}

/** The chart SVGs (class "chart") of a fragment, in order. */
function charts(fragment: string): string[] {
  return fragment.match(/<svg [^>]*class="chart"[\s\S]*?<\/svg>/g) ?? [];
}

/** The numbers of a polyline's points attribute as [x, y] pairs. */
function points(attr: string): [number, number][] {
  return attr.split(" ").map((p) => p.split(",").map(Number) as [number, number]);
}

function assertNear(actual: [number, number][], expected: [number, number][]): void {
  assert.equal(actual.length, expected.length, `${JSON.stringify(actual)} vs ${JSON.stringify(expected)}`);
  actual.forEach(([x, y], i) => {
    assert.ok(
      Math.abs(x - expected[i]![0]) <= 0.05 && Math.abs(y - expected[i]![1]) <= 0.05,
      `point ${i}: ${x},${y}`,
    );
  });
}

/**
 * A small XML well-formedness check: tags nest and close, attribute values are quoted, text holds
 * no raw '<' and no '&' outside an entity.
 */
function assertWellFormedXml(xml: string): void {
  const tag = /<(\/?)([A-Za-z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  const stack: string[] = [];
  let last = 0;
  for (const m of xml.matchAll(tag)) {
    const text = xml.slice(last, m.index);
    assert.ok(!text.includes("<"), `stray '<' before ${m[0]}`);
    assert.ok(!/&(?![a-z]+;|#\d+;)/.test(text), `raw '&' in text: ${text}`);
    assert.ok(!/&(?![a-z]+;|#\d+;)/.test(m[3]!), `raw '&' in attributes of ${m[0]}`);
    last = m.index + m[0].length;
    if (m[1] === "/") assert.equal(stack.pop(), m[2], `closing ${m[2]}`);
    else if (m[4] !== "/") stack.push(m[2]!);
  }
  assert.equal(xml.slice(last).trim(), "");
  assert.deepEqual(stack, []);
}

test("summary table: mean AUC ± SD, CI, parameters, marked fraction, per-seed DeLong p", () => {
  const html = renderBenchReport(sampleBenchResults());
  const summary = section(html, "summary");
  // baseline: seeds 0.70, 0.74 → mean 0.720, SD √0.0008 = 0.0283; molre 0.80, 0.82 → 0.810, √0.0002 = 0.0141.
  const base = row(summary, "tiny-dinov2");
  assert.match(
    base,
    /<td class="text">baseline<\/td><td>2<\/td><td>0\.720 ± 0\.028<\/td><td>\[0\.575, 0\.865\]<\/td><td>195<\/td><td>0\.01 %<\/td><td>baseline<\/td>/,
  );
  const molre = summary.slice(summary.indexOf(">molre<"));
  assert.match(molre, /<td>0\.810 ± 0\.014<\/td><td>\[0\.680, 0\.935\]<\/td><td>1,234,567<\/td>/);
  // 0.0072 > 0.5 %: marked; 0.0001 is not.
  assert.match(molre, /<td>0\.72 % <span class="mark"[^>]*>†<\/span><\/td>/);
  assert.doesNotMatch(base, /†/);
  // p 0.0123 → 4 decimals; 1.234e-5 < 1e-4 → one significant digit.
  assert.match(molre, /0\.0123 <small>\(seed 0\)<\/small><br>1\.2e-5 <small>\(seed 1\)<\/small>/);
});

test("runs and per-finding tables: values as given, undefined AUCs as a dash, never 0.5", () => {
  const html = renderBenchReport(sampleBenchResults());
  const runs = section(html, "runs");
  assert.match(runs, /<td>0\.800<\/td><td>\[0\.660, 0\.930\]<\/td><td>\+0\.100<\/td><td>0\.0123<\/td>/);
  // 125.4 s → 2 min 05 s.
  assert.match(runs, /<td>2 min 05 s<\/td>/);
  const findings = section(html, "findings");
  const midline = row(findings, "midline_shift");
  assert.doesNotMatch(midline, /\d\.\d{3}/, "no number for an undefined AUC");
  assert.equal(midline.match(/title="undefined">—</g)?.length, 4, "one dash per run");
  assert.match(
    row(findings, "hemorrhage"),
    /^<td>4 \/ 8<\/td><td>0\.800 <small>\[0\.600, 0\.950\]<\/small><\/td>/,
  );
});

test("ROC polylines map (fpr, tpr) to pixels: x = 40 + 180·fpr, y = 10 + 180·(1 − tpr)", () => {
  const r = sampleBenchResults();
  // Give molre seed 0 its own hemorrhage curve so it can be picked out by its title.
  r.runs[2]!.test.roc.hemorrhage = { fpr: [0, 0.25, 0.25, 1], tpr: [0, 0.5, 0.75, 1] };
  const roc = section(renderBenchReport(r), "roc");
  const svgs = charts(roc);
  assert.equal(svgs.length, 3, "one chart per finding");
  const hem = svgs[0]!;
  assert.match(hem, /<title>ROC curves, hemorrhage<\/title>/);
  const line = (label: string) => {
    const m = hem.match(new RegExp(`<g><title>${label}</title><polyline class="series" points="([^"]+)"`));
    assert.ok(m, label);
    return points(m[1]!);
  };
  assertNear(line("baseline, seed 0"), [
    [40, 190],
    [40, 100],
    [130, 10],
    [220, 10],
  ]);
  assertNear(line("molre, seed 0"), [
    [40, 190],
    [85, 100],
    [85, 55],
    [220, 10],
  ]);
  // The chance diagonal from (0, 0) to (1, 1).
  assert.match(hem, /<line class="chance" x1="40\.0" y1="190\.0" x2="220\.0" y2="10\.0"\/>/);
  // midline_shift has no positives: NaN rates, no curve, a note instead.
  const mid = svgs[2]!;
  assert.doesNotMatch(mid, /class="series"/);
  assert.match(mid, /no curve: a class is missing/);
});

test("per-finding bars: height from the mean AUC over seeds, whiskers from the averaged CI bounds", () => {
  const bars = charts(section(renderBenchReport(sampleBenchResults()), "bars"));
  assert.equal(bars.length, 1);
  const svg = bars[0]!;
  // Plot: y = 12 + 180·(1 − AUC). Left margin: the longest label, "midline_shift" (13 characters),
  // reaches ⌈13·6·0.82⌉ = 64 px left of its group centre → max(44, 64 − 8 − 2·12/2 + 4) = 48.
  // Bars are 12 px apart (drawn 10 px) in groups of 2·12 + 16 = 40 px from x = 48 + 8.
  // baseline hemorrhage: (0.8 + 0.9)/2 = 0.85 → y 39, height 192 − 39 = 153, x 48 + 8 + 1 = 57;
  // its CI [(0.6 + 0.75)/2, (0.95 + 1)/2] = [0.675, 0.975] → whisker at x 57 + 5 = 62 from y 70.5 to 16.5.
  assert.match(svg, /<rect x="57\.0" y="39\.0" width="10\.0" height="153\.0" fill="#0072B2"/);
  assert.match(svg, /<path class="whisker" d="M62\.0 70\.5V16\.5/);
  // molre hemorrhage: (0.95 + 0.97)/2 = 0.96 → y 19.2, the next bar, x 69.
  assert.match(svg, /<rect x="69\.0" y="19\.2" width="10\.0" height="172\.8"/);
  // baseline fracture: (0.6 + 0.58)/2 = 0.59 → y 85.8 in the second group, x 97.
  assert.match(svg, /<rect x="97\.0" y="85\.8" width="10\.0" height="106\.2"/);
  // midline_shift: no bar, a dash per series instead.
  assert.equal(svg.match(/<rect /g)?.length, 6, "4 bars + 2 hatch overlays for the hatched series");
  assert.equal(svg.match(/AUC undefined \(a class is missing\)/g)?.length, 2);
});

test("training curves: epoch and value to pixels; a null validation AUC breaks the line", () => {
  const training = section(renderBenchReport(sampleBenchResults()), "training");
  const [loss, auc] = charts(training);
  // Loss axis from 0 (losses are ≥ 0) to 0.9 widened to whole steps of 0.2: 0–1.0; epochs 1–3.
  // Labels "0.0".."1.0" (3 characters) → left margin max(40, 24 + 6·3) = 42; plot 406 × 198 px
  // from (42, 12). Epoch 2, loss 0.6: x = 42 + 406·(2−1)/2 = 245, y = 12 + 198·(1 − 0.6) = 91.2.
  const m = loss!.match(/<g><title>baseline, seed 0<\/title><polyline class="series" points="([^"]+)"/);
  assert.ok(m);
  assertNear(points(m[1]!), [
    [42, 12 + 198 * 0.1],
    [245, 91.2],
    [448, 12 + 198 * 0.55],
  ]);
  assert.match(loss!, />1\.0<\/text>/);
  // Validation AUC axis 0.5–1 (floor 0.5, ceiling 1; steps of 0.1, labels of 3 characters); epoch 1 has no AUC.
  const v = auc!.match(/<g><title>baseline, seed 0<\/title><polyline class="series" points="([^"]+)"/);
  assert.ok(v);
  assertNear(points(v[1]!), [
    [245, 12 + (198 * (1 - 0.7)) / 0.5],
    [448, 12 + (198 * (1 - 0.68)) / 0.5],
  ]);
});

test("the left margin of a training chart grows with its tick labels", () => {
  const r = sampleBenchResults();
  for (const run of r.runs)
    run.history = run.history.map((e, i) => ({ ...e, train_loss: 0.1125 + 0.005 * i }));
  const [loss] = charts(section(renderBenchReport(r), "training"));
  // 0–0.1225 → steps of 0.025 up to 0.125: labels "0.000".."0.125" (5 characters) → 24 + 30 = 54.
  assert.match(loss!, /<polyline class="frame" points="54\.0,12\.0 54\.0,210\.0 448\.0,210\.0"\/>/);
  assert.match(loss!, />0\.125<\/text>/);
});

test("self-contained: no scripts, stylesheets or fetches; links only to the page itself", () => {
  const html = renderBenchReport(sampleBenchResults());
  assert.doesNotMatch(html, /<script|<link|<iframe|@import|@font-face/i);
  const refs = [...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]!);
  assert.ok(refs.length > 0);
  for (const ref of refs) assert.ok(ref.startsWith("#") || ref.startsWith("data:"), ref);
  for (const m of html.matchAll(/url\(([^)]*)\)/g)) assert.ok(m[1]!.startsWith("#"), m[0]);
  assert.match(html, /research software, not a medical device/i);
});

test("every chart is well-formed XML", () => {
  const html = renderBenchReport(sampleBenchResults());
  const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
  assert.ok(svgs.length >= 8);
  for (const svg of svgs) assertWellFormedXml(svg);
  // The checker itself rejects what it should.
  assert.throws(() => assertWellFormedXml("<svg><g></svg>"));
  assert.throws(() => assertWellFormedXml("<svg><text>a < b</text></svg>"));
  assert.throws(() => assertWellFormedXml("<svg><text>R&D</text></svg>"));
});

test("strings from the data are escaped: a finding named <script> stays text", () => {
  const r = sampleBenchResults();
  const evil = `<script>alert("x")</script>&amp;'`;
  const rename = <T>(rec: Record<string, T>): Record<string, T> =>
    Object.fromEntries(Object.entries(rec).map(([k, v]) => [k === "fracture" ? evil : k, v]));
  r.dataset.findings = r.dataset.findings.map((f) => (f === "fracture" ? evil : f));
  for (const run of r.runs) {
    run.test.findings = rename(run.test.findings);
    run.test.roc = rename(run.test.roc);
    if (run.delong_vs_baseline) run.delong_vs_baseline.findings = rename(run.delong_vs_baseline.findings);
    run.method = run.method === "molre" ? `molre"><img src=x onerror=alert(1)>` : run.method;
  }
  r.summary[1]!.method = r.runs[3]!.method;
  r.title = "</title><script>alert(2)</script>";
  r.dataset.manifest = "/data/<b>manifest</b>.csv";
  const html = renderBenchReport(r);
  assert.doesNotMatch(html, /<script|<img|<b>/i);
  assert.ok(html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;amp;&#39;"));
  assert.ok(html.includes("<title>&lt;/title&gt;&lt;script&gt;alert(2)&lt;/script&gt;</title>"));
  for (const svg of html.match(/<svg[\s\S]*?<\/svg>/g) ?? []) assertWellFormedXml(svg);
});

// A 1 × 1 PNG (the widely used minimal example).
const PNG_1X1 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

test("heat maps: embedded as data: URIs from baseDir, linked with inlineImages false, placeholder when missing", (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "heatmaps"));
  writeFileSync(join(dir, "heatmaps", "case 1.png"), Buffer.from(PNG_1X1, "base64"));
  const r = sampleBenchResults();
  r.runs[2]!.heatmaps = [
    { case_id: "case1", finding: "hemorrhage", probability: 0.875, png: "heatmaps/case 1.png" },
    { case_id: "case2", finding: "fracture", probability: 0.1, png: "heatmaps/gone.png" },
  ];
  assert.doesNotMatch(
    renderBenchReport(sampleBenchResults()),
    /id="heatmaps"/,
    "no section without heat maps",
  );
  const inline = section(renderBenchReport(r, { baseDir: dir }), "heatmaps");
  const srcs = [...inline.matchAll(/<img src="([^"]+)"/g)].map((m) => m[1]);
  assert.deepEqual(srcs, [`data:image/png;base64,${PNG_1X1}`]);
  assert.match(
    inline,
    /alt="Heat map of hemorrhage for case case1 \(molre, seed 0\), predicted probability 0\.875"/,
  );
  assert.match(inline, /image not found: heatmaps\/gone\.png/);
  const linked = section(renderBenchReport(r, { baseDir: dir, inlineImages: false }), "heatmaps");
  assert.match(linked, /<img src="heatmaps\/case%201\.png"/);
  // A URL is never linked: the report must not fetch.
  r.runs[2]!.heatmaps = [{ case_id: "c", finding: "f", probability: 0.5, png: "https://example.org/x.png" }];
  assert.doesNotMatch(renderBenchReport(r, { baseDir: dir, inlineImages: false }), /example\.org\/x\.png"/);
});

test("deterministic: the same results, directly or through results.json, give the same bytes", async (t) => {
  const r = sampleBenchResults();
  const a = renderBenchReport(r);
  assert.equal(renderBenchReport(sampleBenchResults()), a);
  const reparsed = parseBenchResults(JSON.stringify(r), "results.json");
  assert.equal(renderBenchReport(reparsed), a);
  const path = join(tempDir(t), "report.html");
  const written = await writeBenchReport(path, r);
  assert.equal(written, a);
  const { readFileSync } = await import("node:fs");
  assert.equal(readFileSync(path, "utf8"), a);
});

test("one seed, several backbones: no SD, series labelled by backbone and method", () => {
  const r = sampleBenchResults();
  r.runs = [r.runs[0]!, r.runs[2]!];
  r.runs.push({ ...structuredClone(r.runs[1]!), backbone: "tiny-siglip" });
  r.summary = r.summary.map((s) => ({ ...s, n_seeds: 1, mean_auc_sd: null }));
  r.summary.push({ ...r.summary[1]!, backbone: "tiny-siglip" });
  const html = renderBenchReport(r);
  assert.match(section(html, "summary"), /<td>1<\/td><td>0\.720<\/td>/);
  assert.match(section(html, "roc"), /<title>tiny-siglip \/ molre<\/title>/);
});

test("an empty bench (no runs, no summary) still renders a well-formed page", () => {
  const r = sampleBenchResults();
  r.runs = [];
  r.summary = [];
  r.dataset.findings = [];
  delete r.machine;
  const html = renderBenchReport(r);
  assert.match(html, /No training history recorded/);
  assert.doesNotMatch(html, /machine/);
  for (const svg of html.match(/<svg[\s\S]*?<\/svg>/g) ?? []) assertWellFormedXml(svg);
});
