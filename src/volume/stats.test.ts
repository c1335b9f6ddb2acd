import assert from "node:assert/strict";
import { test } from "node:test";
import { volumeStats } from "./stats.js";
import { Volume } from "./volume.js";

const vol = (data: Volume["data"], dtype: Volume["dtype"], scaling?: { slope: number; intercept: number }) =>
  new Volume({
    data,
    dtype,
    shape: [data.length / (dtype === "rgb24" ? 3 : 1), 1, 1],
    ...(scaling ? { scaling } : {}),
  });

test("hand-computed: NaN excluded and counted, population std", () => {
  const s = volumeStats(vol(new Float32Array([1, 2, Number.NaN, 3, 6]), "float32"));
  // values 1, 2, 3, 6: mean 3, squared deviations 4 + 1 + 0 + 9 = 14, variance 14/4
  assert.deepEqual(s, { min: 1, max: 6, mean: 3, std: Math.sqrt(3.5), nan: 1 });
});

test("leading NaNs and all-NaN volumes", () => {
  assert.deepEqual(volumeStats(vol(new Float64Array([Number.NaN, Number.NaN, 4, 4]), "float64")), {
    min: 4,
    max: 4,
    mean: 4,
    std: 0,
    nan: 2,
  });
  const none = volumeStats(vol(new Float32Array([Number.NaN, Number.NaN]), "float32"));
  assert.equal(none.nan, 2);
  assert.ok(Number.isNaN(none.mean) && Number.isNaN(none.min) && Number.isNaN(none.std));
});

test("scaling is applied; a negative slope swaps min and max", () => {
  const s = volumeStats(vol(new Int16Array([0, 10, 20, 30]), "int16", { slope: -0.5, intercept: 100 }));
  // real values 100, 95, 90, 85
  assert.deepEqual(s, { min: 85, max: 100, mean: 92.5, std: Math.sqrt(31.25), nan: 0 });
});

test("no catastrophic cancellation far from zero", () => {
  // 1e9 + {0, 1, 2, 3}: std sqrt(1.25) exactly; a naive Σx² − (Σx)²/n loses it entirely.
  const s = volumeStats(vol(new Float64Array([1e9, 1e9 + 1, 1e9 + 2, 1e9 + 3]), "float64"));
  assert.equal(s.mean, 1e9 + 1.5);
  assert.ok(Math.abs(s.std - Math.sqrt(1.25)) < 1e-9, String(s.std));
});

test("64-bit integers and rgb24", () => {
  const big = volumeStats(vol(new BigInt64Array([-(2n ** 40n), 0n, 2n ** 40n]), "int64"));
  assert.deepEqual(big, {
    min: -(2 ** 40),
    max: 2 ** 40,
    mean: 0,
    std: Math.sqrt((2 * 2 ** 80) / 3),
    nan: 0,
  });
  const rgb = volumeStats(vol(new Uint8Array([0, 10, 20, 30, 40, 50]), "rgb24"));
  assert.equal(rgb.mean, 25);
  assert.equal(rgb.max, 50);
});
