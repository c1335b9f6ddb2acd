import assert from "node:assert/strict";
import { test } from "node:test";
import { InputError } from "../errors.js";
import { applyPoint, mat4 } from "./affine.js";
import { reorient } from "./orient.js";
import { type Plane, sliceStack } from "./slices.js";
import { Volume } from "./volume.js";

// A RAS volume, nx = 3 (R), ny = 2 (A), nz = 4 (S), values = linear index.
const RAS = new Volume({
  data: new Float32Array(24).map((_, i) => i),
  dtype: "float32",
  shape: [3, 2, 4],
  affine: mat4([
    [1, 0, 0, -1],
    [0, 2, 0, -2],
    [0, 0, 3, -3],
    [0, 0, 0, 1],
  ]),
});
const at = (i: number, j: number, k: number) => i + 3 * j + 6 * k;

test("axial, coronal and sagittal stacks of a RAS volume in radiological display, by hand", () => {
  const ax = sliceStack(RAS, "axial");
  assert.deepEqual(ax.shape, [4, 2, 3]);
  // Slice s = k; row r: anterior first → j = 1 − r; column c: patient right first → i = 2 − c.
  for (let s = 0; s < 4; s++)
    for (let r = 0; r < 2; r++)
      for (let c = 0; c < 3; c++) assert.equal(ax.data[c + 3 * (r + 2 * s)], at(2 - c, 1 - r, s));
  const co = sliceStack(RAS, "coronal");
  assert.deepEqual(co.shape, [2, 4, 3]);
  // Slice s = j; row r: superior first → k = 3 − r; column c → i = 2 − c.
  for (let s = 0; s < 2; s++)
    for (let r = 0; r < 4; r++)
      for (let c = 0; c < 3; c++) assert.equal(co.data[c + 3 * (r + 4 * s)], at(2 - c, s, 3 - r));
  const sa = sliceStack(RAS, "sagittal");
  assert.deepEqual(sa.shape, [3, 4, 2]);
  // Slice s = i; row r → k = 3 − r; column c: anterior first → j = 1 − c.
  for (let s = 0; s < 3; s++)
    for (let r = 0; r < 4; r++)
      for (let c = 0; c < 2; c++) assert.equal(sa.data[c + 2 * (r + 4 * s)], at(s, 1 - c, 3 - r));
});

test("stacks do not depend on the stored orientation, and pixelToWorld locates every pixel", () => {
  for (const code of ["LPS", "PIR", "SAL"]) {
    const v = reorient(RAS, code);
    for (const plane of ["axial", "coronal", "sagittal"] as Plane[]) {
      const a = sliceStack(RAS, plane);
      const b = sliceStack(v, plane);
      assert.deepEqual(b.shape, a.shape, `${code} ${plane}`);
      assert.deepEqual([...b.data], [...a.data], `${code} ${plane}`);
      // Each pixel's world point is where the RAS volume holds that value.
      const [S, H, W] = b.shape as [number, number, number];
      for (let s = 0; s < S; s++)
        for (let r = 0; r < H; r++)
          for (let c = 0; c < W; c++) {
            const value = b.data[c + W * (r + H * s)]!;
            const i = value % 3;
            const j = Math.floor(value / 3) % 2;
            const k = Math.floor(value / 6);
            const p = applyPoint(b.pixelToWorld, c, r, s);
            const q = applyPoint(RAS.affine, i, j, k);
            for (let d = 0; d < 3; d++)
              assert.ok(Math.abs(p[d]! - q[d]!) < 1e-9, `${code} ${plane} (${c},${r},${s})`);
          }
    }
  }
});

test("windowed stacks are [S, C, H, W] with scaling applied; 4D picks a volume", () => {
  const data = new Int16Array(8).map((_, i) => i * 10);
  const v = new Volume({
    data,
    dtype: "int16",
    shape: [2, 1, 2, 2],
    scaling: { slope: 1, intercept: -5 },
  });
  // Volume t = 1, axial: slices k = 0, 1; one row; columns i = 1, 0. Real values: 10i + 20k + 40 − 5.
  const st = sliceStack(v, "axial", {
    t: 1,
    windows: [
      { level: 50, width: 100 },
      { level: 35, width: 20 },
    ],
  });
  assert.deepEqual(st.shape, [2, 2, 1, 2]);
  const want = [
    [45, 35],
    [65, 55],
  ];
  want.forEach((row, s) => {
    row.forEach((x, c) => {
      assert.ok(Math.abs(st.data[(s * 2 + 0) * 2 + c]! - x / 100) < 1e-6);
      assert.ok(Math.abs(st.data[(s * 2 + 1) * 2 + c]! - Math.min(Math.max((x - 25) / 20, 0), 1)) < 1e-6);
    });
  });
  assert.throws(() => sliceStack(v, "axial", { t: 2 }), InputError);
  assert.throws(() => sliceStack(v, "oblique" as Plane), InputError);
  assert.throws(() => sliceStack(v, "constructor" as Plane), InputError);
});
