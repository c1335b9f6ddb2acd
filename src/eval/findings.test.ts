import assert from "node:assert/strict";
import { test } from "node:test";
import { sklearn } from "../../test/sklearn-cases.js";
import { Rng } from "../random/rng.js";
import { CumulativeFindings } from "./cumulative.js";
import { delongTest } from "./delong.js";
import { type FindingMatrix, findingMatrix } from "./finding-matrix.js";
import { delongMeanTest, macroAuc } from "./findings.js";
import { evaluateFindings } from "./report.js";

const { multilabel } = sklearn;

function close(a: number, b: number, tol: number, what: string): void {
  assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
}

test("macro AUC matches scikit-learn per finding and leaves out one-class findings", () => {
  const r = macroAuc(findingMatrix(multilabel.labels), findingMatrix(multilabel.probs));
  assert.equal(r.nEvaluated, multilabel.n_evaluated);
  r.perFinding.forEach((a, j) => {
    const ref = multilabel.auc[j];
    if (ref === null) assert.equal(a, null, `finding ${j}`);
    else close(a!, ref!, 1e-12, `finding ${j}`);
  });
  close(r.mean!, multilabel.mean_auc, 1e-12, "mean");
});

/** Random multi-label data: F findings over n cases, model B noisier than A. */
function twoModels(n: number, f: number, seed: number) {
  const rng = new Rng(seed);
  const labels: number[][] = [];
  const a: number[][] = [];
  const b: number[][] = [];
  for (let i = 0; i < n; i++) {
    const y = Array.from({ length: f }, (_, j) => (rng.next() < 0.2 + 0.1 * j ? 1 : 0));
    labels.push(y);
    a.push(y.map((v) => Math.round(Math.min(1, rng.next() * 0.7 + 0.3 * v) * 20) / 20));
    b.push(y.map((v) => Math.round(Math.min(1, rng.next() * 0.9 + 0.1 * v) * 20) / 20));
  }
  return { labels: findingMatrix(labels), a: findingMatrix(a), b: findingMatrix(b) };
}

function sub(m: FindingMatrix, cols: number[]): FindingMatrix {
  const rows: number[][] = [];
  for (let i = 0; i < m.rows; i++) rows.push(cols.map((j) => m.data[i * m.cols + j]!));
  return findingMatrix(rows);
}

test("mean DeLong test: one finding is the paired DeLong test; a duplicated finding changes nothing", () => {
  const { labels, a, b } = twoModels(120, 3, 21);
  for (let j = 0; j < 3; j++) {
    const one = delongMeanTest(sub(labels, [j]), sub(a, [j]), sub(b, [j]))!;
    const ref = delongTest(sub(labels, [j]).data, sub(a, [j]).data, sub(b, [j]).data)!;
    for (const k of ["aucA", "aucB", "variance", "varA", "varB", "covAB", "z", "p"] as const) {
      close(one[k], ref[k], 1e-12, `finding ${j} ${k}`);
    }
    const twice = delongMeanTest(sub(labels, [j, j]), sub(a, [j, j]), sub(b, [j, j]))!;
    close(twice.variance, ref.variance, 1e-15, "duplicated finding variance");
  }
});

test("mean DeLong test: findings on disjoint cases add variances as independent estimates", () => {
  // Finding 0 is labelled only on the first half of the cases, finding 1 only on the second half
  // (NaN elsewhere), so var(mean of 2) = (var0 + var1) / 4.
  const { labels, a, b } = twoModels(200, 2, 5);
  const masked = Array.from(labels.data as Float64Array);
  for (let i = 0; i < 200; i++) masked[i * 2 + (i < 100 ? 1 : 0)] = Number.NaN;
  const y = { rows: 200, cols: 2, data: Float64Array.from(masked) };
  const t = delongMeanTest(y, a, b)!;
  const col = (m: FindingMatrix, j: number) => Array.from({ length: 200 }, (_, i) => m.data[i * 2 + j]!);
  const v0 = delongTest(col(y, 0), col(a, 0), col(b, 0))!.variance;
  const v1 = delongTest(col(y, 1), col(a, 1), col(b, 1))!.variance;
  close(t.variance, (v0 + v1) / 4, 1e-15, "variance");
});

