import assert from "node:assert/strict";
import { test } from "node:test";
import { sklearn } from "../../test/sklearn-cases.js";
import { Rng } from "../random/rng.js";
import { rocAuc, rocCurve } from "./roc.js";
import { midranks, scoreGroups } from "./score-groups.js";

function assertClose(actual: ArrayLike<number>, expected: readonly number[], what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let k = 0; k < expected.length; k++) {
    assert.ok(Math.abs(actual[k]! - expected[k]!) < 1e-12, `${what}[${k}]: ${actual[k]} vs ${expected[k]}`);
  }
}

/** The O(mn) definition: P(score of a positive > score of a negative) + ½ P(tie). */
function bruteAuc(y: ArrayLike<number>, s: ArrayLike<number>): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < y.length; i++) {
    if (y[i] !== 1) continue;
    for (let j = 0; j < y.length; j++) {
      if (y[j] !== 0) continue;
      pairs++;
      sum += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
    }
  }
  return sum / pairs;
}

test("AUC with ties, by hand", () => {
  // Positives 0.8, 0.5, 0.5; negatives 0.5, 0.2. Pairs: 0.8 beats both (2); each 0.5 ties 0.5 (½)
  // and beats 0.2 (1): U = 2 + 1.5 + 1.5 = 5 of 6.
  assert.equal(rocAuc([1, 1, 1, 0, 0], [0.8, 0.5, 0.5, 0.5, 0.2]), 5 / 6);
  // All scores equal: every pair is a tie.
  assert.equal(rocAuc([1, 0, 1, 0], [0.3, 0.3, 0.3, 0.3]), 0.5);
  // Perfectly wrong ranking.
  assert.equal(rocAuc([0, 0, 1], [0.9, 0.8, 0.1]), 0);
});

test("AUC of Hanley & McNeil's (1982) CT rating table is their published 0.893", () => {
  // 5-point ratings of 109 CT images: normal 33/6/6/11/2, abnormal 3/2/2/11/33 (Radiology 143:29).
  const y: number[] = [];
  const s: number[] = [];
  [33, 6, 6, 11, 2].forEach((k, r) => {
    for (let i = 0; i < k; i++) {
      y.push(0);
      s.push(r + 1);
    }
  });
  [3, 2, 2, 11, 33].forEach((k, r) => {
    for (let i = 0; i < k; i++) {
      y.push(1);
      s.push(r + 1);
    }
  });
  // By hand: U = 3·16.5 + 2·36 + 2·42 + 11·50.5 + 33·57 = 2642 of 51·58 = 2958 pairs.
  assert.equal(rocAuc(y, s), 2642 / 2958);
  assert.equal(Math.round(rocAuc(y, s)! * 1000) / 1000, 0.893);
});

test("AUC is null, not 0.5, when a class is missing; NaN labels are skipped", () => {
  assert.equal(rocAuc([1, 1, 1], [0.1, 0.2, 0.3]), null);
  assert.equal(rocAuc([0, 0], [0.1, 0.2]), null);
  assert.equal(rocAuc([], []), null);
  assert.equal(rocAuc([1, Number.NaN, 0, Number.NaN], [0.9, 0.0, 0.1, 1.0]), 1);
  assert.throws(() => rocAuc([1, 0], [0.5, Number.NaN]), /NaN/);
  assert.throws(() => rocAuc([1, 2], [0.5, 0.4]), /not 0, 1/);
});

test("AUC equals the O(mn) pair count on random data with many ties", () => {
  const rng = new Rng(7);
  for (let trial = 0; trial < 50; trial++) {
    const n = 2 + rng.intBelow(80);
    const y = Array.from({ length: n }, () => (rng.next() < 0.4 ? 1 : 0));
    const s = Array.from({ length: n }, () => rng.intBelow(6) / 5);
    const expected = y.includes(1) && y.includes(0) ? bruteAuc(y, s) : null;
    const got = rocAuc(y, s);
    if (expected === null) assert.equal(got, null);
    else assert.ok(Math.abs(got! - expected) < 1e-12, `trial ${trial}: ${got} vs ${expected}`);
  }
});

test("AUC and ROC curves equal scikit-learn's on tied data", () => {
  for (const c of sklearn.cases) {
    assert.ok(Math.abs(rocAuc(c.y, c.s)! - c.auc) < 1e-12, `${c.name}: auc`);
    for (const [drop, ref] of [
      [true, c.roc],
      [false, c.roc_all],
    ] as const) {
      const r = rocCurve(c.y, c.s, { dropIntermediate: drop });
      assert.equal(r.fpr.length, ref.fpr.length, `${c.name} drop=${drop}: number of points`);
      assertClose(r.fpr, ref.fpr, `${c.name}: fpr`);
      assertClose(r.tpr, ref.tpr, `${c.name}: tpr`);
      assert.equal(r.thresholds[0], Number.POSITIVE_INFINITY);
      assert.deepEqual(
        Array.from(r.thresholds.subarray(1)),
        ref.thresholds_after_first,
        `${c.name}: thresholds`,
      );
    }
  }
});

test("ROC curve by hand, with a tie across classes", () => {
  // Scores desc: 0.9(+) 0.5(+,−) 0.2(−): points (0,0) (0,½) (½,1) (1,1).
  const r = rocCurve([1, 1, 0, 0], [0.9, 0.5, 0.5, 0.2]);
  assert.deepEqual(Array.from(r.fpr), [0, 0, 0.5, 1]);
  assert.deepEqual(Array.from(r.tpr), [0, 0.5, 1, 1]);
  assert.deepEqual(Array.from(r.thresholds), [Number.POSITIVE_INFINITY, 0.9, 0.5, 0.2]);
});

test("midranks average tied positions (by hand)", () => {
  assert.deepEqual(Array.from(midranks([1.3, 1.7, 1.7, 2.5])), [1, 2.5, 2.5, 4]);
  assert.deepEqual(Array.from(midranks([4, 1, 0, 9, 22, 0])), [4, 3, 1.5, 5, 6, 1.5]);
  assert.deepEqual(Array.from(midranks([])), []);
});

test("score groups count each distinct score per class", () => {
  const g = scoreGroups([1, 0, 1, 0, Number.NaN], [0.5, 0.5, 0.1, 0.9, 0.3]);
  assert.deepEqual(Array.from(g.values), [0.1, 0.5, 0.9]);
  assert.deepEqual(Array.from(g.posCount), [1, 1, 0]);
  assert.deepEqual(Array.from(g.negCount), [0, 1, 1]);
  assert.deepEqual(Array.from(g.posGroup), [0, 1]);
  assert.deepEqual(Array.from(g.negGroup), [1, 2]);
});
