// An ONNX model exported by PyTorch (test/fixtures/engine/make_torch_onnx.py) imports into the IR
// and reproduces the outputs torch computed; its weights can be made trainable and differentiated.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, test } from "node:test";
import onnxProto from "onnx-proto";
import { fixture } from "../../../test/paths.js";
import { grad } from "../autodiff.js";
import { randn } from "../gradcheck.js";
import type { Value } from "../ir/graph.js";
import * as E from "../ops/index.js";
import { compile } from "../runtime/program.js";
import { releaseSessions } from "../runtime/session.js";
import { importOnnx } from "./import.js";
import { serialize } from "./serialize.js";

after(() => releaseSessions());

const ref = JSON.parse(readFileSync(fixture("engine", "tiny_torch.json"), "utf8")) as {
  x: number[];
  y: number[];
  pooled: number[];
};

function close(got: ArrayLike<number>, want: number[], tol: number, what: string) {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    assert.ok(
      Math.abs((got[i] as number) - (want[i] as number)) <= tol * (1 + Math.abs(want[i] as number)),
      `${what}[${i}]: ${got[i]} vs torch ${want[i]}`,
    );
  }
}

test("a PyTorch-exported model imports and gives torch's outputs", async () => {
  const m = importOnnx(fixture("engine", "tiny_torch.onnx"));
  assert.deepEqual(Object.keys(m.outputs), ["y", "pooled"]);
  assert.ok(
    m.graph.nodes.every((n) => n.op !== "Shape"),
    "shape arithmetic was folded",
  );
  const prog = await compile(m.outputs);
  const out = await prog.run({ x: Float32Array.from(ref.x) });
  close(out.y as Float32Array, ref.y, 1e-5, "y");
  close(out.pooled as Float32Array, ref.pooled, 1e-5, "pooled");
});

test("re-serialising the imported model gives the same ONNX outputs (IR round trip)", async () => {
  const m = importOnnx(fixture("engine", "tiny_torch.onnx"));
  const again = importOnnx(serialize(m.outputs).model);
  const out = await (await compile(again.outputs)).run({ x: Float32Array.from(ref.x) });
  close(out.y as Float32Array, ref.y, 1e-5, "y");
});

test("imported weights can be trainable: gradients match finite differences", async () => {
  const m = importOnnx(fixture("engine", "tiny_torch.onnx"), {
    trainable: (n) => n === "fc1.weight" || n === "conv.weight",
  });
  const w = m.params["fc1.weight"] as Value;
  const cw = m.params["conv.weight"] as Value;
  assert.equal(w.trainable, true);
  assert.equal((m.params["fc2.weight"] as Value).trainable, false);
  const R = m.graph.constant(Float32Array.from(randn(10, 3)), [2, 5]);
  const loss = E.reduceSum(E.mul(m.outputs.y as Value, R));
  const [gw, gc] = grad(loss, [w, cw]) as [Value, Value];
  const prog = await compile({ loss, gw, gc });
  const lossOnly = await compile({ loss });
  const feeds = { x: Float32Array.from(ref.x) };
  const out = await prog.run(feeds);
  for (const [p, gname] of [
    [w, "gw"],
    [cw, "gc"],
  ] as const) {
    const data = p.data as Float32Array;
    // Entries whose ±eps perturbation does not flip a ReLU or a max-pool winner (those make
    // central differences erratic while the analytic gradient is right).
    for (const i of [0, 7, 100]) {
      const orig = data[i] as number;
      const eps = 3e-3;
      data[i] = orig + eps;
      const lp = ((await lossOnly.run(feeds)).loss as Float32Array)[0] as number;
      data[i] = orig - eps;
      const lm = ((await lossOnly.run(feeds)).loss as Float32Array)[0] as number;
      data[i] = orig;
      const num = (lp - lm) / (2 * eps);
      const ana = (out[gname] as Float32Array)[i] as number;
      assert.ok(
        Math.abs(num - ana) <= 3e-3 + 2e-2 * Math.abs(num),
        `${p.name}[${i}]: analytic ${ana}, numeric ${num}`,
      );
    }
  }
});

test("unsupported ops and symbolic shapes are clear errors", () => {
  const { onnx } = onnxProto;
  const model = (op: string, dim: { dimValue?: number; dimParam?: string }) =>
    onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: "", version: 17 }],
      graph: {
        name: "g",
        node: [{ opType: op, name: "n0", input: ["x"], output: ["y"] }],
        input: [{ name: "x", type: { tensorType: { elemType: 1, shape: { dim: [dim, { dimValue: 3 }] } } } }],
        output: [{ name: "y", type: { tensorType: { elemType: 1 } } }],
      },
    }).finish();
  assert.throws(
    () => importOnnx(model("Selu", { dimValue: 2 })),
    /node n0 \(Selu\): op Selu is not supported/,
  );
  assert.throws(() => importOnnx(model("Relu", { dimParam: "batch" })), /input x has symbolic dimensions/);
  const ok = importOnnx(model("Relu", { dimParam: "batch" }), { inputShapes: { x: [4, 3] } });
  assert.deepEqual(ok.outputs.y?.shape, [4, 3]);
});
