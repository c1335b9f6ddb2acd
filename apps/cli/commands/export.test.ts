import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import * as ort from "onnxruntime-node";
import { generateHeadCtSet, loadTaskModel, pipelines, readTaskConfig, runTask } from "../../../src/index.js";
import { assertInputError, runCli } from "../../../test/cli.js";
import { tempDir } from "../../../test/paths.js";

const FINDINGS = ["any_intracranial_hemorrhage", "hydrocephalus"];

test("medadapt export: a LoRA run → one ONNX file whose plain-ORT probabilities equal medadapt predict's", async (t) => {
  const dir = tempDir(t);
  const set = await generateHeadCtSet(join(dir, "set"), { n: 6, seed: 1, shape: [32, 32, 8], workers: 1 });
  const run = join(dir, "run");
  const cfg = join(dir, "run.json");
  writeFileSync(
    cfg,
    JSON.stringify({
      seed: 5,
      runDir: run,
      data: { manifest: set.manifest, findings: FINDINGS, preprocess: { size: [32, 32], slices: 8 } },
      model: { backbone: "tiny-dinov2", method: "lora", adapter: { r: 2 }, initStd: 0.3 },
      train: { epochs: 1, batchSize: 2 },
    }),
  );
  await runTask(await readTaskConfig(cfg), { progress: null });
  const file = join(dir, "model.onnx");
  const r = runCli("export", "--model", run, "--out", file, "--json");
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  assert.equal(out.method, "lora");
  assert.ok(out.merged_layers > 0);
  assert.deepEqual(out.unmerged_layers, []);
  assert.deepEqual(out.inputs, [{ name: "axial", shape: [1, 8, 3, 32, 32] }]);
  assert.deepEqual(out.findings, FINDINGS);
  assert.equal(out.bytes, readFileSync(file).length);

  const id = readFileSync(set.manifest, "utf8").split("\n")[1]!.split(",")[0]!;
  const scan = join(dir, "set", "images", `${id}.nii.gz`);
  const p = runCli("predict", "--model", run, "--input", scan, "--json");
  assert.equal(p.code, 0, p.stderr);
  const want = JSON.parse(p.stdout.trim().split("\n").at(-1)!).probabilities;
  const input = await pipelines.prepareScan(await loadTaskModel(run), [scan]);
  const session = await ort.InferenceSession.create(file);
  const v = input.views[0]!;
  const res = await session.run({ axial: new ort.Tensor("float32", v.data, [1, ...v.shape]) });
  const got = res.probabilities!.data as Float32Array;
  for (const [i, f] of FINDINGS.entries()) assert.ok(Math.abs(got[i]! - want[f]) < 1e-4, `${f}`);
  await session.release();

  assertInputError(runCli("export", "--model", join(dir, "none"), "--out", join(dir, "x.onnx")), "none");
  assert.ok(!existsSync(join(dir, "x.onnx")));
  assertInputError(runCli("export", "--model", run), "--out");
});
