import assert from "node:assert/strict";
import { test } from "node:test";
import { FINDINGS } from "../taxonomy.js";
import { CAVITY_CENTER } from "./geometry.js";
import { ANATOMY_LABELS as A, HEMORRHAGE_LABELS as H } from "./labels.js";
import {
  blurInPlane,
  defaultSpacing,
  renderHeadCt,
  type ScanGeometry,
  scanAffine,
  voxelToHead,
} from "./render.js";
import { sampleHeadCt } from "./sample.js";
import type { HeadCtCase, Lesion, Vec3 } from "./spec.js";

const SHAPE: [number, number, number] = [96, 96, 26];
const GEOM: ScanGeometry = { shape: SHAPE, spacing: defaultSpacing(SHAPE) };
const SEED = 21;
const INDEX = 4;
/** Slack around a lesion's analytic extent: a voxel diagonal plus half a slice (z supersampling). */
const MARGIN = Math.hypot(GEOM.spacing[0], GEOM.spacing[1]) + GEOM.spacing[2] / 2 + 1;

const OUTSIDE_CRANIUM = new Set<number>([A.background, A.scalp, A.skull, A.sinus_air, A.orbit_face]);

/** Head-frame coordinates of every voxel centre (x, y, z interleaved). */
function headCoordinates(c: HeadCtCase, g: ScanGeometry): Float64Array {
  const m = voxelToHead(c, g);
  const [nx, ny, nz] = g.shape;
  const out = new Float64Array(nx * ny * nz * 3);
  let p = 0;
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++, p += 3) {
        out[p] = m[0]! * i + m[1]! * j + m[2]! * k + m[3]!;
        out[p + 1] = m[4]! * i + m[5]! * j + m[6]! * k + m[7]!;
        out[p + 2] = m[8]! * i + m[9]! * j + m[10]! * k + m[11]!;
      }
  return out;
}

/** Voxels within one voxel (26-neighbourhood) of a voxel satisfying `pred`. */
function dilate(pred: (q: number) => boolean, shape: readonly number[]): Uint8Array {
  const [nx, ny, nz] = shape as [number, number, number];
  const out = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++)
    for (let j = 0; j < ny; j++)
      for (let i = 0; i < nx; i++) {
        if (!pred(k * nx * ny + j * nx + i)) continue;
        for (let dk = -1; dk <= 1; dk++)
          for (let dj = -1; dj <= 1; dj++)
            for (let di = -1; di <= 1; di++) {
              const a = i + di;
              const b = j + dj;
              const d = k + dk;
              if (a >= 0 && b >= 0 && d >= 0 && a < nx && b < ny && d < nz) out[d * nx * ny + b * nx + a] = 1;
            }
      }
  return out;
}

function angleTo(q: Vec3, dir: Vec3): { angle: number; r: number } {
  const v: Vec3 = [q[0] - CAVITY_CENTER[0], q[1] - CAVITY_CENTER[1], q[2] - CAVITY_CENTER[2]];
  const r = Math.hypot(...v);
  const n = Math.hypot(...dir);
  const cos = (v[0] * dir[0] + v[1] * dir[1] + v[2] * dir[2]) / (r * n);
  return { angle: Math.acos(Math.max(-1, Math.min(1, cos))), r };
}

function segmentDistance(q: Vec3, a: Vec3, b: Vec3): number {
  const u = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const w = [q[0] - a[0], q[1] - a[1], q[2] - a[2]];
  const t = Math.max(
    0,
    Math.min(1, (w[0]! * u[0]! + w[1]! * u[1]! + w[2]! * u[2]!) / (u[0]! ** 2 + u[1]! ** 2 + u[2]! ** 2)),
  );
  return Math.hypot(w[0]! - u[0]! * t, w[1]! - u[1]! * t, w[2]! - u[2]! * t);
}

