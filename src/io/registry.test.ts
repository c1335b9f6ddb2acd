import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { gzipSync } from "node:zlib";
import { fixture, tempDir } from "../../test/paths.js";
import { InputError } from "../errors.js";
import { applyPoint, invert4 } from "../volume/affine.js";
import { readScan, sniffFormat } from "./registry.js";

test("sniffFormat recognises NIfTI by content and DICOM files and folders", async (t) => {
  assert.equal(await sniffFormat(fixture("nifti", "dtype_int16_le.nii")), "nifti");
  assert.equal(await sniffFormat(fixture("nifti", "nifti2.nii.gz")), "nifti");
  assert.equal(await sniffFormat(fixture("nifti", "nifti2_be.nii")), "nifti");
  assert.equal(await sniffFormat(fixture("dicom", "enhanced_ct.dcm")), "dicom");
  assert.equal(await sniffFormat(fixture("dicom", "ct")), "dicom");
  const dir = tempDir(t);
  // Names do not matter: a NIfTI named .dcm is NIfTI, gzip of text is nothing.
  const renamed = join(dir, "scan.dcm");
  writeFileSync(renamed, readFileSync(fixture("nifti", "fourd.nii")));
  assert.equal(await sniffFormat(renamed), "nifti");
  const text = join(dir, "notes.nii.gz");
  writeFileSync(text, gzipSync(Buffer.from("just some text\n".repeat(50))));
  assert.equal(await sniffFormat(text), undefined);
  await assert.rejects(
    readScan(text),
    (e: unknown) => e instanceof InputError && e.message.startsWith(`${text}: `),
  );
  await assert.rejects(readScan(join(dir, "missing")), /missing: no such file or folder/);
  // A corrupt .nii.gz goes to the NIfTI reader, which names the gzip problem.
  const corrupt = join(dir, "broken.nii.gz");
  const gz = readFileSync(fixture("nifti", "nifti2.nii.gz"));
  for (let i = 12; i < gz.length; i += 2) gz[i] = gz[i]! ^ 0xa5;
  writeFileSync(corrupt, gz);
  assert.equal(await sniffFormat(corrupt), "nifti");
  await assert.rejects(readScan(corrupt), /broken\.nii\.gz: corrupt gzip data/);
});

test("readScan returns one volume per NIfTI file and one per DICOM series", async () => {
  const nifti = await readScan(fixture("nifti", "fourd.nii"));
  assert.equal(nifti.length, 1);
  assert.deepEqual([...nifti[0]!.shape], [3, 4, 2, 5]);
  const tree = await readScan(fixture("dicom", "tree"));
  assert.equal(tree.length, 2);
  const one = await readScan(fixture("dicom", "tree"), { series: "1.2.826.0.1.3680043.10.1234.77.1" });
  assert.equal(one.length, 1);
  assert.equal(one[0]!.meta.seriesInstanceUID, "1.2.826.0.1.3680043.10.1234.77.1");
  await assert.rejects(readScan(fixture("nifti", "fourd.nii"), { maxVoxels: 10 }), /maxVoxels/);
});

test("a DICOM series and dcm2niix's NIfTI of it agree voxel by voxel in world space", async () => {
  for (const [series, nifti] of [
    ["ct", "dcm2niix_ct.nii"],
    ["oblique", "dcm2niix_oblique.nii.gz"],
  ] as const) {
    const [d] = await readScan(fixture("dicom", series));
    const [n] = await readScan(fixture("nifti", nifti));
    assert.equal(d!.voxels, n!.voxels);
    const dReal = d!.real();
    const nReal = n!.real();
    const toN = invert4(n!.affine);
    const [nx, ny, nz] = d!.shape as [number, number, number];
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const ijk = applyPoint(toN, ...applyPoint(d!.affine, i, j, k));
          const r = ijk.map(Math.round) as [number, number, number];
          for (let a = 0; a < 3; a++)
            assert.ok(Math.abs(ijk[a]! - r[a]!) < 1e-3, `${series}: off-grid ${ijk}`);
          const at = r[0] + n!.shape[0]! * (r[1] + n!.shape[1]! * r[2]);
          assert.equal(nReal[at], dReal[i + nx * (j + ny * k)], `${series} voxel ${i},${j},${k}`);
        }
  }
});
