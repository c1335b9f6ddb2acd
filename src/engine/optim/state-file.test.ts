import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { tempDir } from "../../../test/paths.js";
import { writeSafetensors } from "../../io/safetensors/index.js";
import { AdamW } from "./adamw.js";
import type { TensorMap } from "./groups.js";
import type { Optimizer } from "./optimizer.js";
import { warmupCosineSchedule } from "./schedule.js";
import { SGD } from "./sgd.js";
import { loadOptimizerState, saveOptimizerState } from "./state-file.js";

/** Deterministic pseudo-random values (xorshift), so runs can be replayed. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32 - 0.5;
  };
}

const SIZES: Record<string, number> = { "enc.lora_A": 12, "enc.lora_B": 8, "head.weight": 6, "head.bias": 2 };

function initialParams(): TensorMap {
  const r = rng(7);
  return new Map(Object.entries(SIZES).map(([n, k]) => [n, Float32Array.from({ length: k }, r)]));
}

/** Gradients of step s; "head.bias" has none at steps 0–4, so it has no state at the save. */
function grads(s: number): TensorMap {
  const r = rng(1000 + s);
  const m: TensorMap = new Map();
  for (const [n, k] of Object.entries(SIZES)) {
    const g = Float32Array.from({ length: k }, r);
    if (n !== "head.bias" || s > 4) m.set(n, g);
  }
  return m;
}

type Make = (p: TensorMap, lr?: number) => Optimizer<{ lr: number; weightDecay: number }>;
const makers: Record<string, Make> = {
  adamw: (p, lr = 1e-2) =>
    new AdamW(p, {
      lr,
      amsgrad: true,
      groups: [{ name: "lora", match: /lora_/, lr: 3e-2, weightDecay: 1e-3 }],
      schedule: warmupCosineSchedule({ warmupSteps: 2, totalSteps: 8, minFactor: 0.05 }),
    }),
  sgd: (p, lr = 0.1) => new SGD(p, { lr, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 }),
};

for (const [kind, make] of Object.entries(makers)) {
  test(`${kind}: save at step 4, load into a fresh optimizer, continue bit-identically`, async (t) => {
    const dir = tempDir(t);
    const straight = initialParams();
    const a = make(straight);
    for (let s = 0; s < 9; s++) a.step(grads(s));

    const resumed = initialParams();
    const b = make(resumed);
    for (let s = 0; s < 4; s++) b.step(grads(s));
    const path = join(dir, "optimizer.safetensors");
    await saveOptimizerState(path, b);
    // The resumed run gets fresh parameter arrays and a different lr, which the saved state overrides.
    const params = new Map([...resumed].map(([n, v]) => [n, v.slice()]));
    const c = make(params, 0.5);
    await loadOptimizerState(path, c);
    assert.equal(c.stepCount, 4);
    for (let s = 4; s < 9; s++) c.step(grads(s));

    for (const [n, v] of straight) assert.deepEqual(params.get(n), v, `parameter ${n}`);
    const sa = a.stateDict();
    const sc = c.stateDict();
    assert.deepEqual(sc.config, sa.config);
    assert.deepEqual([...sc.tensors.keys()].sort(), [...sa.tensors.keys()].sort());
    for (const [k, v] of sa.tensors) assert.deepEqual(sc.tensors.get(k)!.data, v.data, k);
  });
}

test("loading checks kind, groups, names and shapes, and changes nothing on failure", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "opt.safetensors");
  const opt = makers.adamw!(initialParams());
  for (let s = 0; s < 3; s++) opt.step(grads(s));
  await saveOptimizerState(path, opt);

  await assert.rejects(
    loadOptimizerState(path, makers.sgd!(initialParams())),
    /opt\.safetensors: optimizer state is for adamw, not sgd/,
  );

  const fewer = initialParams();
  fewer.delete("enc.lora_B");
  await assert.rejects(
    loadOptimizerState(path, makers.adamw!(fewer)),
    /group "lora" parameters differ.*enc\.lora_B/,
  );

  const longer = initialParams();
  longer.set("head.weight", new Float32Array(7));
  const target = makers.adamw!(longer);
  await assert.rejects(
    loadOptimizerState(path, target),
    /tensor "exp_avg\.head\.weight" has shape \[6\] but parameter "head\.weight" has 7 values/,
  );
  assert.equal(target.stepCount, 0);
  assert.equal(target.stateDict().tensors.size, 0);

  const sd = opt.stateDict();
  sd.tensors.delete("max_exp_avg_sq.enc.lora_A");
  assert.throws(
    () => makers.adamw!(initialParams()).loadStateDict(sd, "x"),
    /x: missing tensor "max_exp_avg_sq\.enc\.lora_A"/,
  );
  const sd2 = opt.stateDict();
  sd2.tensors.set("exp_avg.ghost", { dtype: "F32", shape: [1], data: new Float32Array(1) });
  assert.throws(
    () => makers.adamw!(initialParams()).loadStateDict(sd2),
    /unexpected tensors \[exp_avg\.ghost\]/,
  );

  const plain = join(dir, "plain.safetensors");
  await writeSafetensors(plain, { w: { dtype: "F32", shape: [1], data: new Float32Array(1) } });
  await assert.rejects(loadOptimizerState(plain, opt), /plain\.safetensors: no "medadapt\.optimizer" entry/);
});
