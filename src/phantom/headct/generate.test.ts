import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../../test/paths.js";
import { readNifti } from "../../io/nifti/index.js";
import { parseManifest } from "../manifest.js";
import { FINDINGS } from "../taxonomy.js";
import { generateHeadCtSet } from "./generate.js";
import { HEMORRHAGE_LABELS } from "./labels.js";
import { scanAffine } from "./render.js";
import { sampleHeadCt } from "./sample.js";

const SHAPE: [number, number, number] = [40, 40, 10];
const SPACING: [number, number, number] = [6, 6, 16];

test("a generated set round-trips: manifest rows, labels, NIfTI types and geometry", async (t) => {
  const dir = tempDir(t);
  const prevalence = { epidural_hematoma: 1 };
  const s = await generateHeadCtSet(dir, {
    n: 3,
    seed: 9,
    shape: SHAPE,
    spacing: SPACING,
    workers: 1,
    prevalence,
    preview: true,
  });
  assert.equal(s.n, 3);
  const rows = parseManifest(await readFile(join(dir, "manifest.csv"), "utf8"), "manifest.csv");
  assert.equal(rows.length, 3);
  for (const [i, r] of rows.entries()) {
    const c = sampleHeadCt(9, i, { prevalence });
    assert.equal(r.id, c.id);
    assert.deepEqual(
      FINDINGS.filter((f) => r.labels[f.id]).map((f) => f.name),
      c.findings,
    );
    const img = await readNifti(join(dir, r.image));
    const hem = await readNifti(join(dir, r.hemorrhage_mask));
    const anat = await readNifti(join(dir, r.anatomy_mask));
    assert.equal(img.dtype, "int16");
    assert.equal(hem.dtype, "uint8");
    assert.equal(anat.dtype, "uint8");
    assert.deepEqual([...img.shape], SHAPE);
    const want = scanAffine({ shape: SHAPE, spacing: SPACING });
    for (const [k, v] of img.affine.entries())
      assert.ok(Math.abs(v - want[k]!) < 1e-4, `affine[${k}] ${v} vs ${want[k]}`);
    // Every scan has an EDH (prevalence 1): the mask holds label 1 and the labels say so.
    assert.ok((hem.data as Uint8Array).includes(HEMORRHAGE_LABELS.epidural));
    assert.equal(r.labels[FINDINGS.find((f) => f.name === "any_intracranial_hemorrhage")!.id], 1);
    const report = await readFile(join(dir, r.report), "utf8");
    assert.match(report, /epidural hematoma/);
    const png = await readFile(join(dir, `previews/${r.id}.png`));
    assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  }
  const taxonomy = (await readFile(join(dir, "taxonomy.csv"), "utf8")).trim().split("\n");
  assert.equal(taxonomy.length, 76);
});

test("output is identical whatever the number of workers", async (t) => {
  const a = tempDir(t);
  const b = tempDir(t);
  await generateHeadCtSet(a, { n: 3, seed: 4, shape: SHAPE, spacing: SPACING, workers: 1 });
  await generateHeadCtSet(b, { n: 3, seed: 4, shape: SHAPE, spacing: SPACING, workers: 2 });
  assert.equal(
    await readFile(join(a, "manifest.csv"), "utf8"),
    await readFile(join(b, "manifest.csv"), "utf8"),
  );
  for (const f of [
    "images/headct_4_00002.nii.gz",
    "masks/headct_4_00001_hemorrhage.nii.gz",
    "reports/headct_4_00000.txt",
  ])
    assert.deepEqual(await readFile(join(a, f)), await readFile(join(b, f)), f);
});

test("splits are deterministic and stratified", async () => {
  const { assignSplits } = await import("./split.js");
  const cases = Array.from({ length: 200 }, (_, index) => ({
    index,
    findings: sampleHeadCt(1, index).findings,
  }));
  const s1 = assignSplits(1, cases);
  assert.deepEqual(s1, assignSplits(1, cases));
  const count = (split: string) => s1.filter((s) => s === split).length;
  assert.ok(count("train") > 120 && count("val") > 20 && count("test") > 20);
  // Hemorrhage cases reach every split.
  const hem = s1.filter((_, i) => cases[i]!.findings.includes("any_intracranial_hemorrhage"));
  for (const s of ["train", "val", "test"]) assert.ok(hem.includes(s as "train"), s);
});
