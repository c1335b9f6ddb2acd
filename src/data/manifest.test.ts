import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../test/paths.js";
import { InputError } from "../errors.js";
import { formatManifest, type ManifestRow } from "../phantom/manifest.js";
import { FINDING_NAMES } from "../phantom/taxonomy.js";
import { parseManifestText, readManifest } from "./manifest.js";

const same = (a: ArrayLike<number>, b: number[]) => assert.deepEqual(Array.from(a), b);

test("CSV: quoting, relative and absolute paths, inferred labels, missing labels as NaN", () => {
  const csv = [
    "id,image,hemorrhage_mask,report,split,patient_id,age,ich,sdh,note",
    'c1,scans/c1.nii.gz,masks/c1.nii.gz,"Acute bleed, left; ""large""",train,p1,71,1,0,x',
    'c2,/data/c2.nii.gz,,"two\nlines",val,p1,64,,-1,y',
    "c3,c3.nii.gz,,,TEST,,80,0,NaN,",
  ].join("\n");
  const m = parseManifestText(csv, "/studies/set/manifest.csv");
  // age is numeric but not 0/1; note is text: neither is a label.
  assert.deepEqual(m.findings, ["ich", "sdh"]);
  assert.equal(m.cases.length, 3);
  const [c1, c2, c3] = m.cases as [(typeof m.cases)[0], (typeof m.cases)[0], (typeof m.cases)[0]];
  assert.deepEqual(c1.images, ["/studies/set/scans/c1.nii.gz"]);
  assert.deepEqual(c1.contrasts, ["image"]);
  assert.deepEqual(c1.masks, { hemorrhage: "/studies/set/masks/c1.nii.gz" });
  assert.equal(c1.report, 'Acute bleed, left; "large"');
  assert.equal(c1.split, "train");
  assert.equal(c1.patient, "p1");
  same(c1.labels, [1, 0]);
  assert.deepEqual(c2.images, ["/data/c2.nii.gz"]);
  assert.deepEqual(c2.masks, {});
  assert.equal(c2.report, "two\nlines");
  assert.ok(Number.isNaN(c2.labels[0]!) && Number.isNaN(c2.labels[1]!));
  assert.equal(c2.patient, "p1");
  assert.equal(c3.patient, "c3", "no patient id: the case is its own patient");
  assert.equal(c3.split, "test");
  same([c3.labels[0]!], [0]);
  assert.ok(Number.isNaN(c3.labels[1]!));
  assert.equal(c3.line, 5, "the quoted newline makes case c3 end on line 5");
  assert.equal(m.hasSplits, true);
});

test("CSV: explicit label list, several contrasts", () => {
  const csv = "id,image_t1,image_flair,a,b,c\nx,t1.nii,fl.nii,1,0,1\n";
  const m = parseManifestText(csv, "/d/m.csv", { labels: ["c", "a"] });
  assert.deepEqual(m.findings, ["c", "a"]);
  same(m.cases[0]!.labels, [1, 1]);
  assert.deepEqual(m.cases[0]!.contrasts, ["t1", "flair"]);
  assert.deepEqual(m.cases[0]!.images, ["/d/t1.nii", "/d/fl.nii"]);
  assert.equal(m.hasSplits, false);
  assert.throws(() => parseManifestText(csv, "/d/m.csv", { labels: ["zz"] }), /m\.csv: no label column 'zz'/);
});

