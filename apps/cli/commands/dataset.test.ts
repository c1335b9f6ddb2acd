import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertInputError, runCli } from "../../../test/cli.js";
import { tempDir } from "../../../test/paths.js";

test("medadapt dataset --json: counts by split, missing files, exit 1 when files are missing", (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, "a.nii.gz"), "");
  writeFileSync(join(dir, "b.nii.gz"), "");
  const path = join(dir, "m.csv");
  writeFileSync(
    path,
    "id,image,patient_id,split,ich,sdh\na,a.nii.gz,p1,train,1,\nb,b.nii.gz,p1,train,0,1\nc,gone.nii.gz,p2,test,1,0\n",
  );
  const r = runCli("dataset", path, "--json");
  assert.equal(r.code, 1, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.cases, 3);
  assert.equal(out.patients, 2);
  assert.equal(out.split_source, "manifest");
  assert.deepEqual(out.splits.train, { cases: 2, patients: 1 });
  assert.deepEqual(out.findings.ich.train, { positives: 1, labelled: 2 });
  assert.deepEqual(out.findings.sdh.train, { positives: 1, labelled: 1 });
  assert.deepEqual(out.findings.sdh.test, { positives: 0, labelled: 1 });
  assert.deepEqual(out.missing_files, [{ id: "c", path: join(dir, "gone.nii.gz") }]);
});

test("medadapt dataset: a bad row is one line on stderr naming the file, exit 2", (t) => {
  const dir = tempDir(t);
  const path = join(dir, "m.csv");
  writeFileSync(path, "id,image,ich\na,a.nii,1\nb,b.nii,7\n");
  const r = runCli("dataset", path, "--labels", "ich");
  assertInputError(r, path, /m\.csv: line 3, column 'ich': label "7"/);
});
