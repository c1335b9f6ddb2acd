/**
 * The project's 75 head CT findings (METHODS.md §1), as data.
 *
 * Phantoms, report labelers, training heads and metrics all import this table, so a finding's
 * column name, display name, category and parent are defined once. `renderable` says whether the
 * head CT phantom can draw the finding; findings it cannot draw are always labelled 0 in phantom
 * data, and consumers should leave them out of phantom-based metrics.
 */

export type FindingCategory =
  | "hemorrhage"
  | "infarction_vascular"
  | "trauma"
  | "mass_effect"
  | "structural"
  | "chronic";

export interface Finding {
  /** Position in the label vector, 0..74 (manifest column order). */
  readonly id: number;
  /** snake_case column name. */
  readonly name: string;
  readonly display: string;
  readonly category: FindingCategory;
  /** The finding this one implies (subtype ⇒ parent), or null. */
  readonly parent: string | null;
  /** Whether the head CT phantom renders it. */
  readonly renderable: boolean;
}

type Row = [name: string, display: string, parent: string | null, renderable: boolean];

const ICH = "any_intracranial_hemorrhage";
const IPH = "intraparenchymal_hemorrhage";
const MASS = "mass_lesion_any";

const ROWS: [FindingCategory, Row[]][] = [
  [
    "hemorrhage",
    [
      [ICH, "any intracranial hemorrhage", null, true],
      ["epidural_hematoma", "epidural hematoma", ICH, true],
      ["acute_subdural_hematoma", "acute subdural hematoma", ICH, true],
      ["chronic_subdural_hematoma", "chronic subdural hematoma", ICH, true],
      ["mixed_density_subdural_hematoma", "mixed-density subdural hematoma", ICH, false],
      ["subarachnoid_hemorrhage", "subarachnoid hemorrhage", ICH, true],
      [IPH, "intraparenchymal hemorrhage", ICH, true],
      ["intraventricular_hemorrhage", "intraventricular hemorrhage", ICH, true],
      ["hemorrhagic_contusion", "hemorrhagic contusion", IPH, true],
      ["hemorrhagic_transformation", "hemorrhagic transformation", IPH, false],
      ["cerebellar_hemorrhage", "cerebellar hemorrhage", IPH, true],
      ["brainstem_hemorrhage", "brainstem hemorrhage", IPH, false],
      ["petechial_hemorrhage_dai", "petechial hemorrhage / diffuse axonal injury", ICH, false],
    ],
  ],
  [
    "infarction_vascular",
    [
      ["acute_infarct", "acute infarct", null, true],
      ["subacute_infarct", "subacute infarct", null, false],
      ["chronic_infarct", "chronic infarct", null, true],
      ["lacunar_infarct", "lacunar infarct", null, true],
      ["loss_of_grey_white_differentiation", "loss of grey-white differentiation", null, false],
      ["hyperdense_artery_sign", "hyperdense artery sign", null, true],
      ["watershed_infarct", "watershed infarct", null, false],
      ["cerebellar_infarct", "cerebellar infarct", null, true],
      ["dural_venous_sinus_hyperdensity", "dural venous sinus hyperdensity", null, false],
      ["vascular_calcification", "vascular calcification", null, true],
      ["aneurysm_clip", "aneurysm clip", null, false],
    ],
  ],
  [
    "trauma",
    [
      ["calvarial_fracture", "calvarial fracture", null, true],
      ["depressed_skull_fracture", "depressed skull fracture", "calvarial_fracture", true],
      ["skull_base_fracture", "skull base fracture", null, false],
      ["facial_fracture", "facial fracture", null, false],
      ["orbital_fracture", "orbital fracture", "facial_fracture", false],
      ["pneumocephalus", "pneumocephalus", null, true],
      ["scalp_hematoma", "scalp hematoma", null, true],
      ["foreign_body", "foreign body", null, true],
      ["penetrating_injury", "penetrating injury", null, false],
      ["sinus_air_fluid_level", "sinus air-fluid level", null, true],
      ["mastoid_opacification", "mastoid opacification", null, false],
      ["diffuse_cerebral_swelling", "diffuse cerebral swelling", null, true],
    ],
  ],
  [
    "mass_effect",
    [
      [MASS, "mass lesion (any)", null, true],
      ["extra_axial_mass", "extra-axial mass", MASS, true],
      ["intra_axial_mass", "intra-axial mass", MASS, true],
      ["multiple_lesions", "multiple lesions", MASS, true],
      ["vasogenic_edema", "vasogenic edema", null, true],
      ["cerebral_edema", "cerebral edema", null, true],
      ["midline_shift", "midline shift", null, true],
      ["subfalcine_herniation", "subfalcine herniation", "midline_shift", false],
      ["transtentorial_herniation", "transtentorial herniation", null, false],
      ["tonsillar_herniation", "tonsillar herniation", null, false],
      ["basal_cistern_effacement", "basal cistern effacement", null, true],
      ["sulcal_effacement", "sulcal effacement", null, true],
      ["ventricular_compression", "ventricular compression", null, true],
    ],
  ],
  [
    "structural",
    [
      ["hydrocephalus", "hydrocephalus", "ventriculomegaly", true],
      ["ventriculomegaly", "ventriculomegaly", null, true],
      ["entrapped_ventricle", "entrapped ventricle", null, false],
      ["arachnoid_cyst", "arachnoid cyst", null, true],
      ["colloid_cyst", "colloid cyst", null, true],
      ["chiari_malformation", "Chiari malformation", null, false],
      ["corpus_callosum_agenesis", "corpus callosum agenesis", null, false],
      ["cavum_septum_pellucidum", "cavum septum pellucidum", null, true],
      ["craniectomy_defect", "craniectomy defect", null, true],
      ["ventricular_shunt_catheter", "ventricular shunt catheter", null, true],
      ["post_surgical_changes", "post-surgical changes", null, false],
      ["empty_sella", "empty sella", null, false],
      ["asymmetric_ventricles", "asymmetric ventricles", null, true],
    ],
  ],
  [
    "chronic",
    [
      ["generalized_atrophy", "generalized atrophy", null, true],
      ["cerebellar_atrophy", "cerebellar atrophy", null, true],
      ["small_vessel_white_matter_disease", "small-vessel white matter disease", null, true],
      ["encephalomalacia", "encephalomalacia", null, true],
      ["gliosis", "gliosis", null, false],
      ["old_hemorrhage", "old hemorrhage", null, false],
      ["basal_ganglia_calcification", "basal ganglia calcification", null, true],
      ["dural_calcification", "dural calcification", null, true],
      ["pineal_choroid_calcification", "pineal/choroid calcification", null, true],
      ["hyperostosis_frontalis", "hyperostosis frontalis", null, true],
      ["chronic_sinus_disease", "chronic sinus disease", null, true],
      ["mastoiditis", "mastoiditis", null, false],
      ["chronic_lacunes", "chronic lacunes", null, true],
    ],
  ],
];

