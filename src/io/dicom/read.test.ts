import assert from "node:assert/strict";
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fixture, tempDir } from "../../../test/paths.js";
import { InputError } from "../../errors.js";
import type { Volume } from "../../volume/volume.js";
import { isDicomFile, listDicomSeries, readDicom } from "./index.js";

// Pixel patterns written by test/fixtures/dicom/make_fixtures.py (`pattern`): slice k in
// position order, column c, row r.
const PATTERN: Record<string, (c: number, r: number, k: number) => number> = {
  ct: (c, r, k) => ((c * 37 + r * 11 + k * 101) % 2400) + 24,
  mr12: (c, r, k) => (c * 97 + r * 29 + k * 331) % 4096,
  s12: (c, r, k) => ((c * 97 + r * 29 + k * 331) % 4096) - 2048,
  u8: (c, r, k) => (c * 13 + r * 7 + k * 50) % 256,
  s8: (c, r, k) => ((c * 13 + r * 7 + k * 50) % 256) - 128,
  u32: (c, r, k) => (c * 97 + r * 29 + k * 331) * 70001,
};

interface Expected {
  shape: number[];
  affine: number[];
  /** Written slice index of each k (slices sorted along cross(row, column)). */
  sliceOrder?: number[];
  intercepts?: number[];
  offsets?: number[];
  slope?: number;
  series?: Record<string, string>;
}
const expected = JSON.parse(readFileSync(fixture("dicom", "expected.json"), "utf8")) as Record<
  string,
  Expected
>;
const dicom = (...p: string[]) => fixture("dicom", ...p);

function assertAffine(actual: readonly number[], want: readonly number[], tol = 1e-4): void {
  assert.equal(actual.length, 16);
  for (let i = 0; i < 16; i++)
    assert.ok(Math.abs(actual[i]! - want[i]!) <= tol, `affine[${i}] = ${actual[i]}, expected ${want[i]}`);
}

/** Checks every voxel of `v` (3D, or one time point) against `f(i, j, k)`. */
function assertVoxels(
  v: Volume,
  f: (i: number, j: number, k: number) => number,
  values = v.data,
  tol = 0,
): void {
  const [nx, ny, nz] = v.shape as [number, number, number];
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        const got = Number(values[i + nx * (j + ny * k)]!);
        const want = f(i, j, k);
        if (Math.abs(got - want) > tol) assert.fail(`voxel (${i},${j},${k}) = ${got}, expected ${want}`);
      }
}

