/**
 * Draws one head CT case: anatomy, pose and scanner from the scan's base stream; findings from
 * their prevalence plus clinical co-occurrence; each finding's geometry from its own stream.
 *
 * Findings share the case's "focus" (side, lobe, convexity direction) from the base stream, so
 * co-occurring findings land together (an EDH under its fracture and scalp hematoma, edema
 * around its mass), and removing one finding never moves the others — which is what lets tests
 * render a case with and without a finding and compare.
 */
import { Rng } from "../../random/rng.js";
import { closeLabels, FINDINGS, finding } from "../taxonomy.js";
import { CONVEXITY, drawFinding, type Focus, jitter, LOBES, norm } from "./findings.js";
import { COOCCUR, DEFAULT_PREVALENCE } from "./prevalence.js";
import { DIFFICULTY, type Difficulty, type HeadCtCase, type Vec3 } from "./spec.js";

export interface HeadCtOptions {
  difficulty?: Difficulty;
  /** Per-finding prevalence overrides (snake_case name → probability of being drawn as primary). */
  prevalence?: Record<string, number>;
  /**
   * Render exactly these findings (plus hierarchy parents), with no random findings and no
   * co-occurrence. For tests, previews and controlled experiments.
   */
  findings?: readonly string[];
}

/** Findings the generator may draw: renderable and not pure parents. */
const PARENT_ONLY = new Set(["any_intracranial_hemorrhage", "mass_lesion_any"]);

/** Absent findings a reader might still hedge about ("cannot exclude …"). */
const HEDGEABLE = [
  "acute_infarct",
  "subarachnoid_hemorrhage",
  "calvarial_fracture",
  "small_vessel_white_matter_disease",
  "intraparenchymal_hemorrhage",
  "acute_subdural_hematoma",
];

export function caseId(seed: number, index: number): string {
  return `headct_${seed}_${String(index).padStart(5, "0")}`;
}

/** The finding set for a case: primaries by prevalence, then co-occurrence, closed upward. */
function drawFindings(rng: Rng, prevalence: Record<string, number>): Set<string> {
  const set = new Set<string>();
  for (const f of FINDINGS) {
    if (!f.renderable || PARENT_ONLY.has(f.name)) continue;
    const p = prevalence[f.name] ?? 0;
    if (p > 0 && rng.chance(p)) set.add(f.name);
  }
  // Propagate co-occurrence to a fixed point (each rule fires at most once).
  const fired = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const name of [...set]) {
      if (fired.has(name)) continue;
      fired.add(name);
      for (const [next, p] of COOCCUR[name] ?? []) {
        if (!set.has(next) && rng.chance(p)) {
          set.add(next);
          changed = true;
        }
      }
    }
  }
  return set;
}

/** Makes a forced set renderable: a bare parent gets one of its subtypes. */
function concretise(rng: Rng, names: readonly string[]): Set<string> {
  const set = new Set<string>();
  for (const n of names) {
    const f = finding(n);
    if (!f.renderable) throw new Error(`finding '${n}' cannot be rendered by the head CT phantom`);
    set.add(n);
  }
  if (
    set.has("any_intracranial_hemorrhage") &&
    ![...set].some((n) => finding(n).parent === "any_intracranial_hemorrhage")
  )
    set.add(
      rng.pick([
        "acute_subdural_hematoma",
        "intraparenchymal_hemorrhage",
        "subarachnoid_hemorrhage",
        "epidural_hematoma",
      ]),
    );
  if (
    set.has("mass_lesion_any") &&
    !set.has("extra_axial_mass") &&
    !set.has("intra_axial_mass") &&
    !set.has("multiple_lesions")
  )
    set.add(rng.pick(["extra_axial_mass", "intra_axial_mass"]));
  if (set.has("multiple_lesions")) set.add("intra_axial_mass");
  set.delete("any_intracranial_hemorrhage");
  set.delete("mass_lesion_any");
  return set;
}

