import assert from "node:assert/strict";
import { test } from "node:test";
import { InputError } from "../errors.js";
import { Volume } from "./volume.js";
import { CT_WINDOWS, WindowCT, windowCT } from "./window.js";

const close = (a: number, b: number) => Math.abs(a - b) < 1e-6;

test("windowCT presets against hand-computed values, channel-first layout", () => {
  // Stored = HU + 1024 with intercept −1024: real values 0, 40, 80, −100, 3000 HU.
  const v = new Volume({
    data: new Int16Array([1024, 1064, 1104, 924, 4024]),
    dtype: "int16",
    shape: [5, 1, 1],
    scaling: { slope: 1, intercept: -1024 },
  });
  const w = windowCT(v, ["brain", "subdural", "bone", "stroke", { level: 0, width: 2 }]);
  assert.deepEqual(w.shape, [5, 1, 1, 5]);
  const want = [
    [0, 0.5, 1, 0, 1], // brain 0 … 80
    [0.1, 0.3, 0.5, 0, 1], // subdural −20 … 180
    [800 / 2800, 840 / 2800, 880 / 2800, 700 / 2800, 1], // bone −800 … 2000
    [0, 0.5, 1, 0, 1], // stroke 20 … 60
    [0.5, 1, 1, 0, 1], // custom −1 … 1
  ];
  want.forEach((row, c) => {
    row.forEach((x, i) => {
      assert.ok(close(w.data[c * 5 + i]!, x), `channel ${c} voxel ${i}: ${w.data[c * 5 + i]} vs ${x}`);
    });
  });
  assert.deepEqual(CT_WINDOWS.bone, { level: 600, width: 2800 });
});

test("windowCT keeps voxel order within a channel ([C, nz, ny, nx]) and NaN", () => {
  const data = new Float32Array([0, 10, 20, 30, 40, Number.NaN]);
  const v = new Volume({ data, dtype: "float32", shape: [3, 1, 2] });
  const w = new WindowCT([{ level: 20, width: 40 }]).apply(v);
  assert.deepEqual(w.shape, [1, 2, 1, 3]);
  assert.deepEqual([...w.data].slice(0, 5), [0, 0.25, 0.5, 0.75, 1]);
  assert.ok(Number.isNaN(w.data[5]!));
});

test("windowCT rejects unknown presets, bad widths and 4D scans", () => {
  const v = new Volume({ data: new Int16Array(2), dtype: "int16", shape: [2, 1, 1] });
  assert.throws(() => windowCT(v, ["lung" as "brain"]), InputError);
  assert.throws(() => windowCT(v, ["toString" as "brain"]), InputError);
  assert.throws(() => windowCT(v, [{ level: 40, width: 0 }]), InputError);
  assert.throws(() => windowCT(v, []), InputError);
  const v4 = new Volume({ data: new Int16Array(4), dtype: "int16", shape: [2, 1, 1, 2] });
  assert.throws(() => windowCT(v4), InputError);
});
