// customGradient: autodiff uses the given rule and not the forward's nodes; the ONNX model sees a
// plain Identity of the forward's result.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import onnxProto from "onnx-proto";
import { grad } from "../autodiff.js";
import { Graph, type Value } from "../ir/graph.js";
import { serialize } from "../onnx/serialize.js";
import { compile } from "../runtime/program.js";
import { releaseSessions } from "../runtime/session.js";
import * as E from "./index.js";

after(() => releaseSessions());

test("customGradient: the rule's gradient replaces the forward's (straight-through ReLU), the value is kept", async () => {
  const g = new Graph();
  const x = g.input("x", [4]);
  const w = g.param("w", [4], Float32Array.from([0.4, 1.6, -2.3, 0.2]), { trainable: true });
  // ReLU's own gradient is 0 on the negative entry; the straight-through rule passes dy unchanged.
  const ste = E.customGradient(E.relu(w), [w], (dy) => [dy]);
  const loss = E.reduceSum(E.mul(ste, x));
  const [gw] = grad(loss, [w]);
  const prog = await compile({ loss, gw: gw as Value });
  const r = await prog.run({ x: Float32Array.from([1, 2, 3, 4]) });
  assert.ok(Math.abs(((r.loss as Float32Array)[0] as number) - (0.4 * 1 + 1.6 * 2 + 0 * 3 + 0.2 * 4)) < 1e-6);
  assert.deepEqual([...(r.gw as Float32Array)], [1, 2, 3, 4]);
});

test("customGradient: inputs that need no gradient get none; ONNX holds an Identity with one input", () => {
  const g = new Graph();
  const a = g.param("a", [2], Float32Array.from([1, 2]), { trainable: true });
  const b = g.param("b", [2], Float32Array.from([3, 4]));
  const seen: boolean[][] = [];
  const y = E.customGradient(E.mul(a, b), [a, b], (dy, needs) => {
    seen.push([...needs]);
    return [E.mul(dy, b), undefined];
  });
  grad(E.reduceSum(y), [a]);
  assert.deepEqual(seen, [[true, false]]);
  const { model } = serialize({ y });
  const nodes = onnxProto.onnx.ModelProto.decode(model).graph?.node ?? [];
  const marker = nodes.find((n) => n.output?.[0] === y.name);
  assert.equal(marker?.opType, "Identity");
  assert.equal(marker?.input?.length, 1);
  assert.ok(nodes.every((n) => n.opType !== "CustomGradient"));
});
