// The writer against bytes written by the reference implementation, and narrowing to F16/BF16
// against numpy and torch (test/fixtures/safetensors/make_fixtures.py).
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fixture, tempDir } from "../../../test/paths.js";
import { float32ToBF16, float32ToF16 } from "./half.js";
import { decodeSafetensors, readSafetensors } from "./reader.js";
import { encodeSafetensors, type TensorInput, writeSafetensors } from "./writer.js";

const bytesOf = async (...p: string[]) => new Uint8Array(await readFile(fixture("safetensors", ...p)));

/** The tensors of layout.safetensors, as the fixture script defines them. */
function layoutTensors(): Record<string, TensorInput> {
  return {
    "b.weight": { dtype: "F32", shape: [2, 3], data: Float32Array.of(0, 0.5, 1, 1.5, 2, 2.5) },
    "a.bias": { dtype: "F32", shape: [3], data: Float32Array.of(-1, 0, 1) },
    emb: { dtype: "F16", shape: [2, 2], data: Float32Array.of(1, 2, 3, 4) },
    ids: { dtype: "I64", shape: [3], data: BigInt64Array.of(1n, 2n, 3n) },
    mask: { dtype: "BOOL", shape: [3], data: Uint8Array.of(1, 0, 1) },
    "10": { dtype: "I8", shape: [2], data: Int8Array.of(-3, 3) },
    "2": { dtype: "I8", shape: [1], data: Int8Array.of(9) },
  };
}

test("encodes byte for byte what the reference writes (order, header padding, data)", async () => {
  const want = await bytesOf("layout.safetensors");
  assert.deepEqual(encodeSafetensors(layoutTensors(), { format: "pt" }), want);
});

test("writes the same bytes to a file atomically, leaving no temporary file", async (t) => {
  const dir = tempDir(t);
  const path = join(dir, "out.safetensors");
  await writeSafetensors(path, new Map(Object.entries(layoutTensors())), { format: "pt" });
  assert.deepEqual(new Uint8Array(await readFile(path)), await bytesOf("layout.safetensors"));
  assert.deepEqual(await readdir(dir), ["out.safetensors"]);
  await assert.rejects(
    writeSafetensors(join(dir, "bad.safetensors"), {
      x: { dtype: "F32", shape: [2], data: new Float32Array(3) },
    }),
    /bad\.safetensors: cannot write tensor "x": 3 values for shape \[2\] \(2\)/,
  );
  assert.deepEqual(await readdir(dir), ["out.safetensors"]);
});

test("decode → encode reproduces the reference file with every dtype exactly", async () => {
  const ref = await bytesOf("reference.safetensors");
  const { tensors, metadata } = decodeSafetensors(ref);
  assert.deepEqual(encodeSafetensors(tensors, metadata), ref);
});

test("file round trip: write, lazy read, compare", async (t) => {
  const path = join(tempDir(t), "rt.safetensors");
  const big = Float32Array.from({ length: 3_000_001 }, (_, i) => Math.sin(i) * 1e3);
  await writeSafetensors(path, {
    big: { dtype: "F32", shape: [3_000_001], data: big },
    half: { dtype: "BF16", shape: [3_000_001], data: big },
    u: { dtype: "U8", shape: [2], data: Uint8Array.of(1, 2) },
  });
  const f = await readSafetensors(path);
  try {
    assert.deepEqual((await f.tensor("big")).data, big);
    // BF16 written chunk by chunk equals narrowing the whole array at once.
    assert.deepEqual((await f.tensor("half")).data, float32ToBF16(big));
    assert.deepEqual(await f.float32("u"), Float32Array.of(1, 2));
  } finally {
    await f.close();
  }
});

test("float32 → F16 matches numpy and → BF16 matches torch (round to nearest even)", async () => {
  const n = JSON.parse(await readFile(fixture("safetensors", "narrowing.json"), "utf8"));
  const src = new Float32Array(Uint32Array.from(n.float32Bits).buffer);
  assert.deepEqual([...float32ToF16(src)], n.f16Bits);
  assert.deepEqual([...float32ToBF16(src)], n.bf16Bits);
  // NaN stays NaN in both.
  const nan = Float32Array.of(Number.NaN);
  assert.equal(float32ToF16(nan)[0]! & 0x7fff, 0x7e00);
  assert.ok((float32ToBF16(nan)[0]! & 0x7f80) === 0x7f80 && (float32ToBF16(nan)[0]! & 0x7f) !== 0);
});

test("refuses inputs it cannot write faithfully", () => {
  const bad = (t: Record<string, TensorInput>) => () => encodeSafetensors(t);
  assert.throws(
    bad({ x: { dtype: "F32", shape: [2], data: new Float64Array(2) } }),
    /Float64Array data for dtype F32/,
  );
  assert.throws(
    bad({ x: { dtype: "I8", shape: [3], data: new Uint8Array(2) } }),
    /2 bytes for I8 \[3\] \(3\)/,
  );
  assert.throws(bad({ __metadata__: { dtype: "U8", shape: [0], data: new Uint8Array(0) } }), /reserved/);
  assert.throws(bad({ x: { dtype: "F32", shape: [-1], data: new Float32Array(0) } }), /bad shape/);
  assert.throws(
    bad({ x: { dtype: "Q4" as "F32", shape: [1], data: new Float32Array(1) } }),
    /unknown dtype "Q4"/,
  );
  // Raw bytes are accepted for any dtype.
  const raw = encodeSafetensors({ x: { dtype: "F16", shape: [1], data: Uint8Array.of(0x00, 0x3c) } });
  assert.deepEqual(decodeSafetensors(raw).tensors.get("x")!.data, Uint16Array.of(0x3c00));
});
