// Masks through the image's exact preprocessing: a synthetic scan whose mask marks its bright
// voxels (single voxels, scattered, in an LPS-stored file) is shrunk in-plane by a non-integer
// factor and along the slices; every model pixel the bright voxels tint in the image must stay
// marked in the mask ("max" resizing), and the mask must equal the model cells that overlap a
// bright voxel, computed from the image's own model → voxel map.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/paths.js";
import { writeNifti } from "../io/nifti/write.js";
import { Rng } from "../random/rng.js";
import { mat4 } from "../volume/affine.js";
import { Volume } from "../volume/volume.js";
import { preprocessConfig } from "./config.js";
import type { DataCase } from "./manifest.js";
import { prepareCase } from "./pipeline.js";
import { resizeTensor } from "./resize.js";

test('"max" resizing: each output cell takes the maximum of the input cells it overlaps; enlarging is nearest', () => {
  // 5 → 2: cells [0, 2.5) and [2.5, 5) → inputs {0,1,2} and {2,3,4}.
  assert.deepEqual([...resizeTensor(Float32Array.of(0, 0, 1, 0, 0), [5], [2], "max")], [1, 1]);
  assert.deepEqual([...resizeTensor(Float32Array.of(1, 0, 0, 0, 0), [5], [2], "max")], [1, 0]);
  assert.deepEqual([...resizeTensor(Float32Array.of(0, 0, 0, 0, 3), [5], [2], "max")], [0, 3]);
  // 4 → 2 over two axes: 2×2 blocks.
  const x = Float32Array.of(0, 0, 0, 0, 0, 0, 0, 2, 5, 0, 0, 0, 0, 0, 0, 0);
  assert.deepEqual([...resizeTensor(x, [4, 4], [2, 2], "max")], [0, 2, 5, 0]);
  // 2 → 4 enlarges as nearest-exact.
  assert.deepEqual(
    [...resizeTensor(Float32Array.of(1, 2), [2], [4], "max")],
    [...resizeTensor(Float32Array.of(1, 2), [2], [4], "nearest")],
  );
});

/** int16 CT (HU = stored − 1024) stored L→R and P→A flipped (LPS), as DICOM-derived files often are. */
/** A one-image case with masks, as a manifest row would give it. */
function oneCase(image: string, masks: Record<string, string>): DataCase {
  return {
    id: "c",
    images: [image],
    contrasts: ["image"],
    masks,
    labels: Float32Array.of(1),
    patient: "c",
    line: 2,
  };
}

function lpsVolume(shape: [number, number, number], hu: (i: number, j: number, k: number) => number): Volume {
  const [nx, ny, nz] = shape;
  const data = new Int16Array(nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) data[i + nx * (j + ny * k)] = hu(i, j, k) + 1024;
  const affine = mat4([
    [-0.9, 0, 0, 14],
    [0, -0.9, 0, 12],
    [0, 0, 2.5, -5],
    [0, 0, 0, 1],
  ]);
  return new Volume({ data, dtype: "int16", shape, affine, scaling: { slope: 1, intercept: -1024 } });
}

