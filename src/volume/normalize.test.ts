import assert from "node:assert/strict";
import { test } from "node:test";
import { InputError } from "../errors.js";
import { Rng } from "../random/rng.js";
import {
  normalizeZScore,
  percentiles,
  ScalePercentiles,
  scalePercentiles,
  volumePercentiles,
} from "./normalize.js";
import { Volume } from "./volume.js";

const close = (a: number, b: number, tol = 1e-6) => Math.abs(a - b) <= tol;
const vol = (values: number[]) =>
  new Volume({ data: new Float32Array(values), dtype: "float32", shape: [values.length, 1, 1] });

/** Reference: full sort and numpy's formula written out plainly. */
function sortedPercentile(values: number[], q: number): number {
  const a = values.filter((x) => !Number.isNaN(x)).sort((x, y) => x - y);
  const h = (q / 100) * (a.length - 1);
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, a.length - 1);
  return a[lo]! + (h - lo) * (a[hi]! - a[lo]!);
}

test("percentiles follow numpy's linear method (hand-computed)", () => {
  // Sorted: 1 2 3 7 10; h = q/100 · 4.
  const v = [7, 1, 10, 3, 2];
  assert.deepEqual(percentiles(v, [0, 25, 50, 100]), [1, 2, 3, 10]);
  const [p90, p12] = percentiles(v, [90, 12.5]) as [number, number];
  assert.ok(close(p90, 8.8)); // h = 3.6: 7 + 0.6·3
  assert.ok(close(p12, 1.5)); // h = 0.5
  assert.ok(close(percentiles([4, 1], [30])[0]!, 1.9)); // h = 0.3: 1 + 0.3·3
  assert.deepEqual(percentiles([5, Number.NaN, 1], [50]), [3]); // NaN left out
  assert.throws(() => percentiles([], [50]), InputError);
  assert.throws(() => percentiles([1], [101]), InputError);
});

test("percentiles agree with a sort-based reference on data with many ties", () => {
  const values: number[] = [];
  const rng = new Rng(7);
  for (let i = 0; i < 5001; i++) values.push(i % 3 === 0 ? -1024 : rng.int(-50, 149));
  for (const q of [0, 0.5, 1, 2.5, 33.3, 50, 66.7, 97.5, 99, 99.9, 100])
    assert.ok(
      close(percentiles(Float32Array.from(values), [q])[0]!, sortedPercentile(values, q), 1e-9),
      `q = ${q}`,
    );
});

test("z-score over all, nonzero, and masked voxels (hand-computed)", () => {
  const z = normalizeZScore(vol([1, 2, 3, 4]));
  // mean 2.5, population std √1.25.
  [1, 2, 3, 4].forEach((x, i) => {
    assert.ok(close(z.data[i] as number, (x - 2.5) / Math.sqrt(1.25)));
  });
  assert.equal(z.dtype, "float32");
  // nonzero: stats over 2, 4, 6 → mean 4, std √(8/3); zeros stay 0.
  const nz = normalizeZScore(vol([0, 2, 4, 0, 6]), { nonzero: true });
  const s = Math.sqrt(8 / 3);
  [0, -2 / s, 0, 0, 2 / s].forEach((x, i) => {
    assert.ok(close(nz.data[i] as number, x));
  });
  // mask: stats over 10 and 20 → mean 15, std 5; outside the mask 0, or normalised with applyToAll.
  const mask = new Uint8Array([1, 1, 0]);
  assert.deepEqual([...normalizeZScore(vol([10, 20, 100]), { mask }).data], [-1, 1, 0]);
  assert.deepEqual([...normalizeZScore(vol([10, 20, 100]), { mask, applyToAll: true }).data], [-1, 1, 17]);
  // A constant image divides by 1.
  assert.deepEqual([...normalizeZScore(vol([3, 3])).data], [0, 0]);
  assert.throws(() => normalizeZScore(vol([0, 0]), { nonzero: true }), InputError);
  assert.throws(() => normalizeZScore(vol([1, 2]), { mask: [1] }), InputError);
});

test("scalePercentiles maps percentiles to the output range like MONAI (hand-computed)", () => {
  const values = Array.from({ length: 101 }, (_, i) => i); // percentile q is q itself
  const r = scalePercentiles(vol(values), { lower: 10, upper: 90 });
  assert.ok(close(r.data[50] as number, 0.5));
  assert.ok(close(r.data[30] as number, 0.25));
  assert.equal(r.data[0], 0); // clipped
  assert.equal(r.data[100], 1);
  const unclipped = scalePercentiles(vol(values), { lower: 10, upper: 90, clip: false, bMin: -1, bMax: 1 });
  assert.ok(close(unclipped.data[100] as number, 1.25)); // (100 − 10)/80·2 − 1
  // relative: output range becomes 0.1 … 0.9.
  const rel = new ScalePercentiles({ lower: 10, upper: 90, relative: true }).apply(vol(values));
  assert.ok(close(rel.data[50] as number, 0.5));
  assert.ok(close(rel.data[10] as number, 0.1));
  // Equal percentiles: x − a + bMin.
  assert.deepEqual(
    [...scalePercentiles(vol([5, 5, 5, 9]), { lower: 0, upper: 50, bMin: 1 }).data],
    [1, 1, 1, 5],
  );
  // Percentiles over nonzero voxels only: 0s ignored, 2 … 4 → 0 … 1.
  const nz = scalePercentiles(vol([0, 2, 3, 4]), { lower: 0, upper: 100, nonzero: true, clip: false });
  assert.deepEqual([...nz.data], [-1, 0, 0.5, 1]);
});

test("volumePercentiles on 16-bit data (histogram path) equals the generic method", () => {
  const n = 4000;
  const data = new Int16Array(n);
  const rng = new Rng(11);
  for (let i = 0; i < n; i++) data[i] = rng.int(-2000, 1999);
  const mask = new Uint8Array(n).map((_, i) => (i % 3 === 0 ? 0 : 1));
  for (const scaling of [
    { slope: 1, intercept: 0 },
    { slope: -0.5, intercept: 10 },
  ]) {
    const v = new Volume({ data, dtype: "int16", shape: [n, 1, 1], scaling });
    const real = [...v.real()];
    const masked = real.filter((_, i) => mask[i] === 1);
    const qs = [0, 1, 37.5, 50, 99, 100];
    assert.deepEqual(volumePercentiles(v, qs), percentiles(real, qs));
    assert.deepEqual(volumePercentiles(v, qs, { mask }), percentiles(masked, qs));
    const nonzero = real.filter((x) => x !== 0);
    assert.deepEqual(volumePercentiles(v, qs, { nonzero: true }), percentiles(nonzero, qs));
  }
  const u = new Volume({ data: new Uint16Array([65535, 0, 40000, 7]), dtype: "uint16", shape: [4, 1, 1] });
  assert.deepEqual(volumePercentiles(u, [0, 50, 100]), [0, 7 + 0.5 * (40000 - 7), 65535]);
});
