// Head CT phantom: generation speed (one core) and a difficulty check — a simple intensity-histogram
// classifier must not separate most findings perfectly.
// Usage: npm run bench:phantom [-- --json] [--repeat 5] [--auc-n 240] [--skip-auc] [--difficulty default]
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import {
  DEFAULT_PREVALENCE,
  type Difficulty,
  defaultSpacing,
  FINDINGS,
  renderHeadCt,
  rocAuc,
  sampleHeadCt,
} from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    repeat: { type: "string", default: "5" },
    "auc-n": { type: "string", default: "240" },
    "skip-auc": { type: "boolean", default: false },
    difficulty: { type: "string", default: "default" },
  },
});
const repeat = Number(values.repeat);
const difficulty = values.difficulty as Difficulty;

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

interface SpeedRow {
  shape: string;
  spacing: string;
  medianMs: number;
  minMs: number;
  /** Process CPU time per scan (user + system): less sensitive than wall time to a busy machine. */
  cpuMs: number;
  cpuMinMs: number;
  targetMs: number;
}

function speed(shape: [number, number, number], targetMs: number): SpeedRow {
  const g = { shape, spacing: defaultSpacing(shape) };
  const times: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const c = sampleHeadCt(1, i);
    const u0 = process.cpuUsage();
    const t0 = performance.now();
    renderHeadCt(c, g);
    times.push(performance.now() - t0);
    const u = process.cpuUsage(u0);
    cpu.push((u.user + u.system) / 1000);
  }
  return {
    shape: shape.join("x"),
    spacing: g.spacing.map((v) => v.toFixed(2)).join(","),
    medianMs: median(times),
    minMs: Math.min(...times),
    cpuMs: median(cpu),
    cpuMinMs: Math.min(...cpu),
    targetMs,
  };
}

/** Normalised HU histogram inside the head: 24 bins over [-20, 100) plus air, fat and bone fractions. */
function histogram(hu: Int16Array, anat: Uint8Array): number[] {
  const h = new Array<number>(27).fill(0);
  let n = 0;
  for (let p = 0; p < hu.length; p++) {
    if (anat[p] === 0) continue;
    n++;
    const v = hu[p]!;
    if (v < -200) h[24]!++;
    else if (v >= 300) h[26]!++;
    else if (v < -20) h[25]!++;
    else if (v < 100) h[Math.floor((v + 20) / 5)]!++;
  }
  return h.map((x) => x / Math.max(1, n));
}

function standardise(train: number[][], test: number[][]): [number[][], number[][]] {
  const d = train[0]!.length;
  const mu = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (const x of train) for (const [j, v] of x.entries()) mu[j]! += v / train.length;
  for (const x of train) for (const [j, v] of x.entries()) sd[j]! += (v - mu[j]!) ** 2 / train.length;
  const f = (x: number[]) => x.map((v, j) => (v - mu[j]!) / (Math.sqrt(sd[j]!) || 1));
  return [train.map(f), test.map(f)];
}

function nearestCentroid(xs: number[][], ys: number[], test: number[][]): number[] {
  const d = xs[0]!.length;
  const c = [new Array<number>(d).fill(0), new Array<number>(d).fill(0)];
  const n = [0, 0];
  xs.forEach((x, i) => {
    const k = ys[i]!;
    n[k]!++;
    for (const [j, v] of x.entries()) c[k]![j]! += v;
  });
  for (const k of [0, 1]) c[k] = c[k]!.map((v) => v / Math.max(1, n[k]!));
  const dist = (x: number[], m: number[]) => x.reduce((s, v, j) => s + (v - m[j]!) ** 2, 0);
  return test.map((x) => dist(x, c[0]!) - dist(x, c[1]!));
}

function logistic(xs: number[][], ys: number[], test: number[][]): number[] {
  const d = xs[0]!.length;
  const w = new Array<number>(d + 1).fill(0);
  const lr = 0.1;
  const l2 = 1e-3;
  for (let it = 0; it < 400; it++) {
    const g = new Array<number>(d + 1).fill(0);
    xs.forEach((x, i) => {
      const z = w[d]! + x.reduce((s, v, j) => s + v * w[j]!, 0);
      const e = 1 / (1 + Math.exp(-z)) - ys[i]!;
      for (const [j, v] of x.entries()) g[j]! += (e * v) / xs.length;
      g[d]! += e / xs.length;
    });
    for (let j = 0; j <= d; j++) w[j]! -= lr * (g[j]! + (j < d ? l2 * w[j]! : 0));
  }
  return test.map((x) => w[d]! + x.reduce((s, v, j) => s + v * w[j]!, 0));
}

interface AucRow {
  finding: string;
  positivesTest: number;
  nearestCentroid: number;
  logistic: number;
}

