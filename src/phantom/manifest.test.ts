import assert from "node:assert/strict";
import { test } from "node:test";
import { InputError } from "../errors.js";
import { csvField, formatManifest, type ManifestRow, parseManifest } from "./manifest.js";
import { FINDING_NAMES } from "./taxonomy.js";

const row = (id: string, report: string, ones: number[]): ManifestRow => {
  const labels = new Uint8Array(FINDING_NAMES.length);
  for (const i of ones) labels[i] = 1;
  return {
    id,
    image: `images/${id}.nii.gz`,
    hemorrhage_mask: "m.nii.gz",
    anatomy_mask: "a.nii.gz",
    report,
    split: "val",
    labels,
  };
};

test("CSV fields are quoted exactly when RFC 4180 requires it", () => {
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField("a,b"), '"a,b"');
  assert.equal(csvField('say "hi"'), '"say ""hi"""');
  assert.equal(csvField("two\nlines"), '"two\nlines"');
  assert.equal(csvField(" padded"), '" padded"');
});

test("manifest round-trips, including awkward text", () => {
  const rows = [row("a", "reports/a.txt", [0, 1]), row("b,with comma", 'No "mass",\nnew line', [74])];
  const text = formatManifest(rows);
  assert.equal(
    text.split("\n")[0],
    ["id", "image", "hemorrhage_mask", "anatomy_mask", "report", "split", ...FINDING_NAMES].join(","),
  );
  assert.deepEqual(parseManifest(text), rows);
});

test("malformed manifests raise InputError naming the file", () => {
  const good = formatManifest([row("a", "r.txt", [])]);
  assert.throws(
    () => parseManifest(good.replace(",val,", ",dev,"), "m.csv"),
    (e: unknown) => e instanceof InputError && /m\.csv: row 2: split/.test(e.message),
  );
  assert.throws(() => parseManifest(good.replace(/,0\n$/, ",2\n"), "m.csv"), /must be 0 or 1/);
  assert.throws(() => parseManifest("id,image\nx,y\n", "m.csv"), /missing column/);
  assert.throws(() => parseManifest('id,"unterminated\n', "m.csv"), /not valid CSV/);
});
