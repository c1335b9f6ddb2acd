import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fixture } from "../../test/paths.js";
import { applyPoint } from "../volume/affine.js";
import { resizeIndexMap, resizeTensor } from "./resize.js";

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i]! - b[i]!) <= tol, `[${i}] ${a[i]} vs ${b[i]}`);
};

test("bilinear 2×2 → 4×4 by hand (half-pixel centres, clamped borders)", () => {
  // Column weights for n = 2 → m = 4: x = (o + ½)/2 − ½ = −¼ (→ 0), ¼, ¾, 1¼ (upper neighbour clamped).
  const out = resizeTensor(Float32Array.of(0, 1, 2, 3), [1, 1, 2, 2], [1, 1, 4, 4]);
  close(out, [0, 0.25, 0.75, 1, 0.5, 0.75, 1.25, 1.5, 1.5, 1.75, 2.25, 2.5, 2, 2.25, 2.75, 3]);
});

test("linear 4 → 2 averages neighbours; nearest-exact 3 → 2 picks 0 and 2", () => {
  close(resizeTensor(Float32Array.of(0, 10, 20, 40), [4], [2]), [5, 30]);
  close(resizeTensor(Float32Array.of(7, 8, 9), [3], [2], "nearest"), [7, 9]);
  // Unchanged axes are copied exactly.
  close(resizeTensor(Float32Array.of(1, 2, 3, 4), [2, 2], [2, 2]), [1, 2, 3, 4]);
});

test("agrees with PyTorch F.interpolate (bilinear, trilinear, nearest-exact)", () => {
  const ref = JSON.parse(readFileSync(fixture("data", "resize_torch.json"), "utf8")) as {
    cases: { mode: string; shape: number[]; out_shape: number[]; x: number[]; y: number[] }[];
  };
  for (const c of ref.cases) {
    const got = resizeTensor(
      Float32Array.from(c.x),
      c.shape,
      c.out_shape,
      c.mode === "nearest-exact" ? "nearest" : "linear",
    );
    close(got, c.y, 1e-5);
  }
});

test("resizeIndexMap: output index → input coordinate, x = (o + ½)·n/m − ½", () => {
  const m = resizeIndexMap([4, 3, 2], [8, 6, 4]);
  assert.deepEqual(applyPoint(m, 0, 0, 0), [-0.25, -0.25, -0.25]);
  assert.deepEqual(applyPoint(m, 7, 5, 3), [3.25, 2.25, 1.25]);
});
