import assert from "node:assert/strict";
import { test } from "node:test";
import { clipGradNorm } from "./clip.js";

test("clips by the global L2 norm with torch's 1e-6 in the denominator", () => {
  const a = Float32Array.of(3, 4);
  const b = Float32Array.of(12);
  const grads = new Map([
    ["a", a],
    ["b", b],
  ]);
  // ‖(3, 4, 12)‖ = 13.
  assert.equal(clipGradNorm(grads, 6.5), 13);
  const coef = 6.5 / (13 + 1e-6);
  assert.deepEqual([...a, ...b], [3 * coef, 4 * coef, 12 * coef].map(Math.fround));
});

test("leaves gradients under the limit untouched and returns their norm", () => {
  const g = [Float32Array.of(0.6, -0.8)];
  assert.ok(Math.abs(clipGradNorm(g, 1.5) - 1) < 1e-7);
  assert.deepEqual([...g[0]!], [Math.fround(0.6), Math.fround(-0.8)]);
});

test("infinity and 1 norms; non-finite handling", () => {
  const g = [Float32Array.of(1, -5), Float32Array.of(2)];
  assert.equal(clipGradNorm(g, 10, { normType: Number.POSITIVE_INFINITY }), 5);
  assert.equal(clipGradNorm([Float32Array.of(1, -5), Float32Array.of(2)], 100, { normType: 1 }), 8);
  const bad = [Float32Array.of(1, Number.NaN)];
  assert.ok(Number.isNaN(clipGradNorm(bad, 1)));
  assert.throws(
    () => clipGradNorm([Float32Array.of(Number.POSITIVE_INFINITY)], 1, { errorIfNonfinite: true }),
    /non-finite/,
  );
  assert.equal(clipGradNorm([], 1), 0);
});
