import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { readManifest, readNifti } from "../../../src/index.js";
import { repoRoot, tempDir } from "../../../test/paths.js";

const BIN = join(repoRoot, "bin", "medadapt.js");

test("medadapt demo writes a readable phantom set and reports it in JSON", async (t) => {
  const out = join(tempDir(t), "set");
  const r = spawnSync(process.execPath, [BIN, "demo", "--out", out, "--n", "3", "--json"], {
    encoding: "utf8",
  });
  assert.equal(r.status, 0, r.stderr);
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
  const r = spawnSync(process.execPath, [BIN, "demo", "--n", "0"], { encoding: "utf8" });
  assert.equal(r.status, 2);
  assert.equal(r.stderr.trim().split("\n").length, 1);
  assert.match(r.stderr, /--n must be/);
});