/** All 75 findings in label-vector order. */
export const FINDINGS: readonly Finding[] = Object.freeze(
  ROWS.flatMap(([category, rows]) =>
    rows.map(([name, display, parent, renderable]) => ({ name, display, category, parent, renderable })),
  ).map((f, id) => Object.freeze({ id, ...f })),
);

export const FINDING_NAMES: readonly string[] = Object.freeze(FINDINGS.map((f) => f.name));

const BY_NAME = new Map(FINDINGS.map((f) => [f.name, f]));

/** The finding called `name` (snake_case); throws when there is none. */
export function finding(name: string): Finding {
  const f = BY_NAME.get(name);
  if (!f) throw new Error(`unknown finding '${name}'`);
  return f;
}

export function isFindingName(name: string): boolean {
  return BY_NAME.has(name);
}

/** `name` and every ancestor, nearest first. */
export function ancestry(name: string): string[] {
  const out: string[] = [];
  for (let f: Finding | undefined = finding(name); f; f = f.parent ? BY_NAME.get(f.parent) : undefined)
    out.push(f.name);
  return out;
}

/**
 * Closes a label vector upward: every positive finding makes its ancestors positive. Returns a
 * new array; `labels` is indexed by finding id.
 */
export function closeLabels(labels: ArrayLike<number>): Uint8Array {
  const out = Uint8Array.from(labels as ArrayLike<number>, (v) => (v ? 1 : 0));
  for (const f of FINDINGS) {
    if (!out[f.id]) continue;
    for (const a of ancestry(f.name)) out[finding(a).id] = 1;
  }
  return out;
}

/** Findings whose label is 1 while an ancestor's is 0 (empty when the hierarchy holds). */
export function hierarchyViolations(labels: ArrayLike<number>): string[] {
  const bad: string[] = [];
  for (const f of FINDINGS) {
    if (!labels[f.id] || !f.parent) continue;
    if (!labels[finding(f.parent).id]) bad.push(`${f.name} without ${f.parent}`);
  }
  return bad;
}
