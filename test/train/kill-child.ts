// A training run in its own process, for the kill-and-resume test (src/train/kill.test.ts).
// Usage: node dist/test/train/kill-child.js RUN_DIR [--resume] [--slow]
// Prints "batch <epoch> <i>" before each training batch so the parent can SIGKILL it mid-epoch.

import { randn } from "../../src/engine/index.js";
import { trainConfig } from "../../src/train/config.js";
import { linearProbe } from "../../src/train/linear-probe.js";
import { memoryData } from "../../src/train/memory-data.js";
import type { TrainData } from "../../src/train/trainable.js";
import { resume, train } from "../../src/train/trainer.js";

const [runDir, ...flags] = process.argv.slice(2);
const findings = ["a", "b"];
const dim = 6;
const set = (n: number, seed: number) => {
  const x = Float32Array.from(randn(n * dim, seed));
  const labels = Float32Array.from({ length: n * 2 }, (_, i) => {
    const row = Math.floor(i / 2);
    const s = i % 2 === 0 ? x[row * dim]! + x[row * dim + 1]! : x[row * dim + 2]! - x[row * dim + 3]!;
    return Number(s > 0);
  });
  return { inputs: { features: { data: x, shape: [n, dim] } }, labels };
};
const base = memoryData(findings, set(96, 1), set(48, 2), { batchSize: 8 });
const slow = flags.includes("--slow");
const data: TrainData = {
  ...base,
  async *train(ctx) {
    let i = 0;
    for await (const b of base.train(ctx)) {
      process.stdout.write(`batch ${ctx.epoch} ${i++}\n`);
      if (slow) await new Promise((r) => setTimeout(r, 15));
      yield b;
    }
  },
};
const model = linearProbe({ dim, findings: 2, hidden: 8, seed: 5 });
const config = trainConfig({
  seed: 11,
  runDir,
  train: {
    epochs: 4,
    batchSize: 8,
    lr: 0.02,
    groups: [],
    checkpointEverySteps: 3,
    earlyStopping: { patience: 0 },
  },
});
const res = flags.includes("--resume")
  ? await resume(runDir!, model, data, { progress: null })
  : await train(model, data, config, { progress: null });
process.stdout.write(`done ${res.status} ${res.epochsDone}\n`);