export function sampleHeadCt(seed: number, index: number, opts: HeadCtOptions = {}): HeadCtCase {
  const difficulty = opts.difficulty ?? "default";
  const knob = DIFFICULTY[difficulty];
  const base = Rng.stream(seed, index, 0);
  const deg = Math.PI / 180;
  const s0 = base.uniform(0.9, 1.07);
  const pose = {
    yaw: base.uniform(-6, 6) * deg * knob.pose,
    pitch: base.uniform(-10, 10) * deg * knob.pose,
    roll: base.uniform(-4, 4) * deg * knob.pose,
    offset: [base.uniform(-6, 6), base.uniform(-8, 8), -10 + base.uniform(-6, 6)] as Vec3,
  };
  const scanner = {
    noiseSd: base.uniform(6, 12) * knob.noise,
    blurMm: base.uniform(0.6, 1.2),
    streak: -base.uniform(4, 20),
  };
  const gm = base.uniform(35, 42);
  const tissue = {
    gm,
    wm: gm - base.uniform(7, 12),
    csf: base.uniform(2, 12),
    deepGm: gm - base.uniform(0, 4),
    cerebellum: gm - base.uniform(0, 4),
    brainstem: gm - base.uniform(4, 9),
    blood: 65,
    scalp: base.uniform(25, 40),
    fat: base.uniform(-100, -70),
    muscle: base.uniform(45, 55),
    cortical: base.uniform(1300, 1800),
    diploe: base.uniform(450, 800),
    dura: base.uniform(45, 60),
  };
  const vBase = base.uniform(0.85, 1.15);
  const anatomy = {
    // Overall size, then width, length and height separately (cephalic index about 70–90 %).
    scale: [
      s0 * base.uniform(0.93, 1.07),
      s0 * base.uniform(0.94, 1.06),
      s0 * base.uniform(0.96, 1.04),
    ] as Vec3,
    skullThickness: base.uniform(5, 8),
    scalpThickness: base.uniform(4, 7),
    ventricles: {
      left: vBase * base.uniform(0.95, 1.05),
      right: vBase * base.uniform(0.95, 1.05),
      third: base.uniform(0.8, 1.2),
    },
    sulcalWidth: base.uniform(0.07, 0.11),
    csfBand: base.uniform(1, 2.2),
    cisterns: base.uniform(0.85, 1.15),
    folia: base.uniform(0.9, 1.15),
    cavum: 0,
    gyralFrequency: base.uniform(0.075, 0.1),
  };
  const side = base.sign();
  const lobe = base.pick(Object.keys(LOBES));
  const lob = LOBES[lobe]!;
  const conv = CONVEXITY[base.pick(Object.keys(CONVEXITY))]!;
  const focus: Focus = {
    side,
    lobe,
    lobar: jitter(base, [lob[0] * side, lob[1], lob[2]], 5),
    deep: base.chance(0.7) ? jitter(base, [21 * side, 2, 2], 2) : jitter(base, [10 * side, -14, 4], 2),
    convexity: norm([
      conv[0] * side + base.uniform(-0.12, 0.12),
      conv[1] + base.uniform(-0.12, 0.12),
      conv[2] + base.uniform(-0.12, 0.12),
    ]),
    posterior: jitter(base, [22 * side, -50, -46], 3),
  };
  const hedgeRoll = base.next();
  const hedgePick = base.pick(HEDGEABLE);

  const pick = Rng.stream(seed, index, 1);
  const chosen = opts.findings
    ? concretise(pick, opts.findings)
    : drawFindings(pick, { ...DEFAULT_PREVALENCE, ...(opts.prevalence ?? {}) });

  const c: HeadCtCase = {
    id: caseId(seed, index),
    seed,
    index,
    difficulty,
    pose,
    scanner,
    tissue,
    anatomy,
    diffuse: {
      sulcalEffacement: 0,
      edemaDelta: 0,
      svdDelta: 0,
      hyperostosis: 0,
      sinusMucosa: 0,
      sinusFluid: 0,
      calcification: { basalGanglia: 0, pineal: 0, choroid: 0, falx: 0, vascular: 0 },
      hyperdenseArtery: 0,
    },
    shift: null,
    lesions: [],
    findings: [],
    hedgedNegatives: [],
  };
  // Render in taxonomy order so that size-changing findings compose the same way every time.
  for (const f of FINDINGS)
    if (chosen.has(f.name)) drawFinding(c, f.name, focus, Rng.stream(seed, index, 1000 + f.id), knob);
  const labels = closeLabels(FINDINGS.map((f) => (chosen.has(f.name) ? 1 : 0)));
  c.findings = FINDINGS.filter((f) => labels[f.id]).map((f) => f.name);
  if (!opts.findings && hedgeRoll < 0.15 && !c.findings.includes(hedgePick)) c.hedgedNegatives = [hedgePick];
  return c;
}
