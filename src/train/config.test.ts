import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { tempDir } from "../../test/paths.js";
import { InputError } from "../errors.js";
import { loadTrainConfig, trainConfig } from "./config.js";

/** The InputError message `fn` throws. */
function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InputError, `not an InputError: ${err}`);
    return err.message;
  }
  assert.fail("did not throw");
}

describe("trainConfig", () => {
  it("fills METHODS.md defaults (focal γ=2 α=0.25, two AdamW groups, warmup + cosine)", () => {
    const c = trainConfig({});
    assert.equal(c.train.loss.kind, "focal");
    assert.equal(c.train.loss.gamma, 2);
    assert.equal(c.train.loss.alpha, 0.25);
    assert.deepEqual(
      c.train.groups.map((g) => [g.name, g.lr, g.weightDecay]),
      [
        ["adapter", 1e-4, 1e-5],
        ["head", 1e-3, 1e-4],
      ],
    );
    assert.equal(c.train.schedule, "warmup-cosine");
    assert.ok(new RegExp(c.train.groups[0]!.match).test("blocks.0.attn.q.lora_A"));
    assert.ok(new RegExp(c.train.groups[0]!.match).test("blocks.3.attn.v.molre_B.2"));
    assert.ok(new RegExp(c.train.groups[1]!.match).test("head.weight"));
    assert.ok(new RegExp(c.train.groups[1]!.match).test("pool.query"));
    assert.ok(!new RegExp(c.train.groups[1]!.match).test("headroom.weight"));
    // The resolved config validates again unchanged (it is what config.json stores).
    assert.deepEqual(trainConfig(JSON.parse(JSON.stringify(c))), c);
  });

  it("keeps given values and passes unknown data/model keys through", () => {
    const c = trainConfig({
      seed: 3,
      data: { manifest: "m.csv", workers: 2 },
      model: { backbone: "dinov2-small", adapter: { r: 4, experts: 4 } },
      train: { epochs: 2, groups: [{ name: "all", match: ".*" }] },
    });
    assert.equal(c.seed, 3);
    assert.equal(c.data.workers, 2);
    assert.deepEqual(c.model.adapter, { r: 4, experts: 4 });
    assert.deepEqual(c.train.groups, [{ name: "all", match: ".*" }]);
  });

  it("names the key, the rule and the value", () => {
    assert.equal(
      messageOf(() => trainConfig({ train: { lr: -1 } }, "cfg.json")),
      "cfg.json: train.lr must be > 0, got -1",
    );
    assert.match(
      messageOf(() => trainConfig({ train: { epochs: 2.5 } })),
      /train\.epochs must be an integer, got 2\.5/,
    );
    assert.match(
      messageOf(() => trainConfig({ train: { epochs: "10" } })),
      /train\.epochs must be a finite number, got the string "10"/,
    );
    assert.match(
      messageOf(() => trainConfig({ train: { loss: { kind: "dice" } } })),
      /train\.loss\.kind must be one of "focal", "bce", got "dice"/,
    );
    assert.match(
      messageOf(() => trainConfig({ train: { betas: [0.9] } })),
      /train\.betas must have at least 2 item/,
    );
    assert.match(
      messageOf(() => trainConfig({ train: { betas: [0.9, 1] } })),
      /train\.betas\[1\] must be < 1, got 1/,
    );
    assert.match(
      messageOf(() => trainConfig({ train: { minLrFactor: 2 } })),
      /train\.minLrFactor must be ≤ 1, got 2/,
    );
    assert.match(
      messageOf(() => trainConfig({ train: [] })),
      /train must be an object, got a list/,
    );
    assert.match(
      messageOf(() => trainConfig({ train: { groups: [{ name: "x", match: "(" }] } })),
      /train\.groups\[0\]\.match is not a valid regular expression/,
    );
    assert.match(
      messageOf(() => trainConfig({ train: { groups: [{ match: "x" }] } })),
      /train\.groups\[0\]\.name is required/,
    );
    assert.match(
      messageOf(() =>
        trainConfig({
          train: {
            groups: [
              { name: "a", match: "x" },
              { name: "a", match: "y" },
            ],
          },
        }),
      ),
      /train\.groups\[1\]\.name "a" is used twice/,
    );
  });

  it("completes and checks the data section with the data layer's validators", () => {
    const c = trainConfig({
      data: {
        preprocess: { size: [64, 64] },
        augment: { flip: 0 },
        split: { fractions: { train: 0.8, val: 0.1, test: 0.1 } },
      },
    });
    const pre = c.data.preprocess as { size: number[]; orientation: string; layout: string };
    assert.deepEqual(pre.size, [64, 64]);
    assert.equal(pre.orientation, "RAS");
    assert.equal(pre.layout, "slices");
    assert.equal((c.data.augment as { flip: number; rotate: number }).flip, 0);
    assert.equal((c.data.augment as { flip: number; rotate: number }).rotate, 5);
    assert.deepEqual(c.data.split, { fractions: { train: 0.8, val: 0.1, test: 0.1 }, seed: 0, force: false });
    assert.equal(trainConfig({}).data.augment, undefined);
    assert.match(
      messageOf(() => trainConfig({ data: { preprocess: { sizes: [1, 2] } } })),
      /data\.preprocess\.sizes: unknown option/,
    );
    assert.match(
      messageOf(() => trainConfig({ data: { augment: { flip: 2 } } })),
      /data\.augment\.flip: a probability, got 2/,
    );
    assert.match(
      messageOf(() => trainConfig({ data: { split: { fractions: { train: 0.8, val: 0.3, test: 0.1 } } } })),
      /data\.split\.fractions must sum to 1, got 1\.2/,
    );
  });

  it("refuses unknown keys, suggesting the nearest known one", () => {
    assert.match(
      messageOf(() => trainConfig({ train: { epoch: 3 } })),
      /train\.epoch is not a known key \(did you mean "train\.epochs"\?\)/,
    );
    assert.match(
      messageOf(() => trainConfig({ sed: 1 })),
      /sed is not a known key \(did you mean "seed"\?\)/,
    );
    assert.match(
      messageOf(() => trainConfig({ zzz: 1 })),
      /zzz is not a known key \(known: seed, runDir, data, model, train\)/,
    );
    assert.match(
      messageOf(() => trainConfig({ train: { earlyStopping: { patiense: 3 } } })),
      /train\.earlyStopping\.patiense is not a known key \(did you mean "train\.earlyStopping\.patience"\?\)/,
    );
  });

  it("reports every problem at once, on one line", () => {
    const m = messageOf(() => trainConfig({ seed: -1, train: { lr: 0, epochs: 0 } }));
    assert.match(m, /seed must be ≥ 0, got -1/);
    assert.match(m, /train\.epochs must be ≥ 1, got 0/);
    assert.match(m, /train\.lr must be > 0, got 0/);
    assert.ok(!m.includes("\n"));
  });
});

