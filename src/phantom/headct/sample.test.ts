import assert from "node:assert/strict";
import { test } from "node:test";
import { FINDINGS, hierarchyViolations } from "../taxonomy.js";
import { DEFAULT_PREVALENCE } from "./prevalence.js";
import { caseId, sampleHeadCt } from "./sample.js";

test("labels are hierarchy-consistent and only renderable findings are ever positive", () => {
  const renderable = new Set(FINDINGS.filter((f) => f.renderable).map((f) => f.name));
  const seen = new Set<string>();
  for (let i = 0; i < 400; i++) {
    const c = sampleHeadCt(11, i);
    const v = FINDINGS.map((f) => (c.findings.includes(f.name) ? 1 : 0));
    assert.deepEqual(hierarchyViolations(v), [], c.id);
    for (const f of c.findings) {
      assert.ok(renderable.has(f), `${c.id}: ${f} is not renderable`);
      seen.add(f);
    }
    // Every rendered lesion belongs to a labelled finding.
    for (const l of c.lesions) assert.ok(c.findings.includes(l.finding), `${c.id}: lesion of ${l.finding}`);
  }
  // With default prevalences 400 scans show most findings.
  assert.ok(seen.size > 35, `only ${seen.size} findings seen`);
});

test("sampling is deterministic and scans differ by index", () => {
  assert.deepEqual(sampleHeadCt(5, 17), sampleHeadCt(5, 17));
  assert.notDeepEqual(sampleHeadCt(5, 17).pose, sampleHeadCt(5, 18).pose);
  assert.equal(sampleHeadCt(5, 17).id, caseId(5, 17));
});

test("forced findings render exactly those findings plus their parents", () => {
  const c = sampleHeadCt(1, 0, { findings: ["hemorrhagic_contusion"] });
  assert.deepEqual(c.findings, [
    "any_intracranial_hemorrhage",
    "intraparenchymal_hemorrhage",
    "hemorrhagic_contusion",
  ]);
  const bare = sampleHeadCt(1, 0, { findings: ["mass_lesion_any"] });
  assert.ok(bare.findings.includes("extra_axial_mass") || bare.findings.includes("intra_axial_mass"));
  assert.deepEqual(sampleHeadCt(1, 0, { findings: [] }).findings, []);
  assert.throws(() => sampleHeadCt(1, 0, { findings: ["aneurysm_clip"] }), /cannot be rendered/);
});

test("a finding's geometry does not depend on which other findings are present", () => {
  const alone = sampleHeadCt(3, 2, { findings: ["epidural_hematoma"] });
  const withOthers = sampleHeadCt(3, 2, {
    findings: ["epidural_hematoma", "scalp_hematoma", "acute_infarct"],
  });
  const edh = (c: typeof alone) => c.lesions.filter((l) => l.finding === "epidural_hematoma");
  assert.deepEqual(edh(alone), edh(withOthers));
  assert.deepEqual(alone.pose, withOthers.pose);
  assert.deepEqual(alone.tissue, sampleHeadCt(3, 2, { findings: [] }).tissue);
});

test("prevalence overrides change how often a finding appears", () => {
  const count = (p: number) => {
    let k = 0;
    for (let i = 0; i < 300; i++)
      if (sampleHeadCt(2, i, { prevalence: { colloid_cyst: p } }).findings.includes("colloid_cyst")) k++;
    return k;
  };
  assert.equal(count(0), 0);
  const half = count(0.5);
  assert.ok(half > 120 && half < 180, String(half));
  assert.ok(DEFAULT_PREVALENCE.colloid_cyst! < 0.05);
});

test("co-occurrence follows clinical rules: EDH often comes with a fracture at the same site", () => {
  let edh = 0;
  let withFracture = 0;
  for (let i = 0; i < 400; i++) {
    const c = sampleHeadCt(4, i, { prevalence: { epidural_hematoma: 0.5 } });
    if (!c.findings.includes("epidural_hematoma")) continue;
    edh++;
    if (c.findings.includes("calvarial_fracture")) withFracture++;
  }
  assert.ok(withFracture / edh > 0.55, `${withFracture}/${edh}`);
});
