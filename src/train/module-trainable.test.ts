import assert from "node:assert/strict";
import { join } from "node:path";
import { after, it } from "node:test";
import { tempDir } from "../../test/paths.js";
import { applyMethod } from "../adapt/index.js";
import { gelu, releaseSessions, type Value } from "../engine/index.js";
import { Linear } from "../nn/layers/linear.js";
import { type BuildContext, Module } from "../nn/module.js";
import { trainConfig } from "./config.js";
import { type ArraySet, memoryData } from "./memory-data.js";
import { moduleTrainable } from "./module-trainable.js";
import { resume, train } from "./trainer.js";

after(() => releaseSessions());

/** Children are registered but not kept in fields: an adapter is called by path, never through a field. */
class Toy extends Module {
  constructor() {
    super();
    this.addModule("enc", new Linear(6, 8));
    this.addModule("head", new Linear(8, 2));
  }
  forward(ctx: BuildContext, x: Value): Value {
    // By path, so that an adapter wrapped around "enc" is the module called.
    return this.getModule("head").forward(ctx, gelu(this.getModule("enc").forward(ctx, x)));
  }
}

function toy(): Toy {
  const m = new Toy();
  // Deterministic frozen "backbone" weights.
  m.getParameter("enc.weight").data = Float32Array.from({ length: 48 }, (_, i) => Math.sin(i + 1) * 0.5);
  m.getParameter("head.weight").data = Float32Array.from({ length: 16 }, (_, i) => Math.cos(i) * 0.1);
  applyMethod(m, {
    method: "lora",
    r: 2,
    alpha: 4,
    target_modules: ["enc"],
    lora_dropout: 0.2,
    modules_to_save: ["head"],
  });
  return m;
}

function set(n: number, seed: number): ArraySet {
  const x = Float32Array.from({ length: n * 6 }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) * 1.5);
  const labels = Float32Array.from({ length: n * 2 }, (_, i) => {
    const r = Math.floor(i / 2);
    return Number(i % 2 === 0 ? x[r * 6]! + x[r * 6 + 1]! > 0 : x[r * 6 + 2]! > x[r * 6 + 3]!);
  });
  return { inputs: { x: { data: x, shape: [n, 6] } }, labels };
}

it("trains LoRA + head of an nn module through the trainer, frozen weights untouched, dropout replayed on resume", async (t) => {
  const root = tempDir(t);
  const data = memoryData(["a", "b"], set(64, 1), set(32, 2), { batchSize: 8 });
  const wrap = (m: Toy) => moduleTrainable(m, { forward: (ctx, inputs) => m.forward(ctx, inputs.x!) });
  const cfg = (dir: string) =>
    trainConfig({ seed: 2, runDir: dir, train: { epochs: 3, lr: 0.01, earlyStopping: { patience: 0 } } });

  const m = toy();
  const encWeight = [...m.namedParameters()].find(
    ([n]) => n.startsWith("enc.") && n.endsWith(".weight") && !n.includes("lora"),
  )!;
  const frozen = Float32Array.from(encWeight[1].data);
  const trainable = wrap(m);
  const names = [...trainable.params().keys()];
  assert.ok(names.some((n) => /lora_A/.test(n)) && names.some((n) => /lora_B/.test(n)), names.join(" "));
  assert.ok(!names.includes("enc.weight") && !names.includes("enc.base_layer.weight"), names.join(" "));
  const a = await train(trainable, data, cfg(join(root, "a")), { progress: null });
  assert.deepEqual([...encWeight[1].data], [...frozen]);
  // Default groups: LoRA factors at 1e-4 (× schedule), the head at 1e-3.
  const lr = a.history[0]!.lr;
  assert.ok(lr.adapter! > 0 && Math.abs(lr.head! / lr.adapter! - 10) < 1e-9, JSON.stringify(lr));

  // Stop after epoch 1 and resume: identical weights even with LoRA dropout active.
  const ctl = new AbortController();
  const spy = {
    ...data,
    async *train(ctx: Parameters<typeof data.train>[0]) {
      if (ctx.epoch === 1) ctl.abort();
      yield* data.train(ctx);
    },
  };
  const k = await train(wrap(toy()), spy, cfg(join(root, "b")), { progress: null, signal: ctl.signal });
  assert.equal(k.status, "aborted");
  const m2 = toy();
  const b = await resume(join(root, "b"), wrap(m2), data, { progress: null });
  assert.equal(b.epochsDone, 3);
  for (const [name, p] of trainable.params()) {
    assert.deepEqual([...m2.stateDict().get(name)!.data], [...p.data], name);
  }
});
