// Auxiliary pixel supervision through the trainer: on a tiny blob set whose masks mark the blobs,
// the model trained with the mask decoder (weight 0.5) classifies at least as well as without it,
// and its decoder learns the masks (the mask loss falls well below its value at the start).
// A job on a phantom set with `model.aux` runs end to end and saves the decoder with the plugin;
// the loader's training batches carry each case's preprocessed mask and presence weights.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { tinyDinov2Config } from "../../../test/tiny-vit.js";
import { applyMethod } from "../../adapt/index.js";
import { preprocessConfig } from "../../data/config.js";
import { readManifest } from "../../data/manifest.js";
import { prepareCase } from "../../data/pipeline.js";
import { compile, Graph, randn, releaseSessions, type Value } from "../../engine/index.js";
import { readSafetensors } from "../../io/safetensors/index.js";
import { Dinov2Model } from "../../nn/index.js";
import { BuildContext } from "../../nn/module.js";
import { generateHeadCtSet } from "../../phantom/index.js";
import { Rng } from "../../random/rng.js";
import { AnyMc3d } from "../../tasks/classification/anymc3d.js";
import { auxMaskLoss } from "../../tasks/classification/aux-decoder.js";
import { memoryData, train, trainConfig } from "../../train/index.js";
import type { BatchTensor } from "../../train/trainable.js";
import { auxLoaderData } from "./aux-data.js";
import { runTask } from "./job.js";
import { AUX_MASK_INPUT, AUX_WEIGHT_INPUT, anyMc3dTrainable } from "./trainable.js";

let dir = "";
before(() => {
  dir = mkdtempSync(join(tmpdir(), "medadapt-aux-"));
});
after(() => {
  releaseSessions();
  rmSync(dir, { recursive: true, force: true });
});

const [S, H, W] = [6, 16, 16];

/** N scans of S slices 1×16×16 of noise; finding: a bright blob in one slice; mask: the blob's core. */
function blobSet(n: number, seed: number, batch: number) {
  const noise = randn(n * S * H * W, seed);
  const uni = randn(3 * n, seed + 100).map((v) => 0.5 * (1 + Math.tanh(v)));
  const int = (i: number, lo: number, hi: number) =>
    lo + Math.min(hi - lo, Math.floor(uni[i]! * (hi - lo + 1)));
  const data = new Float32Array(n * S * H * W);
  const mask = new Float32Array(n * S * H * W);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < S * H * W; k++) data[i * S * H * W + k] = 0.2 * noise[i * S * H * W + k]!;
    if (i % 2 !== 0) continue;
    labels[i] = 1;
    const sl = int(3 * i, 0, S - 1);
    const cy = int(3 * i + 1, 4, 11);
    const cx = int(3 * i + 2, 4, 11);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const r2 = (y - cy) ** 2 + (x - cx) ** 2;
        const q = ((i * S + sl) * H + y) * W + x;
        data[q]! += 3 * Math.exp(-r2 / 8);
        if (r2 <= 8) mask[q] = 1;
      }
  }
  const inputs: Record<string, BatchTensor> = { axial: { data, shape: [n, S, 1, H, W] } };
  const withMasks: Record<string, BatchTensor> = {
    ...inputs,
    [AUX_MASK_INPUT("axial")]: { data: mask, shape: [n, S, H, W] },
    // Every case has its mask; batches are full, so each weighs 1/batch.
    [AUX_WEIGHT_INPUT]: { data: new Float32Array(n).fill(1 / batch), shape: [n] },
  };
  return { plain: { inputs, labels }, masked: { inputs: withMasks, labels } };
}

const TINY = tinyDinov2Config();

function model(aux: boolean): AnyMc3d {
  const backbone = new Dinov2Model(TINY);
  let seed = 5;
  for (const [name, p] of backbone.namedParameters())
    if (!/norm|bias/.test(name)) p.data = Float32Array.from(randn(p.size, seed++), (v) => v * 0.3);
  const m = new AnyMc3d(backbone, {
    findings: 1,
    seed: 3,
    ...(aux ? { aux: { patch: [4, 4] as const } } : {}),
  });
  applyMethod(m, {
    method: "lora",
    r: 4,
    alpha: 8,
    modules_to_save: aux ? ["head", "pool", "aux"] : ["head", "pool"],
  });
  return m;
}

/** The mask loss of `m`'s decoder on a set (training-mode graph, every case weighted 1/n). */
async function maskLoss(m: AnyMc3d, set: ReturnType<typeof blobSet>["masked"]): Promise<number> {
  const n = set.labels.length;
  const g = new Graph();
  const ctx = new BuildContext(m, { graph: g, training: true });
  const out = m.classify(ctx, { axial: g.input("x", [n, S, 1, H, W]) });
  const loss = auxMaskLoss(
    (out.auxLogits as Record<string, Value>).axial as Value,
    g.input("t", [n, S, H, W]),
    g.input("w", [n]),
  );
  const res = await (await compile({ loss })).run({
    x: set.inputs.axial!.data,
    t: set.inputs[AUX_MASK_INPUT("axial")]!.data,
    w: new Float32Array(n).fill(1 / n),
  });
  return (res.loss as Float32Array)[0]!;
}

