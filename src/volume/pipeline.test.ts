// The head-CT recipe from docs/preprocessing.md, end to end on a small synthetic scan.
import assert from "node:assert/strict";
import { test } from "node:test";
import { applyPoint, mat4 } from "./affine.js";
import { cropOrPad } from "./croppad.js";
import { reorient } from "./orient.js";
import { resample } from "./resample.js";
import { sliceStack } from "./slices.js";
import { Volume } from "./volume.js";

test("LPS int16 CT → RAS → 1 mm → 8×8×8 → windowed axial slices", () => {
  // 8×8×4 voxels of 0.5×0.5×2 mm stored LPS (as DICOM-derived scans often are), HU = stored − 1024.
  // 80 HU where world x > 0 (RAS+: the patient's right), 0 HU elsewhere.
  const [nx, ny, nz] = [8, 8, 4];
  const affine = mat4([
    [-0.5, 0, 0, 1.75],
    [0, -0.5, 0, 1.75],
    [0, 0, 2, -3],
    [0, 0, 0, 1],
  ]);
  const data = new Int16Array(nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++)
        data[i + nx * (j + ny * k)] = applyPoint(affine, i, j, k)[0] < 0 ? 1024 : 1104;
  const ct = new Volume({
    data,
    dtype: "int16",
    shape: [nx, ny, nz],
    affine,
    scaling: { slope: 1, intercept: -1024 },
  });

  const ras = reorient(ct, "RAS");
  const iso = resample(ras, { spacing: [1, 1, 1], mode: "nearest" });
  // n′ = floor((n − ½)·s/s′) + 1: floor(7.5/2) + 1 = 4 in-plane, floor(3.5·2) + 1 = 8 along k.
  assert.deepEqual(iso.shape, [4, 4, 8]);
  const fixed = cropOrPad(iso, [8, 8, 8], { fill: -1024 });
  const stack = sliceStack(fixed, "axial", { windows: ["brain", "subdural"] });
  assert.deepEqual(stack.shape, [8, 2, 8, 8]);
  // Radiological display: the patient's right (the bright half) is on the image's left.
  // Padding puts the 4 data columns at 2 … 5: columns 2, 3 → patient right (80 HU), 4, 5 → left (0 HU).
  const px = (s: number, c: number, row: number, col: number) =>
    stack.data[((s * 2 + c) * 8 + row) * 8 + col]!;
  assert.equal(px(3, 0, 4, 2), 1); // brain window: 80 HU is the top of 0 … 80
  assert.equal(px(3, 0, 4, 5), 0); // 0 HU is the bottom
  assert.ok(Math.abs(px(3, 1, 4, 2) - 0.5) < 1e-6); // subdural −20 … 180: 80 HU is the middle
  assert.equal(px(3, 0, 0, 0), 0); // padding: −1024 HU
  // Pixel (column 2, row 4, slice 3) lies at world x > 0, column 5 at x < 0.
  assert.ok(applyPoint(stack.pixelToWorld, 2, 4, 3)[0] > 0);
  assert.ok(applyPoint(stack.pixelToWorld, 5, 4, 3)[0] < 0);
});
