import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/paths.js";
import { InputError } from "../errors.js";
import { writeNifti } from "../io/nifti/write.js";
import { applyPoint, type Mat4, mat4 } from "../volume/affine.js";
import { Volume } from "../volume/volume.js";
import { preprocessConfig } from "./config.js";
import type { DataCase } from "./manifest.js";
import { prepareCase, preprocessImages, toScanGrid } from "./pipeline.js";

const RAS: Mat4 = mat4([
  [2, 0, 0, -3],
  [0, 2, 0, -2],
  [0, 0, 3, 1],
  [0, 0, 0, 1],
]);
/** The same world grid stored L→R flipped and P→A flipped (LPS), as DICOM-derived files often are. */
function asLps(v: Volume): Volume {
  const [nx, ny, nz] = v.shape as [number, number, number];
  const src = v.data as Int16Array;
  const data = new Int16Array(src.length);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++)
        data[nx - 1 - i + nx * (ny - 1 - j + ny * k)] = src[i + nx * (j + ny * k)]!;
  const a = v.affine;
  // Column i negated and the origin moved to the old last voxel along i (and likewise j).
  const affine = [
    -a[0]!,
    -a[1]!,
    a[2]!,
    a[3]! + a[0]! * (nx - 1) + a[1]! * (ny - 1),
    -a[4]!,
    -a[5]!,
    a[6]!,
    a[7]! + a[4]! * (nx - 1) + a[5]! * (ny - 1),
    -a[8]!,
    -a[9]!,
    a[10]!,
    a[11]! + a[8]! * (nx - 1) + a[9]! * (ny - 1),
    0,
    0,
    0,
    1,
  ];
  return new Volume({ data, dtype: "int16", shape: v.shape, affine, scaling: v.scaling });
}

/** int16 CT, HU = stored − 1024, with HU given per voxel. */
function ct(
  shape: [number, number, number],
  hu: (i: number, j: number, k: number) => number,
  affine = RAS,
): Volume {
  const [nx, ny, nz] = shape;
  const data = new Int16Array(nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) data[i + nx * (j + ny * k)] = hu(i, j, k) + 1024;
  return new Volume({ data, dtype: "int16", shape, affine, scaling: { slope: 1, intercept: -1024 } });
}

const caseOf = (id: string, images: string[], masks: Record<string, string> = {}): DataCase => ({
  id,
  images,
  contrasts: images.map(() => "image"),
  masks,
  labels: Float32Array.of(1),
  patient: id,
  line: 2,
});

const near = (a: number, b: number, tol = 1e-6, what = "") =>
  assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

test("axial slices: CT windows by hand, radiological layout, map back to voxels", async (t) => {
  const dir = tempDir(t);
  // Three HU levels placed at known voxels; 0 HU elsewhere.
  const hu = (i: number, j: number, k: number) =>
    i === 0 && j === 0 && k === 0
      ? 40
      : i === 3 && j === 1 && k === 1
        ? 1000
        : i === 2 && j === 2 && k === 0
          ? -1000
          : 0;
  const path = join(dir, "ct.nii.gz");
  await writeNifti(path, ct([4, 3, 2], hu));
  const config = preprocessConfig({ size: [3, 4] });
  const { input } = await prepareCase(caseOf("a", [path]), config);
  const [view] = input.views;
  assert.deepEqual(view!.shape, [2, 3, 3, 4]);
  const px = (z: number, c: number, y: number, x: number) => view!.data[((z * 3 + c) * 3 + y) * 4 + x]!;
  // Radiological: column x is voxel i = 3 − x (patient right on the image's left), row y is j = 2 − y.
  // 40 HU → brain (40 − 0)/80, subdural (40 + 20)/200, bone (40 + 800)/2800.
  near(px(0, 0, 2, 3), 0.5);
  near(px(0, 1, 2, 3), 0.3);
  near(px(0, 2, 2, 3), 0.3);
  // 1000 HU → 1, 1, 1800/2800.
  near(px(1, 0, 1, 0), 1);
  near(px(1, 1, 1, 0), 1);
  near(px(1, 2, 1, 0), 1800 / 2800);
  // −1000 HU → 0 in every window; 0 HU → 0, 0.1, 800/2800.
  near(px(0, 2, 0, 1), 0);
  near(px(0, 1, 0, 0), 0.1);
  near(px(1, 2, 0, 0), 800 / 2800, 1e-6);
  for (const [x, y, z] of [
    [0, 0, 0],
    [3, 2, 1],
    [1, 2, 0],
  ] as const)
    assert.deepEqual(applyPoint(view!.toVoxel, x, y, z), [3 - x, 2 - y, z]);
  assert.deepEqual(input.scan.shape, [4, 3, 2]);
});

