import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../../../test/cli.js";
import { tempDir } from "../../../test/paths.js";

test("phantom headct writes a dataset and a JSON summary", (t) => {
  const dir = join(tempDir(t), "set");
  const r = runCli(
    ...[
      "phantom",
      "headct",
      "--n",
      "2",
      "--out",
      dir,
      "--shape",
      "32x32x8",
      "--seed",
      "3",
      "--workers",
      "1",
      "--json",
    ],
  );
  assert.equal(r.code, 0, r.stderr);
  const s = JSON.parse(r.stdout) as { n: number; shape: number[]; counts: Record<string, number> };
  assert.equal(s.n, 2);
  assert.deepEqual(s.shape, [32, 32, 8]);
  assert.equal(Object.keys(s.counts).length, 75);
  const lines = readFileSync(join(dir, "manifest.csv"), "utf8").trim().split("\n");
  assert.equal(lines.length, 3);
  assert.ok(existsSync(join(dir, "images", "headct_3_00001.nii.gz")));
});

test("bad arguments and prevalence files exit 2 with one line naming the problem", (t) => {
  const dir = tempDir(t);
  const bad = join(dir, "prev.json");
  const cases: [string[], RegExp][] = [
    [["phantom", "headct", "--out", dir], /--n is required/],
    [["phantom", "mri", "--n", "1", "--out", dir], /expected the phantom kind 'headct'/],
    [["phantom", "headct", "--n", "1", "--out", dir, "--shape", "12x12"], /--shape must be XxYxZ/],
    [["phantom", "headct", "--n", "1", "--out", dir, "--difficulty", "extreme"], /--difficulty/],
    [["phantom", "headct", "--n", "1", "--out", dir, "--findings", "aneurysm_clip"], /cannot be rendered/],
    [
      ["phantom", "headct", "--n", "1", "--out", dir, "--prevalence", bad],
      /prev\.json: unknown finding 'nope'/,
    ],
  ];
  writeFileSync(bad, JSON.stringify({ nope: 0.5 }));
  cases.push([
    ["phantom", "headct", "--n", "1", "--out", bad],
    /prev\.json: --out exists and is not a folder/,
  ]);
  for (const [args, message] of cases) {
    const r = runCli(...args);
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.equal(r.stderr.trim().split("\n").length, 1);
  }
  writeFileSync(bad, "{ not json");
  assert.match(
    runCli("phantom", "headct", "--n", "1", "--out", dir, "--prevalence", bad).stderr,
    /not valid JSON/,
  );
  writeFileSync(bad, JSON.stringify({ colloid_cyst: 2 }));
  assert.match(
    runCli("phantom", "headct", "--n", "1", "--out", dir, "--prevalence", bad).stderr,
    /colloid_cyst: probability must be in \[0, 1\]/,
  );
});
