import assert from "node:assert/strict";
import { test } from "node:test";
import { InputError } from "../../errors.js";
import { AdamW } from "./adamw.js";
import { SGD } from "./sgd.js";

const params = () =>
  new Map(
    ["blocks.0.lora_A", "blocks.0.lora_B", "blocks.0.mlp.weight", "head.weight", "head.bias"].map((n) => [
      n,
      new Float32Array(3),
    ]),
  );

test("each parameter joins the first group that selects it; the rest keep the defaults", () => {
  const opt = new AdamW(params(), {
    lr: 5e-3,
    weightDecay: 0.05,
    groups: [
      { name: "lora", match: /lora_/, lr: 1e-4, weightDecay: 1e-5 },
      {
        name: "head",
        match: (n) => n.startsWith("head."),
        names: ["blocks.0.lora_A"],
        lr: 1e-3,
        weightDecay: 1e-4,
      },
    ],
  });
  assert.deepEqual(
    opt.groups.map((g) => [g.name, g.params, g.hyper.lr, g.hyper.weightDecay]),
    [
      ["lora", ["blocks.0.lora_A", "blocks.0.lora_B"], 1e-4, 1e-5],
      ["head", ["head.weight", "head.bias"], 1e-3, 1e-4],
      ["default", ["blocks.0.mlp.weight"], 5e-3, 0.05],
    ],
  );
  assert.deepEqual(opt.groups[0]!.hyper.betas, [0.9, 0.999]);
  opt.setLr(2e-4, "lora");
  assert.equal(opt.lr("lora"), 2e-4);
  assert.equal(opt.lr("head"), 1e-3);
});

test("bad groups and hyperparameters are refused with clear errors", () => {
  assert.throws(
    () => new AdamW(params(), { groups: [{ name: "x", names: ["nope"] }] }),
    /optimizer group "x": no parameter named "nope"/,
  );
  assert.throws(() => new AdamW(params(), { groups: [{ name: "x" }] }), InputError);
  assert.throws(
    () => new AdamW(params(), { groups: [{ match: /a/ }, { name: "group0", match: /b/ }] }),
    /duplicate/,
  );
  assert.throws(() => new AdamW(params(), { betas: [1, 0.999] }), /betas/);
  assert.throws(() => new AdamW(params(), { lr: -1 }), /learning rate/);
  assert.throws(() => new SGD(params(), { nesterov: true, momentum: 0.9, dampening: 0.1 }), /Nesterov/);
  assert.throws(() => new SGD(params(), { groups: [{ match: /head/, weightDecay: -1 }] }), /weight decay/);
  assert.throws(() => new AdamW(params()).lr("nope"), /no group named "nope"/);
  const typo = { weight_decay: 0.1 } as unknown as { weightDecay: number };
  assert.throws(() => new AdamW(params(), typo), /optimizer options: unknown option "weight_decay"/);
  assert.throws(
    () => new SGD(params(), { groups: [{ name: "h", match: /head/, ...typo }] }),
    /group "h": unknown option/,
  );
});

test("gradients must name parameters and match their length", () => {
  const opt = new SGD(params(), { lr: 0.1 });
  assert.throws(() => opt.step(new Map([["ghost", new Float32Array(3)]])), /unknown parameter "ghost"/);
  assert.throws(
    () => opt.step(new Map([["head.bias", new Float32Array(2)]])),
    /has 2 values, the parameter 3/,
  );
  const ps = params();
  const late = new SGD(ps, { lr: 0.1 });
  ps.set("added", new Float32Array(1));
  assert.throws(
    () => late.step(new Map([["added", new Float32Array(1)]])),
    /"added" was added after the optimizer/,
  );
  assert.equal(opt.stepCount, 0);
});