for (const layout of ["slices", "volume"] as const) {
  test(`a mask marking the scan's bright voxels still marks the bright model pixels (${layout} layout)`, async (t) => {
    const dir = tempDir(t);
    const shape: [number, number, number] = [29, 23, 11];
    const rng = new Rng(5);
    const bright = new Set<number>();
    while (bright.size < 12) bright.add(rng.int(0, 29 * 23 * 11 - 1));
    const key = (i: number, j: number, k: number) => i + 29 * (j + 23 * k);
    await writeNifti(
      join(dir, "ct.nii.gz"),
      lpsVolume(shape, (i, j, k) => (bright.has(key(i, j, k)) ? 80 : 0)),
    );
    await writeNifti(
      join(dir, "mask.nii.gz"),
      lpsVolume(shape, (i, j, k) => (bright.has(key(i, j, k)) ? 1 : 0)),
    );
    const item = oneCase(join(dir, "ct.nii.gz"), { lesion: join(dir, "mask.nii.gz") });
    const [H, W, S] = [10, 13, 4];
    const config = preprocessConfig({
      layout,
      size: [H, W],
      slices: S,
      intensity: { kind: "ct", windows: ["brain"] },
    });
    const p = await prepareCase(item, config, { masks: ["lesion"] });
    const img = p.input.views[0]!.data; // 0 HU → 0, 80 HU → 1 in the brain window; one channel
    const mask = p.masks.lesion![0]!;
    assert.deepEqual(mask.shape, [S, H, W]);
    const m = mask.data;
    assert.equal(img.length, m.length);
    let tinted = 0;
    let marked = 0;
    for (let q = 0; q < img.length; q++) {
      if (img[q]! > 1e-6) {
        tinted++;
        assert.equal(m[q], 1, `model pixel ${q} shows a bright voxel but the mask misses it`);
      }
      if (m[q] === 1) marked++;
      // Independent truth from the image's own index map: the model cell (x ± ½, y ± ½, z ± ½)
      // mapped to scan voxel coordinates is a box; it is marked iff a bright voxel's cell
      // [i ± ½] × [j ± ½] × [k ± ½] overlaps it.
      const z = Math.floor(q / (H * W));
      const y = Math.floor(q / W) % H;
      const x = q % W;
      const box = [0, 1, 2].map((r) => {
        const ends = [-0.5, 0.5].map((d) => {
          const tv = p.input.views[0]!.toVoxel;
          return tv[r * 4]! * (x + d) + tv[r * 4 + 1]! * (y + d) + tv[r * 4 + 2]! * (z + d) + tv[r * 4 + 3]!;
        });
        return [Math.min(...ends), Math.max(...ends)] as [number, number];
      });
      let overlaps = false;
      for (const b of bright) {
        const v = [b % 29, Math.floor(b / 29) % 23, Math.floor(b / (29 * 23))];
        if (v.every((c, r) => c + 0.5 > box[r]![0] + 1e-9 && c - 0.5 < box[r]![1] - 1e-9)) overlaps = true;
      }
      assert.equal(m[q], overlaps ? 1 : 0, `model pixel ${x},${y},${z}`);
      assert.ok(m[q] === 0 || m[q] === 1);
    }
    assert.ok(tinted > 0 && marked >= tinted);
    // Nearest-neighbour shrinking would drop most of these one-voxel findings.
    const dropped = [...img].filter((v, q) => v > 1e-6 && m[q] === 0).length;
    assert.equal(dropped, 0);
  });
}

test('label maps shrink by "nearest": only labels of the map, no high-id bias; "max" would spread the highest id', async (t) => {
  const dir = tempDir(t);
  const shape: [number, number, number] = [24, 24, 4];
  // Left half label 3, right half label 1, and scattered single voxels of label 9 on the right.
  const label = (i: number, j: number, k: number) =>
    i < 12 ? 3 : (i * 7 + j * 5 + k * 3) % 17 === 0 ? 9 : 1;
  await writeNifti(
    join(dir, "ct.nii.gz"),
    lpsVolume(shape, () => 40),
  );
  // lpsVolume's scaling makes the real values the labels themselves.
  await writeNifti(join(dir, "labels.nii.gz"), lpsVolume(shape, label));
  const item = oneCase(join(dir, "ct.nii.gz"), { anatomy: join(dir, "labels.nii.gz") });
  const config = preprocessConfig({ size: [8, 8], slices: 2, intensity: { kind: "ct", windows: ["brain"] } });
  const count = (m: Float32Array) => {
    const c = new Map<number, number>();
    for (const v of m) c.set(v, (c.get(v) ?? 0) + 1);
    return c;
  };
  const near = count(
    (await prepareCase(item, config, { masks: ["anatomy"], maskResize: "nearest" })).masks.anatomy![0]!.data,
  );
  const max = count((await prepareCase(item, config, { masks: ["anatomy"] })).masks.anatomy![0]!.data);
  assert.ok(
    [...near.keys()].every((v) => v === 1 || v === 3 || v === 9),
    [...near.keys()].join(),
  );
  // Half the model pixels on each side (the grid is symmetric), 9 at most a few cells.
  assert.equal(near.get(3), 64);
  assert.ok((near.get(1) ?? 0) >= 52, JSON.stringify([...near]));
  assert.ok((max.get(9) ?? 0) > 2 * (near.get(9) ?? 0), JSON.stringify([...max]));
});
