// AnyMC3D against independent truth: slice-order invariance, mean/max pooling and the head
// computed by hand, gradients of pooling + head against finite differences.
import assert from "node:assert/strict";
import { after, test } from "node:test";
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
import { BuildContext } from "../../nn/index.js";
import { type BackboneOutputs, VisionBackbone } from "../../nn/nets/backbone.js";
import { AnyMc3d, type AnyMc3dOptions } from "./anymc3d.js";
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