/** Whether head point q lies in the analytic reach of lesion l (plus MARGIN). */
function inLesionReach(l: Lesion, q: Vec3): boolean {
  const s = l.shape;
  switch (s.type) {
    case "blob": {
      const reach = (Math.max(...s.radii) + l.edemaMm) * (1 + s.irregularity) + MARGIN;
      const d = Math.hypot(q[0] - s.center[0], q[1] - s.center[1], q[2] - s.center[2]);
      if (l.kind === "metal")
        return d < reach || (Math.abs(q[2] - s.center[2]) < 6 + MARGIN && d < 92 + MARGIN);
      return d < reach;
    }
    case "tube":
      for (let i = 0; i + 1 < s.points.length; i++)
        if (segmentDistance(q, s.points[i]!, s.points[i + 1]!) < s.radius + MARGIN) return true;
      return false;
    case "extraAxial":
    case "skullPatch": {
      const { angle, r } = angleTo(q, s.dir);
      return angle < s.halfAngle + MARGIN / Math.max(r, 1);
    }
  }
}

/** Independent statement of where each finding may change the image. */
function allowedRegion(c: HeadCtCase, name: string, base: Uint8Array, coords: Float64Array): Uint8Array {
  const n = base.length;
  const q = (p: number): Vec3 => [coords[3 * p]!, coords[3 * p + 1]!, coords[3 * p + 2]!];
  // All of the case's lesions: forcing one finding can bring a required companion
  // (multiple lesions ⇒ an intra-axial mass).
  const lesions = c.lesions;
  const near = (x: number, y: number, z: number, r: number) => (p: number) => {
    const v = q(p);
    return Math.hypot(v[0] - x, v[1] - y, v[2] - z) < r + MARGIN;
  };
  let pred: (p: number) => boolean;
  if (name === "intraventricular_hemorrhage") {
    pred = (p) => base[p] === A.ventricles;
  } else if (name === "subarachnoid_hemorrhage") {
    pred = (p) => !OUTSIDE_CRANIUM.has(base[p]!) && inLesionReach(lesions[0]!, q(p));
  } else if (lesions.length > 0) {
    pred = (p) => lesions.some((l) => inLesionReach(l, q(p)));
  } else if (name === "sinus_air_fluid_level" || name === "chronic_sinus_disease") {
    pred = (p) => base[p] === A.sinus_air || base[p] === A.orbit_face;
  } else if (name === "hyperostosis_frontalis") {
    pred = (p) => q(p)[1] > 15 && q(p)[2] > -25;
  } else if (name === "basal_ganglia_calcification") {
    pred = (p) => near(19, 2, 1, 6)(p) || near(-19, 2, 1, 6)(p);
  } else if (name === "pineal_choroid_calcification") {
    pred = (p) => near(0, -24, 4, 4)(p) || near(19, -26, 12, 10)(p) || near(-19, -26, 12, 10)(p);
  } else if (name === "dural_calcification") {
    pred = (p) => Math.abs(q(p)[0]) < 1 + MARGIN && q(p)[2] > 35;
  } else {
    // Diffuse findings (atrophy, swelling, edema, ventricles, midline shift, …) stay inside the cranium.
    pred = (p) => !OUTSIDE_CRANIUM.has(base[p]!);
  }
  const out = dilate(pred, SHAPE);
  assert.equal(out.length, n);
  return out;
}

function render(findings: string[]) {
  const c = sampleHeadCt(SEED, INDEX, { findings, difficulty: "easy" });
  return { c, r: renderHeadCt(c, GEOM, { clean: true }) };
}

const baseline = render([]);
const coords = headCoordinates(baseline.c, GEOM);
const drawable = FINDINGS.filter(
  (f) => f.renderable && f.name !== "any_intracranial_hemorrhage" && f.name !== "mass_lesion_any",
);

const HEM_OF: Record<string, number> = {
  epidural_hematoma: H.epidural,
  acute_subdural_hematoma: H.subdural,
  chronic_subdural_hematoma: H.subdural,
  subarachnoid_hemorrhage: H.subarachnoid,
  intraparenchymal_hemorrhage: H.intraparenchymal,
  hemorrhagic_contusion: H.intraparenchymal,
  cerebellar_hemorrhage: H.intraparenchymal,
  intraventricular_hemorrhage: H.intraventricular,
};

