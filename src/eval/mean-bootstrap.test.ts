import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../random/rng.js";
import { type FindingMatrix, findingMatrix } from "./finding-matrix.js";
import { macroAuc } from "./findings.js";
import { bootstrapMeanAucCi, bootstrapMeanAucReplicates } from "./mean-bootstrap.js";

/**
 * n cases × 3 findings, tied scores, some labels missing; finding 1 has exactly 2 positives
 * (`rare`) or 10 % positives, finding 2 none.
 */
function data(n: number, seed: number, rare = true): { labels: FindingMatrix; probs: FindingMatrix } {
  const rng = new Rng(seed);
  const labels: number[][] = [];
  const probs: number[][] = [];
  for (let i = 0; i < n; i++) {
    const y = [rng.next() < 0.4 ? 1 : 0, (rare ? i < 2 : rng.next() < 0.1) ? 1 : 0, 0];
    if (rng.next() < 0.1) y[0] = Number.NaN;
    labels.push(y);
    probs.push(y.map((v) => Math.round(Math.min(1, rng.next() * 0.7 + (v === 1 ? 0.3 : 0)) * 10) / 10));
  }
  return { labels: findingMatrix(labels), probs: findingMatrix(probs) };
}

test("each replicate is macroAuc of the materialised case resample", () => {
  const { labels, probs } = data(60, 2);
  const { means, incomplete } = bootstrapMeanAucReplicates(labels, probs, 40, new Rng(8));
  // Replay the draws: one index per case, then the resampled rows.
  const rng = new Rng(8);
  const draws = new Uint32Array(60);
  let missing = 0;
  for (let r = 0; r < 40; r++) {
    rng.intsBelow(60, draws);
    const pick = (m: FindingMatrix) =>
      findingMatrix(Array.from(draws, (i) => Array.from({ length: 3 }, (_, j) => m.data[i * 3 + j]!)));
    const ref = macroAuc(pick(labels), pick(probs));
    assert.ok(Math.abs(means[r]! - ref.mean!) < 1e-12, `replicate ${r}: ${means[r]} vs ${ref.mean}`);
    // Findings 0 and 1 have both classes in the data; the rare one sometimes drops out.
    if (ref.nEvaluated < 2) missing++;
  }
  assert.equal(incomplete, missing);
  assert.ok(missing > 0, "the rare finding should lose its positives in some replicates");
});

test("mean AUC CI: contains the estimate, deterministic per seed, shrinks with n", () => {
  const small = data(200, 4, false);
  const large = data(3200, 4, false);
  const est = macroAuc(small.labels, small.probs).mean!;
  const a = bootstrapMeanAucCi(small.labels, small.probs, { replicates: 300, seed: 5 })!;
  assert.ok(a.ci[0] < est && est < a.ci[1], `${a.ci} around ${est}`);
  assert.deepEqual(bootstrapMeanAucCi(small.labels, small.probs, { replicates: 300, seed: 5 }), a);
  const b = bootstrapMeanAucCi(large.labels, large.probs, { replicates: 300, seed: 5 })!;
  const ratio = (a.ci[1] - a.ci[0]) / (b.ci[1] - b.ci[0]);
  assert.ok(ratio > 2.5 && ratio < 6, `width ratio ${ratio}`);
  const none = findingMatrix([[0], [0]]);
  assert.equal(bootstrapMeanAucCi(none, none, { replicates: 10 }), null);
});
