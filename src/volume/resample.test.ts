import assert from "node:assert/strict";
import { test } from "node:test";
import { InputError } from "../errors.js";
import { applyPoint, invert4, mat4 } from "./affine.js";
import { Resample, resample, resampleTo } from "./resample.js";
import { Volume } from "./volume.js";

const close = (a: number, b: number, tol = 1e-4) => Math.abs(a - b) <= tol;

/**
 * f is multilinear (a + bi + cj + dk + e·ijk), so trilinear interpolation reproduces it exactly at
 * every point inside the grid of centres: an independent truth for any sample location.
 */
const f = (i: number, j: number, k: number) => 1 + 2 * i - 3 * j + 5 * k + 0.5 * i * j * k;

function sampled(shape: [number, number, number], affine: number[]): Volume {
  const [nx, ny, nz] = shape;
  const data = new Int16Array(nx * ny * nz);
  // Stored values are 4·f so they are integers; slope 0.25 brings back f, intercept 10 shifts.
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[i + nx * (j + ny * k)] = 4 * f(i, j, k);
  return new Volume({ data, dtype: "int16", shape, affine, scaling: { slope: 0.25, intercept: 10 } });
}

test("2×2×2 → 3×3×3 by shape: hand-computed trilinear values and affine", () => {
  const v = new Volume({
    data: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]), // value = i + 2j + 4k
    dtype: "float32",
    shape: [2, 2, 2],
    affine: mat4([
      [2, 0, 0, 10],
      [0, 2, 0, 20],
      [0, 0, 2, 30],
      [0, 0, 0, 1],
    ]),
  });
  const r = resample(v, { shape: [3, 3, 3] });
  assert.deepEqual(r.shape, [3, 3, 3]);
  assert.deepEqual(r.spacing, [1, 1, 1]);
  // Centre voxel (1,1,1) sits at input (0.5, 0.5, 0.5): 0.5 + 1 + 2.
  assert.equal(r.data[13], 3.5);
  // (1, 0, 2) ↔ input (0.5, 0, 1): 0.5 + 0 + 4.
  assert.equal(r.data[1 + 0 + 18], 4.5);
  assert.equal(r.data[26], 7);
  assert.deepEqual(applyPoint(r.affine, 0, 0, 0), [10, 20, 30]);
  assert.deepEqual(applyPoint(r.affine, 2, 2, 2), [12, 22, 32]);
});

test("resample by spacing: shape rule, affine, and values against the multilinear truth", () => {
  const c = Math.cos(0.3);
  const s = Math.sin(0.3);
  const affine = mat4([
    [1.5 * c, -2 * s, 0, -30],
    [1.5 * s, 2 * c, 0, 8],
    [0, 0, -3, 40],
    [0, 0, 0, 1],
  ]);
  const v = sampled([5, 4, 3], affine);
  const r = resample(v, { spacing: [0.75, 1, 4.5] });
  // n′ = floor((n − ½)·s/s′) + 1: floor(4.5·2) + 1 = 10, floor(3.5·2) + 1 = 8, floor(2.5/1.5) + 1 = 2.
  assert.deepEqual(r.shape, [10, 8, 2]);
  assert.equal(r.dtype, "float32");
  r.spacing.forEach((x, a) => {
    assert.ok(close(x, [0.75, 1, 4.5][a]!, 1e-12));
  });
  assert.equal(r.orientation, v.orientation);
  const toIn = invert4(v.affine);
  for (let k = 0; k < 2; k++)
    for (let j = 0; j < 8; j++)
      for (let i = 0; i < 10; i++) {
        // Where does this output centre sit in the input? Through the world, not the ratio.
        const [x, y, z] = applyPoint(r.affine, i, j, k);
        const [pi, pj, pk] = applyPoint(toIn, x, y, z);
        const cl = (p: number, n: number) => Math.min(Math.max(p, 0), n - 1);
        const want = f(cl(pi, 5), cl(pj, 4), cl(pk, 3)) + 10;
        const got = Number(r.data[i + 10 * (j + 8 * k)]);
        assert.ok(close(got, want), `(${i},${j},${k}) at input (${pi}, ${pj}, ${pk}): ${got} vs ${want}`);
      }
  // Output voxel 0 keeps input voxel 0's centre.
  const origin = applyPoint(v.affine, 0, 0, 0);
  for (const [d, x] of applyPoint(r.affine, 0, 0, 0).entries()) assert.ok(close(x, origin[d]!, 1e-12));
});

