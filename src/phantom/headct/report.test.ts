import assert from "node:assert/strict";
import { test } from "node:test";
import { FINDINGS } from "../taxonomy.js";
import { writeReport } from "./report.js";
import { sampleHeadCt } from "./sample.js";

test("a normal scan's report is negative throughout", () => {
  const r = writeReport(sampleHeadCt(1, 1, { findings: [] }));
  assert.match(r, /No evidence of acute intracranial hemorrhage\./);
  assert.match(r, /No midline shift\./);
  assert.match(r, /IMPRESSION: No acute intracranial abnormality\./);
  assert.match(r, /not a medical device/);
});

test("every drawable finding is described, and its negation disappears", () => {
  for (const f of FINDINGS) {
    if (!f.renderable || f.name === "any_intracranial_hemorrhage" || f.name === "mass_lesion_any") continue;
    const c = sampleHeadCt(2, 5, { findings: [f.name], difficulty: "easy" });
    const r = writeReport(c);
    const body = r.split("FINDINGS:")[1]!.split("IMPRESSION:")[0]!;
    assert.ok(body.split("\n").filter((l) => l.startsWith("- ")).length >= 1, f.name);
    if (c.findings.includes("any_intracranial_hemorrhage"))
      assert.doesNotMatch(r, /No evidence of acute intracranial hemorrhage/);
    if (f.name === "midline_shift") assert.match(r, /Midline shift of about \d+ mm to the (left|right)/);
  }
});

test("hedges appear: subtle lesions are qualified and some absent findings are hedged", () => {
  let subtle = 0;
  let hedged = 0;
  for (let i = 0; i < 300; i++) {
    const c = sampleHeadCt(3, i, { difficulty: "hard" });
    const r = writeReport(c);
    if (/Subtle finding, possibly/.test(r)) subtle++;
    if (c.hedgedNegatives.length > 0) {
      hedged++;
      assert.match(r, /cannot be excluded|Cannot exclude|cannot exclude|Questionable/);
      for (const h of c.hedgedNegatives) assert.ok(!c.findings.includes(h));
    }
  }
  assert.ok(subtle > 5 && hedged > 10, `${subtle} subtle, ${hedged} hedged`);
});
