// The engine in one page: build a graph, take gradients, compile to ONNX Runtime, train with an
// optimizer on host arrays, and gradient-check an attention block against finite differences.
// Run: npm run build && npm run example:engine
import { engine as E } from "../src/index.js";

// 1. A 2-layer MLP regressing y = sin(x0) + x1·x2 on synthetic data.
const n = 256;
const g = new E.Graph();
const x = g.input("x", [n, 3]);
const y = g.input("y", [n, 1]);
const init = (len: number, scale: number, seed: number) =>
  Float32Array.from(E.randn(len, seed), (v) => v * scale);
const w1 = g.param("fc1.w", [3, 32], init(96, 0.6, 1), { trainable: true });
const b1 = g.param("fc1.b", [32], new Float32Array(32), { trainable: true });
const w2 = g.param("fc2.w", [32, 1], init(32, 0.2, 2), { trainable: true });
const b2 = g.param("fc2.b", [1], new Float32Array(1), { trainable: true });
const pred = E.add(E.matmul(E.gelu(E.add(E.matmul(x, w1), b1)), w2), b2);
const step = await E.compileTrainStep(E.mse(pred, y), { intraOpThreads: 2 });

const xs = Float32Array.from(E.randn(n * 3, 3));
const ys = Float32Array.from(
  { length: n },
  (_, i) => Math.sin(xs[3 * i] as number) + (xs[3 * i + 1] as number) * (xs[3 * i + 2] as number),
);
const opt = new E.AdamW(g.trainableValues(), { lr: 1e-2, weightDecay: 0 });
for (let it = 0; it <= 600; it++) {
  const { loss, grads } = await step.run({ x: xs, y: ys });
  opt.step(grads);
  if (it % 100 === 0) console.log(`step ${String(it).padStart(3)}  mse ${loss.toFixed(5)}`);
}

// 2. Gradient check of a single-head attention block (float64, tanh-GELU MLP: ORT has no float64 Erf).
const [T, D] = [5, 6];
const report = await E.gradCheck(
  {
    h: { shape: [T, D] },
    wq: { shape: [D, D] },
    wk: { shape: [D, D] },
    wv: { shape: [D, D] },
    w1: { shape: [D, 2 * D] },
  },
  ({ h, wq, wk, wv, w1: m1 }) => {
    const hv = h as E.Value;
    const ln = E.layerNorm(hv, hv.graph.constant(new Float64Array(D).fill(1), [D]));
    const q = E.matmul(ln, wq as E.Value);
    const k = E.matmul(ln, wk as E.Value);
    const att = E.softmax(E.div(E.matmul(q, E.transposeLast2(k)), Math.sqrt(D)), -1);
    const r = E.add(hv, E.matmul(att, E.matmul(ln, wv as E.Value)));
    return E.reduceSum(E.geluTanh(E.matmul(r, m1 as E.Value)), [1]);
  },
);
console.log(
  `attention block gradient check: worst error ${report.worstGrad.toFixed(3)} of tolerance, ${report.failures.length ? `FAILED: ${report.failures.join("; ")}` : "ok"}`,
);
await E.releaseSessions();
if (report.failures.length) process.exit(1);