test("resize to the backbone size: bilinear values and the index map by hand", () => {
  // HU = 10·i, inside the brain window (0 … 80): the brain channel is i/8.
  const scan = ct([4, 3, 2], (i) => 10 * i);
  const input = preprocessImages(
    [scan],
    preprocessConfig({ size: [6, 8], slices: 4, intensity: { kind: "ct", windows: ["brain"] } }),
  );
  const v = input.views[0]!;
  assert.deepEqual(v.shape, [4, 1, 6, 8]);
  // Column x samples stack column xs = (x + ½)/2 − ½; stack column xs is voxel i = 3 − xs.
  // x = 3: xs = 1.25, i = 1.75 → 17.5 HU → 0.21875. x = 0: xs clamped to 0, i = 3 → 0.375.
  near(v.data[(2 * 6 + 4) * 8 + 3]!, 0.21875);
  near(v.data[(0 * 6 + 0) * 8 + 0]!, 0.375);
  near(v.data[(3 * 6 + 5) * 8 + 7]!, 0);
  const check = (p: [number, number, number], want: number[]) =>
    applyPoint(v.toVoxel, ...p).forEach((a, i) => {
      near(a, want[i]!, 1e-9, `toVoxel(${p})[${i}]`);
    });
  check([0, 0, 0], [3.25, 2.25, -0.25]);
  check([7, 5, 3], [-0.25, -0.25, 1.25]);
});

test("an LPS-stored scan gives the same input as RAS, and toVoxel finds the stored voxel", () => {
  const hu = (i: number, j: number, k: number) => 5 * i + 7 * j + 11 * k;
  const ras = ct([5, 4, 3], hu);
  const lps = asLps(ras);
  const config = preprocessConfig({ size: [4, 5], planes: ["axial", "coronal", "sagittal"] });
  const a = preprocessImages([ras], config);
  const b = preprocessImages([lps], config);
  for (let p = 0; p < 3; p++) assert.deepEqual(b.views[p]!.data, a.views[p]!.data);
  assert.deepEqual(
    a.views.map((v) => v.shape),
    [
      [3, 3, 4, 5],
      [4, 3, 4, 5],
      [5, 3, 4, 5],
    ],
  );
  // A single bright voxel, stored at LPS index (1, 3, 2): its model position maps back to it.
  const one = new Volume({ data: new Int16Array(60), dtype: "int16", shape: [5, 4, 3], affine: lps.affine });
  (one.data as Int16Array)[1 + 5 * (3 + 4 * 2)] = 80;
  const input = preprocessImages(
    [one],
    preprocessConfig({ size: [3, 5], planes: ["coronal"], intensity: { kind: "ct", windows: ["brain"] } }),
  );
  const v = input.views[0]!;
  const at = v.data.indexOf(1);
  const [S, , H, W] = v.shape as [number, number, number, number];
  const x = at % W;
  const y = Math.floor(at / W) % H;
  const z = Math.floor(at / (W * H));
  assert.ok(z < S);
  applyPoint(v.toVoxel, x, y, z).forEach((c, i) => {
    near(c, [1, 3, 2][i]!, 1e-9);
  });
});

test("volume layout [C, D, H, W]: voxel order after RAS, map back through a heat map round trip", () => {
  const scan = ct([4, 3, 2], (i, j, k) => 10 * i + 3 * j + 20 * k);
  const input = preprocessImages(
    [scan],
    preprocessConfig({
      layout: "volume",
      size: [3, 4],
      intensity: { kind: "ct", windows: ["brain", "bone"] },
    }),
  );
  const v = input.views[0]!;
  assert.deepEqual(v.shape, [2, 2, 3, 4]);
  // (c, d, h, w) = window_c(HU at i = w, j = h, k = d).
  near(v.data[((0 * 2 + 1) * 3 + 2) * 4 + 3]!, (30 + 6 + 20) / 80);
  near(v.data[((1 * 2 + 0) * 3 + 1) * 4 + 2]!, (20 + 3 + 800) / 2800);
  // A heat map on a resampled grid comes back onto the scan: a field linear in world position is
  // reproduced exactly by trilinear interpolation at voxels inside the resized grid's centres.
  const resized = preprocessImages(
    [scan],
    preprocessConfig({
      layout: "volume",
      spacing: [1, 1, 1.5],
      size: [7, 9],
      slices: 5,
      intensity: { kind: "ct", windows: ["brain"] },
    }),
  );
  const rv = resized.views[0]!;
  const [, D, H, W] = rv.shape as [number, number, number, number];
  const heat = new Float32Array(D * H * W);
  const world = (m: readonly number[], p: [number, number, number]) => applyPoint(m, ...p);
  for (let d = 0; d < D; d++)
    for (let h = 0; h < H; h++)
      for (let w = 0; w < W; w++) {
        const [x, y, z] = world(RAS, applyPoint(rv.toVoxel, w, h, d));
        heat[(d * H + h) * W + w] = x + 2 * y + 3 * z;
      }
  const back = toScanGrid(heat, rv, resized.scan);
  assert.deepEqual(back.shape, [4, 3, 2]);
  const vals = back.real();
  for (const [i, j, k] of [
    [1, 1, 0],
    [2, 1, 1],
    [1, 0, 1],
  ] as const) {
    const [x, y, z] = applyPoint(RAS, i, j, k);
    near(vals[i + 4 * (j + 3 * k)]!, x + 2 * y + 3 * z, 1e-3, `voxel ${i},${j},${k}`);
  }
});

