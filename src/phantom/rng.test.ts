import assert from "node:assert/strict";
import { test } from "node:test";
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

test("streams are deterministic and distinct per (seed, index)", () => {
  const a = Rng.stream(7, 3).u32();
  assert.equal(Rng.stream(7, 3).u32(), a);
  assert.notEqual(Rng.stream(7, 4).u32(), a);
  assert.notEqual(Rng.stream(8, 3).u32(), a);
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
