/**
 * A radiology-style report written from a case's truth: findings with side, site and size,
 * hedged wording for subtle ones, pertinent negatives ("No evidence of …"), and the occasional
 * hedge about an absent finding ("cannot exclude …") as real reports have.
 */
import { ancestry } from "../taxonomy.js";
import type { HeadCtCase, Lesion } from "./spec.js";

const DISCLAIMER = "Synthetic phantom report (medadapt); research software, not a medical device.";

interface Phrase {
  text: (l: Lesion | undefined, c: HeadCtCase) => string;
}

function size(l: Lesion | undefined): string {
  return l && l.sizeMm > 0 ? ` measuring up to ${Math.max(1, Math.round(l.sizeMm))} mm` : "";
}

function where(l: Lesion | undefined): string {
  if (!l) return "";
  const side = l.side === "midline" ? "" : `${l.side} `;
  return l.site ? ` in the ${side}${l.site}` : side ? ` on the ${l.side}` : "";
}

const PHRASES: Record<string, Phrase> = {
  epidural_hematoma: {
    text: (l) =>
      `Biconvex hyperdense extra-axial collection${where(l)}${size(l)}, consistent with an epidural hematoma.`,
  },
  acute_subdural_hematoma: {
    text: (l) =>
      `Crescentic hyperdense extra-axial collection along the ${l?.side ?? ""} convexity${size(l)}, consistent with an acute subdural hematoma.`,
  },
  chronic_subdural_hematoma: {
    text: (l) =>
      `Crescentic hypodense extra-axial collection along the ${l?.side ?? ""} convexity${size(l)}, compatible with a chronic subdural hematoma.`,
  },
  subarachnoid_hemorrhage: {
    text: (l) =>
      `Hyperdense blood in the subarachnoid spaces${where(l)}, consistent with subarachnoid hemorrhage.`,
  },
  intraparenchymal_hemorrhage: {
    text: (l) => `Intraparenchymal hematoma${where(l)}${size(l)} with a rim of surrounding edema.`,
  },
  intraventricular_hemorrhage: {
    text: () =>
      "Layering hyperdense blood in the dependent portions of the lateral ventricles (intraventricular hemorrhage).",
  },
  hemorrhagic_contusion: { text: (l) => `Hemorrhagic contusion${where(l)}${size(l)}.` },
  cerebellar_hemorrhage: { text: (l) => `Hematoma${where(l)}${size(l)} (cerebellar hemorrhage).` },
  acute_infarct: {
    text: (l) =>
      `Hypodensity with loss of grey-white differentiation${where(l)}, consistent with an acute infarct.`,
  },
  chronic_infarct: {
    text: (l) => `Well-defined CSF-density volume loss${where(l)}, consistent with a chronic infarct.`,
  },
  lacunar_infarct: { text: (l) => `Small hypodense focus${where(l)}${size(l)}, likely a lacunar infarct.` },
  hyperdense_artery_sign: {
    text: (l) => `Hyperdense ${l?.side ?? ""} middle cerebral artery (hyperdense artery sign).`,
  },
  cerebellar_infarct: {
    text: (l) => `Wedge-shaped hypodensity${where(l)}, consistent with a cerebellar infarct.`,
  },
  vascular_calcification: {
    text: () => "Atherosclerotic calcification of the cavernous internal carotid arteries.",
  },
  calvarial_fracture: {
    text: (l) => `Linear lucency through the ${l?.side ?? ""} calvarium, consistent with a fracture.`,
  },
  depressed_skull_fracture: {
    text: (l) =>
      `Depressed fracture fragment${where(l)}, displaced inward by about ${Math.round(l?.sizeMm ?? 0)} mm.`,
  },
  pneumocephalus: { text: () => "Small foci of intracranial air anteriorly (pneumocephalus)." },
  scalp_hematoma: {
    text: (l) => `Soft-tissue swelling and hematoma of the ${l?.side ?? ""} scalp${size(l)}.`,
  },
  foreign_body: { text: (l) => `Metallic-density foreign body${where(l)} with streak artifact.` },
  sinus_air_fluid_level: { text: () => "Air-fluid levels in the paranasal sinuses." },
  diffuse_cerebral_swelling: {
    text: () => "Diffuse cerebral swelling with effacement of the sulci and small ventricles.",
  },
  extra_axial_mass: {
    text: (l) => `Hyperdense dural-based extra-axial mass${where(l)}${size(l)}, likely a meningioma.`,
  },
  intra_axial_mass: { text: (l) => `Intra-axial mass${where(l)}${size(l)}.` },
  multiple_lesions: {
    text: () =>
      "Multiple additional small enhancing-pattern lesions in both hemispheres; metastatic disease is a consideration.",
  },
  vasogenic_edema: {
    text: (l) => `Finger-like white matter hypodensity${where(l)}, consistent with vasogenic edema.`,
  },
  cerebral_edema: {
    text: () => "Diffuse hypodensity of the cortex with reduced grey-white contrast (cerebral edema).",
  },
  midline_shift: {
    text: (_l, c) =>
      `Midline shift of about ${Math.round(Math.abs(c.shift?.mm ?? 0))} mm to the ${(c.shift?.mm ?? 0) > 0 ? "right" : "left"}.`,
  },
  basal_cistern_effacement: { text: () => "Effacement of the basal cisterns." },
  sulcal_effacement: { text: (l) => `Sulcal effacement${l ? where(l) : ""}.` },
  ventricular_compression: { text: () => "Compression of the ipsilateral lateral ventricle." },
  hydrocephalus: {
    text: () =>
      "Enlarged lateral and third ventricles out of proportion to the sulci, consistent with hydrocephalus.",
  },
  ventriculomegaly: { text: () => "Ventriculomegaly." },
  arachnoid_cyst: {
    text: (l) => `CSF-density extra-axial cyst${where(l)}${size(l)}, consistent with an arachnoid cyst.`,
  },
  colloid_cyst: {
    text: (l) => `Hyperdense round lesion at the foramen of Monro${size(l)}, consistent with a colloid cyst.`,
  },
  cavum_septum_pellucidum: { text: () => "Cavum septum pellucidum (normal variant)." },
  craniectomy_defect: { text: (l) => `Postoperative ${l?.side ?? ""} craniectomy defect.` },
  ventricular_shunt_catheter: {
    text: (l) =>
      `Ventricular shunt catheter via a ${l?.side ?? ""} frontal approach, tip in the lateral ventricle.`,
  },
  asymmetric_ventricles: { text: () => "Asymmetric lateral ventricles." },
  generalized_atrophy: {
    text: () => "Generalized prominence of the sulci and ventricles, consistent with volume loss (atrophy).",
  },
  cerebellar_atrophy: { text: () => "Prominent cerebellar folia, consistent with cerebellar atrophy." },
  small_vessel_white_matter_disease: {
    text: () =>
      "Patchy periventricular and deep white matter hypodensities, consistent with chronic small-vessel disease.",
  },
  encephalomalacia: { text: (l) => `Encephalomalacia${where(l)}.` },
  basal_ganglia_calcification: { text: () => "Bilateral basal ganglia calcifications." },
  dural_calcification: { text: () => "Calcification of the falx (dural calcification)." },
  pineal_choroid_calcification: { text: () => "Physiologic pineal/choroid plexus calcification." },
  hyperostosis_frontalis: {
    text: () => "Nodular thickening of the inner table of the frontal bone (hyperostosis frontalis interna).",
  },
  chronic_sinus_disease: {
    text: () => "Mucosal thickening of the paranasal sinuses, consistent with chronic sinus disease.",
  },
  chronic_lacunes: { text: () => "Chronic lacunes in the basal ganglia." },
};

