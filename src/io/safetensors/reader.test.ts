// Reading files written by the reference implementation (huggingface/safetensors 0.8.0, via
// test/fixtures/safetensors/make_fixtures.py); expected values come from numpy/torch.
import assert from "node:assert/strict";
import { open, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fixture, tempDir } from "../../../test/paths.js";
import { InputError } from "../../errors.js";
import type { Tensor } from "./dtype.js";
import { decodeSafetensors, readSafetensors } from "./reader.js";

type Value = number | string | boolean;
interface Expected {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[]; stored: Value[]; float32: Value[] | null }>;
  headerLength: number;
  fileSize: number;
}
const expected: Expected = JSON.parse(await readFile(fixture("safetensors", "expected.json"), "utf8"));
const referencePath = fixture("safetensors", "reference.safetensors");

/** JSON stand-ins for values JSON cannot hold. */
function num(v: Value): number {
  if (v === "NaN") return Number.NaN;
  if (v === "Infinity") return Number.POSITIVE_INFINITY;
  if (v === "-Infinity") return Number.NEGATIVE_INFINITY;
  if (v === "-0") return -0;
  return Number(v);
}

function sameValues(actual: ArrayLike<number | bigint>, want: Value[], what: string): void {
  assert.equal(actual.length, want.length, `${what}: length`);
  for (let i = 0; i < want.length; i++) {
    const a = actual[i]!;
    const w = want[i]!;
    if (typeof a === "bigint") assert.equal(a, BigInt(w as string), `${what}[${i}]`);
    else assert.ok(Object.is(a, num(w)), `${what}[${i}]: ${a} vs ${w}`);
  }
}

function checkTensor(name: string, t: Tensor): void {
  const e = expected.tensors[name]!;
  assert.equal(t.dtype, e.dtype, `${name} dtype`);
  assert.deepEqual(t.shape, e.shape, `${name} shape`);
  sameValues(t.data, e.stored, `${name} stored`);
}

/** Hand-decoded 8-bit floats (OCP spec: E4M3 bias 7, no infinities; E5M2 bias 15). */
const F8: Record<string, number[]> = {
  f8e4m3: [1, 2, 1.5, 2 ** -9, 448, -1, 0, 2 ** -6],
  f8e5m2: [1, 2, Number.POSITIVE_INFINITY, 2 ** -16, -2, 0],
};

test("lazy reader returns every dtype, shape, value and the metadata", async () => {
  const f = await readSafetensors(referencePath);
  try {
    assert.deepEqual(new Set(f.names()), new Set(Object.keys(expected.tensors)));
    assert.deepEqual(f.metadata, expected.metadata);
    assert.equal(f.header.dataStart, 8 + expected.headerLength);
    for (const name of Object.keys(expected.tensors)) {
      checkTensor(name, await f.tensor(name));
      const want = expected.tensors[name]!.float32;
      const f32 = await f.float32(name);
      assert.ok(f32 instanceof Float32Array);
      if (want) sameValues(f32, want, `${name} float32`);
      else sameValues(f32, F8[name]!, `${name} float32`);
    }
    assert.throws(() => f.info("missing"), /no tensor named "missing"/);
  } finally {
    await f.close();
  }
});

test("in-memory decode agrees with the reference and copies out of the input", async () => {
  const bytes = new Uint8Array(await readFile(referencePath));
  const { tensors, metadata } = decodeSafetensors(bytes);
  assert.deepEqual(metadata, expected.metadata);
  for (const [name, t] of tensors) checkTensor(name, t);
  const before = (tensors.get("f32.vector")!.data as Float32Array)[0];
  bytes.fill(0);
  assert.equal((tensors.get("f32.vector")!.data as Float32Array)[0], before);
});

test("decoding a Node Buffer copies too (Buffer.slice would alias)", async () => {
  const buf = await readFile(referencePath);
  const { tensors } = decodeSafetensors(buf);
  const v = tensors.get("f32.vector")!.data as Float32Array;
  assert.equal(v[0], 1);
  buf.fill(0);
  assert.equal(v[0], 1);
});

