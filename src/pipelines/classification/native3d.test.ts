// The native 3D path: a tiny ViT3D with LoRA learns "a bright blob somewhere in the volume"
// through the trainer; a tiny 3D CNN with MoLRE on its convolutions runs as a phantom job and
// predict gives what the training pipeline gives; mixing 2D backbones with the volume layout (and
// 3D with slices) is a one-line config error before any run folder exists.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { assertInputError, runCli } from "../../../test/cli.js";
import { randn, releaseSessions } from "../../engine/index.js";
import { generateHeadCtSet } from "../../phantom/index.js";
import { buildTaskModel, taskModelConfig } from "../../tasks/classification/build.js";
import { Native3d } from "../../tasks/classification/native3d.js";
import { memoryData, train, trainConfig } from "../../train/index.js";
import { runTask } from "./job.js";
import { loadTaskModel, predictScan } from "./predict.js";
import { anyMc3dTrainable } from "./trainable.js";

let dir = "";
let manifest = "";
before(async () => {
  dir = mkdtempSync(join(tmpdir(), "medadapt-native3d-"));
  manifest = (await generateHeadCtSet(join(dir, "set"), { n: 6, seed: 2, shape: [32, 32, 8], workers: 1 }))
    .manifest;
});
after(() => {
  releaseSessions();
  rmSync(dir, { recursive: true, force: true });
});

const [D, H, W] = [8, 16, 16];

/** N volumes 1×D×H×W of noise; finding: a bright 3D blob at a random place (every other case). */
function blobVolumes(n: number, seed: number) {
  const noise = randn(n * D * H * W, seed);
  const uni = randn(3 * n, seed + 100).map((v) => 0.5 * (1 + Math.tanh(v)));
  const int = (i: number, lo: number, hi: number) =>
    lo + Math.min(hi - lo, Math.floor(uni[i]! * (hi - lo + 1)));
  const data = new Float32Array(n * D * H * W);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < D * H * W; k++) data[i * D * H * W + k] = 0.2 * noise[i * D * H * W + k]!;
    if (i % 2 !== 0) continue;
    labels[i] = 1;
    const [cz, cy, cx] = [int(3 * i, 1, D - 2), int(3 * i + 1, 4, 11), int(3 * i + 2, 4, 11)];
    for (let z = 0; z < D; z++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) {
          const r2 = 2 * (z - cz) ** 2 + (y - cy) ** 2 + (x - cx) ** 2;
          data[((i * D + z) * H + y) * W + x]! += 3 * Math.exp(-r2 / 8);
        }
  }
  return { inputs: { volume: { data, shape: [n, 1, D, H, W] } }, labels };
}

test("a tiny ViT3D with LoRA (qkv, proj, patch embedding) learns a 3D blob set through the trainer (val AUC > 0.8)", async () => {
  const built = await buildTaskModel(
    taskModelConfig({
      backbone: "tiny-vit3d",
      method: "lora",
      adapter: { r: 4, lora_alpha: 8 },
      initStd: 0.3,
    }),
    { findings: 1, views: [], channels: 1, size: [H, W], layout: "volume", seed: 3 },
  );
  assert.ok(built.model instanceof Native3d);
  assert.equal(built.backbone.arch, "vit3d");
  const targets = built.summary.targets;
  assert.ok(
    targets.includes("backbone.patch_embed") && targets.some((t) => t.endsWith("attn.qkv")),
    targets.join(),
  );
  assert.deepEqual(
    built.summary.warnings.filter((w) => /skipped/.test(w)),
    [],
  );
  const t = anyMc3dTrainable(built.model);
  const names = [...t.params().keys()];
  assert.ok(names.includes("head.weight") && names.some((n) => n.includes("lora_A")));
  assert.ok(!names.some((n) => /^backbone\.[^l]*weight$/.test(n)), names.join(" "));
  const data = memoryData(["blob"], blobVolumes(96, 1), blobVolumes(40, 2), { batchSize: 8 });
  const cfg = trainConfig({
    seed: 1,
    runDir: join(dir, "vit3d"),
    train: {
      epochs: 6,
      loss: { kind: "bce" },
      warmupEpochs: 0,
      earlyStopping: { patience: 0 },
      groups: [
        { name: "adapter", match: "lora_", lr: 3e-3 },
        { name: "head", match: "(^|\\.)head(\\.|$)", lr: 1e-2 },
      ],
    },
  });
  const res = await train(t, data, cfg, { progress: null });
  const auc = res.history.at(-1)!.valMeanAuc!;
  if (process.env.DEBUG_TASKS) console.log(res.history.map((r) => [r.trainLoss.toFixed(3), r.valMeanAuc]));
  assert.ok(auc > 0.8, `val AUC ${auc}`);
});

