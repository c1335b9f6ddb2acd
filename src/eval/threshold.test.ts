import assert from "node:assert/strict";
import { test } from "node:test";
import { sklearn } from "../../test/sklearn-cases.js";
import { calibration } from "./calibration.js";
import { confusionAtThreshold, sensitivityAtSpecificity } from "./threshold.js";

const { cases } = sklearn;

test("sensitivity at specificity by hand", () => {
  // 10 negatives 0.0..0.9, 4 positives 0.95, 0.85, 0.55, 0.05. Specificity 0.9 allows 1 false
  // positive: the lowest such threshold is 0.85 (negative 0.9 above it): sensitivity 2/4.
  const neg = Array.from({ length: 10 }, (_, i) => i / 10);
  const pos = [0.95, 0.85, 0.55, 0.05];
  const y = [...neg.map(() => 0), ...pos.map(() => 1)];
  const s = [...neg, ...pos];
  assert.deepEqual(sensitivityAtSpecificity(y, s, 0.9), {
    threshold: 0.85,
    sensitivity: 0.5,
    specificity: 0.9,
  });
  // Specificity 0.5 allows 5 false positives (0.5..0.9); sensitivity 3/4 is reached at 0.55 with
  // 4 false positives, and 0.5 adds a false positive but no true one: threshold 0.55.
  assert.deepEqual(sensitivityAtSpecificity(y, s, 0.5), {
    threshold: 0.55,
    sensitivity: 0.75,
    specificity: 0.6,
  });
  // Specificity 1: no false positive allowed, threshold 0.95.
  assert.deepEqual(sensitivityAtSpecificity(y, s, 1), { threshold: 0.95, sensitivity: 0.25, specificity: 1 });
  // When even the top score is a negative, nothing can be called positive.
  assert.deepEqual(sensitivityAtSpecificity([0, 1], [0.9, 0.1], 1), {
    threshold: Number.POSITIVE_INFINITY,
    sensitivity: 0,
    specificity: 1,
  });
  assert.equal(sensitivityAtSpecificity([1, 1], [0.9, 0.1], 0.9), null);
});

test("sensitivity at specificity, accuracy and F1 match scikit-learn's curves and scores", () => {
  for (const c of cases) {
    for (const [spec, ref] of Object.entries(c.sensitivity_at_specificity)) {
      const got = sensitivityAtSpecificity(c.y, c.s, Number(spec))!;
      assert.ok(Math.abs(got.sensitivity - ref.sensitivity) < 1e-12, `${c.name} @${spec}: sensitivity`);
      assert.ok(Math.abs(got.specificity - ref.specificity) < 1e-12, `${c.name} @${spec}: specificity`);
      assert.equal(
        Number.isFinite(got.threshold) ? got.threshold : null,
        ref.threshold,
        `${c.name} @${spec}: threshold`,
      );
    }
    const conf = confusionAtThreshold(c.y, c.s, 0.5);
    assert.ok(Math.abs(conf.accuracy - c["accuracy_at_0.5"]) < 1e-12, `${c.name}: accuracy`);
    assert.ok(Math.abs((Number.isNaN(conf.f1) ? 0 : conf.f1) - c["f1_at_0.5"]) < 1e-12, `${c.name}: f1`);
  }
});

test("confusion counts by hand", () => {
  const c = confusionAtThreshold([1, 1, 0, 0, 0, Number.NaN], [0.7, 0.2, 0.5, 0.1, 0.4, 0.9], 0.5);
  assert.deepEqual([c.tp, c.fn, c.fp, c.tn], [1, 1, 1, 2]);
  assert.equal(c.accuracy, 3 / 5);
  assert.equal(c.f1, 2 / 4);
  assert.ok(Number.isNaN(confusionAtThreshold([0, 0], [0.1, 0.2]).f1));
});

test("calibration bins and ECE match scikit-learn's calibration_curve", () => {
  for (const c of cases) {
    const cal = calibration(c.y, c.s, 10);
    const nonEmpty = cal.bins.filter((b) => b.count > 0);
    assert.deepEqual(
      cal.bins.map((b) => b.count),
      c.calibration.counts,
      `${c.name}: bin counts`,
    );
    nonEmpty.forEach((b, k) => {
      assert.ok(
        Math.abs(b.fractionPositive! - c.calibration.prob_true[k]!) < 1e-12,
        `${c.name}: prob_true[${k}]`,
      );
      assert.ok(
        Math.abs(b.meanPredicted! - c.calibration.prob_pred[k]!) < 1e-12,
        `${c.name}: prob_pred[${k}]`,
      );
    });
    assert.ok(
      Math.abs(cal.ece! - c.calibration.ece) < 1e-12,
      `${c.name}: ece ${cal.ece} vs ${c.calibration.ece}`,
    );
  }
});

test("calibration by hand: two bins", () => {
  // Bin (0, 0.5]: p 0.2, 0.4 with labels 0, 1 → mean p 0.3, fraction 0.5, gap 0.2.
  // Bin (0.5, 1]: p 0.9, 0.9 with labels 1, 1 → gap 0.1. ECE = ½·0.2 + ½·0.1 = 0.15.
  const cal = calibration([0, 1, 1, 1], [0.2, 0.4, 0.9, 0.9], 2);
  assert.ok(Math.abs(cal.ece! - 0.15) < 1e-15);
  assert.ok(Math.abs(cal.mce! - 0.2) < 1e-15);
  assert.deepEqual(
    cal.bins.map((b) => [b.lo, b.hi, b.count]),
    [
      [0, 0.5, 2],
      [0.5, 1, 2],
    ],
  );
  // A probability on an edge goes to the lower bin; 0 goes to the first.
  assert.deepEqual(
    calibration([0, 1, 0], [0.5, 1, 0], 2).bins.map((b) => b.count),
    [2, 1],
  );
  assert.equal(calibration([Number.NaN], [0.3]).ece, null);
  assert.throws(() => calibration([1], [1.5]), /not in \[0, 1\]/);
});
