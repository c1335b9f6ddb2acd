import assert from "node:assert/strict";
import { test } from "node:test";
import { InputError } from "../errors.js";
import { applyPoint, mat4 } from "./affine.js";
import {
  affineAxcodes,
  axcodesToOrnt,
  ioOrientation,
  orientationTransform,
  orntToAxcodes,
  Reorient,
  reorient,
} from "./orient.js";
import { Volume } from "./volume.js";

/** A volume whose voxel values are their own linear index, so every voxel can be traced. */
function indexed(shape: number[], affine: number[], dtype: "int16" | "float32" = "int16"): Volume {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = dtype === "int16" ? new Int16Array(n) : new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = i;
  return new Volume({ data, dtype, shape, affine, scaling: { slope: 2, intercept: -3 } });
}

const RAS_AFFINE = mat4([
  [2, 0, 0, -10],
  [0, 3, 0, 20],
  [0, 0, 4, 5],
  [0, 0, 0, 1],
]);

/** World position of every value of `v`, keyed by value (values are unique voxel ids). */
function worldOfValues(v: Volume): Map<number, [number, number, number]> {
  const [nx, ny, nz] = v.shape as [number, number, number];
  const map = new Map<number, [number, number, number]>();
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++)
        map.set(Number(v.data[i + nx * (j + ny * k)]), applyPoint(v.affine, i, j, k));
  return map;
}

function assertSameWorld(a: Volume, b: Volume): void {
  const wa = worldOfValues(a);
  const wb = worldOfValues(b);
  assert.equal(wa.size, wb.size);
  for (const [value, p] of wa) {
    const q = wb.get(value);
    assert.ok(q, `value ${value} missing`);
    for (let d = 0; d < 3; d++) assert.ok(Math.abs(p[d]! - q[d]!) < 1e-9, `value ${value}: ${p} vs ${q}`);
  }
}

test("orientation codes parse to nibabel's ornt rows", () => {
  assert.deepEqual(axcodesToOrnt("LPS"), [
    [0, -1],
    [1, -1],
    [2, 1],
  ]);
  assert.deepEqual(axcodesToOrnt("pir"), [
    [1, -1],
    [2, -1],
    [0, 1],
  ]);
  assert.equal(orntToAxcodes(axcodesToOrnt("SAL")), "SAL");
  for (const bad of ["RAR", "XYZ", "RA", "RASL", ""])
    assert.throws(() => axcodesToOrnt(bad), InputError, bad);
});

test("orientationTransform matches nibabel's ornt_transform by hand", () => {
  // RAS → LPS: i and j flip, k stays.
  assert.deepEqual(orientationTransform("RAS", "LPS"), [
    [0, -1],
    [1, -1],
    [2, 1],
  ]);
  // RAS → PIR: i (R) becomes output axis 2 unflipped; j (A) becomes axis 0 flipped (P);
  // k (S) becomes axis 1 flipped (I).
  assert.deepEqual(orientationTransform("RAS", "PIR"), [
    [2, 1],
    [0, -1],
    [1, -1],
  ]);
});

test("ioOrientation of rotated affines, derived by hand", () => {
  const rot = (deg: number) => {
    const c = Math.cos((deg * Math.PI) / 180);
    const s = Math.sin((deg * Math.PI) / 180);
    return mat4([
      [c, -s, 0, 0],
      [s, c, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 1],
    ]);
  };
  // 30°: column 0 = (0.87, 0.5) → R; column 1 = (-0.5, 0.87) → A.
  assert.equal(affineAxcodes(rot(30)), "RAS");
  // 60°: column 0 = (0.5, 0.87) → A; column 1 = (-0.87, 0.5), A taken → L.
  assert.equal(affineAxcodes(rot(60)), "ALS");
  // Voxel sizes do not matter, only directions.
  assert.deepEqual(
    ioOrientation(
      mat4([
        [0, 0, -3, 0],
        [0.5, 0, 0, 0],
        [0, -7, 0, 0],
        [0, 0, 0, 1],
      ]),
    ),
    [
      [1, 1],
      [2, -1],
      [0, -1],
    ],
  );
});