function difficultyCheck(n: number) {
  const shape: [number, number, number] = [64, 64, 20];
  const g = { shape, spacing: defaultSpacing(shape) };
  // Boosted prevalence so that every finding has positives in a modest set.
  const prevalence: Record<string, number> = {};
  for (const name of Object.keys(DEFAULT_PREVALENCE)) prevalence[name] = 0.08;
  const feats: number[][] = [];
  const labels: Uint8Array[] = [];
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const c = sampleHeadCt(77, i, { prevalence, difficulty });
    const r = renderHeadCt(c, g);
    feats.push(histogram(r.image.data as Int16Array, r.anatomy.data as Uint8Array));
    labels.push(Uint8Array.from(FINDINGS, (f) => (c.findings.includes(f.name) ? 1 : 0)));
  }
  const seconds = (performance.now() - t0) / 1000;
  const nTrain = Math.floor(n * 0.6);
  const [xtr, xte] = standardise(feats.slice(0, nTrain), feats.slice(nTrain));
  const rows: AucRow[] = [];
  for (const f of FINDINGS) {
    const ytr = labels.slice(0, nTrain).map((l) => l[f.id]!);
    const yte = labels.slice(nTrain).map((l) => l[f.id]!);
    const pos = yte.reduce((a, b) => a + b, 0);
    if (pos < 5 || yte.length - pos < 5 || ytr.reduce((a, b) => a + b, 0) < 3) continue;
    rows.push({
      finding: f.name,
      positivesTest: pos,
      nearestCentroid: rocAuc(yte, nearestCentroid(xtr, ytr, xte)) ?? Number.NaN,
      logistic: rocAuc(yte, logistic(xtr, ytr, xte)) ?? Number.NaN,
    });
  }
  const perfect = rows.filter((r) => Math.max(r.nearestCentroid, r.logistic) >= 1).length;
  return {
    n,
    shape: shape.join("x"),
    difficulty,
    seconds,
    evaluated: rows.length,
    perfect,
    pass: perfect * 2 < rows.length,
    rows,
  };
}

/**
 * A fixed reference workload (7-tap convolution over 2.6 M float32), so that render times from a
 * busy or slow machine can be put in proportion.
 */
function calibrationMs(): number {
  const v = new Float32Array(2_600_000);
  for (let i = 0; i < v.length; i++) v[i] = (i * 7919) % 1000;
  const out = new Float32Array(v.length);
  const k = new Float32Array(7).fill(1 / 7);
  const times: number[] = [];
  for (let rep = 0; rep < 5; rep++) {
    const t0 = performance.now();
    for (let i = 3; i < v.length - 3; i++) {
      let a = 0;
      for (let t = 0; t < 7; t++) a += k[t]! * v[i - 3 + t]!;
      out[i] = a;
    }
    times.push(performance.now() - t0);
  }
  return median(times.slice(1));
}

/**
 * Warm-up: the JIT needs a few scans with varied findings before the per-voxel code settles
 * (the first renders of a process run 3–8× slower); a dataset run amortises this over all scans.
 */
function warmUp(): void {
  const g = { shape: [128, 128, 32] as [number, number, number], spacing: defaultSpacing([128, 128, 32]) };
  for (let i = 0; i < 16; i++) renderHeadCt(sampleHeadCt(2, 1000 + i), g);
}

/** The 1-minute load average (as `uptime` prints it): on a shared machine wall times scale with it. */
const load = () => Number(loadavg()[0]!.toFixed(2));
const loadBefore = load();
const calibration = calibrationMs();
warmUp();
const speedRows = [speed([128, 128, 32], 200), speed([256, 256, 40], 1000)];
const loadAfter = load();
const auc = values["skip-auc"] ? null : difficultyCheck(Number(values["auc-n"]));

if (values.json) {
  process.stdout.write(
    `${JSON.stringify({ calibrationMs: calibration, loadAverage: [loadBefore, loadAfter], speed: speedRows, difficultyCheck: auc })}\n`,
  );
} else {
  console.log("head CT phantom — render time per scan, one core, after a JIT warm-up (median of %d)", repeat);
  console.log(`machine reference: 7-tap convolution over 2.6 M floats takes ${calibration.toFixed(1)} ms`);
  console.log(`load average (1 min) before/after the timing: ${loadBefore} / ${loadAfter}`);
  console.log("shape        spacing (mm)        wall median   wall min   cpu median   cpu min   target ms");
  for (const r of speedRows)
    console.log(
      `${r.shape.padEnd(12)} ${r.spacing.padEnd(19)} ${r.medianMs.toFixed(0).padStart(11)} ${r.minMs.toFixed(0).padStart(10)} ${r.cpuMs.toFixed(0).padStart(12)} ${r.cpuMinMs.toFixed(0).padStart(9)} ${String(r.targetMs).padStart(11)}`,
    );
  if (auc) {
    console.log(
      `\nhistogram classifier difficulty check: ${auc.n} scans ${auc.shape} (${auc.difficulty}), 60/40 split, rendered in ${auc.seconds.toFixed(1)} s`,
    );
    console.log("finding                               pos(test)  nearest-centroid  logistic");
    for (const r of auc.rows)
      console.log(
        `${r.finding.padEnd(37)} ${String(r.positivesTest).padStart(9)} ${r.nearestCentroid.toFixed(3).padStart(17)} ${r.logistic.toFixed(3).padStart(9)}`,
      );
    console.log(
      `\n${auc.perfect} of ${auc.evaluated} findings reach AUC 1.0 with either classifier — ${auc.pass ? "PASS (most findings are not trivially separable)" : "FAIL"}`,
    );
  }
}
if (auc && !auc.pass) process.exitCode = 1;
