import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseBenchResults, readManifest } from "../../../src/index.js";
import { assertInputError, runCli } from "../../../test/cli.js";
import { tempDir } from "../../../test/paths.js";

test("medadapt demo --quick --json: baseline, LoRA and MoLRE on a phantom set, report and results agree", async (t) => {
  const out = join(tempDir(t), "demo");
  const r = runCli("demo", "--out", out, "--quick", "--json");
  assert.equal(r.code, 0, r.stderr);
  const last = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.deepEqual(Object.keys(last.methods).sort(), ["baseline", "lora", "molre"]);
  assert.equal(last.report, join(out, "report.html"));
  assert.ok(last.seconds > 0);
  assert.match(readFileSync(last.report, "utf8"), /^<!DOCTYPE html>/);
  const resultsPath = join(out, "results.json");
  const results = parseBenchResults(JSON.parse(readFileSync(resultsPath, "utf8")), resultsPath);
  const manifest = await readManifest(join(out, "data", "manifest.csv"));
  assert.equal(
    results.dataset.cases.train + results.dataset.cases.val + results.dataset.cases.test,
    manifest.cases.length,
  );
  for (const run of results.runs) {
    const m = last.methods[run.method];
    assert.equal(m.mean_auc, run.test.mean_auc);
    assert.deepEqual(m.ci, run.test.ci);
    assert.equal(m.trainable_params, run.trainable_params);
    assert.equal(m.added_param_fraction, run.added_param_fraction);
  }
  // The frozen baseline adds nothing; the adapters add weights to the backbone.
  assert.equal(last.methods.baseline.added_param_fraction, 0);
  assert.ok(last.methods.lora.added_param_fraction > 0);
  assert.ok(last.methods.molre.added_param_fraction > 0);
  assert.deepEqual(
    results.runs.map((x) => [x.method, x.adapter, x.pooling]),
    [
      ["baseline", "linear_probe", "mean"],
      ["lora", "lora", "attention"],
      ["molre", "molre", "attention"],
    ],
  );
});

test("medadapt demo refuses a bad --seed with one line and exit 2", () => {
  assertInputError(runCli("demo", "--seed", "x"), "--seed", /--seed must be an integer/);
});
