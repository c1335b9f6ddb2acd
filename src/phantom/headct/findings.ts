/**
 * Each finding's geometry and density: turns a finding name into lesions and diffuse changes of
 * a case, drawn from the finding's own random stream around the case's shared focus.
 */
import type { Rng } from "../../random/rng.js";
import { CAVITY_CENTER, cavitySd } from "./geometry.js";
import type { DIFFICULTY, Difficulty, HeadCtCase, Lesion, LesionShape, Vec3 } from "./spec.js";

export const LOBES: Record<string, Vec3> = {
  frontal: [28, 42, 22],
  parietal: [32, -26, 40],
  temporal: [44, 2, -14],
  occipital: [22, -58, 14],
};
export const CONVEXITY: Record<string, Vec3> = {
  frontal: [0.55, 0.75, 0.3],
  temporal: [1, 0.1, -0.1],
  parietal: [0.75, -0.3, 0.55],
  occipital: [0.35, -0.9, 0.2],
};

export interface Focus {
  side: 1 | -1;
  lobe: string;
  lobar: Vec3;
  deep: Vec3;
  convexity: Vec3;
  posterior: Vec3;
}

export function norm(v: Vec3): Vec3 {
  const n = Math.hypot(...v);
  return [v[0] / n, v[1] / n, v[2] / n];
}

/** Distance from the cavity centre to the inner table along unit direction `u`. */
export function innerTableRadius(u: Vec3): number {
  let lo = 0;
  let hi = 130;
  for (let i = 0; i < 30; i++) {
    const r = (lo + hi) / 2;
    const d = cavitySd(CAVITY_CENTER[0] + u[0] * r, CAVITY_CENTER[1] + u[1] * r, CAVITY_CENTER[2] + u[2] * r);
    if (d < 0) lo = r;
    else hi = r;
  }
  return lo;
}

function along(u: Vec3, r: number): Vec3 {
  return [CAVITY_CENTER[0] + u[0] * r, CAVITY_CENTER[1] + u[1] * r, CAVITY_CENTER[2] + u[2] * r];
}

export function jitter(rng: Rng, v: Vec3, mm: number): Vec3 {
  return [v[0] + rng.uniform(-mm, mm), v[1] + rng.uniform(-mm, mm), v[2] + rng.uniform(-mm, mm)];
}

type Knobs = (typeof DIFFICULTY)[Difficulty];

function lesion(
  finding: string,
  kind: Lesion["kind"],
  shape: LesionShape,
  hu: number,
  extra: Partial<Omit<Lesion, "finding" | "kind" | "shape" | "hu">> = {},
): Lesion {
  return {
    kind,
    finding,
    shape,
    hu,
    edemaMm: 0,
    edemaDelta: 0,
    coreFraction: 0,
    coreHu: 0,
    conspicuity: 1,
    side: "midline",
    site: "",
    sizeMm: 0,
    ...extra,
  };
}

function sideWord(x: number): "left" | "right" {
  return x < 0 ? "left" : "right";
}

function conspicuity(sizeMm: number, typicalMm: number, delta: number, typicalDelta: number): number {
  return Math.min(1, (sizeMm / typicalMm) ** 0.5 * (Math.abs(delta) / typicalDelta));
}

