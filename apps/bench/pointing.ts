// Do the heat maps point at the lesion? The pointing game on phantom head CT: a LoRA plugin on a
// backbone learns "any intracranial hemorrhage"; on each test scan that has one, the heat map's
// maximum (on the scan's grid) counts as a hit when it lies in the hemorrhage mask dilated by
// --tolerance voxels in-plane. Chance = the dilated mask's share of the head's voxels (HU > −300),
// i.e. the hit rate of a maximum placed uniformly in the head.
// Usage: npm run bench:pointing [-- --json] [--backbone medadapt-demo-vit] [--size 64] [--slices 16]
//        [--n 80] [--epochs 4] [--tolerance 1]   (last block and rollout, from one trained run)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  generateHeadCtSet,
  loadTaskModel,
  pipelines,
  readManifest,
  readNifti,
  readTaskConfig,
  runTask,
} from "../../src/index.js";

const { values } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    backbone: { type: "string", default: "medadapt-demo-vit" },
    size: { type: "string", default: "64" },
    slices: { type: "string", default: "16" },
    n: { type: "string", default: "80" },
    epochs: { type: "string", default: "4" },
    tolerance: { type: "string", default: "1" },
  },
});
const finding = "any_intracranial_hemorrhage";
const tol = Number(values.tolerance);
const load0 = loadavg()[0]!;
const t0 = performance.now();

const dir = mkdtempSync(join(tmpdir(), "medadapt-bench-pointing-"));
try {
  const set = await generateHeadCtSet(join(dir, "set"), {
    n: Number(values.n),
    seed: 7,
    shape: [64, 64, 16],
    prevalence: { intraparenchymal_hemorrhage: 0.3, acute_subdural_hematoma: 0.2 },
  });
  const cfg = join(dir, "run.json");
  writeFileSync(
    cfg,
    JSON.stringify({
      seed: 1,
      runDir: join(dir, "run"),
      data: {
        manifest: set.manifest,
        findings: [finding],
        preprocess: { size: [Number(values.size), Number(values.size)], slices: Number(values.slices) },
      },
      model: { backbone: values.backbone, method: "lora" },
      train: { epochs: Number(values.epochs), batchSize: 4 },
    }),
  );
  const run = await runTask(await readTaskConfig(cfg), { progress: null });
  const m = await loadTaskModel(join(dir, "run"));
  const cases = (await readManifest(set.manifest)).cases.filter((c) => c.split === "test");
  const fi = (await readManifest(set.manifest)).findings.indexOf(finding);
  const hits = { last: 0, rollout: 0 };
  let positives = 0;
  let chance = 0;
  for (const c of cases) {
    if (c.labels[fi] !== 1 || !c.masks.hemorrhage) continue;
    const mask = (await readNifti(c.masks.hemorrhage)).real();
    const scan = await readNifti(c.images[0]!);
    const [nx, ny, nz] = scan.shape as [number, number, number];
    if (!mask.some((x) => x > 0)) continue;
    // The mask dilated in-plane by the tolerance (a square of side 2·tol + 1).
    const near = new Uint8Array(mask.length);
    for (let k = 0; k < nz; k++)
      for (let j = 0; j < ny; j++)
        for (let i = 0; i < nx; i++) {
          if (!(mask[i + nx * (j + ny * k)]! > 0)) continue;
          for (let dj = -tol; dj <= tol; dj++)
            for (let di = -tol; di <= tol; di++) {
              const [a, b] = [i + di, j + dj];
              if (a >= 0 && a < nx && b >= 0 && b < ny) near[a + nx * (b + ny * k)] = 1;
            }
        }
    positives++;
    for (const mode of ["last", "rollout"] as const) {
      const h = await pipelines.heatmapForScan(m, c.images, { rollout: mode === "rollout" });
      const v = h.volume.real();
      let arg = 0;
      for (let i = 1; i < v.length; i++) if (v[i]! > v[arg]!) arg = i;
      if (near[arg]) hits[mode]++;
    }
    const hu = scan.real();
    let head = 0;
    let inNear = 0;
    for (let i = 0; i < hu.length; i++)
      if (hu[i]! > -300) {
        head++;
        if (near[i]) inNear++;
      }
    chance += inNear / head;
  }
  const result = {
    backbone: values.backbone,
    tolerance_voxels: tol,
    test_positives: positives,
    hits,
    hit_rate: positives ? { last: hits.last / positives, rollout: hits.rollout / positives } : null,
    chance_rate: positives ? chance / positives : null,
    best_val_auc: run.result.best?.valMeanAuc ?? null,
    seconds: (performance.now() - t0) / 1000,
    load_average: [load0, loadavg()[0]!],
  };
  process.stdout.write(
    `bench:pointing — ${values.backbone} + LoRA, ${finding} (best val AUC ${result.best_val_auc?.toFixed(2)}): ` +
      `heat map maxima within ${tol} voxel(s) of the hemorrhage: last block ${hits.last}/${positives}, ` +
      `rollout ${hits.rollout}/${positives}; chance ${result.chance_rate?.toFixed(3)} ` +
      `(${result.seconds.toFixed(0)} s, load ${load0.toFixed(1)})\n`,
  );
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