test("mean DeLong variance agrees with a paired case bootstrap of the mean AUC difference", () => {
  const { labels, a, b } = twoModels(400, 3, 77);
  const t = delongMeanTest(labels, a, b)!;
  const rng = new Rng(1);
  const diffs: number[] = [];
  for (let r = 0; r < 300; r++) {
    const idx = Array.from({ length: labels.rows }, () => rng.intBelow(labels.rows));
    const pick = (m: FindingMatrix): FindingMatrix => ({
      rows: idx.length,
      cols: m.cols,
      data: Float64Array.from(
        idx.flatMap((i) => Array.from({ length: m.cols }, (_, j) => m.data[i * m.cols + j]!)),
      ),
    });
    const yl = pick(labels);
    diffs.push(macroAuc(yl, pick(a)).mean! - macroAuc(yl, pick(b)).mean!);
  }
  const mean = diffs.reduce((s, d) => s + d, 0) / diffs.length;
  const bootVar = diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / (diffs.length - 1);
  assert.ok(Math.abs(bootVar / t.variance - 1) < 0.25, `bootstrap var ${bootVar} vs DeLong ${t.variance}`);
});

test("evaluateFindings: JSON-ready report, null AUC and CI for one-class findings", () => {
  const labels = findingMatrix([
    [1, 0, 1],
    [0, 0, 1],
    [1, 0, 1],
    [0, 0, 1],
  ]);
  const probs = findingMatrix([
    [0.9, 0.1, 0.5],
    [0.2, 0.3, 0.5],
    [0.6, 0.2, 0.5],
    [0.6, 0.4, 0.5],
  ]);
  const r = evaluateFindings(labels, probs, { names: ["a", "b", "c"], bootstrap: 50, seed: 3 });
  assert.equal(r.findings.a!.auc, 0.875); // pairs: 0.9 beats both; 0.6 ties 0.6, beats 0.2
  assert.equal(r.findings.a!.n_pos, 2);
  assert.equal(r.findings.a!.n_neg, 2);
  assert.ok(r.findings.a!.ci![0] <= 0.875 && r.findings.a!.ci![1] <= 1);
  assert.equal(r.findings.b!.auc, null);
  assert.equal(r.findings.b!.ci, null);
  assert.equal(r.findings.c!.auc, null);
  assert.equal(r.mean_auc, 0.875);
  assert.equal(r.n_findings_evaluated, 1);
  // At p ≥ 0.5, finding a: calls cases 1, 3, 4 positive; case 4 is a negative → tp 2, fp 1, tn 1.
  assert.deepEqual(
    { ...r.findings.a!.at_threshold },
    {
      threshold: 0.5,
      tp: 2,
      fp: 1,
      tn: 1,
      fn: 0,
      accuracy: 0.75,
      sensitivity: 1,
      specificity: 0.5,
      precision: 2 / 3,
      f1: 0.8,
    },
  );
  assert.equal(r.findings.b!.at_threshold.sensitivity, null);
  assert.equal(r.findings.a!.roc, undefined);
  const curves = evaluateFindings(labels, probs, { names: ["a", "b", "c"], bootstrap: 0, curves: true });
  // Corners of finding a: (0,0) at +∞ → null, (0,½) at 0.9, (½,1) at 0.6, (1,1) at 0.2.
  assert.deepEqual(curves.findings.a!.roc, {
    fpr: [0, 0, 0.5, 1],
    tpr: [0, 0.5, 1, 1],
    thresholds: [null, 0.9, 0.6, 0.2],
  });
  assert.equal(curves.findings.a!.reliability!.length, 10);
  assert.doesNotThrow(() => JSON.stringify(r));
  assert.throws(() => evaluateFindings(labels, probs, { names: ["a", "a", "c"] }), /distinct/);
  const steps: number[] = [];
  evaluateFindings(labels, probs, { bootstrap: 5, onProgress: (done, total) => steps.push(done / total) });
  assert.deepEqual(steps, [1 / 4, 2 / 4, 3 / 4, 1]);
  const withB = evaluateFindings(labels, probs, { names: ["a", "b", "c"], bootstrap: 0, compare: probs });
  assert.equal(withB.findings.a!.ci, null);
  assert.deepEqual(withB.findings.a!.compare, { auc_b: 0.875, diff: 0, diff_ci: [0, 0], z: 0, p: 1 });
  assert.equal(withB.compare!.p, 1);
});

test("CumulativeFindings over batches equals one evaluation of all cases", () => {
  const { labels, a } = twoModels(90, 3, 4);
  const acc = new CumulativeFindings(3);
  for (let start = 0; start < 90; start += 25) {
    const end = Math.min(90, start + 25);
    const slice = (m: FindingMatrix): FindingMatrix => ({
      rows: end - start,
      cols: 3,
      data: (m.data as Float64Array).subarray(start * 3, end * 3),
    });
    acc.update(slice(labels), slice(a));
  }
  assert.equal(acc.count, 90);
  assert.deepEqual(acc.auc(), macroAuc(labels, a));
  assert.deepEqual(acc.aggregate({ bootstrap: 20 }), evaluateFindings(labels, a, { bootstrap: 20 }));
  acc.reset();
  assert.equal(acc.count, 0);
});
