import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertInputError, runCli } from "../../../test/cli.js";
import { tempDir } from "../../../test/paths.js";
import { sklearn } from "../../../test/sklearn-cases.js";

const { multilabel } = sklearn;
const NAMES = ["ich", "sdh", "edh", "fracture", "any"];

/** The scikit-learn multi-label fixture as a manifest (with a quoted report column) and predictions. */
function writeInputs(dir: string): { manifest: string; pred: string } {
  const manifest = join(dir, "manifest.csv");
  const pred = join(dir, "pred.csv");
  const mrows = multilabel.labels.map(
    (y, i) =>
      `case${i},img/case${i}.nii.gz,${y.join(",")},${i % 2 ? "test" : "train"},"No bleed, ""stable""\nend"`,
  );
  writeFileSync(manifest, [`id,image,${NAMES.join(",")},split,report`, ...mrows].join("\n"));
  // Predictions in another row order and with an extra non-label column.
  const prows = multilabel.probs.map((p, i) => `${p.join(",")},case${i},x`).reverse();
  writeFileSync(pred, [`${NAMES.join(",")},id,model`, ...prows].join("\n"));
  return { manifest, pred };
}

test("medadapt eval --json reports scikit-learn's AUCs, null for one-class findings", (t) => {
  const { manifest, pred } = writeInputs(tempDir(t));
  const r = runCli("eval", "--predictions", pred, "--labels", manifest, "--json", "--bootstrap", "200");
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  NAMES.forEach((name, j) => {
    const f = out.findings[name];
    const ref = multilabel.auc[j];
    if (ref === null) {
      assert.equal(f.auc, null);
      assert.equal(f.ci, null);
    } else {
      assert.ok(Math.abs(f.auc - ref!) < 1e-12, `${name}: ${f.auc} vs ${ref}`);
      assert.ok(f.ci[0] < f.auc && f.auc < f.ci[1], `${name}: CI ${f.ci}`);
    }
    const ys = multilabel.labels.map((row) => row[j]!);
    assert.equal(f.n_pos, ys.filter((v) => v === 1).length);
    assert.equal(f.n_neg, ys.filter((v) => v === 0).length);
  });
  assert.ok(Math.abs(out.mean_auc - multilabel.mean_auc) < 1e-12);
  assert.equal(out.n_findings_evaluated, multilabel.n_evaluated);
  assert.ok(out.mean_ci[0] < out.mean_auc && out.mean_auc < out.mean_ci[1], `mean CI ${out.mean_ci}`);
  // The same seed gives the same CIs.
  const again = runCli(
    ...["eval", "--predictions", pred, "--labels", manifest, "--json", "--bootstrap", "200"],
  );
  assert.deepEqual(JSON.parse(again.stdout), out);
});

test("medadapt eval --split and --compare; readable table without --json", (t) => {
  const { manifest, pred } = writeInputs(tempDir(t));
  const r = runCli(
    ...["eval", "--predictions", pred, "--labels", manifest, "--split", "test", "--compare", pred, "--json"],
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.n_cases, multilabel.labels.length / 2);
  assert.deepEqual(out.findings.ich.compare, {
    auc_b: out.findings.ich.auc,
    diff: 0,
    diff_ci: [0, 0],
    z: 0,
    p: 1,
  });
  assert.equal(out.compare.p, 1);
  const curves = runCli(
    ...["eval", "--predictions", pred, "--labels", manifest, "--bootstrap", "0"].concat([
      "--threshold",
      "0.3",
      "--curves",
      "--json",
    ]),
  );
  assert.equal(curves.code, 0, curves.stderr);
  const ich = JSON.parse(curves.stdout).findings.ich;
  assert.equal(ich.at_threshold.threshold, 0.3);
  assert.equal(ich.ci, null);
  assert.equal(ich.roc.thresholds[0], null);
  assert.equal(ich.roc.fpr.at(-1), 1);
  assert.equal(ich.reliability.length, 10);
  const table = runCli("eval", "--predictions", pred, "--labels", manifest, "--bootstrap", "0");
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^finding\s+n_pos\s+n_neg\s+AUC/);
  assert.match(
    table.stdout,
    new RegExp(`mean AUC over ${multilabel.n_evaluated} of 5 findings: ${multilabel.mean_auc.toFixed(3)}`),
  );
  assert.match(table.stdout, /not a medical device/);
});

test("medadapt eval: bad input exits 2 with one line naming the file", (t) => {
  const dir = tempDir(t);
  const { manifest, pred } = writeInputs(dir);
  const bad = join(dir, "bad.csv");
  const lines = readFileSync(pred, "utf8").split("\n");
  lines[1] = lines[1]!.replace(/^[^,]*/, "1.7"); // the 'ich' probability of the last case
  writeFileSync(bad, lines.join("\n"));
  const r = runCli("eval", "--predictions", bad, "--labels", manifest);
  assertInputError(
    r,
    bad,
    new RegExp(
      `${bad.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: probability 1.7 for id 'case${multilabel.labels.length - 1}', column 'ich'`,
    ),
  );
  assert.equal(r.stdout, "");
  assert.equal(runCli("eval", "--predictions", bad).code, 2);
  const thr = runCli("eval", "--predictions", pred, "--labels", manifest, "--threshold", "2");
  assertInputError(thr, "--threshold", /--threshold: must be a number in \[0, 1\]/);
});
