// Optimizers and clipping against trajectories recorded from torch.optim (1.13) by
// test/fixtures/optim/make_fixtures.py: same initial parameters, same fixed gradients.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fixture } from "../../../test/paths.js";
import { AdamW } from "./adamw.js";
import { clipGradNorm } from "./clip.js";
import type { TensorMap } from "./groups.js";
import type { Optimizer } from "./optimizer.js";
import { warmupCosineSchedule } from "./schedule.js";
import { SGD } from "./sgd.js";

type Vec = Record<string, number[]>;
interface Case {
  kind: "adamw" | "sgd";
  defaults: Record<string, unknown>;
  groups: ({ names: string[] } & Record<string, unknown>)[];
  init: Vec;
  grads: Vec[];
  skip: Record<string, string[]>;
  lrs: number[][];
  trajectory: Vec[];
}
interface Reference {
  warmupCosine: { warmup: number; total: number; minRate: number };
  cases: Record<string, Case>;
  clip: {
    maxNorm: number;
    normType: number | "inf";
    grads: number[][];
    total: number;
    clipped: number[][];
  }[];
}

const ref: Reference = JSON.parse(readFileSync(fixture("optim", "torch_reference.json"), "utf8"));

/** torch keyword arguments → our hyperparameter names. */
function hyper(torchKw: Record<string, unknown>): Record<string, unknown> {
  const names: Record<string, string> = { weight_decay: "weightDecay" };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(torchKw)) if (k !== "names") out[names[k] ?? k] = v;
  return out;
}

function build(
  c: Case,
  withSchedule: boolean,
): { opt: Optimizer<{ lr: number; weightDecay: number }>; params: TensorMap } {
  const params: TensorMap = new Map(Object.entries(c.init).map(([n, v]) => [n, Float32Array.from(v)]));
  const w = ref.warmupCosine;
  const options = {
    ...hyper(c.defaults),
    groups: c.groups.map((g, i) => ({ name: `g${i}`, names: g.names, ...hyper(g) })),
    schedule: withSchedule
      ? warmupCosineSchedule({ warmupSteps: w.warmup, totalSteps: w.total, minFactor: w.minRate })
      : undefined,
  };
  const opt = c.kind === "adamw" ? new AdamW(params, options) : new SGD(params, options);
  return { opt, params };
}

function gradsAt(c: Case, s: number): TensorMap {
  const skip = new Set(c.skip[String(s)] ?? []);
  return new Map(
    Object.entries(c.grads[s]!)
      .filter(([n]) => !skip.has(n))
      .map(([n, v]) => [n, Float32Array.from(v)]),
  );
}

function assertClose(actual: ArrayLike<number>, expected: readonly number[], what: string, tol = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const err = Math.abs(actual[i]! - e);
    assert.ok(
      err <= tol * Math.max(1, Math.abs(e)),
      `${what}[${i}]: ${actual[i]} vs torch ${e} (|Δ| ${err})`,
    );
  }
}

for (const [name, c] of Object.entries(ref.cases)) {
  test(`${name} follows torch.optim for ${c.trajectory.length} steps`, () => {
    const { opt, params } = build(c, name === "adamw_schedule");
    for (let s = 0; s < c.trajectory.length; s++) {
      opt.applySchedule(s);
      c.lrs[s]!.forEach((lr, gi) => {
        assert.ok(
          Math.abs(opt.lr(`g${gi}`) - lr) <= 1e-15,
          `step ${s} group ${gi} lr ${opt.lr(`g${gi}`)} vs ${lr}`,
        );
      });
      opt.step(gradsAt(c, s));
      for (const [n, expected] of Object.entries(c.trajectory[s]!)) {
        assertClose(params.get(n)!, expected, `${name} step ${s} ${n}`);
      }
    }
  });
}

test("clipGradNorm matches torch.nn.utils.clip_grad_norm_", () => {
  for (const k of ref.clip) {
    const grads = k.grads.map((g) => Float32Array.from(g));
    const normType = k.normType === "inf" ? Number.POSITIVE_INFINITY : k.normType;
    const total = clipGradNorm(grads, k.maxNorm, { normType });
    assert.ok(Math.abs(total - k.total) <= 1e-6 * k.total, `norm ${normType}: total ${total} vs ${k.total}`);
    grads.forEach((g, i) => {
      assertClose(g, k.clipped[i]!, `clip ${normType}/${k.maxNorm} grad ${i}`);
    });
  }
});
