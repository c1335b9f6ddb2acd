import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { applyPoint, invert4, readNifti } from "../../src/index.js";
import { assertInputError, runCli } from "../../test/cli.js";
import { fixture, repoRoot, tempDir } from "../../test/paths.js";

interface NibabelView {
  shape: number[];
  dtype: string;
  affine: number[][];
  axcodes: string;
  stats: { min: number; max: number; mean: number; std: number; nan: number };
}

// runCli imports apps/cli/main.js directly; this checks the installed entry point itself.
test("bin/medadapt.js runs the CLI: --version prints package.json's version", () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
  const r = spawnSync(process.execPath, [join(repoRoot, "bin", "medadapt.js"), "--version"], {
    encoding: "utf8",
    cwd: repoRoot,
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${pkg.version}\n`);
});

test("commands that take options only reject a stray argument with one input-error line", () => {
  for (const command of ["eval", "predict", "train"])
    assertInputError(
      runCli(command, "stray.csv"),
      "stray.csv",
      /unexpected argument 'stray\.csv' \(see --help\)/,
    );
});

describe("medadapt info", () => {
  for (const name of ["scaled_int16", "qform_only", "fourd", "nifti2"]) {
    test(`--json on ${name} matches what nibabel reports`, () => {
      const e = JSON.parse(readFileSync(fixture("nifti", `${name}.json`), "utf8")) as NibabelView & {
        file: string;
      };
      const path = fixture("nifti", e.file);
      const r = runCli("info", path, "--json");
      assert.equal(r.code, 0, r.stderr);
      const out = JSON.parse(r.stdout);
      assert.equal(out.path, path);
      assert.equal(out.format, "nifti");
      assert.deepEqual(out.shape, e.shape);
      assert.equal(out.dtype, e.dtype);
      assert.equal(out.orientation, e.axcodes);
      const a = e.affine;
      for (let i = 0; i < 4; i++)
        for (let j = 0; j < 4; j++)
          assert.ok(Math.abs(out.affine[i][j] - a[i]![j]!) < 1e-5, `affine ${i},${j}`);
      // spacing = lengths of the affine's columns (nibabel's voxel_sizes)
      for (let j = 0; j < 3; j++) {
        const want = Math.hypot(a[0]![j]!, a[1]![j]!, a[2]![j]!);
        assert.ok(Math.abs(out.spacing[j] - want) < 1e-5, `spacing ${j}`);
      }
      for (const k of ["min", "max", "mean", "std"] as const)
        assert.ok(Math.abs(out.stats[k] - e.stats[k]) <= 1e-9 * Math.max(1, Math.abs(e.stats[k])), k);
      assert.equal(out.stats.nan, e.stats.nan);
    });
  }

  test("a DICOM folder with two series lists both", () => {
    const expected = JSON.parse(readFileSync(fixture("dicom", "expected.json"), "utf8")).tree
      .series as Record<string, string>;
    const r = runCli("info", fixture("dicom", "tree"), "--json");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.format, "dicom");
    assert.deepEqual(
      out.series.map((s: { series_uid: string }) => s.series_uid).sort(),
      Object.keys(expected).sort(),
    );
    for (const s of out.series) assert.equal(s.affine.length, 4);
  });

  test("reader warnings reach the user: uneven DICOM slice gaps", () => {
    const json = runCli("info", fixture("dicom", "nonuniform"), "--json");
    assert.equal(json.code, 0, json.stderr);
    const out = JSON.parse(json.stdout) as { warnings?: string[] };
    assert.ok(
      out.warnings?.some((w) => /non-uniform slice spacing/.test(w)),
      JSON.stringify(out.warnings),
    );
    const txt = runCli("info", fixture("dicom", "nonuniform"));
    assert.match(txt.stdout, /warning: +non-uniform slice spacing/);
  });

  test("the text form names the fields", () => {
    const r = runCli("info", fixture("nifti", "fourd.nii"));
    assert.equal(r.code, 0, r.stderr);
    for (const word of ["shape:", "3 × 4 × 2 × 5", "spacing:", "orientation:", "affine:", "NaN 1"])
      assert.ok(r.stdout.includes(word), word);
  });

  test("bad inputs exit 2 with one line naming the file", (t) => {
    const dir = tempDir(t);
    const missing = join(dir, "missing.nii");
    assertInputError(runCli("info", missing), missing, /no such file/);
    const text = join(dir, "notes.txt");
    writeFileSync(text, "not a scan\n");
    assertInputError(runCli("info", text), text, /unrecognised format/);
    const good = readFileSync(fixture("nifti", "dtype_int16_le.nii"));
    const cut = join(dir, "cut.nii");
    writeFileSync(cut, good.subarray(0, good.length - 10));
    assertInputError(runCli("info", cut), cut, /truncated/);
    const gz = readFileSync(fixture("nifti", "nifti2.nii.gz"));
    const cutgz = join(dir, "cut.nii.gz");
    writeFileSync(cutgz, gz.subarray(0, gz.length - 40));
    assertInputError(runCli("info", cutgz), cutgz, /truncated/);
  });
});

describe("medadapt convert", () => {
  test("--orient LPI moves voxels without moving them in the world", async (t) => {
    const dir = tempDir(t);
    const src = fixture("nifti", "qform_only.nii");
    const out = join(dir, "lpi.nii.gz");
    const r = runCli("convert", src, out, "--orient", "LPI", "--json");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim().split("\n").at(-1)!).orientation, "LPI");
    const a = await readNifti(src);
    const b = await readNifti(out);
    assert.equal(b.orientation, "LPI");
    const toB = invert4(b.affine);
    const [nx, ny] = a.shape as [number, number, number];
    // Every voxel of the input is found, with its value, at its world position in the output.
    for (let k = 0; k < a.shape[2]!; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          const w = applyPoint(a.affine, i, j, k);
          const [bi, bj, bk] = applyPoint(toB, ...w).map(Math.round) as [number, number, number];
          const vb = b.data[bi + b.shape[0]! * (bj + b.shape[1]! * bk)];
          assert.equal(vb, a.data[i + nx * (j + ny * k)]);
        }
  });

  test("--spacing resamples to the requested voxel size", async (t) => {
    const out = join(tempDir(t), "iso.nii");
    const r = runCli("convert", fixture("dicom", "ct"), out, "--spacing", "1,1,1");
    assert.equal(r.code, 0, r.stderr);
    const v = await readNifti(out);
    for (const s of v.spacing) assert.ok(Math.abs(s - 1) < 1e-6);
  });

  test("several series without --series: an error listing the UIDs, and no output", (t) => {
    const dir = tempDir(t);
    const input = fixture("dicom", "tree");
    const r = runCli("convert", input, join(dir, "x.nii"));
    assertInputError(
      r,
      input,
      /1\.2\.826\.0\.1\.3680043\.10\.1234\.77\.1.*1\.2\.826\.0\.1\.3680043\.10\.1234\.77\.2/,
    );
    assert.deepEqual(readdirSync(dir), []);
    const ok = runCli("convert", input, join(dir, "x.nii"), "--series", "1.2.826.0.1.3680043.10.1234.77.2");
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(readdirSync(dir), ["x.nii"]);
  });

  test("failures leave no output behind", (t) => {
    const dir = tempDir(t);
    const good = readFileSync(fixture("nifti", "nifti2.nii.gz"));
    const cut = join(dir, "in.nii.gz");
    writeFileSync(cut, good.subarray(0, good.length - 40));
    assertInputError(runCli("convert", cut, join(dir, "out.nii.gz")), cut);
    const badOut = join(dir, "out.mha");
    assertInputError(runCli("convert", fixture("nifti", "fourd.nii"), badOut), badOut, /\.nii/);
    assertInputError(
      runCli("convert", fixture("nifti", "fourd.nii"), join(dir, "o.nii"), "--spacing", "1,x,1"),
      "--spacing",
    );
    assert.deepEqual(readdirSync(dir), ["in.nii.gz"]);
  });
});
