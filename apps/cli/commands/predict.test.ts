import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { PNG } from "pngjs";
import { generateHeadCtSet, readNifti, readTaskConfig, runTask } from "../../../src/index.js";
import { assertInputError, runCli } from "../../../test/cli.js";
import { fixture, tempDir } from "../../../test/paths.js";

const FINDINGS = ["any_intracranial_hemorrhage", "hydrocephalus"];

async function train(dir: string, name: string, manifest: string, model: Record<string, unknown>) {
  const runDir = join(dir, name);
  const path = join(dir, `${name}.json`);
  writeFileSync(
    path,
    JSON.stringify({
      seed: 3,
      runDir,
      data: { manifest, findings: FINDINGS, preprocess: { size: [32, 32], slices: 8 } },
      model: { backbone: "tiny-dinov2", initStd: 0.3, ...model },
      train: { epochs: 1, batchSize: 2 },
    }),
  );
  await runTask(await readTaskConfig(path), { progress: null });
  return runDir;
}

const lastJson = (stdout: string) => JSON.parse(stdout.trim().split("\n").at(-1)!);

test("medadapt predict: two runs on one backbone, a heat map NIfTI on the scan's grid and a PNG montage", async (t) => {
  const dir = tempDir(t);
  const set = await generateHeadCtSet(join(dir, "set"), { n: 6, seed: 1, shape: [32, 32, 8], workers: 1 });
  const lora = await train(dir, "lora", set.manifest, { method: "lora", adapter: { r: 2 } });
  const molre = await train(dir, "molre", set.manifest, { method: "molre", adapter: { r: 2 } });
  const id = readFileSync(set.manifest, "utf8").split("\n")[1]!.split(",")[0]!;
  const scan = join(dir, "set", "images", `${id}.nii.gz`);

  const one = runCli("predict", "--model", lora, "--input", scan, "--json");
  assert.equal(one.code, 0, one.stderr);
  const single = lastJson(one.stdout);
  assert.equal(single.source, "plugin");
  assert.deepEqual(Object.keys(single.probabilities), FINDINGS);

  const heat = join(dir, "heat.nii.gz");
  const png = join(dir, "heat.png");
  const r = runCli(
    "predict",
    "--model",
    lora,
    "--model",
    molre,
    "--input",
    scan,
    "--heatmap",
    heat,
    "--heatmap-png",
    png,
    "--finding",
    "hydrocephalus",
    "--json",
  );
  assert.equal(r.code, 0, r.stderr);
  const out = lastJson(r.stdout);
  assert.equal(out.tasks.length, 2);
  // The first task on the shared backbone gives what it gives alone.
  for (const f of FINDINGS)
    assert.ok(Math.abs(out.tasks[0].probabilities[f] - single.probabilities[f]) < 1e-6);
  assert.ok(r.stdout.includes("[lora]") && r.stdout.includes("[molre]"));
  assert.equal(out.heatmap.finding, "hydrocephalus");
  assert.equal(out.heatmap.model, lora);

  const input = await readNifti(scan);
  const map = await readNifti(heat);
  assert.deepEqual(map.shape, input.shape);
  assert.deepEqual([...map.affine], [...input.affine]);
  const v = map.real();
  assert.ok(Math.max(...v) === 1 && Math.min(...v) >= 0);
  const img = PNG.sync.read(readFileSync(png));
  assert.ok(img.width >= 128 && img.height >= 128);

  assertInputError(
    runCli("predict", "--model", lora, "--input", scan, "--heatmap", join(dir, "x.nii"), "--finding", "nope"),
    "--finding",
    /no --model has a finding "nope"/,
  );
  assert.ok(!existsSync(join(dir, "x.nii")));
  assertInputError(runCli("predict", "--model", lora, "--input", scan, "--rollout"), "--rollout");
});

test("a manifest of DICOM series folders: train, then predict on a series with a heat map on its grid", async (t) => {
  const dir = tempDir(t);
  // Four DICOM series (dcm2niix checked their geometry: test/fixtures/dicom/expected.json), each
  // twice under another id and patient, so that both splits hold both classes.
  const series = ["ct", "oblique", "nonuniform", "tilt"];
  const rows = ["id,image,split,patient,any_intracranial_hemorrhage,hydrocephalus"];
  series.forEach((s, i) => {
    for (const split of ["train", "val"])
      rows.push(`${s}-${split},${fixture("dicom", s)},${split},${s}-${split},${i % 2},${(i >> 1) % 2}`);
  });
  const manifest = join(dir, "manifest.csv");
  writeFileSync(manifest, `${rows.join("\n")}\n`);
  const run = await train(dir, "dicom", manifest, { method: "lora", adapter: { r: 2 } });

  const heat = join(dir, "heat.nii.gz");
  const r = runCli("predict", "--model", run, "--input", fixture("dicom", "ct"), "--heatmap", heat, "--json");
  assert.equal(r.code, 0, r.stderr);
  const out = lastJson(r.stdout);
  for (const f of FINDINGS) assert.ok(out.probabilities[f] > 0 && out.probabilities[f] < 1, f);
  // The heat map lies on the series' grid: dcm2niix's shape and affine (medadapt voxel order).
  const want = JSON.parse(readFileSync(fixture("dicom", "expected.json"), "utf8")).ct;
  const map = await readNifti(heat);
  assert.deepEqual(map.shape, want.shape);
  [...map.affine].forEach((v, i) => {
    assert.ok(Math.abs(v - want.affine[i]) < 1e-3, `affine[${i}] ${v} vs ${want.affine[i]}`);
  });
});
