import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readManifest, readNifti } from "../../../src/index.js";
import { assertInputError, runCli } from "../../../test/cli.js";
import { tempDir } from "../../../test/paths.js";

test("medadapt demo writes a readable phantom set and reports it in JSON", async (t) => {
  const out = join(tempDir(t), "set");
  const r = runCli("demo", "--out", out, "--n", "3", "--json");
  assert.equal(r.code, 0, r.stderr);
  const last = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.equal(last.cases, 3);
  const m = await readManifest(join(out, "manifest.csv"));
  assert.equal(m.cases.length, 3);
  // The reported first scan is the file on disk, read independently here.
  const vol = await readNifti(last.first_scan.path);
  assert.deepEqual(last.first_scan.shape, [...vol.shape]);
  const real = vol.real();
  let min = Infinity;
  let max = -Infinity;
  for (const v of real) {
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.equal(last.first_scan.hu.min, min);
  assert.equal(last.first_scan.hu.max, max);
  // A head CT: air outside, dense bone inside.
  assert.ok(min <= -900 && max >= 700, `HU range ${min}..${max}`);
  assert.ok(existsSync(join(out, "previews")));
});

test("medadapt demo refuses a bad --n with one line and exit 2", () => {
  assertInputError(runCli("demo", "--n", "0"), "--n", /--n must be/);
});
