import assert from "node:assert/strict";
import { test } from "node:test";
import { resampleAlongK, sliceNormal, spacingReport, stackAffine, uniformGrid } from "./geometry.js";
import { sniffDicom } from "./sniff.js";

test("stackAffine: axial LPS → RAS, i scaled by column spacing, j by row spacing", () => {
  // PixelSpacing is [between rows, between columns] = [0.8, 0.7].
  const a = stackAffine([1, 0, 0, 0, 1, 0], [0.8, 0.7], [10, 20, 30], [0, 0, 2]);
  assert.deepEqual(a, [-0.7, 0, 0, -10, 0, -0.8, 0, -20, 0, 0, 2, 30, 0, 0, 0, 1]);
});

test("sliceNormal: cross(row, column), unit length", () => {
  const normal = (iop: number[]) => sliceNormal(iop).map((v) => v + 0); // -0 → 0
  assert.deepEqual(normal([1, 0, 0, 0, 1, 0]), [0, 0, 1]);
  // Coronal (row +x, column -z): normal = x × (-z) = +y.
  assert.deepEqual(normal([1, 0, 0, 0, 0, -1]), [0, 1, 0]);
  // Sagittal (row +y, column -z): normal = y × (-z) = -x.
  assert.deepEqual(normal([0, 1, 0, 0, 0, -1]), [-1, 0, 0]);
  assert.deepEqual(normal([2, 0, 0, 0, 3, 0]), [0, 0, 1]);
});

test("spacingReport: uniform within 1 %, otherwise the gaps", () => {
  assert.equal(spacingReport([0, 2.5, 5.0001, 7.5]).uniform, true);
  const r = spacingReport([0, 2, 4, 7, 9]);
  assert.equal(r.uniform, false);
  assert.deepEqual(r.gaps, [2, 2, 3, 2]);
});

test("uniformGrid keeps the end slices and about the median gap", () => {
  const g = uniformGrid([0, 2, 4, 7, 9, 11]);
  assert.equal(g.length, 7); // 11 / 2 = 5.5 → 6 steps
  assert.equal(g[0], 0);
  assert.equal(g[6], 11);
});

test("resampleAlongK: linear between neighbouring planes", () => {
  // Two voxels per plane; planes at 0, 1, 3 mm.
  const src = new Float32Array([0, 100, 10, 110, 30, 130]);
  const out = resampleAlongK(src, 2, [0, 1, 3], [0, 0.5, 2, 3]);
  assert.deepEqual(Array.from(out), [0, 100, 5, 105, 20, 120, 30, 130]);
});

test("sniffDicom: preamble-less explicit and implicit data sets, and refusals", () => {
  // (0008,0005) CS "ISO_IR 100" explicit; then implicit with a 4-byte length.
  const explicit = new Uint8Array([
    0x08,
    0,
    0x05,
    0,
    0x43,
    0x53,
    10,
    0,
    ...new TextEncoder().encode("ISO_IR 100"),
  ]);
  assert.deepEqual(sniffDicom(explicit), { part10: false, explicit: true });
  const implicit = new Uint8Array([0x08, 0, 0x05, 0, 10, 0, 0, 0, ...new TextEncoder().encode("ISO_IR 100")]);
  assert.deepEqual(sniffDicom(implicit), { part10: false, explicit: false });
  assert.equal(sniffDicom(new TextEncoder().encode("# a text file, not DICOM at all")), undefined);
  assert.equal(sniffDicom(new Uint8Array([0x10, 0, 0x10, 0, 0x50, 0x4e, 2, 0])), undefined); // group 0010 first
});
