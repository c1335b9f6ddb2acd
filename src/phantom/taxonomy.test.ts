import assert from "node:assert/strict";
import { test } from "node:test";
import { ancestry, closeLabels, FINDINGS, finding, hierarchyViolations } from "./taxonomy.js";

// Transcribed by hand from METHODS.md §1: the findings marked `*`, per category.
const STARRED: Record<string, string[]> = {
  hemorrhage: [
    "any_intracranial_hemorrhage",
    "epidural_hematoma",
    "acute_subdural_hematoma",
    "chronic_subdural_hematoma",
    "subarachnoid_hemorrhage",
    "intraparenchymal_hemorrhage",
    "intraventricular_hemorrhage",
    "hemorrhagic_contusion",
    "cerebellar_hemorrhage",
  ],
  infarction_vascular: [
    "acute_infarct",
    "chronic_infarct",
    "lacunar_infarct",
    "hyperdense_artery_sign",
    "cerebellar_infarct",
    "vascular_calcification",
  ],
  trauma: [
    "calvarial_fracture",
    "depressed_skull_fracture",
    "pneumocephalus",
    "scalp_hematoma",
    "foreign_body",
    "sinus_air_fluid_level",
    "diffuse_cerebral_swelling",
  ],
  mass_effect: [
    "mass_lesion_any",
    "extra_axial_mass",
    "intra_axial_mass",
    "multiple_lesions",
    "vasogenic_edema",
    "cerebral_edema",
    "midline_shift",
    "basal_cistern_effacement",
    "sulcal_effacement",
    "ventricular_compression",
  ],
  structural: [
    "hydrocephalus",
    "ventriculomegaly",
    "arachnoid_cyst",
    "colloid_cyst",
    "cavum_septum_pellucidum",
    "craniectomy_defect",
    "ventricular_shunt_catheter",
    "asymmetric_ventricles",
  ],
  chronic: [
    "generalized_atrophy",
    "cerebellar_atrophy",
    "small_vessel_white_matter_disease",
    "encephalomalacia",
    "basal_ganglia_calcification",
    "dural_calcification",
    "pineal_choroid_calcification",
    "hyperostosis_frontalis",
    "chronic_sinus_disease",
    "chronic_lacunes",
  ],
};

test("75 findings in the six categories of METHODS.md, with unique snake_case names", () => {
  assert.equal(FINDINGS.length, 75);
  const per: Record<string, number> = {};
  for (const f of FINDINGS) per[f.category] = (per[f.category] ?? 0) + 1;
  assert.deepEqual(per, {
    hemorrhage: 13,
    infarction_vascular: 11,
    trauma: 12,
    mass_effect: 13,
    structural: 13,
    chronic: 13,
  });
  assert.equal(new Set(FINDINGS.map((f) => f.name)).size, 75);
  FINDINGS.forEach((f, i) => {
    assert.equal(f.id, i);
    assert.match(f.name, /^[a-z][a-z0-9_]*$/);
  });
});

test("renderable flags match the starred findings", () => {
  for (const f of FINDINGS) {
    assert.equal(f.renderable, STARRED[f.category]!.includes(f.name), f.name);
  }
  assert.equal(FINDINGS.filter((f) => f.renderable).length, 50);
});

test("parents exist, sit in the same category, and form no cycles", () => {
  for (const f of FINDINGS) {
    if (!f.parent) continue;
    const p = finding(f.parent);
    assert.equal(p.category, f.category, f.name);
    assert.ok(ancestry(f.name).length < 5);
  }
  assert.deepEqual(ancestry("hemorrhagic_contusion"), [
    "hemorrhagic_contusion",
    "intraparenchymal_hemorrhage",
    "any_intracranial_hemorrhage",
  ]);
  assert.equal(finding("epidural_hematoma").parent, "any_intracranial_hemorrhage");
  assert.equal(finding("extra_axial_mass").parent, "mass_lesion_any");
  assert.equal(finding("intra_axial_mass").parent, "mass_lesion_any");
});

test("closeLabels sets every ancestor and hierarchyViolations finds missing parents", () => {
  const v = new Uint8Array(75);
  v[finding("cerebellar_hemorrhage").id] = 1;
  assert.deepEqual(hierarchyViolations(v), ["cerebellar_hemorrhage without intraparenchymal_hemorrhage"]);
  const c = closeLabels(v);
  assert.equal(c[finding("intraparenchymal_hemorrhage").id], 1);
  assert.equal(c[finding("any_intracranial_hemorrhage").id], 1);
  assert.equal(
    c.reduce((a, b) => a + b, 0),
    3,
  );
  assert.deepEqual(hierarchyViolations(c), []);
  assert.throws(() => finding("not_a_finding"));
});
