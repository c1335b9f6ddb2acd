import assert from "node:assert/strict";
import { test } from "node:test";
import {
  constantSchedule,
  stepSchedule,
  warmupConstantSchedule,
  warmupCosineSchedule,
  warmupLinearSchedule,
} from "./schedule.js";

const close = (a: number, b: number, what: string) =>
  assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

test("warmup + cosine: linear ramp from 0, cosine to the floor, then held", () => {
  const f = warmupCosineSchedule({ warmupSteps: 4, totalSteps: 12, minFactor: 0.1 });
  // Hand values: warmup s/4; after it, 0.1 + 0.9·(1 + cos(π·(s−4)/8))/2.
  const expected: [number, number][] = [
    [0, 0],
    [1, 0.25],
    [3, 0.75],
    [4, 1],
    [6, 0.1 + (0.9 * (1 + Math.SQRT1_2)) / 2],
    [8, 0.55],
    [10, 0.1 + (0.9 * (1 - Math.SQRT1_2)) / 2],
    [12, 0.1],
    [40, 0.1],
  ];
  for (const [s, v] of expected) close(f(s), v, `step ${s}`);
});

test("warmup + cosine without warmup or floor decays from 1 to 0", () => {
  const f = warmupCosineSchedule({ warmupSteps: 0, totalSteps: 10 });
  close(f(0), 1, "start");
  close(f(5), 0.5, "half");
  close(f(10), 0, "end");
  assert.throws(() => warmupCosineSchedule({ warmupSteps: 5, totalSteps: 3 }), RangeError);
});

test("step schedule is torch StepLR; constant and warmup-constant", () => {
  const f = stepSchedule({ stepSize: 3, gamma: 0.5 });
  assert.deepEqual([0, 1, 2, 3, 5, 6, 7, 9].map(f), [1, 1, 1, 0.5, 0.5, 0.25, 0.25, 0.125]);
  assert.equal(constantSchedule()(123), 1);
  assert.equal(constantSchedule(0.3)(0), 0.3);
  const w = warmupConstantSchedule({ warmupSteps: 2 });
  assert.deepEqual([0, 1, 2, 50].map(w), [0, 0.5, 1, 1]);
});

test("warmup + linear decay to a floor", () => {
  const f = warmupLinearSchedule({ warmupSteps: 2, totalSteps: 10, minFactor: 0.2 });
  // Hand values: s/2 while warming up, then 0.2 + 0.8·(1 − (s − 2)/8).
  const want = [0, 0.5, 1, 0.6, 0.2, 0.2];
  [0, 1, 2, 6, 10, 11].forEach((s, i) => {
    close(f(s), want[i]!, `step ${s}`);
  });
  const g = warmupLinearSchedule({ warmupSteps: 0, totalSteps: 4 });
  assert.deepEqual([0, 1, 4].map(g), [1, 0.75, 0]);
});