/** Pertinent negatives, in report order: [finding names that, if all absent, allow the sentence; sentence]. */
const NEGATIVES: [string[], string][] = [
  [["any_intracranial_hemorrhage"], "No evidence of acute intracranial hemorrhage."],
  [
    ["epidural_hematoma", "acute_subdural_hematoma", "chronic_subdural_hematoma", "arachnoid_cyst"],
    "No extra-axial collection.",
  ],
  [["mass_lesion_any"], "No evidence of an intracranial mass."],
  [["midline_shift"], "No midline shift."],
  [["hydrocephalus", "ventriculomegaly"], "The ventricles are normal in size."],
  [["acute_infarct"], "No evidence of an acute territorial infarct."],
  [["calvarial_fracture", "depressed_skull_fracture"], "No calvarial fracture."],
];

const HEDGES: Record<string, string> = {
  acute_infarct:
    "An early acute infarct cannot be excluded on CT; MRI could be considered if clinically suspected.",
  subarachnoid_hemorrhage: "Cannot exclude a trace of subarachnoid blood; correlate clinically.",
  calvarial_fracture:
    "Possible nondisplaced fracture line versus vascular groove; cannot exclude a fracture.",
  small_vessel_white_matter_disease:
    "Questionable mild white matter hypodensity, possibly small-vessel change.",
  intraparenchymal_hemorrhage: "Cannot exclude a tiny focus of parenchymal hemorrhage versus calcification.",
  acute_subdural_hematoma: "Cannot exclude a thin subdural collection along the convexity.",
};

/** The report for `c` as plain text (FINDINGS and IMPRESSION sections). */
export function writeReport(c: HeadCtCase): string {
  const present = new Set(c.findings);
  const lines: string[] = [];
  for (const name of c.findings) {
    const phrase = PHRASES[name];
    if (!phrase) continue; // parents are covered by their subtypes
    const l = c.lesions.find((x) => x.finding === name);
    // A parent present only through its subtypes (IPH via a contusion) is described by them.
    if (
      !l &&
      c.findings.some(
        (n) => n !== name && ancestry(n).includes(name) && c.lesions.some((x) => x.finding === n),
      )
    )
      continue;
    let text = phrase.text(l, c);
    if (l && l.conspicuity < 0.45)
      text = `Subtle finding, possibly representing: ${lowerFirst(text)} Further evaluation may be helpful.`;
    lines.push(text);
  }
  for (const [names, sentence] of NEGATIVES) if (names.every((n) => !present.has(n))) lines.push(sentence);
  for (const h of c.hedgedNegatives) if (HEDGES[h]) lines.push(HEDGES[h]!);
  const impression =
    c.findings.length === 0
      ? "No acute intracranial abnormality."
      : c.findings
          .filter((n) => PHRASES[n])
          .slice(0, 3)
          .map((n) => n.replace(/_/g, " "))
          .join("; ");
  return [
    "EXAMINATION: CT head without contrast (synthetic).",
    "",
    "FINDINGS:",
    ...lines.map((l) => `- ${l}`),
    "",
    `IMPRESSION: ${impression.charAt(0).toUpperCase()}${impression.slice(1)}.`.replace(/\.\.$/, "."),
    "",
    DISCLAIMER,
    "",
  ].join("\n");
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
