import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import {
  bceWithLogits,
  compileTrainStep,
  focalLoss,
  Graph,
  matmul,
  releaseSessions,
  type Value,
} from "../engine/index.js";
import { multiLabelLoss, posWeightFromLabels, splitLabels } from "./loss.js";

after(() => releaseSessions());

const sig = (x: number) => 1 / (1 + Math.exp(-x));
/** −[pw·y·ln σ(x) + (1 − y)·ln(1 − σ(x))], straight from the definition. */
const bce = (x: number, y: number, pw = 1) => -(pw * y * Math.log(sig(x)) + (1 - y) * Math.log(1 - sig(x)));
/** Lin et al.: α_t (1 − p_t)^γ · BCE with p_t = p for y = 1, 1 − p for y = 0. */
const focal = (x: number, y: number, gamma = 2, alpha = 0.25) => {
  const p = sig(x);
  const pt = y === 1 ? p : 1 - p;
  const at = y === 1 ? alpha : 1 - alpha;
  return at * (1 - pt) ** gamma * bce(x, y);
};

/** Loss value and the gradient of W for logits = X·W, with labels split into targets and mask. */
async function lossAndGrad(
  X: number[][],
  W: number[][],
  labels: number[][],
  build: (logits: Value, t: Value, m: Value) => Value,
): Promise<{ loss: number; gradW: Float32Array }> {
  const [b, d, f] = [X.length, W.length, W[0]!.length];
  const g = new Graph();
  const x = g.input("x", [b, d]);
  const w = g.param("w", [d, f], Float32Array.from(W.flat()), { trainable: true });
  const t = g.input("t", [b, f]);
  const m = g.input("m", [b, f]);
  const step = await compileTrainStep(build(matmul(x, w), t, m));
  const { targets, mask } = splitLabels(Float32Array.from(labels.flat()));
  const out = await step.run({ x: Float32Array.from(X.flat()), t: targets, m: mask });
  return { loss: out.loss, gradW: out.grads.get("w")! };
}

// Logits z = X·W with X = I: z equals W, so the hand values below are in terms of W directly.
const I2 = [
  [1, 0],
  [0, 1],
];
const Z = [
  [0, 2],
  [-1, 0.5],
];

