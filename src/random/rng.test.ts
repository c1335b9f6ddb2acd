import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fixture } from "../../test/paths.js";
import { Rng } from "./rng.js";

/** xoshiro128** written from the reference C code with BigInt arithmetic, as an independent check. */
function reference(state: [number, number, number, number], count: number): number[] {
  const M = 0xffffffffn;
  let s = state.map((v) => BigInt(v >>> 0));
  const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const result = (rotl((s[1]! * 5n) & M, 7n) * 9n) & M;
    const t = (s[1]! << 9n) & M;
    s = [...s];
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11n);
    out.push(Number(result));
  }
  return out;
}

/** splitmix32 seeding as documented in rng.ts, again in BigInt. */
function seedState(key: number): [number, number, number, number] {
  let s = BigInt(key >>> 0);
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    s = (s + 0x9e3779b9n) & 0xffffffffn;
    let z = s;
    z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & 0xffffffffn;
    z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & 0xffffffffn;
    out.push(Number(z ^ (z >> 16n)));
  }
  return out as [number, number, number, number];
}

test("Rng matches a BigInt xoshiro128** reference", () => {
  for (const key of [0, 1, 12345, 0xdeadbeef]) {
    const r = new Rng(key);
    const got = Array.from({ length: 20 }, () => r.u32());
    assert.deepEqual(got, reference(seedState(key), 20));
  }
});

test("Rng is xoshiro128** seeded by splitmix32: same stream as the C reference", () => {
  // test/fixtures/random/xoshiro128ss.c, compiled with cc, wrote these (unsigned 32-bit C arithmetic).
  const ref = JSON.parse(readFileSync(fixture("random", "xoshiro128ss.json"), "utf8")) as Record<
    string,
    number[]
  >;
  for (const [seed, stream] of Object.entries(ref)) {
    const rng = new Rng(Number(seed));
    assert.deepEqual(
      stream.map(() => rng.u32()),
      stream,
      `seed ${seed}`,
    );
  }
});

test("streams are deterministic and distinct per (seed, index)", () => {
  const a = Rng.stream(7, 3).u32();
  assert.equal(Rng.stream(7, 3).u32(), a);
  assert.notEqual(Rng.stream(7, 4).u32(), a);
  assert.notEqual(Rng.stream(8, 3).u32(), a);
});

test("same seed same stream, intBelow() covers [0, k) evenly", () => {
  const a = new Rng(42);
  const b = new Rng(42);
  for (let i = 0; i < 100; i++) assert.equal(a.u32(), b.u32());
  // intsBelow() is the batched form of intBelow(): same values, same state afterwards.
  const batch = new Uint32Array(500);
  a.intsBelow(37, batch);
  for (let i = 0; i < 500; i++) assert.equal(batch[i], b.intBelow(37));
  assert.equal(a.u32(), b.u32());
  const rng = new Rng(0);
  const counts = new Array(10).fill(0);
  for (let i = 0; i < 100000; i++) counts[rng.intBelow(10)]++;
  // Chi-square with 9 degrees of freedom: the 0.999 quantile is 27.9.
  const chi2 = counts.reduce((t, c) => t + (c - 10000) ** 2 / 10000, 0);
  assert.ok(chi2 < 27.9, `chi2 ${chi2}`);
});

test("intBelow(k) is int(0, k - 1), and int(lo, hi) stays inside [lo, hi]", () => {
  const a = new Rng(5);
  const b = new Rng(5);
  for (let i = 0; i < 1000; i++) {
    const k = 1 + (i % 50);
    assert.equal(a.intBelow(k), b.int(0, k - 1));
  }
  const r = new Rng(6);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const v = r.int(-3, 3);
    assert.ok(Number.isInteger(v) && v >= -3 && v <= 3, `int ${v}`);
    seen.add(v);
  }
  assert.equal(seen.size, 7);
});

test("seeds are taken modulo 2^32", () => {
  assert.equal(new Rng(-1).u32(), new Rng(4294967295).u32());
  assert.equal(new Rng(2 ** 32 + 7).u32(), new Rng(7).u32());
});

test("uniform and normal have the right moments", () => {
  const r = new Rng(99);
  const n = 20000;
  let su = 0;
  let sn = 0;
  let sn2 = 0;
  for (let i = 0; i < n; i++) {
    su += r.next();
    const z = r.normal();
    sn += z;
    sn2 += z * z;
  }
  assert.ok(Math.abs(su / n - 0.5) < 0.01);
  assert.ok(Math.abs(sn / n) < 0.03);
  assert.ok(Math.abs(sn2 / n - 1) < 0.04);
});
