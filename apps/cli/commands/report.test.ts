import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseBenchResults, renderBenchReport } from "../../../src/index.js";
import { sampleBenchResults } from "../../../test/bench-results.js";
import { assertInputError, runCli } from "../../../test/cli.js";
import { tempDir } from "../../../test/paths.js";

test("medadapt report re-renders a results.json into the same HTML the library renders", (t) => {
  const dir = tempDir(t);
  const results = join(dir, "results.json");
  writeFileSync(results, JSON.stringify(sampleBenchResults(), null, 2));
  const out = join(dir, "sub-report.html");
  const r = runCli("report", "--results", results, "--out", out, "--json");
  assert.equal(r.code, 0, r.stderr);
  const last = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  const html = readFileSync(out, "utf8");
  assert.equal(last.report, out);
  assert.equal(last.bytes, Buffer.byteLength(html));
  assert.equal(last.runs, 4);
  assert.equal(last.findings, 3);
  const expected = renderBenchReport(parseBenchResults(readFileSync(results, "utf8"), results), {
    baseDir: dir,
  });
  assert.equal(html, expected);
});

test("medadapt report: a bad results file is one line naming it and the key, and no report is written", (t) => {
  const dir = tempDir(t);
  const results = join(dir, "results.json");
  const bad = JSON.parse(JSON.stringify(sampleBenchResults()));
  bad.runs[0].test.mean_auc = "high";
  writeFileSync(results, JSON.stringify(bad));
  const out = join(dir, "report.html");
  assertInputError(
    runCli("report", "--results", results, "--out", out),
    results,
    /runs\[0\]\.test\.mean_auc/,
  );
  assert.throws(() => readFileSync(out));
  assertInputError(runCli("report", "--out", out), "--results");
});