test("a metadata key named __proto__ stays data, and folders are not files", async (t) => {
  const json = new TextEncoder().encode('{"__metadata__":{"__proto__":"x","a":"b"}}');
  const bytes = new Uint8Array(8 + json.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  const { metadata } = decodeSafetensors(bytes);
  assert.deepEqual(Object.keys(metadata), ["__proto__", "a"]);
  assert.equal(Object.getPrototypeOf(metadata), Object.prototype);
  const dir = tempDir(t);
  await assert.rejects(readSafetensors(dir), /not a regular file/);
});

test("reads a tensor beyond 2 GiB of a sparse file without reading what precedes it", async (t) => {
  const path = join(tempDir(t), "sparse.safetensors");
  const padBytes = 2 ** 31 + 13;
  const header = JSON.stringify({
    pad: { dtype: "U8", shape: [padBytes], data_offsets: [0, padBytes] },
    tail: { dtype: "F32", shape: [3], data_offsets: [padBytes, padBytes + 12] },
  });
  const json = new TextEncoder().encode(header);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(json.length), true);
  const fh = await open(path, "w");
  await fh.write(prefix, 0, 8, 0);
  await fh.write(json, 0, json.length, 8);
  const tail = Float32Array.of(1.25, -3, 1e-20);
  await fh.write(new Uint8Array(tail.buffer), 0, 12, 8 + json.length + padBytes);
  await fh.close();
  const f = await readSafetensors(path);
  try {
    assert.deepEqual((await f.tensor("tail")).data, tail);
    assert.equal(f.info("pad").dataOffsets[1], padBytes);
  } finally {
    await f.close();
  }
});

interface Corrupt {
  name: string;
  bytes: string;
  referenceAccepts: boolean;
  referenceMessage: string;
}
const corrupt: { cases: Corrupt[] } = JSON.parse(
  await readFile(fixture("safetensors", "corrupt.json"), "utf8"),
);

test("accepts and rejects the same hand-built files as the reference implementation", async (t) => {
  const dir = tempDir(t);
  for (const c of corrupt.cases) {
    const bytes = new Uint8Array(Buffer.from(c.bytes, "base64"));
    const path = join(dir, `${c.name.replaceAll(" ", "-")}.safetensors`);
    await writeFile(path, bytes);
    if (c.referenceAccepts) {
      decodeSafetensors(bytes, c.name);
      await (await readSafetensors(path)).close();
      continue;
    }
    assert.throws(
      () => decodeSafetensors(bytes, c.name),
      InputError,
      `${c.name} (reference: ${c.referenceMessage})`,
    );
    await assert.rejects(
      readSafetensors(path),
      (err: unknown) =>
        err instanceof InputError && err.message.startsWith(`${path}: `) && !err.message.includes("\n"),
      c.name,
    );
  }
});

test("error messages say what is wrong", async () => {
  const byName = new Map(corrupt.cases.map((c) => [c.name, new Uint8Array(Buffer.from(c.bytes, "base64"))]));
  const msg = (name: string) => {
    try {
      decodeSafetensors(byName.get(name)!, "f.safetensors");
    } catch (err) {
      return (err as Error).message;
    }
    return "accepted";
  };
  assert.match(msg("truncated data"), /^f\.safetensors: .*"b" ends at byte 11.*truncated/);
  assert.match(msg("trailing bytes"), /data buffer is 13 bytes but the tensors cover 11/);
  assert.match(msg("gap between tensors"), /"b" starts at byte 9 but "a" ends at 8 \(gap\)/);
  assert.match(msg("overlapping tensors"), /"b" starts at byte 6 but "a" ends at 8 \(overlap\)/);
  assert.match(msg("size mismatch"), /dtype F32 × shape \[3\] needs 12 bytes but data_offsets span 8/);
  assert.match(msg("unknown dtype"), /unknown dtype "F31"/);
  assert.match(msg("header length huge"), /exceeds the 100000000-byte limit/);
  assert.match(msg("header length past end"), /header length 10000 runs past the end of the file/);
  assert.match(msg("invalid utf8"), /not valid UTF-8/);
  assert.match(msg("metadata not strings"), /__metadata__ value "k" is not a string/);
});

test("a missing file is an InputError naming it", async (t) => {
  const path = join(tempDir(t), "nope.safetensors");
  await assert.rejects(
    readSafetensors(path),
    new RegExp(`${path}: cannot open safetensors file \\(ENOENT\\)`),
  );
});
