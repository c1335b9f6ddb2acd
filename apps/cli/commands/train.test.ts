import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { generateHeadCtSet, readSafetensors } from "../../../src/index.js";
import { assertInputError, runCli } from "../../../test/cli.js";
import { tempDir } from "../../../test/paths.js";

const FINDINGS = ["any_intracranial_hemorrhage", "hydrocephalus"];

function config(dir: string, model: Record<string, unknown>, runDir = join(dir, "run")) {
  return {
    seed: 3,
    runDir,
    data: { manifest: "set/manifest.csv", findings: FINDINGS, preprocess: { size: [32, 32], slices: 8 } },
    model,
    train: { epochs: 2, batchSize: 2 },
  };
}

test("medadapt train: a tiny ViT + LoRA on a 6-scan phantom set writes a complete run folder; --resume of the finished run keeps it", async (t) => {
  const dir = tempDir(t);
  const set = await generateHeadCtSet(join(dir, "set"), { n: 6, seed: 1, shape: [32, 32, 8], workers: 1 });
  const cfgPath = join(dir, "config.json");
  writeFileSync(
    cfgPath,
    JSON.stringify(config(dir, { backbone: "tiny-dinov2", method: "lora", adapter: { r: 2 }, initStd: 0.3 })),
  );
  const r = runCli("train", "--config", cfgPath, "--json");
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  const run = join(dir, "run");
  assert.equal(out.run_dir, run);
  assert.equal(out.status, "completed");
  assert.equal(out.epochs_done, 2);
  // Cases per split as the generator wrote them; 2 steps per epoch at batch size 2.
  assert.deepEqual(out.cases, set.splits);
  assert.equal(out.steps, 2 * Math.ceil(set.splits.train! / 2));
  for (const f of ["config.json", "metrics.jsonl", "log.txt", "summary.json"])
    assert.ok(existsSync(join(run, f)), f);
  const metrics = readFileSync(join(run, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.equal(metrics.length, 2);
  assert.deepEqual(Object.keys(metrics[0].valAuc).sort(), [...FINDINGS].sort());
  // The stored config has the manifest made absolute (the run works from any folder).
  const stored = JSON.parse(readFileSync(join(run, "config.json"), "utf8"));
  assert.equal(stored.data.manifest, set.manifest);
  // The checkpoint holds exactly the trainable weights: LoRA factors, the query and the head.
  const params = await readSafetensors(join(run, "checkpoints", "last", "params.safetensors"));
  const names = params.names();
  assert.ok(names.includes("pool.axial.query") && names.includes("head.weight"), names.join(" "));
  assert.ok(names.some((n) => n.includes("lora_A")));
  assert.ok(
    names.every((n) => /lora_|^pool\.|^head\./.test(n)),
    names.join(" "),
  );
  const head = await params.tensor("head.weight");
  assert.deepEqual([...head.shape], [FINDINGS.length, 32]);
  let total = 0;
  for (const n of names) total += (await params.tensor(n)).data.length;
  assert.equal(total, out.model.trainable_params);
  // The plugin in PEFT's layout holds the same number of weights.
  const plugin = await readSafetensors(join(run, "plugin", "adapter_model.safetensors"));
  let pluginTotal = 0;
  for (const n of plugin.names()) pluginTotal += (await plugin.tensor(n)).data.length;
  assert.equal(pluginTotal, out.model.trainable_params);

  // predict with the run: one probability per finding, slice weights over the 8 model slices.
  const scan = join(
    dir,
    "set",
    "images",
    `${readFileSync(set.manifest, "utf8").split("\n")[1]!.split(",")[0]}.nii.gz`,
  );
  const p = runCli("predict", "--model", run, "--input", scan, "--json");
  assert.equal(p.code, 0, p.stderr);
  const pred = JSON.parse(p.stdout.trim().split("\n").at(-1)!);
  assert.deepEqual(Object.keys(pred.probabilities), FINDINGS);
  for (const v of Object.values(pred.probabilities) as number[]) assert.ok(v > 0 && v < 1);
  assert.equal(pred.slice_weights.axial.length, 8);
  const sum = (pred.slice_weights.axial as number[]).reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(sum - 1) < 1e-5, String(sum));
  assert.equal(pred.epoch, out.best.epoch);
  assertInputError(
    runCli("predict", "--model", join(dir, "nothing"), "--input", scan),
    "nothing",
    /not a run folder/,
  );

  // Resuming a finished run trains nothing more and reports the same history.
  const again = runCli("train", "--resume", run, "--json");
  assert.equal(again.code, 0, again.stderr);
  const res = JSON.parse(again.stdout.trim().split("\n").at(-1)!);
  assert.equal(res.epochs_done, 2);
  assert.deepEqual(res.final, out.final);
});

test("medadapt train: bad configs are one-line input errors naming the file", async (t) => {
  const dir = tempDir(t);
  const write = (name: string, body: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof body === "string" ? body : JSON.stringify(body));
    return p;
  };
  const cases: [string, unknown, RegExp][] = [
    ["unknown.json", config(dir, { backbone: "no-such-net" }), /neither a folder nor a known architecture/],
    [
      "pooling.json",
      config(dir, { backbone: "tiny-dinov2", pooling: "median" }),
      /model\.pooling must be one of/,
    ],
    ["nobackbone.json", config(dir, { method: "lora" }), /model\.backbone is required/],
    ["typo.json", config(dir, { backbone: "tiny-dinov2", polling: "mean" }), /model\.polling/],
    ["syntax.json", "{ not json", /not valid JSON/],
  ];
  for (const [name, body, pattern] of cases)
    assertInputError(runCli("train", "--config", write(name, body)), name, pattern);
  assertInputError(runCli("train"), "--config", /exactly one of --config/);
  assertInputError(runCli("train", "--resume", join(dir, "nothing")), "nothing", /not a run folder/);
});
