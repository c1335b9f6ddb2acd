import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { fixture, tempDir } from "../../../test/paths.js";
import { InputError } from "../../errors.js";
import { volumeStats } from "../../volume/stats.js";
import { Volume } from "../../volume/volume.js";
import { type HeaderRecord, NIFTI1, NIFTI2, packRecord, sniffHeader, unpackRecord } from "./header.js";
import { decodeNifti, readNifti } from "./read.js";
import { encodeNifti, writeNifti } from "./write.js";
import { matToQuat, qformFields, quatToMat, recoverW } from "./xform.js";

/** What nibabel reported for a fixture (written by test/fixtures/nifti/make_fixtures.py). */
interface Expected {
  file: string;
  version: 1 | 2;
  littleEndian: boolean;
  shape: number[];
  dtype: string;
  affine: number[][];
  axcodes: string;
  qform_code: number;
  sform_code: number;
  slope: number;
  inter: number;
  pixdim: number[];
  raw: (number | string | null)[];
  real?: (number | null)[];
  stats?: { min: number; max: number; mean: number; std: number; nan: number };
}

const DIR = fixture("nifti");
const EXPECTED: Expected[] = readdirSync(DIR)
  .filter((f) => f.endsWith(".json"))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(DIR, f), "utf8")) as Expected);

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} vs ${expected}`,
  );
}

function padShape(shape: number[]): number[] {
  const s = [...shape];
  while (s.length < 3) s.push(1);
  return s;
}

function checkAgainst(vol: Volume, e: Expected): void {
  assert.equal(vol.dtype, e.dtype);
  assert.deepEqual([...vol.shape], padShape(e.shape));
  // nibabel builds qform affines from float32 quaternions in float32 arithmetic.
  for (const [i, v] of e.affine.flat().entries()) close(vol.affine[i]!, v, 2e-6, `${e.file} affine[${i}]`);
  assert.equal(vol.orientation, e.axcodes, `${e.file} orientation`);
  close(vol.scaling.slope, e.slope, 1e-12, `${e.file} slope`);
  close(vol.scaling.intercept, e.inter, 1e-12, `${e.file} intercept`);
  const raw = Array.from(vol.data as ArrayLike<number | bigint>, (v) =>
    typeof v === "bigint" ? v.toString() : Number.isNaN(v) ? null : v,
  );
  assert.equal(raw.length, e.raw.length);
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== e.raw[i] && !Object.is(raw[i], e.raw[i]))
      assert.fail(`${e.file} raw[${i}]: ${raw[i]} vs ${e.raw[i]}`);
  }
  if (Object.is(e.raw[1], -0)) assert.ok(Object.is(vol.data[1], -0), `${e.file}: -0 kept`);
  if (e.real && e.dtype !== "int64" && e.dtype !== "uint64" && e.dtype !== "float64") {
    const real = vol.real();
    e.real.forEach((v, i) => {
      if (v === null) assert.ok(Number.isNaN(real[i]!), `${e.file} real[${i}] is NaN`);
      else close(real[i]!, v, 1e-6, `${e.file} real[${i}]`);
    });
  }
  if (e.stats) {
    const s = volumeStats(vol);
    assert.equal(s.nan, e.stats.nan);
    close(s.min, e.stats.min, 1e-12, `${e.file} min`);
    close(s.max, e.stats.max, 1e-12, `${e.file} max`);
    close(s.mean, e.stats.mean, 1e-9, `${e.file} mean`);
    close(s.std, e.stats.std, 1e-9, `${e.file} std`);
  }
  const info = vol.meta.nifti as {
    version: number;
    littleEndian: boolean;
    qformCode: number;
    sformCode: number;
  };
  assert.equal(info.version, e.version);
  assert.equal(info.littleEndian, e.littleEndian);
  assert.equal(info.qformCode, e.qform_code);
  assert.equal(info.sformCode, e.sform_code);
}

describe("readNifti against nibabel-written fixtures", () => {
  assert.ok(EXPECTED.length >= 30, "fixtures present");
  for (const e of EXPECTED) {
    test(e.file, async () => {
      const vol = await readNifti(join(DIR, e.file));
      checkAgainst(vol, e);
      if (e.shape.length === 4) assert.equal(vol.meta.timeStep, e.pixdim[4]);
      // The in-memory decoder agrees with the streaming reader.
      checkAgainst(decodeNifti(readFileSync(join(DIR, e.file)), { source: e.file }), e);
    });
  }

  test("the chosen affine follows get_best_affine's rule", async () => {
    const src = async (f: string) =>
      ((await readNifti(join(DIR, f))).meta.nifti as { affineSource: string }).affineSource;
    assert.equal(await src("qform_and_sform.nii"), "sform");
    assert.equal(await src("sform_only.nii"), "sform");
    assert.equal(await src("qform_only.nii"), "qform");
    assert.equal(await src("no_xform.nii"), "fallback");
  });
});

describe("writeNifti round trips", () => {
  const cases = [
    "dtype_int16_be.nii",
    "dtype_uint64_le.nii",
    "dtype_rgb24_le.nii",
    "fourd.nii",
    "scaled_uint8_be.nii",
    "qform_only.nii",
    "sform_only.nii",
    "no_xform.nii",
  ];
  for (const name of cases)
    for (const [suffix, version] of [
      [".nii", 1],
      [".nii.gz", 1],
      [".nii", 2],
      [".nii.gz", 2],
    ] as const)
      test(`${name} → NIfTI-${version} ${suffix}`, async (t) => {
        const e = EXPECTED.find((x) => x.file === name)!;
        const vol = await readNifti(join(DIR, name));
        const out = join(tempDir(t), `out${suffix}`);
        await writeNifti(out, vol, { version });
        const back = await readNifti(out);
        // Written little-endian, in the requested version; everything nibabel saw is kept.
        checkAgainst(back, {
          ...e,
          version,
          littleEndian: true,
          qform_code: e.qform_code,
          sform_code: e.sform_code || 2,
        });
        const bytes = readFileSync(out);
        assert.equal(bytes[0] === 0x1f && bytes[1] === 0x8b, suffix.endsWith(".gz"));
      });

  test("a volume that never was NIfTI gets sform 2 / qform 0 with the quaternion filled in", async () => {
    const R = quatToMat(...(normalise([0.9, 0.1, -0.3, 0.2]) as [number, number, number, number]));
    const z = [0.5, 0.6, 2.0];
    const affine = [
      -R[0]! * z[0]!,
      R[1]! * z[1]!,
      R[2]! * z[2]!,
      10,
      -R[3]! * z[0]!,
      R[4]! * z[1]!,
      R[5]! * z[2]!,
      -20,
      -R[6]! * z[0]!,
      R[7]! * z[1]!,
      R[8]! * z[2]!,
      30,
      0,
      0,
      0,
      1,
    ];
    const vol = new Volume({
      data: new Float32Array([1, Number.NaN, 3, 4, 5, 6]),
      dtype: "float32",
      shape: [1, 2, 3],
      affine,
    });
    const bytes = encodeNifti(vol);
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(v.getInt16(252, true), 0, "qform_code");
    assert.equal(v.getInt16(254, true), 2, "sform_code");
    assert.equal(v.getFloat32(108, true), 352, "vox_offset");
    // The qform alone (codes swapped in the bytes) reproduces the affine: quaternion, qfac, pixdim.
    v.setInt16(252, 1, true);
    v.setInt16(254, 0, true);
    const back = decodeNifti(bytes);
    for (const [i, a] of affine.entries()) close(back.affine[i]!, a, 1e-6, `affine[${i}]`);
    assert.ok(Number.isNaN(back.data[1] as number));
    assert.equal(v.getFloat32(76, true), -1, "qfac for a left-handed grid");
  });

  test("the quaternion of a sheared affine is nibabel's set_qform, and its code stays 0", async () => {
    const e = EXPECTED.find((x) => x.file === "sform_only.nii")! as Expected & {
      nibabel_set_qform: { quatern: number[]; pixdim: number[] };
    };
    const vol = await readNifti(join(DIR, e.file));
    const withCodes = vol.with({
      meta: { ...vol.meta, nifti: { ...(vol.meta.nifti as object), qformCode: 1 } },
    });
    const bytes = encodeNifti(withCodes);
    const v = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(v.getInt16(252, true), 0, "qform_code");
    assert.equal(v.getInt16(254, true), 4, "sform_code kept");
    for (let i = 0; i < 3; i++)
      close(v.getFloat32(256 + 4 * i, true), e.nibabel_set_qform.quatern[i]!, 1e-6, `quatern ${i}`);
    for (let i = 0; i < 4; i++)
      close(v.getFloat32(76 + 4 * i, true), e.nibabel_set_qform.pixdim[i]!, 1e-6, `pixdim ${i}`);
    // Without shear the source's qform code is kept.
    const q = await readNifti(join(DIR, "qform_only.nii"));
    assert.equal(new DataView(encodeNifti(q).buffer).getInt16(252, true), 1);
  });

  test("units: kept as read, else mm (+ s for 4D); pixdim[4] from meta.timeStep", async () => {
    const four = await readNifti(join(DIR, "fourd.nii"));
    const units = (vol: Volume) => new DataView(encodeNifti(vol).buffer).getUint8(123);
    assert.equal(units(four), 2 | 8);
    const msec = four.with({
      meta: { ...four.meta, nifti: { ...(four.meta.nifti as object), xyztUnits: 2 | 16 } },
    });
    assert.equal(units(msec), 2 | 16);
    const plain = new Volume({
      data: new Uint8Array(8),
      dtype: "uint8",
      shape: [2, 2, 1, 2],
      meta: { timeStep: 0.75 },
    });
    assert.equal(units(plain), 2 | 8);
    assert.equal(new DataView(encodeNifti(plain).buffer).getFloat32(76 + 16, true), 0.75);
    assert.equal(units(new Volume({ data: new Uint8Array(8), dtype: "uint8", shape: [2, 2, 2] })), 2);
  });

  test("NIfTI-1 refuses dimensions above 32767 and leaves no file", async (t) => {
    const dir = tempDir(t);
    const vol = new Volume({ data: new Uint8Array(40000), dtype: "uint8", shape: [40000, 1, 1] });
    await assert.rejects(writeNifti(join(dir, "big.nii"), vol), /32767.*version 2/);
    assert.deepEqual(await readdir(dir), []);
    await writeNifti(join(dir, "big.nii"), vol, { version: 2 });
    assert.deepEqual([...(await readNifti(join(dir, "big.nii"))).shape], [40000, 1, 1]);
  });

  test("a failed write leaves nothing behind", async (t) => {
    const dir = tempDir(t);
    const vol = await readNifti(join(DIR, "fourd.nii"));
    await assert.rejects(writeNifti(join(dir, "missing-folder", "x.nii.gz"), vol));
    assert.deepEqual(await readdir(dir), []);
  });
});

function normalise(q: number[]): number[] {
  const n = Math.hypot(...q);
  return q.map((x) => x / n);
}

describe("qform quaternion", () => {
  test("w is recovered from b, c, d the way nibabel's fillpositive does", () => {
    close(recoverW(0.5, 0.5, 0.5, 2 ** -23)!, 0.5, 1e-15, "w");
    assert.equal(recoverW(0, 0, 0, 2 ** -23), 1);
    // Slightly over 1 from float32 rounding → w = 0; clearly over → invalid.
    assert.equal(recoverW(Math.SQRT1_2 + 1e-7, Math.SQRT1_2, 0, 2 ** -23), 0);
    assert.equal(recoverW(0.8, 0.8, 0, 2 ** -23), undefined);
  });

  test("matrix → quaternion → matrix is the identity on rotations", () => {
    for (const q of [
      [1, 0, 0, 0],
      [0, 1, 0, 0],
      [0, 0, 0.6, 0.8],
      [0.5, -0.5, 0.5, 0.5],
      [0.1, 0.7, -0.5, 0.5],
    ]) {
      const qn = normalise(q);
      const R = quatToMat(qn[0]!, qn[1]!, qn[2]!, qn[3]!);
      const back = quatToMat(...matToQuat(R));
      for (const [i, r] of R.entries()) close(back[i]!, r, 1e-12, `R[${i}]`);
    }
  });

  test("shears are stripped to the nearest rotation (the polar factor)", () => {
    // A small shear of a rotation about z by 30°: the nearest orthonormal matrix is that rotation.
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    const q = qformFields([c, -s + 0.01, 0, 0, s, c + 0.01, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
    const rot = quatToMat(recoverW(...q.quatern, 2 ** -52)!, ...q.quatern);
    close(rot[0]!, c, 1e-2, "cos");
    close(rot[3]!, s, 1e-2, "sin");
    const orth = [0, 1, 2].map((j) => [0, 1, 2].reduce((acc, k) => acc + rot[k * 3]! * rot[k * 3 + j]!, 0));
    close(orth[0]!, 1, 1e-12, "unit column");
    close(orth[1]!, 0, 1e-12, "orthogonal columns");
  });
});

type Edit = (r: HeaderRecord) => void;
const setField =
  (name: string, v: number | string): Edit =>
  (r) => {
    r[name] = v;
  };
const setDim =
  (i: number, v: number): Edit =>
  (r) => {
    (r.dim as number[])[i] = v;
  };

/** The same battery for every version and byte order, written through the header table. */
function badHeaderCases(file: string): [string, Buffer, RegExp][] {
  const good = readFileSync(join(DIR, file));
  const sniffed = sniffHeader(good)!;
  const { layout, littleEndian } = sniffed;
  const v = layout.version;
  const mutate = (...edits: Edit[]): Buffer => {
    const rec = unpackRecord(good, layout, littleEndian);
    for (const edit of edits) edit(rec);
    const out = Buffer.from(good);
    out.set(packRecord(rec, layout, littleEndian));
    return out;
  };
  return [
    ["truncated header", good.subarray(0, 200), new RegExp(`truncated NIfTI-${v} header`)],
    ["truncated data", good.subarray(0, good.length - 7), /truncated/],
    [
      "wrong magic",
      mutate(setField("magic", `xx${layout.magic.slice(2)}`)),
      new RegExp(`bad NIfTI-${v} magic`),
    ],
    ["pair magic", mutate(setField("magic", layout.pairMagic)), /\.hdr\/\.img/],
    ["dim[0] = 0", mutate(setDim(0, 0)), /dim\[0\] is 0/],
    ["dim[0] = 9", mutate(setDim(0, 9)), /dim\[0\] is 9/],
    ["negative dim", mutate(setDim(2, -4)), /dim\[2\] is -4/],
    ["5D", mutate(setDim(0, 5), setDim(4, 1), setDim(5, 2)), /at most 4D/],
    ["bitpix mismatch", mutate(setField("bitpix", 8)), /bitpix 8 does not match datatype/],
    ["unknown datatype", mutate(setField("datatype", 3)), /unknown datatype code 3/],
    ["complex64", mutate(setField("datatype", 32), setField("bitpix", 64)), /complex64.*not supported/],
    ["vox_offset beyond file", mutate(setField("vox_offset", 1e6)), /vox_offset 1000000 is beyond the end/],
    ["vox_offset in header", mutate(setField("vox_offset", 100)), /vox_offset 100 overlaps the header/],
    ["absurd dims", mutate(setDim(1, 32000), setDim(2, 32000), setDim(3, 32000)), /maxVoxels/],
    [
      "invalid quaternion",
      mutate(
        setField("qform_code", 1),
        setField("sform_code", 0),
        setField("quatern_b", 0.9),
        setField("quatern_c", 0.9),
      ),
      /quaternion/,
    ],
    [
      "slope with infinite intercept",
      mutate(setField("scl_slope", 2), setField("scl_inter", Number.POSITIVE_INFINITY)),
      /scl_inter/,
    ],
    [
      "vox_offset beyond gzip data",
      gzipSync(mutate(setField("vox_offset", 50000))),
      /vox_offset 50000 is beyond the end/,
    ],
  ];
}

function otherBadCases(): [string, Buffer, RegExp][] {
  const gz = gzipSync(readFileSync(join(DIR, "dtype_int16_le.nii")));
  const corruptGz = Buffer.from(gz);
  for (let i = 40; i < corruptGz.length - 20; i += 3) corruptGz[i] = corruptGz[i]! ^ 0x5a;
  return [
    ["empty", Buffer.alloc(0), /not a NIfTI file/],
    ["text", Buffer.from("hello, this is not a scan\n".repeat(20)), /not a NIfTI file \(sizeof_hdr is/],
    ["truncated gzip", gz.subarray(0, gz.length - 30), /truncated/],
    ["corrupt gzip", corruptGz, /gzip|not a NIfTI|truncated/],
    ["gzip of garbage", gzipSync(Buffer.from("garbage".repeat(100))), /not a NIfTI file/],
  ];
}

function runBadCases(cases: [string, Buffer, RegExp][]): void {
  for (const [name, bytes, pattern] of cases) {
    test(name, async (t) => {
      const path = join(tempDir(t), "bad.nii");
      writeFileSync(path, bytes);
      const err = await readNifti(path).then(
        () => assert.fail("accepted"),
        (e: unknown) => e,
      );
      assert.ok(err instanceof InputError, String(err));
      assert.match(err.message, pattern);
      assert.ok(err.message.startsWith(`${path}: `), err.message);
      assert.throws(
        () => decodeNifti(bytes, { source: "mem.nii" }),
        (e: unknown) => e instanceof InputError && /^mem\.nii: /.test(e.message),
      );
    });
  }
}

test("the header tables put fields at nifti1.h / nifti2.h offsets", () => {
  const want1 = {
    dim: 40,
    datatype: 70,
    bitpix: 72,
    pixdim: 76,
    vox_offset: 108,
    scl_slope: 112,
    qform_code: 252,
    quatern_b: 256,
    srow_x: 280,
    intent_name: 328,
    magic: 344,
  };
  const want2 = {
    magic: 4,
    datatype: 12,
    dim: 16,
    pixdim: 104,
    vox_offset: 168,
    scl_slope: 176,
    qform_code: 344,
    quatern_b: 352,
    srow_x: 400,
    slice_code: 496,
    intent_name: 508,
    dim_info: 524,
  };
  for (const [k, at] of Object.entries(want1)) assert.equal(NIFTI1.offsets.get(k), at, `NIfTI-1 ${k}`);
  for (const [k, at] of Object.entries(want2)) assert.equal(NIFTI2.offsets.get(k), at, `NIfTI-2 ${k}`);
});

for (const file of ["dtype_int16_le.nii", "dtype_float32_be.nii", "nifti2_le.nii", "nifti2_be.nii"])
  describe(`bad headers are refused with an InputError naming the file (${file})`, () => {
    runBadCases(badHeaderCases(file));
  });

describe("bad input is refused with an InputError naming the file", () => {
  runBadCases(otherBadCases());

  test("maxVoxels is configurable", async () => {
    await assert.rejects(
      readNifti(join(DIR, "fourd.nii"), { maxVoxels: 100 }),
      /120 voxels, more than the limit of 100/,
    );
    assert.equal((await readNifti(join(DIR, "fourd.nii"), { maxVoxels: 120 })).voxels, 120);
  });

  test("a missing file", async () => {
    await assert.rejects(
      readNifti("/nonexistent/scan.nii"),
      /^InputError: \/nonexistent\/scan\.nii: no such file$/,
    );
  });
});
