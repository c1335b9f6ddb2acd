import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { generateHeadCtSet } from "../../../src/index.js";
import { assertInputError, runCli } from "../../../test/cli.js";
import { tempDir } from "../../../test/paths.js";

const FINDINGS = ["generalized_atrophy", "scalp_hematoma"];

function bench(extra: Record<string, unknown> = {}) {
  return {
    title: "cli bench",
    data: { manifest: "set/manifest.csv", findings: FINDINGS, preprocess: { size: [32, 32], slices: 4 } },
    train: { epochs: 1, batchSize: 4 },
    model: { initStd: 0.3 },
    backbones: ["tiny-dinov2"],
    methods: [
      { label: "baseline", method: "linear_probe", pooling: "mean" },
      { label: "lora", method: "lora", adapter: { r: 2 } },
    ],
    seeds: [0],
    out: "out",
    bootstrap: 200,
    ...extra,
  };
}

test("medadapt bench: each run's test AUCs and CIs equal medadapt eval on its predictions CSV", async (t) => {
  const dir = tempDir(t);
  // The generator's own split column (14:3:3 of 30 scans); common findings so the test split has both classes.
  const set = await generateHeadCtSet(join(dir, "set"), {
    n: 30,
    seed: 2,
    shape: [32, 32, 8],
    workers: 1,
    prevalence: { generalized_atrophy: 0.5, scalp_hematoma: 0.4 },
  });
  const cfg = join(dir, "bench.json");
  writeFileSync(cfg, JSON.stringify(bench()));
  const r = runCli("bench", "--config", cfg, "--json");
  assert.equal(r.code, 0, r.stderr);
  const last = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.equal(last.results, join(dir, "out", "results.json"));
  assert.equal(last.report, join(dir, "out", "report.html"));
  assert.match(readFileSync(last.report, "utf8"), /^<!DOCTYPE html>/);
  const results = JSON.parse(readFileSync(last.results, "utf8"));
  assert.deepEqual(
    last.summary.map((s: { method: string }) => s.method),
    ["baseline", "lora"],
  );
  for (const run of results.runs) {
    const csv = join(dir, "out", run.predictions_csv);
    const e = runCli(
      "eval",
      "--predictions",
      csv,
      "--labels",
      set.manifest,
      "--split",
      "test",
      "--bootstrap",
      "200",
      "--json",
    );
    assert.equal(e.code, 0, e.stderr);
    // eval --json prints the whole stdout as one (indented) JSON document.
    const ev = JSON.parse(e.stdout);
    assert.equal(ev.n_cases, results.dataset.cases.test);
    assert.equal(run.test.mean_auc, ev.mean_auc);
    assert.deepEqual(run.test.ci, ev.mean_ci);
    for (const f of FINDINGS) {
      assert.equal(run.test.findings[f].auc, ev.findings[f].auc, f);
      assert.deepEqual(run.test.findings[f].ci, ev.findings[f].ci, f);
      assert.equal(run.test.findings[f].n_pos, ev.findings[f].n_pos, f);
    }
    if (run.method === "lora") {
      // DeLong vs the baseline = medadapt eval --compare on the two CSVs.
      const base = results.runs.find((x: { method: string }) => x.method === "baseline");
      const c = runCli(
        "eval",
        "--predictions",
        csv,
        "--compare",
        join(dir, "out", base.predictions_csv),
        "--labels",
        set.manifest,
        "--split",
        "test",
        "--bootstrap",
        "0",
        "--json",
      );
      assert.equal(c.code, 0, c.stderr);
      const cv = JSON.parse(c.stdout);
      assert.equal(run.delong_vs_baseline.mean?.p ?? null, cv.compare.p);
      for (const f of FINDINGS)
        assert.equal(run.delong_vs_baseline.findings[f]?.p ?? null, cv.findings[f].compare.p, f);
    }
  }
});

test("medadapt bench: config errors are one line naming the file and key, exit 2", async (t) => {
  const dir = tempDir(t);
  const write = (name: string, body: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof body === "string" ? body : JSON.stringify(body));
    return p;
  };
  let p = write("a.json", bench({ baseline: "nope" }));
  assertInputError(runCli("bench", "--config", p), p, /baseline "nope" is not a method label/);
  p = write("b.json", bench({ methods: [{ label: "x", method: "lorra" }] }));
  assertInputError(runCli("bench", "--config", p), p, /methods\[0\]\.method must be one of/);
  p = write("c.json", bench({ train: { epochs: 0 } }));
  assertInputError(runCli("bench", "--config", p), p, /train\.epochs must be ≥ 1/);
  p = write("d.json", bench({ seed: [1] }));
  assertInputError(runCli("bench", "--config", p), p, /seed is not a known key \(did you mean "seeds"\?\)/);
  p = write("f.json", bench({ model: { pooling: "mean" } }));
  assertInputError(runCli("bench", "--config", p), p, /model\.pooling is set per run/);
  assertInputError(runCli("bench"), "--config", /--config FILE is required/);
});
