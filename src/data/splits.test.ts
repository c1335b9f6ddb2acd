import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../random/rng.js";
import type { DataCase, DataManifest, SplitName } from "./manifest.js";
import { parseManifestText } from "./manifest.js";
import { resolveSplits, stratifiedSplit } from "./splits.js";

/** 400 patients with 1–3 cases each; 4 findings at prevalences 40 %, 15 %, 5 %, 2 %, some missing. */
function cohort(seed: number): DataCase[] {
  const r = new Rng(seed);
  const prev = [0.4, 0.15, 0.05, 0.02];
  const cases: DataCase[] = [];
  for (let p = 0; p < 400; p++) {
    const n = r.int(1, 3);
    for (let k = 0; k < n; k++) {
      const labels = Float32Array.from(prev, (q) => (r.next() < 0.05 ? Number.NaN : r.next() < q ? 1 : 0));
      const id = `p${p}_s${k}`;
      cases.push({
        id,
        images: [`/x/${id}.nii`],
        contrasts: ["image"],
        masks: {},
        labels,
        patient: `p${p}`,
        line: cases.length + 2,
      });
    }
  }
  return cases;
}

const prevalence = (cases: DataCase[], j: number) => {
  const known = cases.filter((c) => !Number.isNaN(c.labels[j]!));
  return known.filter((c) => c.labels[j] === 1).length / known.length;
};

test("stratified split: patients never straddle splits; sizes and prevalences follow the fractions", () => {
  const cases = cohort(3);
  const splits = stratifiedSplit(cases, { seed: 11, fractions: { train: 0.6, val: 0.2, test: 0.2 } });
  assert.equal(splits.size, cases.length);
  const patientSplit = new Map<string, SplitName>();
  for (const c of cases) {
    const s = splits.get(c.id)!;
    const before = patientSplit.get(c.patient);
    assert.ok(before === undefined || before === s, `patient ${c.patient} in ${before} and ${s}`);
    patientSplit.set(c.patient, s);
  }
  const by = (s: SplitName) => cases.filter((c) => splits.get(c.id) === s);
  const n = cases.length;
  for (const [s, f] of [
    ["train", 0.6],
    ["val", 0.2],
    ["test", 0.2],
  ] as const)
    assert.ok(Math.abs(by(s).length / n - f) < 0.03, `${s}: ${by(s).length} of ${n}`);
  for (let j = 0; j < 4; j++) {
    const all = prevalence(cases, j);
    const positives = cases.filter((c) => c.labels[j] === 1).length;
    for (const s of ["train", "val", "test"] as const) {
      // Every split gets its share of positives to within a couple of cases (the rare findings
      // have ~10–20 positives in all, so a random split would often leave val or test without any).
      const got = by(s).filter((c) => c.labels[j] === 1).length;
      const want = positives * (s === "train" ? 0.6 : 0.2);
      assert.ok(
        Math.abs(got - want) <= Math.max(3, 0.1 * want),
        `finding ${j}, ${s}: ${got} positives, want ≈ ${want}`,
      );
      if (j === 0) assert.ok(Math.abs(prevalence(by(s), 0) - all) < 0.05);
    }
  }
});

test("stratified split is deterministic, independent of row order, and changes with the seed", () => {
  const cases = cohort(5);
  const a = stratifiedSplit(cases, { seed: 1 });
  const b = stratifiedSplit([...cases].reverse(), { seed: 1 });
  const c = stratifiedSplit(cases, { seed: 2 });
  assert.deepEqual([...a.entries()].sort(), [...b.entries()].sort());
  assert.notDeepEqual([...a.entries()].sort(), [...c.entries()].sort());
});

test("resolveSplits: the manifest's column wins; a patient across two given splits is refused", () => {
  const good = parseManifestText(
    "id,image,patient_id,split,y\na,a,p,train,1\nb,b,p,train,0\nc,c,q,test,1\n",
    "/m.csv",
  );
  assert.deepEqual(
    [...resolveSplits(good)],
    [
      ["a", "train"],
      ["b", "train"],
      ["c", "test"],
    ],
  );
  const leak = parseManifestText("id,image,patient_id,split,y\na,a,p,train,1\nb,b,p,val,0\n", "/m.csv");
  assert.throws(
    () => resolveSplits(leak),
    /\/m\.csv: line 3: patient 'p' is in split 'val' here and 'train' on line 2/,
  );
  const partial = parseManifestText("id,image,split,y\na,a,train,1\nb,b,,0\n", "/m.csv");
  assert.throws(() => resolveSplits(partial), /line 3: case 'b' has no split/);
  const none: DataManifest = parseManifestText("id,image,y\na,a,1\nb,b,0\nc,c,1\n", "/m.csv");
  assert.equal(resolveSplits(none).size, 3);
  assert.throws(
    () => stratifiedSplit(none.cases, { fractions: { train: 0.5, val: 0.5, test: 0.5 } }),
    /sum to 1/,
  );
});