test("slice views map back too: a world-linear heat map returns onto an LPS scan's grid", () => {
  const lps = asLps(ct([6, 5, 4], (i, j, k) => i + j + k));
  const input = preprocessImages(
    [lps],
    preprocessConfig({
      spacing: [1.5, 1.5, 2],
      size: [7, 9],
      slices: 5,
      planes: ["axial", "coronal", "sagittal"],
    }),
  );
  for (const v of input.views) {
    const [S, , H, W] = v.shape as [number, number, number, number];
    const heat = new Float32Array(S * H * W);
    for (let s = 0; s < S; s++)
      for (let h = 0; h < H; h++)
        for (let w = 0; w < W; w++) {
          const [x, y, z] = applyPoint(lps.affine, ...applyPoint(v.toVoxel, w, h, s));
          heat[(s * H + h) * W + w] = x - 2 * y + 0.5 * z;
        }
    const back = toScanGrid(heat, v, input.scan).real();
    // Voxels well inside the model grid's outermost centres: trilinear reproduces a linear field.
    for (const [i, j, k] of [
      [2, 2, 1],
      [3, 2, 2],
      [2, 3, 2],
    ] as const) {
      const [x, y, z] = applyPoint(lps.affine, i, j, k);
      near(back[i + 6 * (j + 5 * k)]!, x - 2 * y + 0.5 * z, 1e-3, `${v.plane} voxel ${i},${j},${k}`);
    }
  }
});

test("MR percentile scaling: the lowest and highest values map to 0 and 1", () => {
  const mr = ct([4, 3, 2], (i, j, k) => 3 * i + 2 * j + 7 * k);
  const input = preprocessImages(
    [mr],
    preprocessConfig({
      size: [3, 4],
      intensity: { kind: "mr", method: "percentiles", nonzero: false, lower: 0, upper: 100 },
    }),
  );
  const d = input.views[0]!.data;
  // Hand values: HU range 0 … 9 + 4 + 7 = 20; axial pixel (x, y, z) is voxel (3 − x, 2 − y, z).
  near(Math.min(...d), 0);
  near(Math.max(...d), 1);
  near(d[(1 * 3 + 0) * 4 + 0]!, (9 + 4 + 7) / 20);
  near(d[(0 * 3 + 1) * 4 + 2]!, (3 + 2) / 20);
});

test("a second image on another grid is resampled onto the first; outside its view is air", () => {
  const first = ct([6, 5, 4], (i) => 10 * i);
  // The same field over voxels i = 1 … 4 only: one voxel in along i.
  const a = RAS;
  const shifted = [
    a[0]!,
    a[1]!,
    a[2]!,
    a[3]! + a[0]!,
    a[4]!,
    a[5]!,
    a[6]!,
    a[7]!,
    a[8]!,
    a[9]!,
    a[10]!,
    a[11]!,
    0,
    0,
    0,
    1,
  ];
  const second = ct([4, 5, 4], (i) => 10 * (i + 1), shifted);
  const input = preprocessImages(
    [first, second],
    preprocessConfig({ layout: "volume", size: [5, 6], intensity: { kind: "ct", windows: ["subdural"] } }),
  );
  const v = input.views[0]!;
  assert.deepEqual(v.shape, [2, 4, 5, 6]);
  const at = (c: number, d: number, h: number, w: number) => v.data[((c * 4 + d) * 5 + h) * 6 + w]!;
  for (let w = 1; w <= 4; w++) near(at(1, 2, 3, w), at(0, 2, 3, w), 1e-6, `w = ${w}`);
  near(at(0, 2, 3, 2), (20 + 20) / 200);
  near(at(1, 2, 3, 0), 0); // −1024 HU outside the second image (0 HU would give 0.1)
  near(at(1, 2, 3, 5), 0);
  near(at(0, 2, 3, 5), (50 + 20) / 200);
});

