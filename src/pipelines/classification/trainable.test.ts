// The AnyMC3D Trainable through the trainer: a tiny random ViT with LoRA learns synthetic scans
// where a finding is a bright blob in one slice.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { tempDir } from "../../../test/paths.js";
import { tinyDinov2Config } from "../../../test/tiny-vit.js";
import { applyMethod } from "../../adapt/index.js";
import { randn, releaseSessions } from "../../engine/index.js";
import { Dinov2Model } from "../../nn/index.js";
import { AnyMc3d } from "../../tasks/classification/anymc3d.js";
import { memoryData, train, trainConfig } from "../../train/index.js";
import { anyMc3dTrainable } from "./trainable.js";

after(() => releaseSessions());

/** N scans of S slices 1×16×16 of noise; finding 0: a bright blob in one random slice. */
function blobSet(n: number, seed: number) {
  const [s, h, w] = [6, 16, 16];
  const noise = randn(n * s * h * w, seed);
  const uni = randn(3 * n, seed + 100).map((v) => 0.5 * (1 + Math.tanh(v)));
  const int = (i: number, lo: number, hi: number) =>
    lo + Math.min(hi - lo, Math.floor(uni[i]! * (hi - lo + 1)));
  const data = new Float32Array(n * s * h * w);
  const labels = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < s * h * w; k++) data[i * s * h * w + k] = 0.2 * noise[i * s * h * w + k]!;
    const pos = i % 2 === 0;
    labels[i] = pos ? 1 : 0;
    if (!pos) continue;
    const sl = int(3 * i, 0, s - 1);
    const cy = int(3 * i + 1, 4, 11);
    const cx = int(3 * i + 2, 4, 11);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const r2 = (y - cy) ** 2 + (x - cx) ** 2;
        data[((i * s + sl) * h + y) * w + x]! += 3 * Math.exp(-r2 / 8);
      }
  }
  return { inputs: { axial: { data, shape: [n, s, 1, h, w] } }, labels };
}

const TINY = tinyDinov2Config();

test("a tiny random ViT with LoRA learns 'a bright blob in some slice' through the trainer (val AUC well above chance)", async (t) => {
  // nn's ViT init (std 0.02) leaves a 1-layer CLS token nearly blind to the patches; a wider
  // random init is a better stand-in for a pretrained backbone's feature variety.
  const backbone = new Dinov2Model(TINY);
  let seed = 5;
  for (const [name, p] of backbone.namedParameters())
    if (!/norm|bias/.test(name)) p.data = Float32Array.from(randn(p.size, seed++), (v) => v * 0.3);
  const model = new AnyMc3d(backbone, { findings: 1, seed: 3 });
  const summary = applyMethod(model, { method: "lora", r: 4, alpha: 8, modules_to_save: ["head", "pool"] });
  const trainable = anyMc3dTrainable(model);
  const names = [...trainable.params().keys()];
  assert.ok(names.includes("pool.axial.query") && names.includes("head.weight"), names.join(" "));
  assert.ok(names.some((n) => n.includes("lora_A")) && !names.some((n) => /^backbone\.[^l]*weight$/.test(n)));
  assert.ok(summary.trainableParams > 0);
  const data = memoryData(["blob"], blobSet(96, 1), blobSet(40, 2), { batchSize: 8 });
  const cfg = trainConfig({
    seed: 1,
    runDir: join(tempDir(t), "run"),
    train: {
      epochs: 15,
      loss: { kind: "bce" },
      warmupEpochs: 0,
      earlyStopping: { patience: 0 },
      groups: [
        { name: "adapter", match: "lora_", lr: 3e-3 },
        { name: "head", match: "(^|\\.)(head|query)(\\.|$)", lr: 1e-2 },
      ],
    },
  });
  const res = await train(trainable, data, cfg, { progress: null });
  const auc = res.history.at(-1)!.valMeanAuc!;
  if (process.env.DEBUG_TASKS) console.log(res.history.map((r) => [r.trainLoss.toFixed(3), r.valMeanAuc]));
  assert.ok(auc > 0.8, `val AUC ${auc}`);
});
