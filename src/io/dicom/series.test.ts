import assert from "node:assert/strict";
import { test } from "node:test";
import type { DicomHeader, FrameInfo, Vec3 } from "./header.js";
import { buildStacks } from "./series.js";
import { transferSyntax } from "./transfer-syntax.js";

/** A header of one 4×4 frame at `position` with `orientation`; only what grouping reads. */
function header(
  n: number,
  position: Vec3,
  orientation: number[],
  extra: Partial<FrameInfo> = {},
): DicomHeader {
  return {
    path: `f${n}.dcm`,
    syntax: transferSyntax("1.2.840.10008.1.2.1")!,
    sopInstanceUID: `1.2.3.${n}`,
    seriesInstanceUID: "1.2.3",
    seriesDescription: undefined,
    seriesNumber: 1,
    modality: "MR",
    rescaleType: undefined,
    instanceNumber: n,
    acquisitionNumber: undefined,
    sliceThickness: undefined,
    spacingBetweenSlices: undefined,
    format: {
      rows: 4,
      columns: 4,
      bitsAllocated: 16,
      bitsStored: 16,
      highBit: 15,
      signed: false,
      samplesPerPixel: 1,
      photometric: "MONOCHROME2",
      planarConfiguration: 0,
    },
    numberOfFrames: 1,
    frames: [
      {
        position,
        orientation,
        spacing: [1, 1],
        slope: 1,
        intercept: 0,
        rescaled: false,
        echo: "",
        temporal: [n],
        ...extra,
      },
    ],
    pixel: { offset: 0, length: 32, encapsulated: undefined, vr: "OW" },
    bytes: undefined,
    defect: undefined,
  };
}

test("orientation jitter across a rounding boundary does not split a series", () => {
  // 0.0004999 and 0.0005001 round to different 3-decimal strings but are the same plane.
  const a = [1, 0.0004999, 0, 0, 1, 0];
  const b = [1, 0.0005001, 0, 0, 1, 0];
  const stacks = buildStacks([header(1, [0, 0, 0], a), header(2, [0, 0, 2], b), header(3, [0, 0, 4], a)]);
  assert.equal(stacks.length, 1);
  assert.equal(stacks[0]!.nz, 3);
});

test("a real change of orientation or echo splits, and the note names it", () => {
  const axial = [1, 0, 0, 0, 1, 0];
  const tilted = [1, 0, 0, 0, 0.98, 0.2];
  const byOrientation = buildStacks([header(1, [0, 0, 0], axial), header(2, [0, 0, 2], tilted)]);
  assert.equal(byOrientation.length, 2);
  assert.ok(byOrientation[0]!.notes[0]!.includes("orientation"));
  const byEcho = buildStacks([
    header(1, [0, 0, 0], axial, { echo: "1" }),
    header(2, [0, 0, 2], axial, { echo: "2" }),
    header(3, [0, 0, 4], axial, { echo: "1" }),
  ]);
  assert.deepEqual(
    byEcho.map((s) => s.nz),
    [2, 1],
  );
  assert.ok(byEcho[0]!.notes[0]!.includes("echo"));
});

test("slices sort along the normal, whatever the input order", () => {
  const stacks = buildStacks([
    header(1, [0, 0, 4], [1, 0, 0, 0, 1, 0]),
    header(2, [0, 0, -2], [1, 0, 0, 0, 1, 0]),
    header(3, [0, 0, 1], [1, 0, 0, 0, 1, 0]),
  ]);
  assert.deepEqual(stacks[0]!.distances, [-2, 1, 4]);
  assert.deepEqual(
    stacks[0]!.slices.map((s) => s.header.path),
    ["f2.dcm", "f3.dcm", "f1.dcm"],
  );
  assert.deepEqual(stacks[0]!.gaps, [3, 3]);
  assert.equal(stacks[0]!.uniform, true);
});