describe("multiLabelLoss", () => {
  it("BCE equals the definition averaged over labelled entries (NaN entry left out)", async () => {
    const labels = [
      [1, 0],
      [0, Number.NaN],
    ];
    const { loss } = await lossAndGrad(I2, Z, labels, (z, t, m) =>
      multiLabelLoss(z, t, m, { kind: "bce", gamma: 2, alpha: 0.25 }),
    );
    // ln 2, ln(1 + e²), ln(1 + e⁻¹) over three labelled entries.
    const want = (Math.LN2 + Math.log(1 + Math.exp(2)) + Math.log(1 + Math.exp(-1))) / 3;
    assert.ok(Math.abs(loss - want) < 1e-6, `${loss} vs ${want}`);
    assert.ok(Math.abs(want - 1.0444458) < 1e-6);
  });

  it("focal (γ=2, α=0.25) equals the definition; the first entry is ln2/16 exactly", async () => {
    const labels = [
      [1, 0],
      [0, Number.NaN],
    ];
    const { loss } = await lossAndGrad(I2, Z, labels, (z, t, m) =>
      multiLabelLoss(z, t, m, { kind: "focal", gamma: 2, alpha: 0.25 }),
    );
    assert.ok(Math.abs(focal(0, 1) - Math.LN2 / 16) < 1e-15);
    const want = (focal(0, 1) + focal(2, 0) + focal(-1, 0)) / 3;
    assert.ok(Math.abs(loss - want) < 1e-6, `${loss} vs ${want}`);
  });

  it("with every label present it equals the engine's focalLoss and bceWithLogits", async () => {
    const labels = [
      [1, 0],
      [0, 1],
    ];
    for (const kind of ["focal", "bce"] as const) {
      const ours = await lossAndGrad(I2, Z, labels, (z, t, m) =>
        multiLabelLoss(z, t, m, { kind, gamma: 2, alpha: 0.25 }),
      );
      const engine = await lossAndGrad(I2, Z, labels, (z, t) =>
        kind === "focal" ? focalLoss(z, t) : bceWithLogits(z, t),
      );
      assert.ok(Math.abs(ours.loss - engine.loss) < 1e-6, kind);
      for (let i = 0; i < 4; i++)
        assert.ok(Math.abs(ours.gradW[i]! - engine.gradW[i]!) < 1e-6, `${kind} grad ${i}`);
    }
  });

  it("pos_weight multiplies positive terms only (torch's BCEWithLogits pos_weight)", async () => {
    const labels = [
      [1, 0],
      [0, 1],
    ];
    const pw = Float32Array.of(3, 0.5);
    const { loss } = await lossAndGrad(I2, Z, labels, (z, t, m) =>
      multiLabelLoss(z, t, m, { kind: "bce", gamma: 2, alpha: 0.25, posWeight: pw }),
    );
    const want = (bce(0, 1, 3) + bce(2, 0, 0.5) + bce(-1, 0, 3) + bce(0.5, 1, 0.5)) / 4;
    assert.ok(Math.abs(loss - want) < 1e-6, `${loss} vs ${want}`);
  });

  it("a missing label does not touch the gradient: hand-computed Xᵀ·G with G masked", async () => {
    const X = [
      [0.5, -1, 2],
      [1.5, 0.25, -0.5],
    ];
    const W = [
      [0.1, -0.2],
      [0.3, 0.4],
      [-0.5, 0.6],
    ];
    const labels = [
      [1, Number.NaN],
      [0, 1],
    ];
    const z = X.map((row) => [0, 1].map((j) => row.reduce((s, xv, k) => s + xv * W[k]![j]!, 0)));
    // dL/dz = (σ(z) − y)/n for labelled entries (n = 3), 0 for the missing one.
    const G = z.map((row, i) =>
      row.map((zv, j) => (Number.isNaN(labels[i]![j]!) ? 0 : (sig(zv) - labels[i]![j]!) / 3)),
    );
    const want = W.map((_, k) => [0, 1].map((j) => X.reduce((s, row, i) => s + row[k]! * G[i]![j]!, 0)));
    const bceLoss = (zv: Value, t: Value, m: Value) =>
      multiLabelLoss(zv, t, m, { kind: "bce", gamma: 2, alpha: 0.25 });
    const got = await lossAndGrad(X, W, labels, bceLoss);
    want.flat().forEach((v, i) => {
      assert.ok(Math.abs(got.gradW[i]! - v) < 1e-6, `grad[${i}] ${got.gradW[i]} vs ${v}`);
    });
    // The missing entry's column-1 gradient comes from case 2 alone.
    assert.ok(Math.abs(got.gradW[1]! - X.reduce((s, row, i) => s + row[0]! * G[i]![1]!, 0)) < 1e-6);
    // The NaN entry is what is masked: labelling it (0 or 1) changes the gradient.
    for (const fill of [0, 1]) {
      const other = await lossAndGrad(X, W, [[1, fill], labels[1]!], bceLoss);
      assert.notDeepEqual([...other.gradW], [...got.gradW]);
    }
  });

  it("a batch with no labelled entry has loss 0 and zero gradients", async () => {
    const { loss, gradW } = await lossAndGrad(
      I2,
      Z,
      [
        [Number.NaN, Number.NaN],
        [Number.NaN, Number.NaN],
      ],
      (z, t, m) => multiLabelLoss(z, t, m, { kind: "focal", gamma: 2, alpha: 0.25 }),
    );
    assert.equal(loss, 0);
    assert.deepEqual([...gradW], [0, 0, 0, 0]);
  });
});

describe("label helpers", () => {
  it("splitLabels turns NaN into a 0 target with mask 0", () => {
    const s = splitLabels(Float32Array.of(1, Number.NaN, 0, 1));
    assert.deepEqual([...s.targets], [1, 0, 0, 1]);
    assert.deepEqual([...s.mask], [1, 0, 1, 1]);
    assert.equal(s.labelled, 3);
  });

  it("posWeightFromLabels is n_neg/n_pos per finding, 1 without both classes, clamped", () => {
    // 3 findings over 5 cases: f0 1 pos / 3 neg (+1 missing); f1 all negative; f2 4 pos / 1 neg.
    const n = Number.NaN;
    const labels = Float32Array.of(1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, n, 0, 0);
    const pw = posWeightFromLabels(labels, 3);
    assert.deepEqual([...pw], [3, 1, 0.25]);
    assert.deepEqual([...posWeightFromLabels(labels, 3, 2)], [2, 1, 0.5]);
  });
});