test("reorient RAS → LPS flips i and j, keeping values, dtype, scaling and world positions", () => {
  const v = indexed([2, 3, 4], RAS_AFFINE);
  const lps = reorient(v, "LPS");
  assert.deepEqual(lps.shape, [2, 3, 4]);
  assert.equal(lps.dtype, "int16");
  assert.deepEqual(lps.scaling, { slope: 2, intercept: -3 });
  assert.equal(lps.orientation, "LPS");
  // By hand: new (i, j, k) holds old (1 − i, 2 − j, k), old index = i + 2j + 6k.
  for (let k = 0; k < 4; k++)
    for (let j = 0; j < 3; j++)
      for (let i = 0; i < 2; i++) assert.equal(lps.data[i + 2 * j + 6 * k], 1 - i + 2 * (2 - j) + 6 * k);
  // New voxel (0,0,0) is old voxel (1,2,0): world (−10 + 2, 20 + 6, 5).
  assert.deepEqual(applyPoint(lps.affine, 0, 0, 0), [-8, 26, 5]);
  assertSameWorld(v, lps);
  const back = reorient(lps, "RAS");
  assert.deepEqual([...back.data], [...v.data]);
  assert.deepEqual(back.affine, v.affine);
});

test("reorient RAS → PIR permutes axes as derived by hand", () => {
  const v = indexed([2, 3, 4], RAS_AFFINE, "float32");
  const pir = reorient(v, "PIR");
  assert.deepEqual(pir.shape, [3, 4, 2]);
  assert.equal(pir.orientation, "PIR");
  // New (a, b, c) = old (i = c, j = 2 − a, k = 3 − b).
  for (let c = 0; c < 2; c++)
    for (let b = 0; b < 4; b++)
      for (let a = 0; a < 3; a++) assert.equal(pir.data[a + 3 * b + 12 * c], c + 2 * (2 - a) + 6 * (3 - b));
  assertSameWorld(v, pir);
});

test("reorient of every code keeps world positions, from an oblique LPS-ish affine", () => {
  const c = Math.cos(0.2);
  const s = Math.sin(0.2);
  const oblique = mat4([
    [-0.8 * c, 0, -1.5 * s, 30],
    [0, -0.8, 0, 12],
    [0.8 * s, 0, 1.5 * c, -40],
    [0, 0, 0, 1],
  ]);
  const v = indexed([3, 2, 4], oblique);
  assert.equal(affineAxcodes(oblique), "LPS");
  for (const code of ["RAS", "LPS", "PIR", "SAL", "IRP", "ASR"]) {
    const r = reorient(v, code);
    assert.equal(affineAxcodes(r.affine), code);
    assertSameWorld(v, r);
    const back = reorient(r, "LPS");
    assert.deepEqual([...back.data], [...v.data]);
    back.affine.forEach((x, i) => {
      assert.ok(Math.abs(x - v.affine[i]!) < 1e-12);
    });
  }
  assert.equal(reorient(v, "LPS"), v);
});

test("reorient leaves the 4th axis alone and handles rgb24", () => {
  const n = 2 * 2 * 1 * 3;
  const data = new Float32Array(n).map((_, i) => i);
  const v = new Volume({ data, dtype: "float32", shape: [2, 2, 1, 3], affine: RAS_AFFINE });
  const l = new Reorient("LAS").apply(v);
  assert.deepEqual(l.shape, [2, 2, 1, 3]);
  // Each volume t: i flipped, i.e. pairs swapped.
  assert.deepEqual([...l.data], [1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10]);
  const rgb = new Volume({
    data: new Uint8Array([1, 2, 3, 4, 5, 6]),
    dtype: "rgb24",
    shape: [2, 1, 1],
    affine: RAS_AFFINE,
  });
  assert.deepEqual([...reorient(rgb, "LAS").data], [4, 5, 6, 1, 2, 3]);
  assert.deepEqual([...new Reorient("LAS").inverse(l, "RAS").data], [...data]);
});

test("reorient copies in tiles correctly on volumes larger than one tile", () => {
  const v = indexed([37, 33, 3], RAS_AFFINE);
  for (const code of ["PIR", "ASL", "SRA"]) {
    const r = reorient(v, code);
    assertSameWorld(v, r);
    assert.deepEqual([...reorient(r, "RAS").data], [...v.data]);
  }
});