/** Adds one finding's lesions and diffuse changes to the case. */
export function drawFinding(c: HeadCtCase, name: string, f: Focus, r: Rng, k: Knobs): void {
  const t = c.tissue;
  const brain = (t.gm + t.wm) / 2;
  const sd = f.side < 0 ? "left" : "right";
  const L = c.lesions;
  const blood = (lo: number, hi: number) => brain + r.uniform(lo, hi) * k.contrast;
  switch (name) {
    case "epidural_hematoma": {
      const th = r.uniform(8, 20) * k.size;
      const hu = blood(22, 40);
      L.push(
        lesion(
          name,
          "edh",
          {
            type: "extraAxial",
            dir: f.convexity,
            halfAngle: r.uniform(0.22, 0.36) * k.size,
            thickness: th,
            profile: "lens",
          },
          hu,
          {
            side: sd,
            site: "convexity",
            sizeMm: th,
            conspicuity: conspicuity(th, 12, hu - brain, 25),
          },
        ),
      );
      break;
    }
    case "acute_subdural_hematoma":
    case "chronic_subdural_hematoma": {
      const acute = name === "acute_subdural_hematoma";
      const th = r.uniform(acute ? 3.5 : 6, acute ? 10 : 15) * k.size;
      const hu = acute ? blood(14, 32) : brain - r.uniform(10, 22) * k.contrast;
      // Each SDH takes the convexity direction rotated a little, so acute and chronic differ.
      const dir = norm([f.convexity[0] * 1.1, f.convexity[1] + (acute ? 0.1 : -0.15), f.convexity[2] + 0.15]);
      L.push(
        lesion(
          name,
          "sdh",
          { type: "extraAxial", dir, halfAngle: r.uniform(0.6, 0.9), thickness: th, profile: "crescent" },
          hu,
          {
            side: sd,
            site: "convexity",
            sizeMm: th,
            conspicuity: conspicuity(th, 7, hu - brain, 20),
          },
        ),
      );
      break;
    }
    case "subarachnoid_hemorrhage": {
      const basal = r.chance(0.5);
      const center: Vec3 = basal ? [0, 2, -20] : [42 * f.side, 2, -2];
      const rad = r.uniform(30, 42) * k.size;
      const hu = blood(18, 35);
      L.push(
        lesion(name, "sah", { type: "blob", center, radii: [rad, rad, rad * 0.8], irregularity: 0 }, hu, {
          side: basal ? "bilateral" : sd,
          site: basal ? "basal cisterns" : "sylvian fissure and sulci",
          sizeMm: rad,
          conspicuity: conspicuity(rad, 35, hu - t.csf, 50) * 0.8,
        }),
      );
      break;
    }
    case "intraparenchymal_hemorrhage": {
      const deep = r.chance(0.6);
      const center = deep ? f.deep : f.lobar;
      const rad = r.uniform(7, 18) * k.size;
      const hu = blood(22, 45);
      L.push(
        lesion(
          name,
          "iph",
          {
            type: "blob",
            center,
            radii: [rad * r.uniform(0.8, 1.1), rad * r.uniform(0.9, 1.3), rad * r.uniform(0.8, 1.1)],
            irregularity: 0.2,
          },
          hu,
          {
            edemaMm: r.uniform(2, 7),
            edemaDelta: -r.uniform(7, 12) * k.contrast,
            side: sideWord(center[0]),
            site: deep ? "basal ganglia / thalamus" : `${f.lobe} lobe`,
            sizeMm: rad * 2,
            conspicuity: conspicuity(rad, 12, hu - brain, 30),
          },
        ),
      );
      break;
    }
    case "intraventricular_hemorrhage": {
      const level = r.uniform(-26, -8);
      const hu = blood(15, 35);
      L.push(
        lesion(
          name,
          "ivh",
          { type: "blob", center: [0, level, 10], radii: [90, 90, 90], irregularity: 0 },
          hu,
          {
            side: "bilateral",
            site: "occipital horns",
            sizeMm: 10,
            conspicuity: conspicuity(10, 10, hu - t.csf, 45),
          },
        ),
      );
      break;
    }
    case "hemorrhagic_contusion": {
      const n = r.int(1, 3);
      for (let i = 0; i < n; i++) {
        const temporal = r.chance(0.5);
        const center: Vec3 = temporal ? [44 * f.side, 16, -24] : [18 * f.side, 56, -8];
        const rad = r.uniform(3.5, 9) * k.size;
        const hu = blood(15, 35);
        L.push(
          lesion(
            name,
            "iph",
            { type: "blob", center: jitter(r, center, 4), radii: [rad, rad * 1.3, rad], irregularity: 0.4 },
            hu,
            {
              edemaMm: r.uniform(2, 5),
              edemaDelta: -r.uniform(6, 10) * k.contrast,
              side: sd,
              site: temporal ? "temporal pole" : "inferior frontal lobe",
              sizeMm: rad * 2,
              conspicuity: conspicuity(rad, 7, hu - brain, 25),
            },
          ),
        );
      }
      break;
    }
    case "cerebellar_hemorrhage": {
      const rad = r.uniform(7, 14) * k.size;
      const hu = blood(22, 40);
      L.push(
        lesion(
          name,
          "iph",
          { type: "blob", center: f.posterior, radii: [rad, rad, rad * 0.9], irregularity: 0.2 },
          hu,
          {
            edemaMm: r.uniform(2, 5),
            edemaDelta: -r.uniform(6, 10) * k.contrast,
            side: sd,
            site: "cerebellar hemisphere",
            sizeMm: rad * 2,
            conspicuity: conspicuity(rad, 10, hu - brain, 30),
          },
        ),
      );
      break;
    }
    case "acute_infarct":
    case "chronic_infarct": {
      const territory = r.pick(["MCA", "MCA", "ACA", "PCA"]);
      const center: Vec3 =
        territory === "MCA"
          ? [44 * f.side, 0, 12]
          : territory === "ACA"
            ? [9 * f.side, 30, 36]
            : [16 * f.side, -62, 6];
      const radii: Vec3 =
        territory === "MCA" ? [20, 30, 24] : territory === "ACA" ? [10, 30, 20] : [14, 20, 16];
      const acute = name === "acute_infarct";
      const sz = (acute ? 1 : 0.6) * k.size;
      const delta = -r.uniform(4, 9) * k.contrast;
      const scaled = radii.map((v) => v * sz * r.uniform(0.8, 1.1)) as Vec3;
      L.push(
        lesion(
          name,
          acute ? "infarct" : "encephalomalacia",
          { type: "blob", center: jitter(r, center, 3), radii: scaled, irregularity: 0.25 },
          acute ? delta : t.csf + r.uniform(2, 8),
          {
            side: sd,
            site: `${territory} territory`,
            sizeMm: scaled[1] * 2,
            conspicuity: acute ? conspicuity(scaled[1], 25, delta, 7) : 1,
          },
        ),
      );
      break;
    }
    case "lacunar_infarct": {
      const rad = r.uniform(2.5, 6) * k.size;
      const delta = r.uniform(6, 12) * k.contrast;
      L.push(
        lesion(
          name,
          "lacune",
          {
            type: "blob",
            center: jitter(r, [20 * -f.side, 0, 4], 4),
            radii: [rad, rad * 1.3, rad],
            irregularity: 0.15,
          },
          t.wm - delta,
          {
            side: f.side < 0 ? "right" : "left",
            site: "basal ganglia / internal capsule",
            sizeMm: rad * 2,
            conspicuity: conspicuity(rad, 4, delta, 9),
          },
        ),
      );
      break;
    }
    case "chronic_lacunes": {
      const n = r.int(2, 4);
      for (let i = 0; i < n; i++) {
        const rad = r.uniform(1.8, 3.5) * k.size;
        const s = r.sign();
        L.push(
          lesion(
            name,
            "lacune",
            {
              type: "blob",
              center: jitter(r, [s * 22, 0, 6], 6),
              radii: [rad, rad * 1.2, rad],
              irregularity: 0,
            },
            t.csf + r.uniform(0, 6),
            {
              side: "bilateral",
              site: "basal ganglia and deep white matter",
              sizeMm: rad * 2,
              conspicuity: conspicuity(rad, 3, 20, 20),
            },
          ),
        );
      }
      break;
    }
    case "hyperdense_artery_sign": {
      const hu = brain + r.uniform(32, 50) * k.contrast;
      L.push(
        lesion(
          name,
          "catheter",
          {
            type: "tube",
            points: [
              [5 * f.side, 5, -19],
              [20 * f.side, 5, -17],
              [36 * f.side, 1, -12],
            ],
            radius: r.uniform(1.3, 2),
          },
          hu,
          {
            side: sd,
            site: "middle cerebral artery (M1)",
            sizeMm: 3,
            conspicuity: conspicuity(3, 3, hu - brain, 35),
          },
        ),
      );
      break;
    }
    case "cerebellar_infarct": {
      const delta = -r.uniform(5, 10) * k.contrast;
      const rad = r.uniform(11, 16) * k.size;
      L.push(
        lesion(
          name,
          "infarct",
          {
            type: "blob",
            center: [f.posterior[0], f.posterior[1] - 6, f.posterior[2] - 4],
            radii: [rad, rad, rad * 0.9],
            irregularity: 0.2,
          },
          delta,
          {
            side: sd,
            site: "cerebellar hemisphere (PICA territory)",
            sizeMm: rad * 2,
            conspicuity: conspicuity(rad, 13, delta, 7),
          },
        ),
      );
      break;
    }
    case "vascular_calcification": {
      for (const s of [-1, 1]) {
        if (!r.chance(0.8) && s === 1) continue;
        L.push(
          lesion(
            name,
            "catheter",
            {
              type: "tube",
              points: [
                [s * 15, 10, -34],
                [s * 17, 18, -28],
                [s * 14, 22, -22],
              ],
              radius: r.uniform(0.8, 1.6),
            },
            r.uniform(200, 500),
            {
              side: "bilateral",
              site: "cavernous carotid arteries",
              sizeMm: 3,
            },
          ),
        );
      }
      break;
    }
    case "calvarial_fracture": {
      const dir = f.convexity;
      const tang = norm(cross(dir, [r.uniform(-1, 1), r.uniform(-1, 1), r.uniform(-1, 1)]));
      L.push(
        lesion(
          name,
          "fracture",
          {
            type: "skullPatch",
            dir,
            halfAngle: r.uniform(0.2, 0.4),
            depth: 0,
            plane: tang,
            width: r.uniform(0.5, 1.1) * k.size,
          },
          35,
          {
            side: sd,
            site: "calvarium",
            sizeMm: 1.5,
            conspicuity: 0.6 * k.size,
          },
        ),
      );
      break;
    }
    case "depressed_skull_fracture": {
      const dir = norm([f.convexity[0], f.convexity[1] + 0.1, f.convexity[2] + 0.2]);
      const depth = r.uniform(4, 9) * k.size;
      L.push(
        lesion(name, "depressed", { type: "skullPatch", dir, halfAngle: r.uniform(0.12, 0.2), depth }, 0, {
          side: sd,
          site: "calvarium",
          sizeMm: depth,
        }),
      );
      break;
    }
    case "pneumocephalus": {
      const n = r.int(2, 6);
      for (let i = 0; i < n; i++) {
        const u = norm([f.side * r.uniform(0, 0.5), r.uniform(0.7, 1), r.uniform(0.05, 0.5)]);
        const rad = r.uniform(1.5, 4.5) * k.size;
        const R = innerTableRadius(u) - rad - 1;
        L.push(
          lesion(
            name,
            "air",
            { type: "blob", center: along(u, R), radii: [rad, rad, rad], irregularity: 0 },
            -1000,
            { side: "bilateral", site: "frontal", sizeMm: rad * 2 },
          ),
        );
      }
      break;
    }
    case "scalp_hematoma": {
      const th = r.uniform(6, 16) * k.size;
      const dir = norm([f.convexity[0], f.convexity[1] - 0.05, f.convexity[2] + 0.1]);
      L.push(
        lesion(
          name,
          "scalp_hematoma",
          { type: "skullPatch", dir, halfAngle: r.uniform(0.3, 0.5), depth: th },
          t.scalp + r.uniform(20, 40) * k.contrast,
          {
            side: sd,
            site: "scalp",
            sizeMm: th,
          },
        ),
      );
      break;
    }
    case "foreign_body": {
      const u = norm([
        f.convexity[0] + r.uniform(-0.2, 0.2),
        f.convexity[1] + r.uniform(-0.2, 0.2),
        f.convexity[2],
      ]);
      const inside = r.chance(0.4);
      const R = innerTableRadius(u) + (inside ? -r.uniform(8, 25) : c.anatomy.skullThickness + 2);
      const rad = r.uniform(1.2, 3);
      L.push(
        lesion(
          name,
          "metal",
          { type: "blob", center: along(u, R), radii: [rad, rad * r.uniform(1, 2), rad], irregularity: 0 },
          3071,
          {
            side: sd,
            site: inside ? "intracranial" : "scalp",
            sizeMm: rad * 2,
          },
        ),
      );
      break;
    }
    case "sinus_air_fluid_level":
      c.diffuse.sinusFluid = r.uniform(0.3, 0.65);
      break;
    case "chronic_sinus_disease":
      c.diffuse.sinusMucosa = r.uniform(2, 4) * k.size;
      break;
    case "diffuse_cerebral_swelling":
      c.diffuse.sulcalEffacement = Math.max(c.diffuse.sulcalEffacement, r.uniform(0.75, 0.95));
      scaleVentricles(c, 0.65, 0.65);
      c.anatomy.cisterns *= 0.6;
      break;
    case "cerebral_edema": {
      const d = r.uniform(4, 8) * k.contrast;
      c.tissue.gm -= d;
      c.tissue.wm -= d * 0.3;
      c.tissue.deepGm -= d;
      break;
    }
    case "basal_cistern_effacement":
      c.anatomy.cisterns = Math.min(c.anatomy.cisterns, r.uniform(0, 0.2));
      break;
    case "sulcal_effacement": {
      const rad = r.uniform(30, 45);
      L.push(
        lesion(
          name,
          "sulcal_effacement",
          { type: "blob", center: f.lobar, radii: [rad, rad, rad], irregularity: 0 },
          0,
          { side: sd, site: `${f.lobe} lobe` },
        ),
      );
      break;
    }
    case "ventricular_compression":
      if (f.side < 0) c.anatomy.ventricles.left *= r.uniform(0.35, 0.55);
      else c.anatomy.ventricles.right *= r.uniform(0.35, 0.55);
      break;
    case "midline_shift": {
      const mm = r.uniform(3, 11);
      c.shift = {
        mm: -f.side * mm,
        center: [0, Math.max(-25, Math.min(25, f.lobar[1] * 0.5)), 14],
        sigma: [30, 45, 26],
      };
      break;
    }
    case "intra_axial_mass": {
      const rad = r.uniform(9, 20) * k.size;
      const hu = brain + r.uniform(-4, 10) * k.contrast;
      const necrotic = r.chance(0.5);
      L.push(
        lesion(
          name,
          "mass",
          {
            type: "blob",
            center: f.lobar,
            radii: [rad, rad * r.uniform(0.9, 1.3), rad * r.uniform(0.8, 1.1)],
            irregularity: 0.25,
          },
          hu,
          {
            coreFraction: necrotic ? r.uniform(0.3, 0.6) : 0,
            coreHu: t.csf + r.uniform(5, 12),
            side: sd,
            site: `${f.lobe} lobe`,
            sizeMm: rad * 2,
            conspicuity: necrotic ? 1 : conspicuity(rad, 14, Math.abs(hu - brain) + 3, 8),
          },
        ),
      );
      break;
    }
    case "multiple_lesions": {
      const n = r.int(2, 4);
      const sites = Object.keys(LOBES);
      for (let i = 0; i < n; i++) {
        const lobe = sites[(sites.indexOf(f.lobe) + 1 + i) % sites.length]!;
        const p = LOBES[lobe]!;
        const s = r.sign();
        const rad = r.uniform(4, 9) * k.size;
        L.push(
          lesion(
            name,
            "mass",
            {
              type: "blob",
              center: jitter(r, [p[0] * s, p[1], p[2]], 4),
              radii: [rad, rad, rad],
              irregularity: 0.15,
            },
            brain + r.uniform(4, 14) * k.contrast,
            {
              side: "bilateral",
              site: `${lobe} lobe`,
              sizeMm: rad * 2,
            },
          ),
        );
      }
      break;
    }
    case "vasogenic_edema": {
      const rad = r.uniform(22, 34) * k.size;
      const delta = -r.uniform(8, 14) * k.contrast;
      L.push(
        lesion(
          name,
          "edema",
          { type: "blob", center: f.lobar, radii: [rad, rad * 1.2, rad], irregularity: 0.3 },
          delta,
          {
            side: sd,
            site: `${f.lobe} lobe`,
            sizeMm: rad * 2,
            conspicuity: conspicuity(rad, 28, delta, 10),
          },
        ),
      );
      break;
    }
    case "extra_axial_mass": {
      const dir = norm([f.convexity[0] * 0.8, f.convexity[1], f.convexity[2] + 0.35]);
      const half = r.uniform(0.16, 0.3) * k.size;
      const th = innerTableRadius(dir) * Math.sin(half) * r.uniform(0.8, 1.1);
      const hu = brain + r.uniform(8, 22) * k.contrast;
      L.push(
        lesion(
          name,
          "meningioma",
          { type: "extraAxial", dir, halfAngle: half, thickness: th, profile: "dome" },
          hu,
          {
            side: sd,
            site: "convexity",
            sizeMm: th * 2,
            conspicuity: conspicuity(th, 15, hu - brain, 12),
          },
        ),
      );
      break;
    }
    case "hydrocephalus":
      growVentricles(c, r.uniform(1.7, 2.2), r.uniform(2.2, 3));
      break;
    case "ventriculomegaly":
      growVentricles(c, r.uniform(1.4, 1.7), r.uniform(1.5, 2));
      break;
    case "asymmetric_ventricles":
      if (r.chance(0.5)) c.anatomy.ventricles.left *= r.uniform(1.35, 1.7);
      else c.anatomy.ventricles.right *= r.uniform(1.35, 1.7);
      break;
    case "arachnoid_cyst": {
      const dir = norm([0.75 * f.side, 0.55, -0.45]);
      const th = r.uniform(10, 20) * k.size;
      L.push(
        lesion(
          name,
          "csf_collection",
          { type: "extraAxial", dir, halfAngle: r.uniform(0.25, 0.4), thickness: th, profile: "dome" },
          t.csf + r.uniform(-2, 2),
          {
            side: sd,
            site: "middle cranial fossa",
            sizeMm: th * 2,
          },
        ),
      );
      break;
    }
    case "colloid_cyst": {
      const rad = r.uniform(3.5, 7) * k.size;
      L.push(
        lesion(
          name,
          "colloid",
          { type: "blob", center: [0, 8, 13], radii: [rad, rad, rad], irregularity: 0 },
          brain + r.uniform(12, 28) * k.contrast,
          {
            site: "foramen of Monro",
            sizeMm: rad * 2,
          },
        ),
      );
      break;
    }
    case "cavum_septum_pellucidum":
      c.anatomy.cavum = r.uniform(1.5, 3.5);
      break;
    case "craniectomy_defect": {
      const dir = norm([f.convexity[0], f.convexity[1] * 0.6, f.convexity[2] + 0.3]);
      L.push(
        lesion(
          name,
          "craniectomy",
          { type: "skullPatch", dir, halfAngle: r.uniform(0.45, 0.7), depth: 0 },
          0,
          { side: sd, site: "frontotemporoparietal", sizeMm: 100 },
        ),
      );
      break;
    }
    case "ventricular_shunt_catheter": {
      const s = -f.side;
      const u = norm([0.32 * s, 0.5, 0.8]);
      const R = innerTableRadius(u);
      const out = R + c.anatomy.skullThickness + c.anatomy.scalpThickness * 0.45;
      const u2 = norm([0.5 * s, 0.2, 0.75]);
      const u3 = norm([0.85 * s, -0.2, 0.3]);
      const r2 = innerTableRadius(u2) + c.anatomy.skullThickness + c.anatomy.scalpThickness * 0.45;
      const r3 = innerTableRadius(u3) + c.anatomy.skullThickness + c.anatomy.scalpThickness * 0.45;
      L.push(
        lesion(name, "burr_hole", { type: "skullPatch", dir: u, halfAngle: 6 / R, depth: 0 }, 0, {
          side: s < 0 ? "left" : "right",
          site: "frontal burr hole",
        }),
        lesion(
          name,
          "catheter",
          {
            type: "tube",
            points: [[6 * s, 16, 13], along(u, R - 5), along(u, out), along(u2, r2), along(u3, r3)],
            radius: 1.4,
          },
          r.uniform(250, 700),
          {
            side: s < 0 ? "left" : "right",
            site: "frontal approach, tip in the lateral ventricle",
          },
        ),
      );
      break;
    }
    case "generalized_atrophy":
      c.anatomy.sulcalWidth = r.uniform(0.17, 0.25);
      c.anatomy.csfBand = r.uniform(3, 5);
      scaleVentricles(c, 1.2, 1.2);
      break;
    case "cerebellar_atrophy":
      c.anatomy.folia = r.uniform(1.7, 2.2);
      break;
    case "small_vessel_white_matter_disease":
      c.diffuse.svdDelta = -r.uniform(5, 10) * k.contrast;
      break;
    case "encephalomalacia": {
      const temporal = r.chance(0.4);
      const center: Vec3 = temporal ? [44 * -f.side, 14, -22] : [20 * -f.side, 52, 2];
      const rad = r.uniform(8, 16) * k.size;
      L.push(
        lesion(
          name,
          "encephalomalacia",
          { type: "blob", center: jitter(r, center, 3), radii: [rad, rad * 1.2, rad], irregularity: 0.3 },
          t.csf + r.uniform(3, 9),
          {
            side: f.side < 0 ? "right" : "left",
            site: temporal ? "anterior temporal lobe" : "frontal lobe",
            sizeMm: rad * 2,
          },
        ),
      );
      break;
    }
    case "basal_ganglia_calcification":
      c.diffuse.calcification.basalGanglia = r.uniform(90, 300) * k.contrast;
      break;
    case "dural_calcification":
      c.diffuse.calcification.falx = r.uniform(250, 800);
      break;
    case "pineal_choroid_calcification":
      if (r.chance(0.7)) c.diffuse.calcification.pineal = r.uniform(120, 500);
      else c.diffuse.calcification.choroid = r.uniform(100, 300);
      break;
    case "hyperostosis_frontalis":
      c.diffuse.hyperostosis = r.uniform(5, 11) * k.size;
      break;
    default:
      throw new Error(`no renderer for finding '${name}'`);
  }
}

function scaleVentricles(c: HeadCtCase, lateral: number, third: number): void {
  c.anatomy.ventricles.left *= lateral;
  c.anatomy.ventricles.right *= lateral;
  c.anatomy.ventricles.third *= third;
}

function growVentricles(c: HeadCtCase, lateral: number, third: number): void {
  const v = c.anatomy.ventricles;
  // Keep the existing left/right asymmetry while enlarging both.
  const big = Math.max(v.left, v.right);
  const left = v.left / big;
  const right = v.right / big;
  v.left = Math.max(v.left, lateral * left);
  v.right = Math.max(v.right, lateral * right);
  v.third = Math.max(v.third, third);
}

function cross(a: Vec3, b: Vec3): Vec3 {
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}