async function one(path: string, opts = {}): Promise<Volume> {
  const vols = await readDicom(path, opts);
  assert.equal(vols.length, 1, `${path}: one volume`);
  return vols[0]!;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test("CT series: shuffled files sorted by position, HU scaling kept, affine as dcm2niix", async () => {
  const v = await one(dicom("ct"));
  assert.equal(v.dtype, "int16");
  assert.deepEqual(v.shape, expected.ct!.shape);
  assert.deepEqual(v.scaling, { slope: 1, intercept: -1024 });
  assert.equal(v.meta.units, "HU");
  assert.equal(v.meta.modality, "CT");
  assert.equal(v.meta.seriesDescription, "CT head");
  assert.deepEqual(v.meta.skippedFiles, { notDicom: 1, noPixels: 0, unreadable: 0 });
  assert.equal(v.meta.sliceGaps, undefined);
  assertAffine(v.affine, expected.ct!.affine);
  assertVoxels(v, PATTERN.ct!);
  assertVoxels(v, (i, j, k) => PATTERN.ct!(i, j, k) - 1024, v.real());
  assert.equal(v.orientation, "LPS");
});

test("oblique MR: affine equals dcm2niix's, unsigned 12-bit values", async () => {
  const v = await one(dicom("oblique"));
  assert.equal(v.dtype, "uint16");
  assert.equal(v.meta.units, undefined);
  assertAffine(v.affine, expected.oblique!.affine);
  assertVoxels(v, PATTERN.mr12!);
});

test("non-uniform spacing is reported, and resampled linearly only on request", async () => {
  const v = await one(dicom("nonuniform"));
  assert.deepEqual(
    (v.meta.sliceGaps as number[]).map((g) => Math.round(g * 1000) / 1000),
    [2, 2, 3, 2, 2],
  );
  assert.ok((v.meta.warnings as string[]).some((w) => w.includes("non-uniform")));
  assertAffine(v.affine, expected.nonuniform!.affine);
  assertVoxels(v, PATTERN.ct!);

  const r = await one(dicom("nonuniform"), { resampleNonUniform: true });
  // Span 11 mm, median gap 2 → 7 planes 11/6 mm apart, first plane unchanged.
  const zs = [0, 2, 4, 7, 9, 11];
  assert.deepEqual(r.shape, [16, 16, 7]);
  assert.equal(r.dtype, "float32");
  const step = 11 / 6;
  assert.ok(Math.abs(r.affine[10]! - step) < 1e-9);
  assert.equal(r.affine[11], 0);
  assertVoxels(
    r,
    (i, j, k) => {
      const z = k * step;
      let s = 0;
      while (s < zs.length - 2 && zs[s + 1]! < z) s++;
      const w = (z - zs[s]!) / (zs[s + 1]! - zs[s]!);
      return (1 - w) * PATTERN.ct!(i, j, s) + w * PATTERN.ct!(i, j, s + 1) - 1024;
    },
    r.real(),
    1e-3,
  );
});

test("gantry tilt: sheared affine from the positions, with a note", async () => {
  const v = await one(dicom("tilt"));
  assertAffine(v.affine, expected.tilt!.affine);
  // The k column leans 15° from the slice normal: y step / z step = tan 15°.
  assert.ok(Math.abs(-v.affine[6]! / v.affine[10]! - Math.tan((15 * Math.PI) / 180)) < 1e-6);
  assert.ok((v.meta.notes as string[]).some((n) => n.includes("gantry tilt 15.00°")));
  assertVoxels(v, PATTERN.ct!);
});

test("folder tree with two series: both read, listed, and selectable by UID", async () => {
  const vols = await readDicom(dicom("tree"));
  assert.equal(vols.length, 2);
  const byDesc = new Map(vols.map((v) => [v.meta.seriesDescription, v]));
  const sag = byDesc.get("sagittal")!;
  const cor = byDesc.get("coronal")!;
  assertAffine(sag.affine, expected.tree_sagittal!.affine);
  assertAffine(cor.affine, expected.tree_coronal!.affine);
  assert.deepEqual(cor.shape, [16, 12, 4]);
  // Both were written against their slice normal, so k runs opposite to the written order.
  assert.deepEqual(expected.tree_sagittal!.sliceOrder, [2, 1, 0]);
  assert.deepEqual(expected.tree_coronal!.sliceOrder, [3, 2, 1, 0]);
  assertVoxels(cor, (i, j, k) => PATTERN.ct!(i, j, expected.tree_coronal!.sliceOrder![k]!));
  assertVoxels(sag, (i, j, k) => PATTERN.mr12!(i, j, expected.tree_sagittal!.sliceOrder![k]!));
  // Sagittal: i along LPS +y (posterior, "P"), j along LPS -z ("I"), k along LPS -x ("R").
  assert.equal(sag.orientation, "PIR");
  // Coronal: i along LPS +x ("L"), j along -z ("I"), k along LPS +y ("P").
  assert.equal(cor.orientation, "LIP");

  const uids = expected.tree!.series!;
  const list = await listDicomSeries(dicom("tree"));
  assert.equal(list.length, 2);
  for (const s of list) {
    assert.equal(uids[s.uid], s.description);
    assert.equal(s.volumes, 1);
  }
  const corList = list.find((s) => s.description === "coronal")!;
  assert.equal(corList.files, 4);
  assert.deepEqual(corList.size, [16, 12, 4]);
  assert.equal(corList.modality, "CT");

  const sagUid = Object.keys(uids).find((u) => uids[u] === "sagittal")!;
  const picked = await readDicom(dicom("tree"), { series: sagUid });
  assert.equal(picked.length, 1);
  assert.equal(picked[0]!.meta.seriesInstanceUID, sagUid);

  await assert.rejects(readDicom(dicom("tree"), { series: "1.2.3.4" }), (e: unknown) => {
    assert.ok(e instanceof InputError);
    for (const u of Object.keys(uids)) assert.ok(e.message.includes(u), e.message);
    return true;
  });
});

test("signed data with BitsStored 12 is sign-extended", async () => {
  const v = await one(dicom("signed12"));
  assert.equal(v.dtype, "int16");
  assertVoxels(v, PATTERN.s12!);
});

test("8-bit signed and 32-bit unsigned (also big endian, OW word-swapped as DCMTK writes it)", async () => {
  const s8 = await one(dicom("s8"));
  assert.equal(s8.dtype, "int8");
  assertVoxels(s8, PATTERN.s8!);
  for (const path of [dicom("u32"), dicom("syntax", "u32_bigendian")]) {
    const v = await one(path);
    assert.equal(v.dtype, "uint32");
    assertVoxels(v, PATTERN.u32!);
  }
});

test("MONOCHROME1 is inverted within the stored range, with a note", async () => {
  const v = await one(dicom("mono1"));
  assertVoxels(v, (i, j, k) => 4095 - PATTERN.mr12!(i, j, k));
  assert.ok((v.meta.notes as string[]).some((n) => n.includes("MONOCHROME1")));
});

test("enhanced multi-frame CT: per-frame positions and per-frame rescale → float32 HU", async () => {
  const e = expected.enhanced_ct!;
  for (const file of [
    "enhanced_ct.dcm",
    "syntax/enhanced_ct_rle.dcm",
    "syntax/enhanced_ct_jpegls.dcm",
    "syntax/enhanced_ct_j2k.dcm",
  ]) {
    const v = await one(dicom(file));
    assert.equal(v.dtype, "float32", file);
    assert.deepEqual(v.shape, e.shape);
    assertAffine(v.affine, e.affine);
    assert.equal(v.meta.units, "HU");
    assertVoxels(v, (i, j, k) => PATTERN.ct!(i, j, k) * e.slope! + e.intercepts![k]!);
  }
});

test("RT Dose multi-frame: frames at GridFrameOffsetVector, DoseGridScaling as slope, units", async () => {
  const e = expected.dose!;
  const v = await one(dicom("dose.dcm"));
  assert.equal(v.dtype, "uint32");
  assert.deepEqual(v.shape, e.shape);
  assert.deepEqual(v.scaling, { slope: e.slope, intercept: 0 });
  assert.equal(v.meta.units, "GY");
  const offsets = e.offsets!;
  assert.deepEqual(
    v.meta.sliceGaps,
    offsets.slice(1).map((o, k) => o - offsets[k]!),
  );
  assertAffine(v.affine, e.affine);
  assertVoxels(v, PATTERN.u32!);
});

test("every lossless transfer syntax decodes to exactly the uncompressed values", async () => {
  const mr = await one(dicom("syntax", "mr_native"));
  assertVoxels(mr, PATTERN.mr12!);
  for (const name of ["implicit", "bigendian", "deflate", "rle", "jpeg57", "jpeg70", "jpegls80", "j2k90"]) {
    const v = await one(dicom("syntax", `mr_${name}`));
    assert.equal(v.dtype, "uint16", name);
    assert.deepEqual(v.affine, mr.affine, name);
    assert.equal(maxAbsDiff(v.data as Uint16Array, mr.data as Uint16Array), 0, name);
  }
  const ct = await one(dicom("syntax", "ct_native"));
  assertVoxels(ct, (i, j, k) => PATTERN.ct!(i, j, k) - 1200);
  for (const name of ["rle", "jpeg70", "jpegls80", "j2k90"]) {
    const v = await one(dicom("syntax", `ct_${name}`));
    assert.equal(v.dtype, "int16", name);
    assert.equal(maxAbsDiff(v.data as Int16Array, ct.data as Int16Array), 0, name);
  }
  const u8 = await one(dicom("syntax", "u8_rle"));
  assertVoxels(u8, PATTERN.u8!);
});

test("worker-thread decoding gives the same values as decoding on the calling thread", async () => {
  for (const name of ["mr_jpeg70", "mr_jpegls80", "mr_j2k90", "u8_jpeg50"]) {
    const inline = await one(dicom("syntax", name), { workers: 0 });
    const pooled = await one(dicom("syntax", name), { workers: 2 });
    assert.deepEqual(pooled.data, inline.data, name);
  }
  const e = await one(dicom("syntax", "enhanced_ct_j2k.dcm"), { workers: 2 });
  assertVoxels(
    e,
    (i, j, k) => PATTERN.ct!(i, j, k) * expected.enhanced_ct!.slope! + expected.enhanced_ct!.intercepts![k]!,
  );
  for (const workers of [0, 2])
    await rejectsWith(
      readDicom(dicom("bad", "jpegls_cut.dcm"), { workers }),
      "jpegls_cut.dcm",
      "cannot decode frame 1",
      "corrupt or truncated",
    );
});

test("lossy syntaxes: within the codec's bound and equal to an independent decoder", async () => {
  const mr = (await one(dicom("syntax", "mr_native"))).data as Uint16Array;
  // JPEG-LS near-lossless was written with NEAR = 2: the standard bounds the error by NEAR.
  const jls = (await one(dicom("syntax", "mr_jpegls81"))).data as Uint16Array;
  assert.ok(maxAbsDiff(jls, mr) <= 2);
  // JPEG 2000 lossy: same values as GDCM/OpenJPEG's own decoding, close to the source.
  const j2k = (await one(dicom("syntax", "mr_j2k91"))).data as Uint16Array;
  const j2kRef = (await one(dicom("syntax", "ref_mr_j2k91"))).data as Uint16Array;
  assert.equal(maxAbsDiff(j2k, j2kRef), 0);
  assert.ok(maxAbsDiff(j2k, mr) <= 64);
  // JPEG baseline / extended 8-bit: libjpeg-turbo vs DCMTK's IJG decoder may differ by rounding.
  const u8 = (await one(dicom("u8"))).data as Uint8Array;
  for (const name of ["jpeg50", "jpeg51"]) {
    const v = (await one(dicom("syntax", `u8_${name}`))).data as Uint8Array;
    const ref = (await one(dicom("syntax", `ref_u8_${name}`))).data as Uint8Array;
    assert.ok(maxAbsDiff(v, ref) <= 1, name);
    assert.ok(maxAbsDiff(v, u8) <= 8, name);
  }
});

test("RGB is converted to luminance, natively, from RLE and from JPEG (YBR_FULL_422)", async () => {
  const rgb = (c: number, r: number) => [(c * 30) % 256, (r * 40) % 256, ((c + r) * 20) % 256] as const;
  const lum = (c: number, r: number) => {
    const [R, G, B] = rgb(c, r);
    return Math.round(0.299 * R + 0.587 * G + 0.114 * B);
  };
  const v = await one(dicom("rgb.dcm"));
  assert.deepEqual(v.shape, [8, 6, 1]);
  assert.ok((v.meta.warnings as string[]).some((w) => w.includes("luminance")));
  assertVoxels(v, (i, j) => lum(i, j));
  assertVoxels(await one(dicom("syntax", "rgb_rle.dcm")), (i, j) => lum(i, j));
  const jpg = (await one(dicom("syntax", "rgb_jpeg50.dcm"))).data as Uint8Array;
  const ref = (await one(dicom("syntax", "ref_rgb_jpeg50.dcm"))).data as Uint8Array;
  assert.ok(maxAbsDiff(jpg, ref) <= 2);
});

test("RGB JPEG with no colour marker is not colour-converted (DICOM RGB); native YBR_FULL_422 gives Y", async () => {
  const v = (await one(dicom("syntax", "rgb_jpeg_nomarker.dcm"))).data as Uint8Array;
  const ref = (await one(dicom("syntax", "ref_rgb_jpeg_nomarker.dcm"))).data as Uint8Array;
  const source = (await one(dicom("rgb.dcm"))).data as Uint8Array;
  assert.ok(maxAbsDiff(v, ref) <= 1);
  assert.ok(maxAbsDiff(v, source) <= 4);
  const ybr = await one(dicom("ybr422.dcm"));
  assert.deepEqual(ybr.shape, [16, 4, 1]);
  assertVoxels(ybr, (i, j) => PATTERN.u8!(i, j, 0));
});

test("a folder with a corrupt-header file still loads its series, naming the file in a warning", async () => {
  const v = await one(dicom("with_corrupt"));
  assert.deepEqual(v.shape, [16, 16, 3]);
  assertVoxels(v, PATTERN.u8!);
  assert.deepEqual(v.meta.skippedFiles, { notDicom: 0, noPixels: 0, unreadable: 1 });
  assert.ok((v.meta.warnings as string[]).some((w) => w.includes("broken.dcm")));
});

test("preamble-less implicit VR data set is recognised and read", async () => {
  const bytes = readFileSync(dicom("raw_implicit.dcm"));
  assert.equal(isDicomFile(bytes), true);
  const v = await one(dicom("raw_implicit.dcm"));
  assertVoxels(v, (i, j) => PATTERN.u8!(i, j, 1));
});

test("isDicomFile: Part 10 files yes, text and random bytes no", () => {
  assert.equal(isDicomFile(readFileSync(dicom("ct", "00_slice_a.dcm"))), true);
  assert.equal(isDicomFile(readFileSync(dicom("ct", "README.txt"))), false);
  assert.equal(isDicomFile(new Uint8Array(200).fill(0x41)), false);
  assert.equal(isDicomFile(new Uint8Array(3)), false);
});

test("duplicates: a copied file is ignored with a note; repeated positions become time points", async () => {
  const d = await one(dicom("duplicates"));
  assert.deepEqual(d.shape, [16, 16, 3]);
  assert.ok((d.meta.notes as string[]).some((n) => n.includes("duplicate")));
  assertVoxels(d, PATTERN.ct!);

  const t = await one(dicom("timeseries"));
  assert.deepEqual(t.shape, [16, 16, 3, 2]);
  const plane = 16 * 16;
  for (let tp = 0; tp < 2; tp++)
    for (let k = 0; k < 3; k++)
      for (let p = 0; p < plane; p++) {
        const want = PATTERN.mr12!(p % 16, Math.floor(p / 16), k + 3 * tp);
        assert.equal(t.data[p + plane * (k + 3 * tp)], want);
      }
});

test("a series mixing orientations is split into volumes, with a note", async () => {
  const vols = await readDicom(dicom("mixed"));
  assert.equal(vols.length, 2);
  assert.deepEqual(
    vols.map((v) => v.shape[2]),
    [3, 2],
  );
  for (const v of vols) {
    assert.ok((v.meta.notes as string[]).some((n) => n.includes("orientation") && n.includes("split")));
    assert.equal(v.meta.seriesInstanceUID, vols[0]!.meta.seriesInstanceUID);
  }
  const list = await listDicomSeries(dicom("mixed"));
  assert.equal(list.length, 1);
  assert.equal(list[0]!.volumes, 2);
  assert.equal(list[0]!.slices, 5);
});

test("overlapping acquisitions in one series are split by AcquisitionNumber", async () => {
  const vols = await readDicom(dicom("acquisitions"));
  assert.equal(vols.length, 2);
  const [first, second] = vols as [Volume, Volume];
  assert.deepEqual(first.shape, [16, 16, 4]);
  assertVoxels(first, PATTERN.ct!);
  assert.deepEqual(second.shape, [16, 16, 3]);
  assertVoxels(second, (i, j, k) => PATTERN.ct!(i, j, 10 + k));
  assert.equal(second.affine[11], 4); // starts at z = 4
  for (const v of vols)
    assert.ok((v.meta.notes as string[]).some((n) => n.includes("overlapping acquisitions")));
});

test("a large non-DICOM file beside a series is skipped and counted", async (t) => {
  const dir = tempDir(t);
  for (const f of readdirSync(dicom("u8"))) copyFileSync(dicom("u8", f), join(dir, f));
  const junk = new Uint8Array(3 * 1024 * 1024);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 2654435761) >>> 24;
  writeFileSync(join(dir, "video.bin"), junk);
  const v = await one(dir);
  assertVoxels(v, PATTERN.u8!);
  assert.deepEqual(v.meta.skippedFiles, { notDicom: 1, noPixels: 0, unreadable: 0 });
});