test("with the mask decoder (weight 0.5) the blob classifier learns at least as well, and the decoder learns the masks", async () => {
  const batch = 8;
  const tr = blobSet(96, 1, batch);
  const va = blobSet(40, 2, batch);
  const cfg = (run: string) =>
    trainConfig({
      seed: 1,
      runDir: join(dir, run),
      train: {
        epochs: 15,
        loss: { kind: "bce" },
        warmupEpochs: 0,
        earlyStopping: { patience: 0 },
        groups: [
          { name: "adapter", match: "lora_", lr: 3e-3 },
          { name: "head", match: "(^|\\.)(head|query|aux)(\\.|$)", lr: 1e-2 },
        ],
      },
    });
  const plain = model(false);
  const r0 = await train(
    anyMc3dTrainable(plain),
    memoryData(["blob"], tr.plain, va.plain, { batchSize: batch }),
    cfg("plain"),
    { progress: null },
  );
  const withAux = model(true);
  const before = await maskLoss(withAux, va.masked);
  const r1 = await train(
    anyMc3dTrainable(withAux, { auxWeight: 0.5 }),
    memoryData(["blob"], tr.masked, va.plain, { batchSize: batch }),
    cfg("aux"),
    { progress: null },
  );
  const [auc0, auc1] = [r0.history.at(-1)!.valMeanAuc!, r1.history.at(-1)!.valMeanAuc!];
  const afterLoss = await maskLoss(withAux, va.masked);
  if (process.env.DEBUG_TASKS) console.log({ auc0, auc1, before, afterLoss });
  assert.ok(auc1 > 0.75, `val AUC with aux ${auc1}`);
  assert.ok(auc1 >= auc0 - 0.02, `with aux ${auc1} vs without ${auc0}`);
  assert.ok(afterLoss < 0.6 * before, `mask loss on the validation scans ${before} → ${afterLoss}`);
});

test("a job with model.aux on phantom hemorrhage masks trains and saves the decoder in the plugin; a missing mask column is one line", async () => {
  const manifest = (
    await generateHeadCtSet(join(dir, "set"), { n: 6, seed: 2, shape: [32, 32, 8], workers: 1 })
  ).manifest;
  const cfg = (runDir: string, column: string) =>
    trainConfig({
      seed: 4,
      runDir,
      data: {
        manifest,
        findings: ["any_intracranial_hemorrhage", "hydrocephalus"],
        preprocess: { size: [32, 32], slices: 8 },
      },
      model: {
        backbone: "tiny-dinov2",
        method: "molre",
        adapter: { r: 2, num_experts: 2 },
        initStd: 0.2,
        aux: { column, weight: 0.5 },
      },
      train: { epochs: 1, batchSize: 2 },
    });
  const run = join(dir, "job");
  const r = await runTask(cfg(run, "hemorrhage_mask"), { progress: null });
  assert.equal(r.result.status, "completed");
  assert.deepEqual(r.setup.built.aux, { mask: "hemorrhage", weight: 0.5 });
  const f = await readSafetensors(join(run, "plugin", "adapter_model.safetensors"));
  const names = f.names();
  await f.close();
  assert.ok(names.includes("base_model.model.aux.proj.weight"), names.join(" "));
  assert.ok(names.includes("base_model.model.aux.norm.weight"));
  await assert.rejects(
    runTask(cfg(join(dir, "bad"), "tumour_mask"), { progress: null }),
    /model\.aux: no training case has a "tumour" mask/,
  );
});

test("auxLoaderData: training batches carry each case's preprocessed mask (foreground) and weights present/Σ present; a case without the mask weighs 0", async () => {
  const set = join(dir, "set-loader");
  const manifest = (await generateHeadCtSet(set, { n: 6, seed: 3, shape: [32, 32, 8], workers: 1 })).manifest;
  // Drop the first case's hemorrhage mask.
  const lines = readFileSync(manifest, "utf8").trim().split("\n");
  const header = (lines[0] as string).split(",");
  const col = header.indexOf("hemorrhage_mask");
  const row = (lines[1] as string).split(",");
  row[col] = "";
  lines[1] = row.join(",");
  const edited = join(set, "manifest-one-unmasked.csv");
  writeFileSync(edited, `${lines.join("\n")}\n`);
  const m = await readManifest(edited, { labels: ["any_intracranial_hemorrhage"] });
  const unmasked = m.cases[0]!.id;
  assert.equal(m.cases[0]!.masks.hemorrhage, undefined);
  // 32² × 8 → 16² × 4: masks shrink by maximum, as in the data layer.
  const pre = preprocessConfig({ size: [16, 16], slices: 4 });
  const data = auxLoaderData(
    {
      findings: m.findings,
      train: m.cases,
      val: [],
      loader: { config: pre, batchSize: 4, workers: 0 },
    },
    "hemorrhage",
  );
  let seen = 0;
  let foreground = 0;
  for await (const b of data.train({ seed: 0, epoch: 0, rng: new Rng(0) })) {
    const ids = b.ids as string[];
    const mask = b.inputs[AUX_MASK_INPUT("axial")]!;
    const w = b.inputs[AUX_WEIGHT_INPUT]!;
    assert.deepEqual(mask.shape, [ids.length, 4, 16, 16]);
    assert.deepEqual(w.shape, [ids.length]);
    const present = ids.filter((id) => id !== unmasked).length;
    for (const [i, id] of ids.entries()) {
      const got = mask.data.subarray(i * 1024, (i + 1) * 1024);
      if (id === unmasked) {
        assert.equal(w.data[i], 0);
        assert.ok(got.every((v) => v === 0));
        continue;
      }
      assert.ok(Math.abs(w.data[i]! - 1 / present) < 1e-7);
      const c = m.cases.find((x) => x.id === id)!;
      const want = (await prepareCase(c, pre, { masks: ["hemorrhage"] })).masks.hemorrhage![0]!.data;
      assert.deepEqual(
        [...got],
        [...want].map((v) => (v > 0 ? 1 : 0)),
        id,
      );
      foreground += got.reduce((a, v) => a + v, 0);
    }
    seen += ids.length;
  }
  assert.equal(seen, 6);
  assert.ok(foreground > 0, "some phantom case has a hemorrhage");
});
