// Speed of the evaluation statistics on synthetic scores with ties (scores rounded to 3 decimals).
// Usage: npm run bench:eval [-- --json] [--quick] [--repeat 3]
// Reported (best of --repeat: wall ms and that run's CPU ms): ROC AUC and ROC curve on 10^6 cases; a 1000-replicate
// stratified bootstrap CI on 10^4 and 10^5 cases, next to the naive bootstrap (materialise each
// resample and sort it again) on 10^4 cases for scale; the paired DeLong test on 10^5 and 10^6
// cases; and a full `medadapt eval` report (75 findings × 10^4 cases, 1000 replicates, --compare).
import { cpus, loadavg } from "node:os";
import { parseArgs } from "node:util";
import {
  bootstrapAucCi,
  delongTest,
  evaluateFindings,
  type FindingMatrix,
  Rng,
  rocAuc,
  rocCurve,
} from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    repeat: { type: "string", default: "3" },
  },
});
const repeat = Math.max(1, Number(values.repeat));
const scale = values.quick ? 0.1 : 1;

function data(n: number, seed: number): { y: Float64Array; a: Float64Array; b: Float64Array } {
  const rng = new Rng(seed);
  const r = () => rng.next();
  const y = new Float64Array(n);
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = r() < 0.2 ? 1 : 0;
    a[i] = Math.round(Math.min(1, r() * 0.8 + 0.25 * y[i]!) * 1000) / 1000;
    b[i] = Math.round(Math.min(1, r() * 0.8 + 0.2 * y[i]!) * 1000) / 1000;
  }
  return { y, a, b };
}

/** Best wall time of `repeat` runs, with that run's CPU time (less sensitive to a busy machine). */
function best(fn: () => unknown): { ms: number; cpuMs: number } {
  let out = { ms: Number.POSITIVE_INFINITY, cpuMs: 0 };
  for (let i = 0; i < repeat; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (ms < out.ms) out = { ms, cpuMs: (c.user + c.system) / 1000 };
  }
  return out;
}

/** The textbook bootstrap: build each resample and compute its AUC from scratch (sorts again). */
function naiveBootstrap(y: Float64Array, s: Float64Array, replicates: number): void {
  const r = new Rng(9);
  const pos = s.filter((_, i) => y[i] === 1);
  const neg = s.filter((_, i) => y[i] === 0);
  const yy = new Float64Array(y.length);
  yy.fill(1, 0, pos.length);
  const ss = new Float64Array(y.length);
  for (let k = 0; k < replicates; k++) {
    for (let i = 0; i < pos.length; i++) ss[i] = pos[r.intBelow(pos.length)]!;
    for (let j = 0; j < neg.length; j++) ss[pos.length + j] = neg[r.intBelow(neg.length)]!;
    rocAuc(yy, ss);
  }
}

const rows: { task: string; n: number; ms: number; cpuMs: number }[] = [];
const n6 = Math.round(1e6 * scale);
const n5 = Math.round(1e5 * scale);
const n4 = Math.round(1e4 * scale);
const big = data(n6, 1);
const mid = data(n5, 2);
const small = data(n4, 3);
rows.push({ task: "rocAuc", n: n6, ...best(() => rocAuc(big.y, big.a)) });
rows.push({ task: "rocCurve (drop intermediate)", n: n6, ...best(() => rocCurve(big.y, big.a)) });
rows.push({ task: "bootstrap CI, 1000 replicates", n: n4, ...best(() => bootstrapAucCi(small.y, small.a)) });
rows.push({ task: "bootstrap CI, 1000 replicates", n: n5, ...best(() => bootstrapAucCi(mid.y, mid.a)) });
rows.push({
  task: "naive bootstrap, 1000 replicates",
  n: n4,
  ...best(() => naiveBootstrap(small.y, small.a, 1000)),
});
rows.push({ task: "paired DeLong test", n: n5, ...best(() => delongTest(mid.y, mid.a, mid.b)) });
rows.push({ task: "paired DeLong test", n: n6, ...best(() => delongTest(big.y, big.a, big.b)) });

// A full report: 75 findings (the project's taxonomy size) on 10^4 cases, with a second model.
const F = 75;
const cases = n4;
const labels = new Float64Array(cases * F);
const pa = new Float64Array(cases * F);
const pb = new Float64Array(cases * F);
for (let j = 0; j < F; j++) {
  const d = data(cases, 100 + j);
  for (let i = 0; i < cases; i++) {
    labels[i * F + j] = d.y[i]!;
    pa[i * F + j] = d.a[i]!;
    pb[i * F + j] = d.b[i]!;
  }
}
const m = (x: Float64Array): FindingMatrix => ({ rows: cases, cols: F, data: x });
rows.push({
  task: `evaluateFindings, ${F} findings, 1000 replicates, compare`,
  n: cases,
  ...best(() => evaluateFindings(m(labels), m(pa), { compare: m(pb) })),
});

// Timings on a shared machine depend on its load; report it with them.
const machine = { cpus: cpus().length, load1: Number(loadavg()[0]!.toFixed(2)) };
if (values.json) {
  process.stdout.write(`${JSON.stringify({ repeat, machine, rows }, null, 2)}\n`);
} else {
  const w = Math.max(...rows.map((r) => r.task.length));
  process.stdout.write(
    `${"task".padEnd(w)}  ${"cases".padStart(9)}  ${"wall ms".padStart(9)}  ${"cpu ms".padStart(9)}\n`,
  );
  for (const r of rows) {
    process.stdout.write(
      `${r.task.padEnd(w)}  ${String(r.n).padStart(9)}  ${r.ms.toFixed(1).padStart(9)}  ${r.cpuMs.toFixed(1).padStart(9)}\n`,
    );
  }
  process.stdout.write(
    `best of ${repeat} runs; scores rounded to 3 decimals (many ties); ${machine.cpus} CPUs, load average ${machine.load1}\n`,
  );
}
