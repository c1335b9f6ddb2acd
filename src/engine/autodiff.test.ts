import assert from "node:assert/strict";
import { after, test } from "node:test";
import { grad } from "./autodiff.js";
import { Graph } from "./ir/graph.js";
import * as E from "./ops/index.js";
import { apply1 } from "./ops/registry.js";
import { compile } from "./runtime/program.js";
import { releaseSessions } from "./runtime/session.js";

after(() => releaseSessions());

test("gradients accumulate over every use of a value (hand-computed)", async () => {
  const g = new Graph();
  const x = g.input("x", [3], "float64");
  const other = g.input("unused", [2], "float64");
  // L = Σ (x·x + 3x) → dL/dx = 2x + 3; `unused` does not reach L → zero gradient.
  const loss = E.reduceSum(E.add(E.mul(x, x), E.mul(x, 3)));
  const [gx, gu] = grad(loss, [x, other]);
  const out = await (await compile({ gx: gx!, gu: gu! })).run({
    x: Float64Array.from([1, -2, 0.5]),
    unused: new Float64Array(2),
  });
  assert.deepEqual(Array.from(out.gx as Float64Array), [5, -1, 4]);
  assert.deepEqual(Array.from(out.gu as Float64Array), [0, 0]);
});

test("an op without a gradient rule on the path is an error naming it", () => {
  const g = new Graph();
  const x = g.input("x", [4]);
  const idx = g.constant([0, 1, 2, 3], [4], "int64");
  const y = apply1("ScatterElements", [x, idx, x], { axis: 0, reduction: "add" });
  assert.throws(() => grad(E.reduceSum(y), [x]), /op ScatterElements has no gradient rule/);
});

test("the loss must be a scalar; run() checks feeds", async () => {
  const g = new Graph();
  const x = g.input("x", [2, 2]);
  assert.throws(() => grad(x, [x]), /loss must be a scalar, got shape \[2,2\]/);
  const prog = await compile({ y: E.relu(x) });
  await assert.rejects(prog.run({}), /missing input "x" \[2,2\]/);
  await assert.rejects(
    prog.run({ x: new Float32Array(3) }),
    /input "x" needs 4 float32 values for \[2,2\], got 3 float32/,
  );
});