describe("loadTrainConfig", () => {
  it("reads YAML and JSON; errors name the file", async (t) => {
    const dir = tempDir(t);
    const yml = join(dir, "run.yaml");
    writeFileSync(yml, "seed: 5\ntrain:\n  epochs: 3\n  loss:\n    kind: bce\n");
    const c = await loadTrainConfig(yml);
    assert.equal(c.seed, 5);
    assert.equal(c.train.epochs, 3);
    assert.equal(c.train.loss.kind, "bce");

    const json = join(dir, "run.json");
    writeFileSync(json, '{"train": {"lr": -1}}');
    await assert.rejects(loadTrainConfig(json), { message: `${json}: train.lr must be > 0, got -1` });
    writeFileSync(json, '{"train": ');
    await assert.rejects(
      loadTrainConfig(json),
      (e: Error) => e instanceof InputError && e.message.startsWith(`${json}: not valid JSON`),
    );
    const bad = join(dir, "bad.yml");
    writeFileSync(bad, "train:\n  epochs: [1\n");
    await assert.rejects(
      loadTrainConfig(bad),
      (e: Error) => e instanceof InputError && e.message.startsWith(`${bad}: not valid YAML`),
    );
    await assert.rejects(
      loadTrainConfig(join(dir, "missing.json")),
      /missing\.json: cannot read the config \(ENOENT\)/,
    );
  });
});
