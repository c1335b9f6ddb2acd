import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../random/rng.js";
import { delongTest, delongVariance, structuralComponents } from "./delong.js";
import { erfc, normalSf, twoSidedP } from "./normal.js";

/** Placement value of a positive score against all negatives (ties ½): DeLong's V10, O(n). */
function psi(x: number, y: number): number {
  return x > y ? 1 : x === y ? 0.5 : 0;
}

/**
 * DeLong et al. (1988) straight from the definition, O(mn): placement values by pair loops and
 * the 2×2 covariance S = S10/m + S01/n.
 */
function slowDelong(y: number[], a: number[], b: number[]) {
  const pos = y.flatMap((v, i) => (v === 1 ? [i] : []));
  const neg = y.flatMap((v, i) => (v === 0 ? [i] : []));
  const m = pos.length;
  const n = neg.length;
  const models = [a, b];
  const v10 = models.map((s) => pos.map((i) => neg.reduce((t, j) => t + psi(s[i]!, s[j]!), 0) / n));
  const v01 = models.map((s) => neg.map((j) => pos.reduce((t, i) => t + psi(s[i]!, s[j]!), 0) / m));
  const auc = v10.map((v) => v.reduce((t, x) => t + x, 0) / m);
  const cov = (u: number[], w: number[]) => {
    const mu = u.reduce((t, x) => t + x, 0) / u.length;
    const mw = w.reduce((t, x) => t + x, 0) / w.length;
    return u.reduce((t, x, k) => t + (x - mu) * (w[k]! - mw), 0) / (u.length - 1);
  };
  const S = (r: number, c: number) => cov(v10[r]!, v10[c]!) / m + cov(v01[r]!, v01[c]!) / n;
  const variance = S(0, 0) + S(1, 1) - 2 * S(0, 1);
  const z = (auc[0]! - auc[1]!) / Math.sqrt(variance);
  return { aucA: auc[0]!, aucB: auc[1]!, varA: S(0, 0), varB: S(1, 1), covAB: S(0, 1), variance, z };
}

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

test("erfc matches Python's math.erfc (C libm) to ~1e-15 relative", () => {
  // Values printed by python3 -c "import math; print(repr(math.erfc(x)))".
  const ref: [number, number][] = [
    [0, 1.0],
    [0.1, 0.8875370839817152],
    [0.5, 0.4795001221869535],
    [1, 0.15729920705028513],
    [1.5, 0.033894853524689274],
    [2, 0.004677734981047265],
    [2.4999, 0.0004071699003334514],
    [2.5, 0.0004069520174449589],
    [3, 2.2090496998585438e-5],
    [4, 1.541725790028002e-8],
    [5, 1.5374597944280351e-12],
    [6, 2.1519736712498916e-17],
    [10, 2.088487583762545e-45],
    [26, 5.663192408856143e-296],
  ];
  for (const [x, v] of ref) {
    assert.ok(Math.abs(erfc(x) - v) <= 1e-14 * v, `erfc(${x}) = ${erfc(x)}, expected ${v}`);
    assert.ok(Math.abs(erfc(-x) - (2 - v)) <= 1e-15 * 2, `erfc(${-x})`);
  }
  // Textbook normal quantiles: P(Z > 1.959964) = 0.025, P(|Z| > 2.575829) = 0.01.
  close(normalSf(1.959963984540054), 0.025, 1e-12, "normalSf");
  close(twoSidedP(2.5758293035489004), 0.01, 1e-12, "twoSidedP");
});

test("DeLong variance by hand: pos {0.9, 0.6}, neg {0.6, 0.2, 0.1}", () => {
  // V10 = [1, 5/6], V01 = [3/4, 1, 1]; AUC = 11/12; S10 = 1/72, S01 = 1/48;
  // var = S10/2 + S01/3 = 1/144 + 1/144 = 1/72.
  const y = [1, 0, 1, 0, 0];
  const s = [0.9, 0.6, 0.6, 0.2, 0.1];
  const c = structuralComponents(y, s)!;
  assert.deepEqual(Array.from(c.v10), [1, 5 / 6]);
  assert.deepEqual(Array.from(c.v01), [0.75, 1, 1]);
  close(c.auc, 11 / 12, 1e-15, "auc");
  close(delongVariance(y, s)!, 1 / 72, 1e-14, "variance");
});

test("paired DeLong (Sun & Xu midranks) equals the O(mn) definition on tied random data", () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 40; trial++) {
    const n = 6 + rng.intBelow(120);
    const y = Array.from({ length: n }, () => (rng.next() < 0.35 ? 1 : 0));
    y[0] = 1;
    y[1] = 0;
    y[2] = 1;
    y[3] = 0;
    const levels = 2 + rng.intBelow(10);
    const a = y.map((v) => Math.min(levels, rng.intBelow(levels) + v * rng.intBelow(3)) / levels);
    const b = y.map((v) => Math.min(levels, rng.intBelow(levels) + v * rng.intBelow(2)) / levels);
    const got = delongTest(y, a, b)!;
    const ref = slowDelong(y, a, b);
    for (const k of ["aucA", "aucB", "varA", "varB", "covAB", "variance"] as const) {
      close(got[k], ref[k], 1e-12, `trial ${trial} ${k}`);
    }
    if (ref.variance > 1e-12) {
      close(got.z, ref.z, 1e-9, `trial ${trial} z`);
      close(got.p, erfc(Math.abs(ref.z) / Math.SQRT2), 1e-9, `trial ${trial} p`);
      // 95 % interval: diff ± z₀.₉₇₅·SE with z₀.₉₇₅ = 1.959964 (normal tables).
      close(got.ci95[1] - got.diff, 1.959964 * Math.sqrt(ref.variance), 1e-6, `trial ${trial} ci`);
      close(got.diff - got.ci95[0], 1.959964 * Math.sqrt(ref.variance), 1e-6, `trial ${trial} ci`);
    }
  }
});

test("paired DeLong: a model against itself gives z = 0, p = 1; classes missing gives null", () => {
  const y = [1, 0, 1, 0, 1, 0];
  const s = [0.9, 0.1, 0.4, 0.4, 0.7, 0.8];
  const t = delongTest(y, s, s)!;
  assert.equal(t.diff, 0);
  assert.equal(t.z, 0);
  assert.equal(t.p, 1);
  assert.equal(delongTest([1, 1], [0.2, 0.3], [0.1, 0.1]), null);
  assert.throws(() => delongTest([1, 0], [0.2, 0.3], [0.1]), /same length/);
});

test("paired DeLong on Hanley & McNeil's CT table: SE near their published 0.032", () => {
  // One model against a constant (AUC ½, zero variance) isolates var(AUC). Hanley & McNeil's
  // exponential approximation gives SE 0.032 for AUC 0.893; DeLong's estimator differs slightly.
  const y: number[] = [];
  const s: number[] = [];
  const add = (label: number, counts: number[]) =>
    counts.forEach((k, r) => {
      for (let i = 0; i < k; i++) {
        y.push(label);
        s.push(r + 1);
      }
    });
  add(0, [33, 6, 6, 11, 2]);
  add(1, [3, 2, 2, 11, 33]);
  const t = delongTest(y, s, new Array(y.length).fill(0))!;
  close(t.varB, 0, 0, "constant model variance");
  const se = Math.sqrt(t.varA);
  assert.ok(se > 0.028 && se < 0.036, `SE ${se}`);
  close(t.varA, slowDelong(y, s, s).varA, 1e-12, "variance vs definition");
});