test("down-sampling by 2 keeps ⌈n/2⌉ voxels on the even centres", () => {
  const v = sampled(
    [4, 5, 1],
    mat4([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]),
  );
  const r = resample(v, { spacing: [2, 2, 1] });
  assert.deepEqual(r.shape, [2, 3, 1]);
  for (let j = 0; j < 3; j++)
    for (let i = 0; i < 2; i++) assert.equal(r.data[i + 2 * j], f(2 * i, 2 * j, 0) + 10);
});

test("nearest keeps labels and stored type, rounding half up", () => {
  const v = new Volume({
    data: new Uint8Array([3, 7]),
    dtype: "uint8",
    shape: [2, 1, 1],
    affine: mat4([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]),
  });
  const r = resample(v, { spacing: [0.5, 1, 1], mode: "nearest" });
  // Centres at input x = 0, 0.5, 1, 1.5 (1.5 is inside the field of view, edge value).
  assert.ok(r.data instanceof Uint8Array);
  assert.deepEqual([...r.data], [3, 7, 7, 7]);
  // Beyond the field of view the fill applies, in real units.
  const wide = resample(v, { spacing: [0.5, 1, 1], shape: [6, 1, 1], mode: "nearest", fill: 9 });
  assert.deepEqual([...wide.data], [3, 7, 7, 7, 9, 9]);
});

test("resampleTo an oblique grid reproduces the multilinear truth; outside gets fill", () => {
  const v = sampled(
    [6, 5, 4],
    mat4([
      [2, 0, 0, -5],
      [0, 2, 0, -4],
      [0, 0, 2, -3],
      [0, 0, 0, 1],
    ]),
  );
  const a = 0.5;
  const target = mat4([
    [1.3 * Math.cos(a), -1.3 * Math.sin(a), 0.1, -6],
    [1.3 * Math.sin(a), 1.3 * Math.cos(a), 0, -5],
    [0, 0.2, 1.7, -4],
    [0, 0, 0, 1],
  ]);
  const shape = [9, 8, 6];
  const r = resampleTo(v, shape, target, "linear", -99);
  const toIn = invert4(v.affine);
  let inside = 0;
  let outside = 0;
  for (let k = 0; k < 6; k++)
    for (let j = 0; j < 8; j++)
      for (let i = 0; i < 9; i++) {
        const w = applyPoint(target, i, j, k);
        const [pi, pj, pk] = applyPoint(toIn, ...w);
        const got = Number(r.data[i + 9 * (j + 8 * k)]);
        const strictlyIn = [pi, pj, pk].every((p, d) => p >= -0.49 && p <= [6, 5, 4][d]! - 0.51);
        const strictlyOut = [pi, pj, pk].some((p, d) => p < -0.51 || p > [6, 5, 4][d]! - 0.49);
        if (strictlyIn) {
          const cl = (p: number, n: number) => Math.min(Math.max(p, 0), n - 1);
          assert.ok(close(got, f(cl(pi, 6), cl(pj, 5), cl(pk, 4)) + 10), `(${i},${j},${k})`);
          inside++;
        } else if (strictlyOut) {
          assert.equal(got, -99);
          outside++;
        }
      }
  assert.ok(inside > 50 && outside > 50, `${inside} inside, ${outside} outside`);
  // Onto its own grid, resampleTo is the identity (real values).
  const same = resampleTo(v, v.shape, v.affine);
  same.data.forEach((x, idx) => {
    assert.equal(x, v.real()[idx]);
  });
});

test("resampleTo with nearest on a flipped grid picks the mirrored voxels", () => {
  const v = new Volume({
    data: new Int16Array([1, 2, 3, 4, 5, 6]),
    dtype: "int16",
    shape: [3, 2, 1],
    affine: mat4([
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]),
  });
  // Target: x runs backwards from 2, y from 1 (a 180° turn in-plane).
  const target = mat4([
    [-1, 0, 0, 2],
    [0, -1, 0, 1],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ]);
  const r = resampleTo(v, [3, 2, 1], target, "nearest");
  assert.deepEqual([...r.data], [6, 5, 4, 3, 2, 1]);
});