test("MR z-score: one channel per contrast, mean 0 and std 1 over the scan", () => {
  const mr = ct([4, 3, 2], (i, j, k) => i * i + j + 5 * k);
  const input = preprocessImages(
    [mr, mr],
    preprocessConfig({
      size: [3, 4],
      intensity: { kind: "mr", method: "zscore", nonzero: false, lower: 0, upper: 100 },
    }),
  );
  const v = input.views[0]!;
  assert.deepEqual(v.shape, [2, 2, 3, 4]);
  const ch0: number[] = [];
  for (let z = 0; z < 2; z++) ch0.push(...v.data.subarray(z * 24, z * 24 + 12));
  const mean = ch0.reduce((a, b) => a + b, 0) / ch0.length;
  const sd = Math.sqrt(ch0.reduce((a, b) => a + (b - mean) ** 2, 0) / ch0.length);
  near(mean, 0, 1e-5);
  near(sd, 1, 1e-5);
  // The second contrast is the same scan: its channel equals the first.
  assert.deepEqual(v.data.subarray(12, 24), v.data.subarray(0, 12));
});

test("masks follow the images (nearest), also when stored in another orientation", async (t) => {
  const dir = tempDir(t);
  const inside = (i: number, j: number, k: number) => (i >= 1 && i <= 2 && j >= 1 && k === 1 ? 1 : 0);
  const scanPath = join(dir, "ct.nii");
  const maskPath = join(dir, "mask.nii.gz");
  const lpsMaskPath = join(dir, "mask_lps.nii.gz");
  await writeNifti(
    scanPath,
    ct([4, 3, 2], (i, j, k) => 80 * inside(i, j, k)),
  );
  const mask = ct([4, 3, 2], inside);
  const maskVol = new Volume({
    data: Int16Array.from(mask.data as Int16Array, (v) => v - 1024),
    dtype: "int16",
    shape: mask.shape,
    affine: RAS,
  });
  await writeNifti(maskPath, maskVol);
  await writeNifti(lpsMaskPath, asLps(maskVol));
  // 3× up-sampling: output index o ≡ 1 (mod 3) samples exactly voxel centre (o − 1)/3.
  const config = preprocessConfig({
    size: [9, 12],
    slices: 6,
    intensity: { kind: "ct", windows: ["brain"] },
  });
  const a = await prepareCase(caseOf("m", [scanPath], { lesion: maskPath, other: lpsMaskPath }), config, {
    masks: ["lesion", "other", "absent"],
  });
  assert.deepEqual(Object.keys(a.masks).sort(), ["lesion", "other"]);
  const img = a.input.views[0]!;
  const m = a.masks.lesion![0]!;
  assert.deepEqual(m.shape, [6, 9, 12]);
  assert.deepEqual(a.masks.other![0]!.data, m.data);
  let ones = 0;
  for (let z = 1; z < 6; z += 3)
    for (let y = 1; y < 9; y += 3)
      for (let x = 1; x < 12; x += 3) {
        const q = (z * 9 + y) * 12 + x;
        assert.equal(m.data[q], img.data[q], `pixel ${x},${y},${z}`);
        ones += m.data[q]!;
      }
  assert.equal(ones, 4, "2 × 2 voxels of the lesion in slice k = 1");
});

test("errors name the case and the file; 4D scans and bad configs are refused", async (t) => {
  const dir = tempDir(t);
  const missing = join(dir, "missing.nii.gz");
  await assert.rejects(
    prepareCase(caseOf("case-7", [missing]), preprocessConfig()),
    (e: unknown) =>
      e instanceof InputError && e.message.includes("case 'case-7'") && e.message.includes(missing),
  );
  const fourD = new Volume({ data: new Int16Array(24), dtype: "int16", shape: [2, 2, 3, 2] });
  assert.throws(() => preprocessImages([fourD], preprocessConfig()), /expected a 3D scan/);
  assert.throws(() => preprocessConfig({ size: [0, 4] }), /preprocess\.size/);
  assert.throws(() => preprocessConfig({ planes: ["axial", "axial"] }), /preprocess\.planes/);
  assert.throws(() => preprocessConfig({ spacing: [1, -1, 1] }), /preprocess\.spacing/);
  assert.throws(
    () => preprocessConfig({ intensity: { kind: "ct", windows: ["lung" as never] } }),
    /unknown window "lung"/,
  );
  assert.throws(
    () => preprocessConfig({ sise: [2, 2] } as never, "run.json"),
    /run\.json: preprocess\.sise: unknown option/,
  );
  // Defaults are complete and JSON round-trips.
  const d = preprocessConfig();
  assert.deepEqual(preprocessConfig(JSON.parse(JSON.stringify(d))), d);
});
