import assert from "node:assert/strict";
import { after, test } from "node:test";
import { compile, releaseSessions, type Value } from "../engine/index.js";
import { Linear } from "./layers/linear.js";
import { BuildContext, Module } from "./module.js";

after(() => releaseSessions());

class Block extends Module {
  readonly query = this.addModule("query", new Linear(3, 2));
  readonly out = this.addModule("out", new Linear(2, 3, { bias: false }));
  forward(ctx: BuildContext, x: Value): Value {
    return this.out.forward(ctx, this.query.forward(ctx, x));
  }
}

class Net extends Module {
  readonly layer = this.addModule("layer", new Block());
  forward(ctx: BuildContext, x: Value): Value {
    return this.layer.forward(ctx, x);
  }
}

test("dotted parameter paths follow the tree, own parameters first", () => {
  const net = new Net();
  assert.deepEqual(
    [...net.namedParameters()].map(([n, p]) => [n, p.shape]),
    [
      ["layer.query.weight", [2, 3]],
      ["layer.query.bias", [2]],
      ["layer.out.weight", [3, 2]],
    ],
  );
  assert.deepEqual(
    [...net.namedModules()].map(([n]) => n),
    ["", "layer", "layer.query", "layer.out"],
  );
  assert.equal(net.parameterCount(), 6 + 2 + 6);
  net.layer.query.freeze();
  assert.equal(net.parameterCount({ trainable: true }), 6);
  assert.equal(net.parameterCount({ trainable: false }), 8);
  assert.equal(net.getParameter("layer.query.bias"), net.layer.query.bias);
  assert.throws(() => net.getModule("layer.nope"), /no module/);
});

test("setModule swaps a child and the names follow the new subtree", () => {
  const net = new Net();
  class Wrapper extends Module {
    readonly base_layer: Linear;
    constructor(base: Linear) {
      super();
      this.base_layer = this.addModule("base_layer", base);
    }
    forward(ctx: BuildContext, x: Value): Value {
      return this.base_layer.forward(ctx, x);
    }
  }
  const q = net.getModule("layer.query") as Linear;
  net.setModule("layer.query", new Wrapper(q));
  assert.deepEqual(
    [...net.namedParameters()].map(([n]) => n),
    ["layer.query.base_layer.weight", "layer.query.base_layer.bias", "layer.out.weight"],
  );
  assert.throws(() => net.setModule("layer.missing", q), /no module/);
});

test("Linear: y = x·Wᵀ + b over the last axis with leading dims, hand-computed", async () => {
  const lin = new Linear(3, 2);
  lin.weight.data.set([1, 2, 3, -1, 0, 0.5]);
  lin.bias?.data.set([0.5, -2]);
  const ctx = new BuildContext(lin);
  const x = ctx.graph.input("x", [2, 1, 3]);
  const y = lin.forward(ctx, x);
  assert.deepEqual(y.shape, [2, 1, 2]);
  assert.equal(ctx.graph.params[0]?.name, "weight");
  const p = await compile({ y });
  const out = (await p.run({ x: Float32Array.from([1, 1, 1, 2, 0, -2]) })).y as Float32Array;
  // [1,1,1]: 6+0.5, -0.5-2 ; [2,0,-2]: 2-6+0.5, -2-1-2
  assert.deepEqual(Array.from(out), [6.5, -2.5, -3.5, -5]);
});
