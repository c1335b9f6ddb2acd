import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { EpochRecord } from "./checkpoint.js";
import { duration, Progress } from "./progress.js";

const record = (epoch: number, seconds: number): EpochRecord => ({
  epoch,
  step: epoch * 4,
  trainLoss: 0.25,
  gradNorm: 1,
  valMeanAuc: 0.875,
  valAuc: {},
  lr: {},
  seconds,
});

describe("Progress", () => {
  it("off a terminal: one plain line per epoch with loss, AUC and an ETA from the measured pace", () => {
    const out: string[] = [];
    const p = new Progress({ isTTY: false, write: (s) => out.push(s) }, 3, 4);
    p.startEpoch();
    for (let i = 1; i <= 4; i++) p.step(0, i, 0.3);
    p.endEpoch(record(1, 10), 4);
    // 10 s for 4 steps; 2 epochs × 4 steps left → 20 s.
    assert.deepEqual(out, ["epoch 1/3  loss 0.2500  val mean AUC 0.8750  10.0 s  ETA 20s\n"]);
  });

  it("on a terminal: a redrawn bar with steps, loss and the last AUC, then the epoch line", () => {
    const out: string[] = [];
    const p = new Progress({ isTTY: true, write: (s) => out.push(s) }, 2, 4);
    p.startEpoch();
    p.step(0, 4, 0.5);
    assert.equal(out.length, 1);
    assert.ok(
      out[0]!.startsWith(`\r\x1b[Kepoch 1/2 ${"█".repeat(24)} 4/4 loss 0.5000 val AUC – ETA `),
      out[0],
    );
    p.endEpoch(record(1, 2), 4);
    assert.equal(out[1], "\r\x1b[Kepoch 1/2  loss 0.2500  val mean AUC 0.8750  2.0 s  ETA 2s\n");
    p.startEpoch();
    p.step(1, 4, 0.4);
    assert.match(out[2]!, /val AUC 0\.8750/);
  });

  it("formats durations", () => {
    assert.equal(duration(12.4), "12s");
    assert.equal(duration(185), "3m05s");
    assert.equal(duration(3720), "1h02m");
    assert.equal(duration(Number.NaN), "?");
  });
});
