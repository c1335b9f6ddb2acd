import assert from "node:assert/strict";
import { test } from "node:test";
import { applyPoint, invert4, mat4, multiply4, voxelSizes } from "./affine.js";
import { affineAxcodes } from "./orientation.js";

test("invert4 undoes a general affine", () => {
  const m = mat4([
    [0, -2, 0.1, 10],
    [1.5, 0, 0, -20],
    [0, 0.2, 3, 5],
    [0, 0, 0, 1],
  ]);
  const p = multiply4(m, invert4(m));
  for (const [i, v] of p.entries())
    assert.ok(Math.abs(v - (i % 5 === 0 ? 1 : 0)) < 1e-12, `element ${i}: ${v}`);
});

test("affineAxcodes names axes like nibabel's aff2axcodes", () => {
  // Hand-derived: column 0 → -x (L), column 1 → +z (S), column 2 → -y (P).
  const m = mat4([
    [-1, 0, 0, 0],
    [0, 0, -2, 0],
    [0, 3, 0, 0],
    [0, 0, 0, 1],
  ]);
  assert.equal(affineAxcodes(m), "LSP");
  assert.deepEqual(voxelSizes(m), [1, 3, 2]);
  assert.deepEqual(applyPoint(m, 1, 1, 1), [-1, -2, 3]);
});

test("Volume.orientation reports ??? for a degenerate affine instead of throwing", async () => {
  const { Volume } = await import("./volume.js");
  const affine = mat4([
    [0, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0, 0, 0, 1],
  ]);
  const v = new Volume({ data: new Uint8Array(8), dtype: "uint8", shape: [2, 2, 2], affine });
  assert.equal(v.orientation, "???");
  assert.equal(new Volume({ data: new Uint8Array(8), dtype: "uint8", shape: [2, 2, 2] }).orientation, "RAS");
});
