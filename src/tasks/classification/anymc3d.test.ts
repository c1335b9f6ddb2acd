// AnyMC3D against independent truth: slice-order invariance, mean/max pooling and the head
// computed by hand, gradients of pooling + head against finite differences, and a tiny training
// run through the trainer on synthetic scans where a finding is a bright blob in one slice.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, test } from "node:test";
import { tempDir } from "../../../test/paths.js";
import { applyMethod } from "../../adapt/index.js";
import {
  compile,
  Graph,
  gemm,
  gradCheck,
  randn,
  releaseSessions,
  reshape,
  type Value,
} from "../../engine/index.js";
import { BuildContext, type Dinov2Config, Dinov2Model } from "../../nn/index.js";
import { type BackboneOutputs, VisionBackbone } from "../../nn/nets/backbone.js";
import { memoryData, train, trainConfig } from "../../train/index.js";
import { AnyMc3d, type AnyMc3dOptions, anyMc3dTrainable } from "./anymc3d.js";
import { attentionPool, truncNormal } from "./pooling.js";

after(() => releaseSessions());

/** A parameter-free "backbone": each slice's pixels flattened are its embedding (D = C·H·W). */
class FlattenBackbone extends VisionBackbone {
  readonly arch = "flatten";
  readonly pooler = "the pixels, flattened";
  readonly numChannels = 1;
  constructor(readonly hiddenSize: number) {
    super();
  }
  embed(_ctx: BuildContext, pixels: Value): BackboneOutputs {
    const n = pixels.shape[0] as number;
    const flat = reshape(pixels, [n, this.hiddenSize]);
    return { lastHiddenState: reshape(flat, [n, 1, this.hiddenSize]), poolerOutput: flat };
  }
}

async function run(model: AnyMc3d, inputs: Record<string, { data: Float32Array; shape: number[] }>) {
  const g = new Graph();
  const vals: Record<string, Value> = {};
  for (const [k, t] of Object.entries(inputs)) vals[k] = g.input(k, t.shape, "float32");
  const out = model.classify(new BuildContext(model, { graph: g }), vals);
  const outputs: Record<string, Value> = { logits: out.logits };
  for (const [v, w] of Object.entries(out.sliceWeights)) outputs[`w_${v}`] = w;
  const p = await compile(outputs);
  const res = await p.run(Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, t.data])));
  return res as Record<string, Float32Array>;
}

function flatModel(d: number, opts: Partial<AnyMc3dOptions> = {}): AnyMc3d {
  const m = new AnyMc3d(new FlattenBackbone(d), { findings: 2, ...opts });
  let s = 11;
  for (const [, p] of m.namedParameters()) p.data = Float32Array.from(randn(p.size, s++), (v) => v);
  return m;
}

const B = 2;
const S = 5;
const D = 4; // C=1, H=2, W=2
const stack = Float32Array.from(randn(B * S * D, 3));
const SHAPE = [B, S, 1, 2, 2];

test("attention pooling is invariant to the order of the slices; weights follow the slices", async () => {
  const m = flatModel(D);
  const a = await run(m, { axial: { data: stack, shape: SHAPE } });
  const perm = [3, 0, 4, 1, 2];
  const permuted = new Float32Array(stack.length);
  for (let b = 0; b < B; b++)
    perm.forEach((src, dst) => {
      permuted.set(stack.subarray((b * S + src) * D, (b * S + src + 1) * D), (b * S + dst) * D);
    });
  const p = await run(m, { axial: { data: permuted, shape: SHAPE } });
  for (let i = 0; i < a.logits!.length; i++) assert.ok(Math.abs(a.logits![i]! - p.logits![i]!) < 1e-5);
  for (let b = 0; b < B; b++)
    perm.forEach((src, dst) => {
      assert.ok(Math.abs(a.w_axial![b * S + src]! - p.w_axial![b * S + dst]!) < 1e-6);
    });
  // Not a constant function: a different scan gives different logits.
  const other = await run(m, { axial: { data: stack.map((v) => v * 2 + 1), shape: SHAPE } });
  assert.ok(Math.abs(other.logits![0]! - a.logits![0]!) > 1e-4);
});

/** Head by hand: logits[f] = Σ_k W[f,k]·v[k] + b[f]. */
function headByHand(m: AnyMc3d, v: number[]): number[] {
  const w = m.getParameter("head.weight").data;
  const bias = m.getParameter("head.bias").data;
  const k = v.length;
  return Array.from({ length: m.findings }, (_, f) => v.reduce((s, x, j) => s + x * w[f * k + j]!, bias[f]!));
}

function sliceOf(data: Float32Array, b: number, s: number, nS: number, d: number): number[] {
  return [...data.subarray((b * nS + s) * d, (b * nS + s + 1) * d)];
}

