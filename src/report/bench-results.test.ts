import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { sampleBenchResults } from "../../test/bench-results.js";
import { tempDir } from "../../test/paths.js";
import { InputError } from "../errors.js";
import { parseBenchResults, readBenchResults } from "./bench-results.js";

test("results.json round trip: JSON's nulls for NaN ROC rates come back as NaN", () => {
  const r = sampleBenchResults();
  const text = JSON.stringify(r);
  assert.match(text, /"tpr":\[null,null,null\]/);
  assert.deepEqual(parseBenchResults(text, "results.json"), r);
  assert.deepEqual(parseBenchResults(JSON.parse(text), "results.json"), r);
});

test("unknown keys pass: later versions only add optional fields", () => {
  const r = JSON.parse(JSON.stringify(sampleBenchResults()));
  r.extra = { anything: 1 };
  r.runs[0].future_field = "x";
  const parsed = parseBenchResults(r, "results.json");
  assert.equal(parsed.runs.length, 4);
});

/** Mutations of a valid file, each with the key path its error must name. */
// biome-ignore lint/suspicious/noExplicitAny: the mutations reach into parsed JSON by key.
const BAD: [string, (r: any) => void, RegExp][] = [
  ["not an object", (r) => Object.assign(r, { runs: 3 }), /^results\.json: runs must be a list, got 3$/],
  ["wrong kind", (r) => Object.assign(r, { kind: "other" }), /kind must be "medadapt-bench", got "other"/],
  ["wrong version", (r) => Object.assign(r, { version: 2 }), /version must be 1, got 2/],
  ["missing title", (r) => delete r.title, /title must be a string, got nothing \(missing\)/],
  [
    "negative count",
    (r) => Object.assign(r.dataset.cases, { test: -1 }),
    /dataset\.cases\.test must be a non-negative integer/,
  ],
  [
    "AUC > 1",
    (r) => Object.assign(r.runs[1].test.findings.hemorrhage, { auc: 1.5 }),
    /runs\[1\]\.test\.findings\["hemorrhage"\]\.auc must be in \[0, 1\], got 1\.5/,
  ],
  [
    "missing n_pos",
    (r) => delete r.runs[2].test.findings.fracture.n_pos,
    /runs\[2\]\.test\.findings\["fracture"\]\.n_pos must be a non-negative integer, got nothing/,
  ],
  [
    "reversed CI",
    (r) => Object.assign(r.runs[0].test, { ci: [0.9, 0.1] }),
    /runs\[0\]\.test\.ci must have low ≤ high, got \[0\.9,0\.1\]/,
  ],
  [
    "CI of three",
    (r) => Object.assign(r.summary[0], { ci_mean: [0.1, 0.2, 0.3] }),
    /summary\[0\]\.ci_mean must be a \[low, high\] pair/,
  ],
  [
    "ROC lengths",
    (r) => r.runs[3].test.roc.hemorrhage.tpr.pop(),
    /runs\[3\]\.test\.roc\["hemorrhage"\]\.tpr must have as many points as fpr \(4\), got 3/,
  ],
  [
    "string number",
    (r) => Object.assign(r.runs[0].history[1], { train_loss: "0.6" }),
    /runs\[0\]\.history\[1\]\.train_loss must be a finite number, got "0\.6"/,
  ],
  [
    "bad delong",
    (r) => Object.assign(r.runs[2].delong_vs_baseline, { mean: { diff: 0.1 } }),
    /runs\[2\]\.delong_vs_baseline\.mean\.p must be a finite number/,
  ],
  [
    "bad heat map",
    (r) => Object.assign(r.runs[0], { heatmaps: [{ case_id: "a", finding: "b", probability: 0.5 }] }),
    /runs\[0\]\.heatmaps\[0\]\.png must be a string/,
  ],
  [
    "bad machine",
    (r) => Object.assign(r, { machine: { cpus: 2.5, node: "v20", platform: "linux" } }),
    /machine\.cpus must be a non-negative integer, got 2\.5/,
  ],
];

test("bad results files: one-line InputError naming the file and the key", () => {
  for (const [what, mutate, pattern] of BAD) {
    const r = JSON.parse(JSON.stringify(sampleBenchResults()));
    mutate(r);
    assert.throws(
      () => parseBenchResults(JSON.stringify(r), "results.json"),
      (err: unknown) => {
        assert.ok(err instanceof InputError, what);
        assert.ok(!err.message.includes("\n"), `${what}: one line`);
        assert.ok(err.message.startsWith("results.json: "), `${what}: ${err.message}`);
        assert.match(err.message, pattern, what);
        return true;
      },
    );
  }
  assert.throws(() => parseBenchResults("{", "r.json"), /: r\.json: not valid JSON/);
  assert.throws(
    () => parseBenchResults("[1]", "r.json"),
    /: r\.json: the results must be an object, got \[1\]$/,
  );
});

test("readBenchResults names a missing file", async (t) => {
  const dir = tempDir(t);
  await assert.rejects(readBenchResults(join(dir, "nope.json")), (err: unknown) => {
    assert.ok(err instanceof InputError);
    assert.match(err.message, /nope\.json: cannot read \(ENOENT\)/);
    return true;
  });
  const path = join(dir, "results.json");
  writeFileSync(path, JSON.stringify(sampleBenchResults()));
  assert.equal((await readBenchResults(path)).runs.length, 4);
});