test("linear probe trains the head only; full trains the 3D backbone too; MoLRE on ViT3D defaults to the fused qkv", async () => {
  const build = (method: string, backbone = "tiny-vit3d") =>
    buildTaskModel(taskModelConfig({ backbone, method }), {
      findings: 2,
      views: [],
      channels: 3,
      size: [H, W],
      layout: "volume",
      seed: 1,
    });
  const names = (m: Native3d) => [...anyMc3dTrainable(m).params().keys()];
  const probe = await build("linear_probe");
  assert.deepEqual(names(probe.model).sort(), ["head.bias", "head.weight"]);
  const full = await build("full", "tiny-cnn3d");
  const all = [...full.model.namedParameters()].map(([n]) => n);
  assert.deepEqual(names(full.model).sort(), all.sort());
  assert.ok(all.some((n) => n.startsWith("backbone.stem")));
  const molre = await build("molre");
  assert.deepEqual(molre.summary.targets, ["backbone.blocks.0.attn.qkv", "backbone.blocks.1.attn.qkv"]);
  // K·r·(d_in + d_out) + K·d_in per layer, d_in 24, d_out 72 (fused qkv), K 4, r 4 (the defaults).
  assert.equal(molre.summary.addedParams, 2 * (4 * 4 * (24 + 72) + 4 * 24));
});

function config(runDir: string, backbone: string, layout: "slices" | "volume", method = "molre") {
  return {
    seed: 4,
    runDir,
    data: {
      manifest,
      findings: ["any_intracranial_hemorrhage", "hydrocephalus"],
      preprocess: { size: [32, 32], slices: 8, layout },
    },
    model: { backbone, method, adapter: { r: 2, num_experts: 2 } },
    train: { epochs: 1, batchSize: 2 },
  };
}

test("a tiny 3D CNN with MoLRE on its convolutions: phantom job, plugin, predict equals a direct forward of the run's model", async () => {
  const run = join(dir, "cnn3d");
  const r = await runTask(trainConfig(config(run, "tiny-cnn3d", "volume")), { progress: null });
  assert.equal(r.result.status, "completed");
  assert.ok(r.setup.built.model instanceof Native3d);
  assert.deepEqual(
    r.setup.built.summary.targets.every((p) => /conv[12]$/.test(p)),
    true,
  );
  assert.ok(existsSync(join(run, "plugin", "adapter_model.safetensors")));
  const loaded = await loadTaskModel(run);
  const scan = (await import("../../data/manifest.js")).readManifest;
  const m = await scan(manifest, { labels: ["any_intracranial_hemorrhage", "hydrocephalus"] });
  const p = await predictScan(loaded, m.cases[0]!.images);
  assert.deepEqual(Object.keys(p.sliceWeights), ["volume"]);
  assert.deepEqual(p.inputShapes.volume, [3, 8, 32, 32]);
  const w = p.sliceWeights.volume!;
  assert.equal(w.length, 8);
  for (const v of w) assert.ok(Math.abs(v - 1 / 8) < 1e-7);
  for (const v of Object.values(p.probabilities)) assert.ok(v > 0 && v < 1);
});

test("2D backbone with the volume layout, 3D backbone with slices, aux on the volume layout: one-line config errors, no run folder", () => {
  const cases: [string, Record<string, unknown>, RegExp][] = [
    [
      "2d-volume",
      config(join(dir, "x1"), "tiny-dinov2", "volume"),
      /"tiny-dinov2" is a 2D image backbone; data\.preprocess\.layout "volume" needs a 3D network/,
    ],
    [
      "3d-slices",
      config(join(dir, "x2"), "tiny-vit3d", "slices"),
      /"tiny-vit3d" is a 3D network; AnyMC3D needs a 2D slice backbone/,
    ],
  ];
  const aux = config(join(dir, "x3"), "tiny-cnn3d", "volume");
  (aux.model as Record<string, unknown>).aux = { column: "hemorrhage_mask" };
  cases.push(["aux-volume", aux, /model\.aux needs data\.preprocess\.layout "slices"/]);
  for (const [name, cfg, pattern] of cases) {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify(cfg));
    assertInputError(runCli("train", "--config", file), file, pattern);
    assert.ok(!existsSync(cfg.runDir as string), `${name}: no run folder`);
  }
});