for (const f of drawable) {
  test(`${f.name}: changes the image, and only where its shape or rule allows`, () => {
    const { c, r } = render([f.name]);
    const a = baseline.r.image.data as Int16Array;
    const b = r.image.data as Int16Array;
    const allowed = allowedRegion(c, f.name, baseline.r.anatomy.data as Uint8Array, coords);
    let changed = 0;
    let stray = 0;
    for (let p = 0; p < a.length; p++) {
      if (a[p] === b[p]) continue;
      changed++;
      if (!allowed[p]) stray++;
    }
    assert.ok(changed > 0, "no voxel changed");
    assert.equal(stray, 0, `${stray} of ${changed} changed voxels outside the allowed region`);
    const hem = r.hemorrhage.data as Uint8Array;
    const want = HEM_OF[f.name];
    const inMask: number[] = [];
    for (let p = 0; p < hem.length; p++) {
      if (hem[p] === 0) continue;
      assert.equal(hem[p], want, `unexpected hemorrhage label ${hem[p]}`);
      inMask.push(b[p]!);
    }
    if (want === undefined) return;
    assert.ok(inMask.length > 0, "empty hemorrhage mask");
    // Median, because thick slices mix bone into the voxels next to the inner table.
    inMask.sort((x, y) => x - y);
    const median = inMask[inMask.length >> 1]!;
    if (f.name === "chronic_subdural_hematoma") assert.ok(median < 30, `chronic SDH median ${median} HU`);
    else assert.ok(median > 45 && median < 100, `acute blood median ${median} HU`);
  });
}

test("baseline has no hemorrhage and tissue densities in their ranges", () => {
  const c = sampleHeadCt(SEED, 9, { findings: [] });
  const r = renderHeadCt(c, GEOM);
  const hu = r.image.data as Int16Array;
  const an = r.anatomy.data as Uint8Array;
  assert.ok((r.hemorrhage.data as Uint8Array).every((v) => v === 0));
  const median = (labels: number[]) => {
    const v: number[] = [];
    for (let p = 0; p < hu.length; p++) if (labels.includes(an[p]!)) v.push(hu[p]!);
    v.sort((x, y) => x - y);
    assert.ok(v.length > 50, `only ${v.length} voxels of ${labels}`);
    return v[v.length >> 1]!;
  };
  const gm = median([A.grey_matter_left, A.grey_matter_right]);
  const wm = median([A.white_matter_left, A.white_matter_right]);
  const csf = median([A.ventricles]);
  const bone = median([A.skull]);
  const air = median([A.background]);
  assert.ok(gm >= 30 && gm <= 48, `GM ${gm}`);
  assert.ok(wm >= 20 && wm <= 36, `WM ${wm}`);
  assert.ok(gm - wm >= 4, `GM-WM contrast ${gm - wm}`);
  assert.ok(csf >= -5 && csf <= 20, `CSF ${csf}`);
  assert.ok(bone >= 400, `bone ${bone}`);
  assert.ok(air <= -950, `air ${air}`);
  // Both hemispheres and the posterior fossa are present.
  for (const l of [A.grey_matter_left, A.white_matter_right, A.cerebellum, A.brainstem, A.scalp, A.csf])
    assert.ok(an.includes(l), `label ${l} missing`);
});

test("left and right hemisphere labels follow RAS: left labels at negative x", () => {
  const c = sampleHeadCt(SEED, 9, { findings: [] });
  const r = renderHeadCt(c, GEOM, { clean: true });
  const an = r.anatomy.data as Uint8Array;
  const aff = scanAffine(GEOM);
  const [nx] = SHAPE;
  let leftX = 0;
  let leftN = 0;
  let rightX = 0;
  let rightN = 0;
  for (let p = 0; p < an.length; p++) {
    const i = p % nx;
    const x = aff[0]! * i + aff[3]!;
    if (an[p] === A.white_matter_left) {
      leftX += x;
      leftN++;
    } else if (an[p] === A.white_matter_right) {
      rightX += x;
      rightN++;
    }
  }
  assert.ok(leftX / leftN < -15 && rightX / rightN > 15);
  assert.equal(r.image.affine[0], GEOM.spacing[0]);
  assert.deepEqual(r.image.spacing, GEOM.spacing);
  assert.equal(r.image.orientation, "RAS");
});

test("rendering is deterministic", () => {
  const c = sampleHeadCt(2, 3);
  const g: ScanGeometry = { shape: [48, 48, 12], spacing: defaultSpacing([48, 48, 12]) };
  assert.deepEqual(renderHeadCt(c, g).image.data, renderHeadCt(c, g).image.data);
});