test("missing ImagePositionPatient: ordered by InstanceNumber with a warning", async () => {
  const v = await one(dicom("no_position"));
  // Files k = 0, 1, 2 carry InstanceNumber 3, 1, 2.
  const fileOf = [1, 2, 0];
  assertVoxels(v, (i, j, k) => PATTERN.ct!(i, j, fileOf[k]!));
  assert.ok((v.meta.warnings as string[]).some((w) => w.includes("InstanceNumber")));
  assert.ok(Math.abs(v.affine[10]! - 2) < 1e-9, "SpacingBetweenSlices used");
});

async function rejectsWith(p: Promise<unknown>, ...parts: string[]): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    for (const part of parts) assert.ok(e.message.includes(part), `"${e.message}" lacks "${part}"`);
    assert.ok(!e.message.includes("\n"), "one line");
    return true;
  });
}

test("bad input: InputError naming the file and the problem", async () => {
  await rejectsWith(readDicom(dicom("bad", "truncated")), "IM0001.dcm", "truncated");
  await rejectsWith(readDicom(dicom("bad", "mpeg2.dcm")), "mpeg2.dcm", "1.2.840.10008.1.2.4.100", "MPEG2");
  await rejectsWith(readDicom(dicom("bad", "huge.dcm")), "huge.dcm", "maxVoxels");
  await rejectsWith(readDicom(dicom("bad", "garbage.dcm")), "garbage.dcm", "corrupt");
  await rejectsWith(readDicom(dicom("bad", "no_rows.dcm")), "no_rows.dcm", "Rows");
  await rejectsWith(readDicom(dicom("ct"), { maxVoxels: 1000 }), "maxVoxels");
  await rejectsWith(readDicom(dicom("ct", "README.txt")), "README.txt", "not a DICOM file");
  await rejectsWith(readDicom(dicom("does-not-exist")), "does-not-exist", "no such file");
  // Listing works from headers: the unreadable syntax shows up instead of failing.
  const listed = await listDicomSeries(dicom("bad", "mpeg2.dcm"));
  assert.deepEqual(listed[0]!.transferSyntaxes, ["1.2.840.10008.1.2.4.100"]);
});

test("onProgress counts up to its total", async () => {
  const seen: [number, number][] = [];
  await readDicom(dicom("ct"), { onProgress: (d, t) => seen.push([d, t]) });
  assert.ok(seen.length > 0);
  const total = seen[0]![1];
  assert.equal(total, 12); // 6 files scanned (one skipped) + 6 slots for decoding
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]![0] >= seen[i - 1]![0]);
  assert.deepEqual(seen[seen.length - 1], [total, total]);
});