test("4D volumes are resampled volume by volume; bad options are InputErrors", () => {
  const data = new Float32Array([0, 2, 10, 20]);
  const v = new Volume({ data, dtype: "float32", shape: [2, 1, 1, 2] });
  const r = new Resample({ shape: [3, 1, 1] }).apply(v);
  assert.deepEqual(r.shape, [3, 1, 1, 2]);
  assert.deepEqual([...r.data], [0, 1, 2, 10, 15, 20]);
  const back = new Resample({ shape: [3, 1, 1] }).inverse(r, v);
  assert.deepEqual([...back.data], [...data]);
  assert.throws(() => resample(v, { spacing: [0, 1, 1] }), InputError);
  assert.throws(() => resample(v, { shape: [2.5, 1, 1] }), InputError);
  assert.throws(() => resampleTo(v, [2, 2], v.affine), InputError);
});

test("resampleTo through the general kernel on a one-slice volume (a 90° in-plane turn)", () => {
  const data = new Float32Array(9);
  for (let j = 0; j < 3; j++) for (let i = 0; i < 3; i++) data[i + 3 * j] = 1 + 2 * i - 3 * j;
  const v = new Volume({ data, dtype: "float32", shape: [3, 3, 1] });
  // Output (x, y) ↦ input (i = y/2, j = 2 − x/2): a turned, twice as fine grid.
  const target = mat4([
    [0, 0.5, 0, 0],
    [-0.5, 0, 0, 2],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ]);
  const r = resampleTo(v, [5, 5, 1], target);
  for (let y = 0; y < 5; y++)
    for (let x = 0; x < 5; x++)
      assert.ok(close(r.data[x + 5 * y] as number, 1 + 2 * (y / 2) - 3 * (2 - x / 2)));
});

test("linear resampling past the field of view fills, in both axis-aligned kernels", () => {
  const plane = (nx: number, ny: number) => {
    const data = new Float32Array(nx * ny);
    for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) data[i + nx * j] = 1 + 2 * i - 3 * j;
    return new Volume({ data, dtype: "float32", shape: [nx, ny, 1] });
  };
  const expect = (r: Volume, nx: number, ny: number, ratio: [number, number]) => {
    const [ox, oy] = r.shape as [number, number];
    for (let y = 0; y < oy; y++)
      for (let x = 0; x < ox; x++) {
        const [pi, pj] = [x * ratio[0], y * ratio[1]];
        const inside = pi <= nx - 0.5 && pj <= ny - 0.5;
        const want = inside ? 1 + 2 * Math.min(pi, nx - 1) - 3 * Math.min(pj, ny - 1) : -9;
        assert.ok(
          close(r.data[x + ox * y] as number, want),
          `(${x}, ${y}): ${r.data[x + ox * y]} vs ${want}`,
        );
      }
  };
  // Up-sampling in-plane (separable kernel): centres at 0, 0.5, … 2.5 input voxels.
  expect(resample(plane(2, 2), { spacing: [0.5, 0.5, 1], shape: [6, 6, 1], fill: -9 }), 2, 2, [0.5, 0.5]);
  // Down-sampling in-plane (direct kernel): x centres at 0, 2, 4 of 4 voxels.
  expect(resample(plane(4, 4), { spacing: [2, 4, 1], shape: [3, 1, 1], fill: -9 }), 4, 4, [2, 4]);
});

test("a one-voxel axis keeps its spacing when a shape asks for more voxels", () => {
  const v = new Volume({ data: new Float32Array([1, 3]), dtype: "float32", shape: [2, 1, 1] });
  const r = resample(v, { shape: [3, 1, 2], fill: -1 });
  assert.deepEqual(r.spacing, [0.5, 1, 1]);
  // Slice k = 1 sits one voxel beyond the single input slice: outside the field of view.
  assert.deepEqual([...r.data], [1, 2, 3, -1, -1, -1]);
});

test("an output too large for one array is an InputError, before allocating", () => {
  const v = new Volume({ data: new Float32Array(8), dtype: "float32", shape: [2, 2, 2] });
  assert.throws(() => resample(v, { shape: [2000, 2000, 2000] }), InputError);
});
