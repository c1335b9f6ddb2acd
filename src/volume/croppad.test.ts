import assert from "node:assert/strict";
import { test } from "node:test";
import { InputError } from "../errors.js";
import { applyPoint, mat4 } from "./affine.js";
import {
  CropForeground,
  CropOrPad,
  centredStart,
  cropOrPad,
  cropToBox,
  extractBox,
  foregroundBox,
  padToMultiple,
} from "./croppad.js";
import { Volume } from "./volume.js";

const AFFINE = mat4([
  [0, -2, 0, 50],
  [1.5, 0, 0, -20],
  [0, 0, 3, 7],
  [0, 0, 0, 1],
]);

function indexed(shape: number[]): Volume {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Int16Array(n).map((_, i) => i + 1);
  return new Volume({ data, dtype: "int16", shape, affine: AFFINE, scaling: { slope: 2, intercept: 0 } });
}

test("centredStart follows MONAI's symmetric pad and centre crop", () => {
  // Crop 5 → 2 starts at 5//2 − 2//2 = 1; crop 4 → 3 at 2 − 1 = 1; pad 3 → 6 puts 3//2 = 1 before.
  assert.deepEqual(centredStart([5, 4, 3], [2, 3, 6]), [1, 1, -1]);
  assert.deepEqual(centredStart([2, 2, 2], [2, 5, 1]), [0, -1, 1]);
});

test("cropOrPad crops and pads around the centre, keeping world positions", () => {
  const v = indexed([4, 4, 1]);
  const r = cropOrPad(v, [2, 6, 1], { fill: -1000 });
  assert.deepEqual(r.shape, [2, 6, 1]);
  assert.equal(r.dtype, "int16");
  // x: columns 1, 2 of the input; y: one padded row before, one after.
  const fill = -500; // stored: −1000 / slope 2
  const rows = [
    [fill, fill],
    [2, 3],
    [6, 7],
    [10, 11],
    [14, 15],
    [fill, fill],
  ];
  assert.deepEqual([...r.data], rows.flat());
  // Output voxel (0, 1, 0) is input voxel (1, 0, 0): same world point.
  assert.deepEqual(applyPoint(r.affine, 0, 1, 0), applyPoint(v.affine, 1, 0, 0));
  assert.deepEqual(applyPoint(r.affine, 1, 5, 0), applyPoint(v.affine, 2, 4, 0));
});

test("CropOrPad.inverse puts the result back on the original grid", () => {
  const v = indexed([5, 3, 2]);
  const t = new CropOrPad([3, 5, 2]);
  const back = t.inverse(t.apply(v), v);
  assert.deepEqual(back.shape, v.shape);
  assert.deepEqual(back.affine, v.affine);
  // Columns 0 and 4 were cropped away and come back as 0; the rest is the input.
  for (let k = 0; k < 2; k++)
    for (let j = 0; j < 3; j++)
      for (let i = 0; i < 5; i++) {
        const at = i + 5 * (j + 3 * k);
        assert.equal(back.data[at], i === 0 || i === 4 ? 0 : v.data[at]);
      }
});

test("extractBox on a 4D volume and cropToBox bounds", () => {
  const v = indexed([3, 2, 1, 2]);
  const r = extractBox(v, { start: [1, 1, 0], end: [3, 2, 1] });
  assert.deepEqual(r.shape, [2, 1, 1, 2]);
  // Voxels (1,1,0) and (2,1,0) of each volume: indices 4, 5 and 10, 11 (values + 1).
  assert.deepEqual([...r.data], [5, 6, 11, 12]);
  assert.throws(() => cropToBox(v, { start: [0, 0, 0], end: [4, 2, 1] }), InputError);
  assert.throws(() => extractBox(v, { start: [1, 0, 0], end: [1, 2, 1] }), InputError);
});

test("foregroundBox and cropForeground (threshold, predicate, margin)", () => {
  const shape = [5, 4, 3];
  const data = new Float32Array(60);
  data[1 + 5 * (2 + 4 * 0)] = 1; // voxel (1, 2, 0)
  data[3 + 5 * (1 + 4 * 2)] = 5; // voxel (3, 1, 2)
  data[4 + 5 * (3 + 4 * 1)] = -7; // negative: background for the default test
  const v = new Volume({ data, dtype: "float32", shape, affine: AFFINE });
  assert.deepEqual(foregroundBox(v), { start: [1, 1, 0], end: [4, 3, 3] });
  assert.deepEqual(foregroundBox(v, { threshold: 2 }), { start: [3, 1, 2], end: [4, 2, 3] });
  assert.deepEqual(foregroundBox(v, { select: (x) => x !== 0 }), { start: [1, 1, 0], end: [5, 4, 3] });
  assert.deepEqual(foregroundBox(v, { margin: 1 }), { start: [0, 0, 0], end: [5, 4, 3] });
  assert.deepEqual(foregroundBox(v, { margin: [0, 0, 1], allowPad: true }), {
    start: [1, 1, -1],
    end: [4, 3, 4],
  });
  assert.equal(foregroundBox(v, { threshold: 10 }), undefined);
  const c = new CropForeground({ threshold: 2 }).apply(v);
  assert.deepEqual([...c.data], [5]);
  assert.deepEqual(applyPoint(c.affine, 0, 0, 0), applyPoint(v.affine, 3, 1, 2));
  assert.equal(new CropForeground({ threshold: 10 }).apply(v), v);
  // Inverse: the single foreground voxel back in place, the rest filled.
  const back = new CropForeground({ threshold: 2, fill: 0 }).inverse(c, v);
  assert.deepEqual(back.shape, v.shape);
  back.data.forEach((x, i) => {
    assert.equal(x, i === 3 + 5 * (1 + 4 * 2) ? 5 : 0);
  });
});

test("padToMultiple pads symmetrically to the next multiple", () => {
  const v = indexed([5, 4, 1]);
  const r = padToMultiple(v, [4, 4, 2], { fill: -2 });
  assert.deepEqual(r.shape, [8, 4, 2]);
  // x: 3 voxels of padding, 1 before (⌊3/2⌋); z: 1 after. Voxel (1, 0, 0) is input (0, 0, 0).
  assert.equal(r.data[1], 1);
  assert.equal(r.data[0], -1); // stored −2 / slope 2
  assert.deepEqual(applyPoint(r.affine, 1, 0, 0), applyPoint(v.affine, 0, 0, 0));
  assert.throws(() => padToMultiple(v, 0), InputError);
});
