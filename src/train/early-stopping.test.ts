import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EarlyStopping } from "./early-stopping.js";

/** The 1-based epoch at which `metrics` makes the stopper stop, or null. */
function stopEpoch(es: EarlyStopping, metrics: (number | null)[]): number | null {
  for (const [e, m] of metrics.entries()) if (es.update(m, e).stop) return e + 1;
  return null;
}

describe("EarlyStopping", () => {
  it("stops after `patience` epochs without an improvement", () => {
    // Best 0.80 at epoch 3; epochs 4, 5, 6 do not beat it: patience 3 stops at epoch 6.
    const es = new EarlyStopping(3);
    assert.equal(stopEpoch(es, [0.6, 0.7, 0.8, 0.79, 0.8, 0.75, 0.9]), 6);
    assert.deepEqual(es.state, { best: 0.8, bestEpoch: 2, bad: 3 });
  });

  it("an improvement must exceed minDelta; a later real improvement resets the count", () => {
    // minDelta 0.01: 0.705 does not beat 0.70 by more than 0.01; 0.72 does (count reset); then
    // 0.725 and 0.729 do not beat 0.72 + 0.01: patience 2 stops at epoch 5.
    const es = new EarlyStopping(2, 0.01);
    assert.equal(stopEpoch(es, [0.7, 0.705, 0.72, 0.725, 0.729, 0.73]), 5);
    assert.equal(es.state.bestEpoch, 2);
  });

  it("an undefined metric is skipped (no improvement, no patience used); patience 0 never stops", () => {
    const es = new EarlyStopping(2);
    assert.equal(stopEpoch(es, [null, null, null]), null);
    assert.deepEqual(es.state, { best: null, bestEpoch: null, bad: 0 });
    // 0.7 best at epoch 2; epochs 3 (null) and 4 (0.6): one bad epoch; 5 (0.65): stop.
    const es2 = new EarlyStopping(2);
    assert.equal(stopEpoch(es2, [0.5, 0.7, null, 0.6, 0.65]), 5);
    const never = new EarlyStopping(0);
    assert.equal(stopEpoch(never, [0.9, 0.1, 0.1, 0.1, 0.1]), null);
    assert.equal(never.state.bad, 4);
  });

  it("its state carries over (as a resumed run restores it)", () => {
    const a = new EarlyStopping(2);
    a.update(0.5, 0);
    a.update(0.4, 1);
    const b = new EarlyStopping(2);
    b.state = structuredClone(a.state);
    assert.deepEqual(b.update(0.45, 2), { improved: false, stop: true });
  });
});
