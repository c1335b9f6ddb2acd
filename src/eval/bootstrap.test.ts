import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../random/rng.js";
import { bootstrapAucCi, bootstrapAucReplicates, quantileSorted } from "./bootstrap.js";
import { delongVariance } from "./delong.js";
import { rocAuc } from "./roc.js";
import { scoreGroups } from "./score-groups.js";

/** Labels and tied scores where positives score higher on average. */
function sample(n: number, seed: number): { y: number[]; s: number[] } {
  const rng = new Rng(seed);
  const y = Array.from({ length: n }, (_, i) => (i < 2 ? i : rng.next() < 0.3 ? 1 : 0));
  const s = y.map((v) => Math.round((rng.next() + 0.4 * v) * 20) / 20);
  return { y, s };
}

test("each fast replicate equals the AUC of the materialised resample", () => {
  const { y, s } = sample(150, 3);
  const groups = scoreGroups(y, s);
  const fast = bootstrapAucReplicates(groups, 30, new Rng(99));
  // Replay the same draws (positives then negatives, indices into each class sorted by score).
  const pos = s.filter((_, i) => y[i] === 1).sort((a, b) => a - b);
  const neg = s.filter((_, i) => y[i] === 0).sort((a, b) => a - b);
  const rng = new Rng(99);
  for (let r = 0; r < 30; r++) {
    const ps = Array.from({ length: pos.length }, () => pos[rng.intBelow(pos.length)]!);
    const ns = Array.from({ length: neg.length }, () => neg[rng.intBelow(neg.length)]!);
    const ref = rocAuc([...ps.map(() => 1), ...ns.map(() => 0)], [...ps, ...ns])!;
    assert.ok(Math.abs(fast[r]! - ref) < 1e-12, `replicate ${r}: ${fast[r]} vs ${ref}`);
  }
});

test("bootstrap CI: contains the estimate, deterministic per seed, varies with the seed", () => {
  const { y, s } = sample(300, 5);
  const auc = rocAuc(y, s)!;
  const a = bootstrapAucCi(y, s, { replicates: 500, seed: 1 })!;
  const b = bootstrapAucCi(y, s, { replicates: 500, seed: 1 })!;
  const c = bootstrapAucCi(y, s, { replicates: 500, seed: 2 })!;
  assert.ok(a.ci[0] < auc && auc < a.ci[1], `${a.ci} around ${auc}`);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.ci, c.ci);
  assert.equal(bootstrapAucCi([1, 1], [0.1, 0.2]), null);
});

test("bootstrap CI shrinks like 1/√n and its SE agrees with DeLong's", () => {
  const small = sample(200, 8);
  const large = sample(3200, 8);
  const ws = bootstrapAucCi(small.y, small.s, { replicates: 400, seed: 3 })!;
  const wl = bootstrapAucCi(large.y, large.s, { replicates: 400, seed: 3 })!;
  const ratio = (ws.ci[1] - ws.ci[0]) / (wl.ci[1] - wl.ci[0]);
  // 16× the cases: about 4× narrower.
  assert.ok(ratio > 2.8 && ratio < 5.5, `width ratio ${ratio}`);
  for (const d of [small, large]) {
    const se = bootstrapAucCi(d.y, d.s, { replicates: 400, seed: 4 })!.se;
    const delong = Math.sqrt(delongVariance(d.y, d.s)!);
    assert.ok(Math.abs(se / delong - 1) < 0.15, `bootstrap SE ${se} vs DeLong SE ${delong}`);
  }
});

test("percentile quantile interpolates like numpy's default", () => {
  // numpy.percentile([1, 2, 3, 4], [2.5, 50, 97.5]) = [1.075, 2.5, 3.925].
  assert.ok(Math.abs(quantileSorted([1, 2, 3, 4], 0.025) - 1.075) < 1e-12);
  assert.equal(quantileSorted([1, 2, 3, 4], 0.5), 2.5);
  assert.ok(Math.abs(quantileSorted([1, 2, 3, 4], 0.975) - 3.925) < 1e-12);
  assert.equal(quantileSorted([7], 0.3), 7);
});