test("midline shift displaces the falx away from the lesion side", () => {
  const c = sampleHeadCt(SEED, INDEX, { findings: ["midline_shift"] });
  const mm = c.shift!.mm;
  const r = renderHeadCt(c, GEOM, { clean: true });
  const centroid = (an: Uint8Array, label: number) => {
    let sx = 0;
    let n = 0;
    for (let p = 0; p < an.length; p++) {
      if (an[p] !== label) continue;
      const v = coords[3 * p]!;
      const z = coords[3 * p + 2]!;
      if (z < 0 || z > 30) continue;
      sx += v;
      n++;
    }
    return sx / n;
  };
  const before = centroid(baseline.r.anatomy.data as Uint8Array, A.ventricles);
  const after = centroid(r.anatomy.data as Uint8Array, A.ventricles);
  assert.ok(
    Math.sign(after - before) === Math.sign(mm) && Math.abs(after - before) > 1,
    `${before} → ${after} (${mm})`,
  );
});

/** Ventricle voxels on each side of the head's midline (head-frame x). */
function ventricleVolumes(an: Uint8Array): { left: number; right: number } {
  let left = 0;
  let right = 0;
  for (let p = 0; p < an.length; p++) {
    if (an[p] !== A.ventricles) continue;
    const x = coords[3 * p]!;
    if (x < -2) left++;
    else if (x > 2) right++;
  }
  return { left, right };
}

test("hydrocephalus enlarges both lateral ventricles; asymmetric ventricles differ by side", () => {
  const base = ventricleVolumes(baseline.r.anatomy.data as Uint8Array);
  const hydro = ventricleVolumes(render(["hydrocephalus"]).r.anatomy.data as Uint8Array);
  assert.ok(hydro.left > 1.8 * base.left && hydro.right > 1.8 * base.right, JSON.stringify({ base, hydro }));
  const asym = ventricleVolumes(render(["asymmetric_ventricles"]).r.anatomy.data as Uint8Array);
  const ratio = Math.max(asym.left / asym.right, asym.right / asym.left);
  const baseRatio = Math.max(base.left / base.right, base.right / base.left);
  assert.ok(ratio > 1.3 * baseRatio, JSON.stringify({ base, asym }));
  const atrophy = ventricleVolumes(render(["generalized_atrophy"]).r.anatomy.data as Uint8Array);
  assert.ok(atrophy.left > base.left && atrophy.right > base.right);
});

test("blurInPlane equals a direct 2-D Gaussian sum with clamped edges, slice by slice", () => {
  // Independent reference: the non-separable double sum over the clamped neighbourhood, in float64.
  const kernel = (s: number) => {
    const r = Math.max(1, Math.ceil(3 * s));
    const w = Array.from({ length: 2 * r + 1 }, (_, i) => Math.exp(-((i - r) ** 2) / (2 * s * s)));
    const z = w.reduce((a, b) => a + b, 0);
    return { r, w: w.map((x) => x / z) };
  };
  for (const [nx, ny, nz, sx, sy] of [
    [16, 12, 2, 0.45, 0.9],
    [5, 6, 2, 2.5, 0.5], // the x radius exceeds the row
    [9, 4, 1, 0.02, 1.3], // no blur along x
  ] as const) {
    const v = Float32Array.from({ length: nx * ny * nz }, (_, i) => Math.sin(i * 0.37) * 900 + (i % 7) * 11);
    const src = Float64Array.from(v);
    blurInPlane(v, nx, ny, nz, sx, sy);
    const kx = sx >= 0.05 ? kernel(sx) : { r: 0, w: [1] };
    const ky = sy >= 0.05 ? kernel(sy) : { r: 0, w: [1] };
    const clamp = (a: number, n: number) => Math.min(n - 1, Math.max(0, a));
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          let ref = 0;
          for (let b = -ky.r; b <= ky.r; b++)
            for (let a = -kx.r; a <= kx.r; a++)
              ref +=
                ky.w[b + ky.r]! *
                kx.w[a + kx.r]! *
                src[k * nx * ny + clamp(j + b, ny) * nx + clamp(i + a, nx)]!;
          const got = v[k * nx * ny + j * nx + i]!;
          assert.ok(
            Math.abs(got - ref) < 1e-3,
            `${nx}x${ny} σ ${sx},${sy} at ${i},${j},${k}: ${got} vs ${ref}`,
          );
        }
  }
});
