import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { tempDir } from "../../test/paths.js";
import { releaseSessions } from "../engine/index.js";
import { InputError } from "../errors.js";
import { Rng } from "../random/rng.js";
import { readCheckpoint } from "./checkpoint.js";
import { type TrainConfig, trainConfig } from "./config.js";
import { linearProbe } from "./linear-probe.js";
import { type ArraySet, memoryData } from "./memory-data.js";
import type { EpochContext, TrainBatch, TrainData } from "./trainable.js";
import { EPOCH_RNG_PURPOSE, resume, train } from "./trainer.js";

after(() => releaseSessions());

const FINDINGS = ["bleed", "mass", "rare"];

/**
 * A linearly separable multi-label task: finding f is positive when w_f·x > 0 for fixed random
 * directions w_f (the same for every set); "rare" is positive only for a thin slice, and 20 % of labels are missing.
 */
function synthetic(n: number, dim: number, seed: number): ArraySet {
  const d = new Rng(99);
  const dirs = FINDINGS.map(() => Array.from({ length: dim }, () => d.normal()));
  const r = new Rng(seed);
  const x = new Float32Array(n * dim);
  const labels = new Float32Array(n * FINDINGS.length);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < dim; k++) x[i * dim + k] = r.normal();
    dirs.forEach((w, f) => {
      const s = w.reduce((acc, wk, k) => acc + wk * x[i * dim + k]!, 0);
      const y = f === 2 ? Number(s > 1.5) : Number(s > 0);
      labels[i * FINDINGS.length + f] = r.next() < 0.2 ? Number.NaN : y;
    });
  }
  return { inputs: { features: { data: x, shape: [n, dim] } }, labels };
}

function config(runDir: string, train: Record<string, unknown> = {}): TrainConfig {
  return trainConfig({
    seed: 7,
    runDir,
    train: { epochs: 6, batchSize: 16, lr: 0.05, warmupEpochs: 1, threads: 1, groups: [], ...train },
  });
}

const DIM = 8;
const trainSet = synthetic(192, DIM, 1);
const valSet = synthetic(128, DIM, 2);
const data = (batchSize = 16) => memoryData(FINDINGS, trainSet, valSet, { batchSize });
const model = (hidden = 0, seed = 3, dropout = 0) =>
  linearProbe({ dim: DIM, findings: FINDINGS.length, hidden, seed, dropout });

function paramsBytes(dir: string): Buffer {
  return readFileSync(join(dir, "params.safetensors"));
}

