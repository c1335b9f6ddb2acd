// Cross-checks against nibabel, numpy and scipy: test/fixtures/volume/reference.json, written by
// test/fixtures/volume/make_fixtures.py.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fixture } from "../../test/paths.js";
import { percentiles } from "./normalize.js";
import { affineAxcodes, reorient } from "./orient.js";
import { resampleTo } from "./resample.js";
import { Volume } from "./volume.js";

interface Reference {
  ioOrientation: { affine: number[]; code: string }[];
  reorient: {
    shape: number[];
    affine: number[];
    code: string;
    outShape: number[];
    outData: number[];
    outAffine: number[];
  }[];
  resampleTo: {
    shape: number[];
    affine: number[];
    data: number[];
    outShape: number[];
    outAffine: number[];
    fill: number;
    expected: number[];
    inside: number;
  };
  percentiles: { values: number[]; q: number[]; expected: number[] };
}

const ref = JSON.parse(readFileSync(fixture("volume", "reference.json"), "utf8")) as Reference;

test("orientation codes match nibabel's io_orientation, oblique and sheared affines included", () => {
  assert.ok(ref.ioOrientation.length >= 20);
  for (const c of ref.ioOrientation) assert.equal(affineAxcodes(c.affine), c.code, JSON.stringify(c.affine));
});

test("reorient matches nibabel's apply_orientation and inv_ornt_aff", () => {
  for (const c of ref.reorient) {
    const n = c.shape.reduce((a, b) => a * b, 1);
    const v = new Volume({
      data: new Int16Array(n).map((_, i) => i),
      dtype: "int16",
      shape: c.shape,
      affine: c.affine,
    });
    const r = reorient(v, c.code);
    assert.deepEqual(r.shape, c.outShape, c.code);
    assert.deepEqual([...r.data], c.outData, c.code);
    r.affine.forEach((x, i) => {
      assert.ok(Math.abs(x - c.outAffine[i]!) < 1e-9, `${c.code} affine[${i}]: ${x} vs ${c.outAffine[i]}`);
    });
  }
});

test("resampleTo (linear) matches scipy's map_coordinates(order=1) on an oblique grid", () => {
  const c = ref.resampleTo;
  const v = new Volume({
    data: Float32Array.from(c.data),
    dtype: "float32",
    shape: c.shape,
    affine: c.affine,
  });
  const r = resampleTo(v, c.outShape, c.outAffine, "linear", c.fill);
  assert.deepEqual(r.shape, c.outShape);
  let inside = 0;
  c.expected.forEach((want, i) => {
    if (want !== c.fill) inside++;
    assert.ok(Math.abs(Number(r.data[i]) - want) < 1e-3, `voxel ${i}: ${r.data[i]} vs ${want}`);
  });
  assert.equal(inside, c.inside);
});

test("percentiles match numpy.percentile on data with ties", () => {
  const p = ref.percentiles;
  const got = percentiles(Float32Array.from(p.values), p.q);
  got.forEach((x, i) => {
    assert.ok(
      Math.abs(x - p.expected[i]!) < 1e-9 * Math.max(1, Math.abs(x)),
      `q ${p.q[i]}: ${x} vs ${p.expected[i]}`,
    );
  });
});