test("bad rows name the file, line and column", () => {
  const bad = (csv: string, re: RegExp, opts = {}) =>
    assert.throws(
      () => parseManifestText(csv, "/d/m.csv", opts),
      (e: unknown) => e instanceof InputError && re.test(e.message) && e.message.startsWith("/d/m.csv: "),
    );
  bad("id,image,ich\na,a.nii,1\nb,b.nii,2\n", /line 3, column 'ich': label "2" is not 0, 1 or missing/, {
    labels: ["ich"],
  });
  bad("id,image,ich\na,a.nii,1\na,b.nii,0\n", /line 3, column 'id': id 'a' already used on line 2/);
  bad("id,image,ich\na,a.nii,1\nb,,0\n", /line 3: case 'b' has no image path/);
  bad("id,image,ich\na,a.nii,1,9\n", /line 2: 4 fields where the header has 3|not a valid CSV/);
  bad(
    "id,image,split\na,a.nii,training\n",
    /line 2, column 'split': split 'training' is not train, val or test/,
  );
  bad("image,ich\na.nii,1\n", /no 'id' column/);
  bad("id,ich\na,1\n", /no image column/);
  bad('id,image\n"a,b.nii\n', /not a valid CSV/);
});

test("JSONL: image lists and objects, labels and masks objects, nulls as missing", () => {
  const lines = [
    JSON.stringify({
      id: "a",
      image: ["ct.nii.gz", "cta.nii.gz"],
      labels: { ich: 1, sdh: null },
      split: "train",
    }),
    "",
    JSON.stringify({
      id: "b",
      image: { t1: "b/t1.nii", t2: "b/t2.nii" },
      masks: { lesion: "b/m.nii" },
      ich: 0,
      sdh: 1,
      patient: "P",
    }),
  ].join("\n");
  const m = parseManifestText(lines, "/j/set.jsonl");
  assert.deepEqual(m.findings, ["ich", "sdh"]);
  const [a, b] = m.cases as [(typeof m.cases)[0], (typeof m.cases)[0]];
  assert.deepEqual(a.images, ["/j/ct.nii.gz", "/j/cta.nii.gz"]);
  same([a.labels[0]!], [1]);
  assert.ok(Number.isNaN(a.labels[1]!));
  assert.deepEqual(b.contrasts, ["t1", "t2"]);
  assert.deepEqual(b.masks, { lesion: "/j/b/m.nii" });
  same(b.labels, [0, 1]);
  assert.equal(b.patient, "P");
  assert.equal(b.line, 3);
  assert.equal(m.hasSplits, false);
  assert.throws(
    () => parseManifestText('{"id": "a", "image": "x"}\n{oops\n', "/j/set.jsonl"),
    /set\.jsonl: line 2: not valid JSON/,
  );
  assert.throws(
    () => parseManifestText('{"id": "a", "image": 3}\n', "/j/set.jsonl"),
    /line 1, column 'image': expected a path/,
  );
});

test("reads the phantom engineer's manifest (formatManifest) from disk", async (t) => {
  const dir = tempDir(t);
  const labels = new Uint8Array(FINDING_NAMES.length);
  labels[0] = 1;
  labels[5] = 1;
  const row = (id: string, split: "train" | "val" | "test"): ManifestRow => ({
    id,
    image: `images/${id}.nii.gz`,
    hemorrhage_mask: `masks/${id}_hem.nii.gz`,
    anatomy_mask: `masks/${id}_anat.nii.gz`,
    report: 'No acute findings, "really".',
    split,
    labels,
  });
  const path = join(dir, "manifest.csv");
  writeFileSync(path, formatManifest([row("a", "train"), row("b", "test")]));
  const m = await readManifest(path);
  assert.deepEqual(m.findings, [...FINDING_NAMES]);
  assert.deepEqual(m.cases[1]!.images, [join(dir, "images/b.nii.gz")]);
  assert.deepEqual(Object.keys(m.cases[0]!.masks).sort(), ["anatomy", "hemorrhage"]);
  assert.equal(m.cases[0]!.labels[0], 1);
  assert.equal(m.cases[0]!.labels[5], 1);
  assert.equal(m.cases[0]!.labels[1], 0);
  assert.equal(m.cases[1]!.split, "test");
  await assert.rejects(readManifest(join(dir, "nope.csv")), /nope\.csv: cannot read manifest \(ENOENT\)/);
});
