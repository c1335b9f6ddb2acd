/**
 * How often each finding appears in generated head CT sets: primary prevalences and the clinical
 * co-occurrence rules applied after them. Both are plain tables so that users can read and
 * override them (the CLI's --prevalence file overrides DEFAULT_PREVALENCE).
 */

/**
 * Probability that a finding is drawn as a primary finding. Parents are never primary (they
 * follow from their subtypes); many findings also arrive through `COOCCUR`.
 */
export const DEFAULT_PREVALENCE: Readonly<Record<string, number>> = Object.freeze({
  epidural_hematoma: 0.04,
  acute_subdural_hematoma: 0.07,
  chronic_subdural_hematoma: 0.04,
  subarachnoid_hemorrhage: 0.05,
  intraparenchymal_hemorrhage: 0.06,
  intraventricular_hemorrhage: 0.02,
  hemorrhagic_contusion: 0.04,
  cerebellar_hemorrhage: 0.02,
  acute_infarct: 0.07,
  chronic_infarct: 0.05,
  lacunar_infarct: 0.04,
  hyperdense_artery_sign: 0.01,
  cerebellar_infarct: 0.02,
  vascular_calcification: 0.08,
  calvarial_fracture: 0.04,
  depressed_skull_fracture: 0.015,
  pneumocephalus: 0.015,
  scalp_hematoma: 0.04,
  foreign_body: 0.015,
  sinus_air_fluid_level: 0.03,
  diffuse_cerebral_swelling: 0.02,
  extra_axial_mass: 0.03,
  intra_axial_mass: 0.04,
  multiple_lesions: 0.015,
  vasogenic_edema: 0,
  cerebral_edema: 0.015,
  midline_shift: 0.01,
  basal_cistern_effacement: 0,
  sulcal_effacement: 0.01,
  ventricular_compression: 0,
  hydrocephalus: 0.03,
  ventriculomegaly: 0.03,
  arachnoid_cyst: 0.02,
  colloid_cyst: 0.01,
  cavum_septum_pellucidum: 0.04,
  craniectomy_defect: 0.02,
  ventricular_shunt_catheter: 0.015,
  asymmetric_ventricles: 0.03,
  generalized_atrophy: 0.1,
  cerebellar_atrophy: 0.03,
  small_vessel_white_matter_disease: 0.08,
  encephalomalacia: 0.03,
  basal_ganglia_calcification: 0.04,
  dural_calcification: 0.05,
  pineal_choroid_calcification: 0.12,
  hyperostosis_frontalis: 0.03,
  chronic_sinus_disease: 0.06,
  chronic_lacunes: 0.05,
});

/** Clinical co-occurrence: when the key is present, each listed finding follows with probability p. */
export const COOCCUR: Readonly<Record<string, [string, number][]>> = Object.freeze({
  epidural_hematoma: [
    ["calvarial_fracture", 0.7],
    ["scalp_hematoma", 0.6],
    ["midline_shift", 0.35],
    ["pneumocephalus", 0.15],
  ],
  acute_subdural_hematoma: [
    ["midline_shift", 0.5],
    ["sulcal_effacement", 0.4],
    ["ventricular_compression", 0.4],
    ["subarachnoid_hemorrhage", 0.3],
    ["hemorrhagic_contusion", 0.25],
    ["scalp_hematoma", 0.3],
  ],
  chronic_subdural_hematoma: [
    ["generalized_atrophy", 0.5],
    ["midline_shift", 0.3],
  ],
  intraparenchymal_hemorrhage: [
    ["intraventricular_hemorrhage", 0.3],
    ["midline_shift", 0.35],
    ["ventricular_compression", 0.3],
    ["small_vessel_white_matter_disease", 0.3],
  ],
  hemorrhagic_contusion: [
    ["subarachnoid_hemorrhage", 0.4],
    ["acute_subdural_hematoma", 0.25],
    ["calvarial_fracture", 0.3],
    ["scalp_hematoma", 0.4],
  ],
  subarachnoid_hemorrhage: [
    ["intraventricular_hemorrhage", 0.2],
    ["hydrocephalus", 0.15],
  ],
  intraventricular_hemorrhage: [["hydrocephalus", 0.3]],
  acute_infarct: [
    ["hyperdense_artery_sign", 0.35],
    ["sulcal_effacement", 0.3],
    ["small_vessel_white_matter_disease", 0.3],
  ],
  chronic_infarct: [
    ["small_vessel_white_matter_disease", 0.4],
    ["chronic_lacunes", 0.3],
  ],
  intra_axial_mass: [
    ["vasogenic_edema", 0.85],
    ["midline_shift", 0.35],
    ["ventricular_compression", 0.3],
    ["sulcal_effacement", 0.3],
  ],
  multiple_lesions: [
    ["intra_axial_mass", 1],
    ["vasogenic_edema", 0.5],
  ],
  extra_axial_mass: [
    ["vasogenic_edema", 0.3],
    ["hyperostosis_frontalis", 0.05],
  ],
  hydrocephalus: [["ventricular_shunt_catheter", 0.3]],
  ventricular_shunt_catheter: [["ventriculomegaly", 0.5]],
  craniectomy_defect: [["encephalomalacia", 0.5]],
  generalized_atrophy: [
    ["small_vessel_white_matter_disease", 0.4],
    ["ventriculomegaly", 0.3],
    ["chronic_lacunes", 0.3],
  ],
  diffuse_cerebral_swelling: [
    ["basal_cistern_effacement", 0.6],
    ["sulcal_effacement", 0.8],
    ["ventricular_compression", 0.5],
  ],
  cerebral_edema: [["diffuse_cerebral_swelling", 0.5]],
  depressed_skull_fracture: [
    ["hemorrhagic_contusion", 0.3],
    ["scalp_hematoma", 0.5],
  ],
  foreign_body: [["scalp_hematoma", 0.3]],
  calvarial_fracture: [["scalp_hematoma", 0.5]],
});
