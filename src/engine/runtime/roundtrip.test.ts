// ONNX written by the engine loads in a fresh ORT session (from the file, uncached) and gives
// the same outputs as the compiled program, with inline weights and with external data.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { tempDir } from "../../../test/paths.js";
import { randn } from "../gradcheck.js";
import { Graph } from "../ir/graph.js";
import { saveOnnx } from "../onnx/save.js";
import * as E from "../ops/index.js";
import { compile } from "./program.js";
import { openSessionFile, releaseSessions, runSession } from "./session.js";

after(() => releaseSessions());

function model() {
  const g = new Graph();
  const x = g.input("x", [2, 3, 8, 8]);
  const w = g.param(
    "conv.w",
    [16, 3, 3, 3],
    Float32Array.from(randn(432, 1), (v) => v * 0.2),
  );
  const head = g.param("head.w", [16, 5], Float32Array.from(randn(80, 2)), { trainable: true });
  const h = E.relu(E.conv(x, w, undefined, { pads: [1, 1, 1, 1] }));
  const pooled = E.reduceMean(E.maxPool(h, [2, 2]), [2, 3]);
  const logits = E.matmul(pooled, head);
  return { logits, probs: E.softmax(logits, -1) };
}

for (const external of [false, true]) {
  test(`saved model reproduces the program's outputs in a fresh session (external data: ${external})`, async (t) => {
    const dir = tempDir(t);
    const outs = model();
    const prog = await compile(outs);
    const x = Float32Array.from(randn(2 * 3 * 64, 3));
    const expected = await prog.run({ x });
    const path = join(dir, "m.onnx");
    const res = await saveOnnx(path, outs, {
      freezeParams: true,
      ...(external ? { externalDataThreshold: 100 } : {}),
    });
    assert.equal(res.external, external);
    assert.equal(existsSync(`${path}.data`), external);
    if (external) assert.ok(statSync(path).size < 432 * 4, "the conv weights left the model file");
    const session = await openSessionFile(path);
    assert.deepEqual(session.inputNames, ["x"]);
    const got = await runSession(session, { x: { dtype: "float32", dims: [2, 3, 8, 8], data: x } });
    assert.deepEqual(got.logits, expected.logits);
    assert.deepEqual(got.probs, expected.probs);
    await session.release();
  });
}

test("compile with external data (tiny threshold) runs like the inline program", async () => {
  const outs = model();
  const x = Float32Array.from(randn(2 * 3 * 64, 4));
  const a = await (await compile(outs)).run({ x });
  const b = await (await compile(outs, { externalDataThreshold: 0 })).run({ x });
  assert.deepEqual(b.logits, a.logits);
});

test("an unavailable execution provider is an error naming it", async () => {
  await assert.rejects(compile(model(), { provider: "cuda" }), /execution provider "cuda" is not available/);
});

test("compile with profile: ORT writes a trace with one event per kernel run of the program's nodes", async (t) => {
  const dir = tempDir(t);
  const outs = model();
  const prog = await compile(outs, { profile: join(dir, "trace") });
  const x = Float32Array.from(randn(2 * 3 * 64, 5));
  for (let i = 0; i < 2; i++) await prog.run({ x });
  await releaseSessions();
  const files = readdirSync(dir).filter((f) => f.startsWith("trace") && f.endsWith(".json"));
  assert.equal(files.length, 1);
  const events = JSON.parse(readFileSync(join(dir, files[0]!), "utf8")) as {
    cat?: string;
    name: string;
    args?: { op_name?: string };
  }[];
  assert.equal(events.filter((e) => e.cat === "Session" && e.name === "model_run").length, 2);
  const ops = new Set(events.filter((e) => e.cat === "Node").map((e) => e.args?.op_name));
  for (const op of ["Conv", "MaxPool", "Softmax"]) assert.ok(ops.has(op), `${op} in ${[...ops].join(", ")}`);
});