describe("train", () => {
  it("reduces the loss and reaches a high validation AUC on a separable task; writes the run folder", async (t) => {
    const dir = join(tempDir(t), "run");
    const lines: string[] = [];
    const c = config(dir, { earlyStopping: { patience: 0 } });
    const res = await train(model(), data(), c, { progress: { isTTY: false, write: (s) => lines.push(s) } });
    assert.equal(res.status, "completed");
    assert.equal(res.epochsDone, 6);
    assert.equal(res.step, 6 * 12);
    const h = res.history;
    assert.ok(h[5]!.trainLoss < 0.5 * h[0]!.trainLoss, `loss ${h[0]!.trainLoss} → ${h[5]!.trainLoss}`);
    assert.ok(h[5]!.valMeanAuc! > 0.95, `val mean AUC ${h[5]!.valMeanAuc}`);
    for (const f of FINDINGS) assert.ok(h[5]!.valAuc[f]! > 0.9, f);
    // Run folder contents.
    for (const f of ["config.json", "metrics.jsonl", "log.txt", "summary.json"])
      assert.ok(existsSync(join(dir, f)), f);
    const metrics = readFileSync(join(dir, "metrics.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.equal(metrics.length, 6);
    assert.deepEqual(Object.keys(metrics[0]).sort(), [
      "epoch",
      "gradNorm",
      "lr",
      "seconds",
      "step",
      "trainLoss",
      "valAuc",
      "valMeanAuc",
    ]);
    assert.ok(metrics.every((m) => m.gradNorm > 0 && Number.isFinite(m.gradNorm)));
    assert.deepEqual(JSON.parse(readFileSync(join(dir, "config.json"), "utf8")), c);
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
    assert.equal(summary.status, "completed");
    assert.equal(summary.best.epoch, res.best!.epoch);
    const last = await readCheckpoint(join(dir, "checkpoints", "last"));
    assert.equal(last.state.epochsDone, 6);
    assert.deepEqual([...last.params.keys()].sort(), ["head.bias", "head.weight"]);
    const best = await readCheckpoint(join(dir, "checkpoints", "best"));
    assert.equal(best.state.epochsDone, res.best!.epoch);
    // Not a TTY: exactly one progress line per epoch.
    assert.equal(lines.filter((l) => l.startsWith("epoch ")).length, 6);
    assert.ok(lines.every((l) => !l.includes("\r")));
  });

  it("the lr follows warmup + cosine per step and the groups get their own rates", async (t) => {
    const dir = join(tempDir(t), "run");
    const c = config(dir, {
      epochs: 3,
      lr: 0.01,
      groups: [{ name: "head", match: "^head\\.weight$", lr: 0.1, weightDecay: 0 }],
    });
    const res = await train(model(), data(), c, { progress: null });
    // 12 steps/epoch, warmup 12, total 36; the lr recorded is the one used by the epoch's last step.
    const factor = (step: number) =>
      step < 12 ? step / 12 : 0.5 * (1 + Math.cos((Math.PI * (step - 12)) / 24));
    res.history.forEach((r, e) => {
      const used = factor(12 * (e + 1) - 1);
      assert.ok(Math.abs(r.lr.head! - 0.1 * used) < 1e-12, `head lr epoch ${e + 1}`);
      assert.ok(Math.abs(r.lr.default! - 0.01 * used) < 1e-12, `default lr epoch ${e + 1}`);
    });
  });

  it("resume after a kill mid-epoch gives bit-identical weights to an uninterrupted run", async (t) => {
    const root = tempDir(t);
    const straight = join(root, "straight");
    const c = (dir: string, every = 0) =>
      config(dir, { epochs: 5, threads: 0, checkpointEverySteps: every, earlyStopping: { patience: 0 } });
    // Hidden-layer dropout: its masks come from (seed, step), so they too must replay exactly.
    const a = await train(model(8, 3, 0.25), data(), c(straight), { progress: null });
    assert.equal(a.status, "completed");
    const strip = (h: typeof a.history) => h.map(({ seconds, ...r }) => r);

    // Checkpoints at epoch ends only, or also every 4 steps (12 steps per epoch).
    for (const every of [0, 4]) {
      const killed = join(root, `killed-${every}`);
      // Kill: abort when the fifth batch of the third epoch (0-based epoch 2) arrives.
      const ctl = new AbortController();
      const base = data();
      let seen = 0;
      const spy: TrainData = {
        ...base,
        async *train(ctx) {
          for await (const b of base.train(ctx)) {
            if (ctx.epoch === 2 && ++seen === 5) ctl.abort();
            yield b;
          }
        },
      };
      const k = await train(model(8, 3, 0.25), spy, c(killed, every), { progress: null, signal: ctl.signal });
      assert.equal(k.status, "aborted");
      const stopped = await readCheckpoint(join(killed, "checkpoints", "last"));
      assert.equal(stopped.state.epochsDone, 2);
      // Four batches of epoch 3 were trained: kept by the step checkpoint, redone without it.
      assert.equal(stopped.state.epochProgress?.batches, every === 4 ? 4 : undefined);
      assert.equal(stopped.state.step, 24 + (every === 4 ? 4 : 0));

      // A fresh process builds a fresh model; even a different initialisation must not matter.
      const b = await resume(killed, model(8, 42, 0.25), data(), { progress: null });
      assert.equal(b.status, "completed");
      assert.equal(b.epochsDone, 5);
      assert.equal(b.step, a.step);
      for (const ck of ["last", "best"])
        assert.ok(
          paramsBytes(join(straight, "checkpoints", ck)).equals(paramsBytes(join(killed, "checkpoints", ck))),
          `${ck} weights differ (checkpointEverySteps ${every})`,
        );
      assert.deepEqual(strip(b.history), strip(a.history));
      const metrics = readFileSync(join(killed, "metrics.jsonl"), "utf8").trim().split("\n");
      assert.equal(metrics.length, 5);
      assert.match(
        readFileSync(join(killed, "log.txt"), "utf8"),
        every === 4
          ? /resumed from .* after epoch 2 and 4 batches of epoch 3/
          : /resumed from .* after epoch 2 \(/,
      );
      // A finished run resumes to the same result without training.
      const again = await resume(killed, model(8, 42, 0.25), data(), { progress: null });
      assert.equal(again.epochsDone, 5);
    }
  });

  it("a crash while writing a checkpoint keeps the previous one, and resuming from it is exact", async (t) => {
    const root = tempDir(t);
    const c = (dir: string) => config(dir, { epochs: 3, earlyStopping: { patience: 0 } });
    await train(model(), data(), c(join(root, "straight")), { progress: null });
    let writes = 0;
    const crash = {
      afterWrite: (f: string) => {
        // The fifth weights file (best/ and last/ of epochs 1–2 come first when each improves).
        if (f === "params.safetensors" && ++writes === 5) throw new Error("disk full (injected)");
      },
    };
    const dir = join(root, "crashed");
    const crashed = await train(model(), data(), c(dir), { progress: null, checkpointHooks: crash }).catch(
      (e: Error) => e,
    );
    assert.ok(crashed instanceof Error && /injected/.test(crashed.message), String(crashed));
    const ck = await readCheckpoint(join(dir, "checkpoints", "last"));
    assert.ok(ck.state.epochsDone < 3);
    assert.ok(readdirSync(join(dir, "checkpoints")).every((n) => !n.startsWith(".")));
    const done = await resume(dir, model(), data(), { progress: null });
    assert.equal(done.epochsDone, 3);
    assert.ok(
      paramsBytes(join(root, "straight", "checkpoints", "last")).equals(
        paramsBytes(join(dir, "checkpoints", "last")),
      ),
    );
  });

  it("refuses to start over an existing checkpoint", async (t) => {
    const dir = join(tempDir(t), "run");
    await train(model(), data(), config(dir, { epochs: 1 }), { progress: null });
    await assert.rejects(
      train(model(), data(), config(dir, { epochs: 1 }), { progress: null }),
      (e: Error) => {
        assert.ok(e instanceof InputError);
        assert.match(e.message, /already holds a checkpoint/);
        return true;
      },
    );
  });

  it("stops early at the right epoch when the validation AUC stops improving", async (t) => {
    // Validation features are all zero: every probability is σ(bias) per finding, so each
    // finding's AUC is exactly 0.5 every epoch. Epoch 1 sets the best; with patience 2 and no
    // improvement in epochs 2 and 3, the run stops after epoch 3.
    const flatVal: ArraySet = {
      inputs: { features: { data: new Float32Array(64 * DIM), shape: [64, DIM] } },
      labels: valSet.labels.slice(0, 64 * FINDINGS.length),
    };
    const dir = join(tempDir(t), "run");
    const res = await train(
      model(),
      memoryData(FINDINGS, trainSet, flatVal, { batchSize: 16 }),
      config(dir, { epochs: 10, earlyStopping: { patience: 2, minDelta: 0 } }),
      { progress: null },
    );
    assert.equal(res.status, "early-stopped");
    assert.equal(res.epochsDone, 3);
    assert.deepEqual(res.best, { epoch: 1, valMeanAuc: 0.5 });
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
    assert.equal(summary.status, "early-stopped");
  });

  it("without usable validation data it trains every epoch, warns, and keeps no best", async (t) => {
    const noVal: ArraySet = {
      inputs: { features: { data: new Float32Array(0), shape: [0, DIM] } },
      labels: new Float32Array(0),
    };
    const dir = join(tempDir(t), "run");
    const res = await train(
      model(),
      memoryData(FINDINGS, trainSet, noVal, { batchSize: 16 }),
      config(dir, { epochs: 3, earlyStopping: { patience: 1 } }),
      { progress: null },
    );
    assert.equal(res.status, "completed");
    assert.equal(res.epochsDone, 3);
    assert.equal(res.best, null);
    assert.ok(res.history.every((r) => r.valMeanAuc === null && r.valAuc.bleed === null));
    assert.ok(!existsSync(join(dir, "checkpoints", "best")));
    assert.match(readFileSync(join(dir, "log.txt"), "utf8"), /validation mean AUC undefined after epoch 1/);
  });

  it("clips gradients by global norm before the optimizer step", async (t) => {
    // Clipped to 1e-12, gradients fall far below AdamW's eps (1e-8), so each update shrinks to
    // about lr·1e-4; unclipped, Adam's normalised steps are about lr.
    const root = tempDir(t);
    const change = async (clip: number, name: string) => {
      const m = model();
      const before = Float32Array.from(m.params().get("head.weight")!.data);
      await train(m, data(), config(join(root, name), { epochs: 1, warmupEpochs: 0, clipGradNorm: clip }), {
        progress: null,
      });
      const after = m.params().get("head.weight")!.data;
      return Math.max(...before.map((b, i) => Math.abs(after[i]! - b)));
    };
    const free = await change(0, "free");
    const clipped = await change(1e-12, "clipped");
    assert.ok(free > 0.01, `unclipped change ${free}`);
    assert.ok(clipped < 1e-3 * free, `clipped change ${clipped} vs ${free}`);
  });

  it("positive weights from prevalence are recorded and training stays finite with missing labels", async (t) => {
    const dir = join(tempDir(t), "run");
    const res = await train(
      model(),
      data(),
      config(dir, { epochs: 2, loss: { kind: "bce", posWeight: "prevalence" } }),
      { progress: null },
    );
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
    // Independent count over the training labels.
    const want = FINDINGS.map((_, f) => {
      let p = 0;
      let n = 0;
      for (let i = f; i < trainSet.labels.length; i += FINDINGS.length) {
        if (trainSet.labels[i] === 1) p++;
        else if (trainSet.labels[i] === 0) n++;
      }
      return Math.fround(n / p);
    });
    assert.deepEqual(summary.posWeight, want);
    assert.ok(res.history.every((r) => Number.isFinite(r.trainLoss)));
  });

  it("names the problem when the model's logits do not match the findings", async (t) => {
    const dir = join(tempDir(t), "run");
    const wrong = linearProbe({ dim: DIM, findings: 2 });
    await assert.rejects(
      train(wrong, data(), config(dir, { epochs: 1 }), { progress: null }),
      /logits are \[16, 2\], expected \[16, 3\]/,
    );
  });

  it("passes each epoch a context that depends only on (seed, epoch)", async (t) => {
    const dir = join(tempDir(t), "run");
    const base = data();
    const firstBatch = async (ctx: EpochContext) => {
      for await (const b of base.train(ctx)) return [...b.inputs.features!.data];
      return [];
    };
    const seen: { epoch: number; seed: number; first: number[] }[] = [];
    const spy: TrainData = {
      ...base,
      async *train(ctx) {
        seen.push({ epoch: ctx.epoch, seed: ctx.seed, first: [] });
        let i = 0;
        for await (const b of base.train(ctx)) {
          if (i++ === 0) seen[seen.length - 1]!.first = [...b.inputs.features!.data];
          yield b;
        }
      },
    };
    await train(model(), spy, config(dir, { epochs: 2 }), { progress: null });
    assert.equal(seen.length, 2);
    for (const [e, s] of seen.entries()) {
      assert.equal(s.epoch, e);
      assert.equal(s.seed, 7);
      const again = await firstBatch({ seed: 7, epoch: e, rng: Rng.stream(7, e, EPOCH_RNG_PURPOSE) });
      assert.deepEqual(s.first, again);
    }
    assert.notDeepEqual(seen[0]!.first, seen[1]!.first);
  });
});

describe("memoryData", () => {
  it("visits every training case once per epoch in a seeded order that changes with the epoch", async () => {
    const n = 10;
    const set: ArraySet = {
      inputs: { features: { data: Float32Array.from({ length: n }, (_, i) => i), shape: [n, 1] } },
      labels: new Float32Array(n),
    };
    const d = memoryData(["f"], set, set, { batchSize: 4 });
    assert.equal(d.stepsPerEpoch, 3);
    const order = async (epoch: number) => {
      const ids: number[] = [];
      for await (const b of d.train({
        seed: 1,
        epoch,
        rng: Rng.stream(1, epoch, EPOCH_RNG_PURPOSE),
      }) as AsyncIterable<TrainBatch>)
        ids.push(...b.inputs.features!.data);
      return ids;
    };
    const e0 = await order(0);
    assert.deepEqual(
      [...e0].sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    assert.deepEqual(await order(0), e0);
    assert.notDeepEqual(await order(1), e0);
  });
});

// Keep the file's only directory listing honest: no temporary checkpoint folders survive a run.
describe("run folder hygiene", () => {
  it("leaves no temporary files after a run", async (t) => {
    const dir = join(tempDir(t), "run");
    await train(model(), data(), config(dir, { epochs: 2 }), { progress: null });
    const all = [...readdirSync(dir), ...readdirSync(join(dir, "checkpoints"))];
    assert.ok(
      all.every((n) => !n.startsWith(".")),
      all.join(" "),
    );
  });
});
