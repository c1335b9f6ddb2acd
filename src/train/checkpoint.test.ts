import assert from "node:assert/strict";
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "../../test/paths.js";
import { AdamW } from "../engine/index.js";
import { InputError } from "../errors.js";
import { readSafetensors } from "../io/safetensors/index.js";
import {
  findCheckpoint,
  readCheckpoint,
  restoreOptimizer,
  restoreParams,
  STATE_FORMAT,
  type TrainState,
  writeCheckpoint,
} from "./checkpoint.js";
import type { ParamRef } from "./trainable.js";

function state(epochsDone: number): TrainState {
  return {
    format: STATE_FORMAT,
    epochsDone,
    step: epochsDone * 10,
    rng: { generator: "phantom/rng xoshiro128**", seed: 1, purpose: 2, nextEpoch: epochsDone },
    dataOrder: { seed: 1, nextEpoch: epochsDone },
    earlyStopping: { best: null, bestEpoch: null, bad: 0 },
    best: null,
    history: [],
  };
}

function params(v: number): Map<string, ParamRef> {
  return new Map([
    ["head.weight", { shape: [2, 3], data: new Float32Array(6).fill(v) }],
    ["head.bias", { shape: [3], data: Float32Array.of(v, -v, 0.5) }],
  ]);
}

describe("checkpoints", () => {
  it("round-trips weights (with shapes), optimizer state and loop state", async (t) => {
    const dir = join(tempDir(t), "last");
    const p = params(1.5);
    const opt = new AdamW(new Map([...p].map(([n, r]) => [n, r.data])), { lr: 0.1 });
    opt.step(new Map([...p].map(([n, r]) => [n, new Float32Array(r.data.length).fill(0.3)])));
    await writeCheckpoint(dir, { params: p, optimizer: opt, state: state(3) });
    const file = await readSafetensors(join(dir, "params.safetensors"));
    assert.deepEqual(file.names().sort(), ["head.bias", "head.weight"]);
    assert.deepEqual((await file.tensor("head.weight")).shape, [2, 3]);
    await file.close();
    const ck = await readCheckpoint(dir);
    assert.deepEqual(ck.state, state(3));
    const into = params(0);
    restoreParams(into, ck.params, dir);
    assert.deepEqual([...into.get("head.bias")!.data], [...p.get("head.bias")!.data]);
    const opt2 = new AdamW(new Map([...into].map(([n, r]) => [n, r.data])), { lr: 0.1 });
    await restoreOptimizer(ck.dir, opt2);
    assert.equal(opt2.stepCount, 1);
    assert.deepEqual(opt2.stateDict().tensors, opt.stateDict().tensors);
  });

  it("a failure while writing leaves the previous checkpoint whole and no partial files", async (t) => {
    const root = tempDir(t);
    const dir = join(root, "last");
    await writeCheckpoint(dir, { params: params(1), state: state(1) });
    for (const failAfter of ["params.safetensors", "state.json"]) {
      await assert.rejects(
        writeCheckpoint(
          dir,
          { params: params(2), state: state(2) },
          {
            afterWrite: (f) => {
              if (f === failAfter) throw new Error("disk full (injected)");
            },
          },
        ),
        /injected/,
      );
      const ck = await readCheckpoint(dir);
      assert.equal(ck.state.epochsDone, 1, `after a failure past ${failAfter}`);
      assert.equal((ck.params.get("head.weight")!.data as Float32Array)[0], 1);
      assert.deepEqual(readdirSync(root), ["last"]);
      assert.deepEqual(readdirSync(dir).sort(), ["params.safetensors", "state.json"]);
    }
  });

  it("a kill during a write or between the two renames still finds a complete checkpoint", async (t) => {
    const root = tempDir(t);
    const dir = join(root, "last");
    await writeCheckpoint(dir, { params: params(1), state: state(1) });
    // Killed while filling the temporary folder: a half-written folder next to a good one.
    mkdirSync(join(root, ".last.tmp-999-dead"));
    writeFileSync(join(root, ".last.tmp-999-dead", "params.safetensors"), "partial");
    assert.equal((await readCheckpoint(dir)).state.epochsDone, 1);
    // Killed after setting the old folder aside, before renaming the new one in.
    renameSync(dir, join(root, ".last.old-999-dead"));
    assert.equal(await findCheckpoint(dir), join(root, ".last.old-999-dead"));
    assert.equal((await readCheckpoint(dir)).state.epochsDone, 1);
    // The next write cleans up both leftovers.
    await writeCheckpoint(dir, { params: params(2), state: state(2) });
    assert.deepEqual(readdirSync(root), ["last"]);
    assert.equal((await readCheckpoint(dir)).state.epochsDone, 2);
  });

  it("refuses missing checkpoints and weights that do not fit the model, changing nothing", async (t) => {
    const root = tempDir(t);
    await assert.rejects(
      readCheckpoint(join(root, "none")),
      (e: Error) => e instanceof InputError && /no complete checkpoint/.test(e.message),
    );
    const dir = join(root, "last");
    await writeCheckpoint(dir, { params: params(1), state: state(1) });
    const ck = await readCheckpoint(dir);
    const other = new Map<string, ParamRef>([
      ["head.weight", { shape: [3, 2], data: new Float32Array(6) }],
      ["head.bias", { shape: [3], data: new Float32Array(3) }],
    ]);
    assert.throws(
      () => restoreParams(other, ck.params, dir),
      /weight "head.weight" is F32 \[2, 3\] in the checkpoint, the model has F32 \[3, 2\]/,
    );
    assert.deepEqual([...other.get("head.bias")!.data], [0, 0, 0]);
    const fewer = new Map([...params(0)].filter(([n]) => n === "head.bias"));
    assert.throws(() => restoreParams(fewer, ck.params, dir), /unknown \[head.weight\]/);
    assert.ok(!existsSync(join(root, "best")));
  });
});