test("mean and max pooling against hand-computed values (single view, and two views averaged or concatenated)", async () => {
  for (const pooling of ["mean", "max"] as const) {
    const m = flatModel(D, { pooling });
    assert.equal(m.parameterCount(), 2 * D + 2);
    const out = await run(m, { axial: { data: stack, shape: SHAPE } });
    for (let b = 0; b < B; b++) {
      const slices = Array.from({ length: S }, (_, s) => sliceOf(stack, b, s, S, D));
      const v = Array.from({ length: D }, (_, k) =>
        pooling === "mean"
          ? slices.reduce((acc, e) => acc + e[k]!, 0) / S
          : Math.max(...slices.map((e) => e[k]!)),
      );
      const want = headByHand(m, v);
      for (const [f, x] of want.entries())
        assert.ok(Math.abs(out.logits![b * 2 + f]! - x) < 1e-5, `${pooling} ${b} ${f}`);
      // Slice weights: uniform for mean; for max, the share of features each slice holds the max of.
      for (let s = 0; s < S; s++) {
        const w = pooling === "mean" ? 1 / S : v.filter((x, k) => slices[s]![k] === x).length / D;
        assert.ok(Math.abs(out.w_axial![b * S + s]! - w) < 1e-6, `${pooling} weight ${b} ${s}`);
      }
    }
  }
  // Two views: the coronal stack is another array; fusion mean vs concat.
  const coronal = Float32Array.from(randn(B * 3 * D, 8));
  for (const fusion of ["mean", "concat"] as const) {
    const m = flatModel(D, { pooling: "mean", views: ["axial", "coronal"], fusion });
    const out = await run(m, {
      axial: { data: stack, shape: SHAPE },
      coronal: { data: coronal, shape: [B, 3, 1, 2, 2] },
    });
    for (let b = 0; b < B; b++) {
      const mean = (data: Float32Array, nS: number) =>
        Array.from({ length: D }, (_, k) => {
          let acc = 0;
          for (let s = 0; s < nS; s++) acc += sliceOf(data, b, s, nS, D)[k]!;
          return acc / nS;
        });
      const va = mean(stack, S);
      const vc = mean(coronal, 3);
      const v = fusion === "concat" ? [...va, ...vc] : va.map((x, k) => (x + vc[k]!) / 2);
      for (const [f, x] of headByHand(m, v).entries())
        assert.ok(Math.abs(out.logits![b * 2 + f]! - x) < 1e-5, fusion);
    }
  }
});

test("attention pooling + linear head: forward against a hand computation, gradients against finite differences", async () => {
  const [b, s, d, f] = [2, 4, 3, 2];
  const report = await gradCheck(
    { e: { shape: [b, s, d] }, q: { shape: [d, 1] }, w: { shape: [f, d] }, bias: { shape: [f] } },
    ({ e, q, w, bias }) => gemm(attentionPool(e!, q!).embedding, w!, bias!, { transB: true }),
    {
      reference: ({ e, q, w, bias }) => {
        const out: number[] = [];
        for (let i = 0; i < b; i++) {
          const scores = Array.from({ length: s }, (_, j) => {
            let dot = 0;
            for (let k = 0; k < d; k++) dot += e![(i * s + j) * d + k]! * q![k]!;
            return dot / Math.sqrt(d);
          });
          const mx = Math.max(...scores);
          const ex = scores.map((x) => Math.exp(x - mx));
          const z = ex.reduce((x, y) => x + y, 0);
          const v = Array.from({ length: d }, (_, k) =>
            ex.reduce((acc, a, j) => acc + (a / z) * e![(i * s + j) * d + k]!, 0),
          );
          for (let o = 0; o < f; o++) out.push(v.reduce((acc, x, k) => acc + x * w![o * d + k]!, bias![o]!));
        }
        return out;
      },
    },
  );
  assert.deepEqual(report.failures, []);
  assert.ok(report.worstGrad <= 1 && report.worstForward <= 1);
});

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

const TINY: Dinov2Config = {
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  mlp_ratio: 2,
  hidden_act: "gelu",
  layer_norm_eps: 1e-6,
  image_size: 16,
  patch_size: 4,
  num_channels: 1,
  qkv_bias: true,
  layerscale_value: 1,
  use_swiglu_ffn: false,
  use_mask_token: false,
};

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

test("the task query's init is a normal truncated at ±2σ (std 0.02 → sample std 0.02·0.8796)", () => {
  const v = truncNormal(20000, 0.02, 9);
  let sum = 0;
  let sq = 0;
  for (const x of v) {
    assert.ok(Math.abs(x) <= 0.04);
    sum += x;
    sq += x * x;
  }
  const mean = sum / v.length;
  const std = Math.sqrt(sq / v.length - mean * mean);
  // Standard deviation of N(0, 1) truncated to [−2, 2]: sqrt(1 − 2·2·φ(2)/(Φ(2) − Φ(−2))) = 0.8796.
  assert.ok(Math.abs(mean) < 0.02 * 0.03, String(mean));
  assert.ok(Math.abs(std / (0.02 * 0.8796) - 1) < 0.02, String(std));
  const q = new AnyMc3d(new FlattenBackbone(4), { findings: 1 }).getParameter("pool.axial.query");
  assert.deepEqual(q.shape, [4, 1]);
});
