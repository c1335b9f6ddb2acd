// Half-precision conversions against values worked out by hand from the IEEE 754 binary16 and
// bfloat16 layouts (sign | exponent | mantissa; binary16 bias 15, bfloat16 = top half of binary32).
import assert from "node:assert/strict";
import { test } from "node:test";
import { bf16ToFloat32, f16ToFloat32, float32ToBF16, float32ToF16 } from "./half.js";

test("binary16 bits → Float32", () => {
  const cases: [number, number][] = [
    [0x3c00, 1],
    [0xc000, -2],
    [0x7bff, 65504], // largest finite: (2 − 2^-10)·2^15
    [0x0400, 2 ** -14], // smallest normal
    [0x0001, 2 ** -24], // smallest subnormal
    [0x03ff, 1023 * 2 ** -24], // largest subnormal
    [0x3555, 0.333251953125], // 1/3 rounded: 2^-2 · (1 + 341/1024)
    [0x7c00, Number.POSITIVE_INFINITY],
    [0xfc00, Number.NEGATIVE_INFINITY],
    [0x8000, -0],
  ];
  const out = f16ToFloat32(Uint16Array.from(cases.map((c) => c[0])));
  cases.forEach(([bits, v], i) => {
    assert.ok(Object.is(out[i], v), `0x${bits.toString(16)} → ${out[i]}, want ${v}`);
  });
  assert.ok(Number.isNaN(f16ToFloat32(Uint16Array.of(0x7e00))[0]));
});

test("Float32 → binary16 rounds to nearest, ties to even, overflowing to infinity", () => {
  const cases: [number, number][] = [
    [1 / 3, 0x3555],
    [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 and 0x3c01: even wins
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02: even wins
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
    [65504, 0x7bff],
    [65519, 0x7bff], // below the midpoint to 2^16
    [65520, 0x7c00], // the midpoint rounds to even, which is infinity
    [2 ** -25, 0x0000], // half the smallest subnormal: tie to even (zero)
    [1.5 * 2 ** -25, 0x0001],
    [3 * 2 ** -25, 0x0002], // tie between subnormals 1 and 2
    [-(2 ** -14), 0x8400],
    [1e-30, 0x0000],
    [-0, 0x8000],
  ];
  const out = float32ToF16(Float32Array.from(cases.map((c) => c[0])));
  cases.forEach(([v, bits], i) => {
    assert.equal(out[i], bits, `${v} → 0x${out[i]!.toString(16)}, want 0x${bits.toString(16)}`);
  });
});

test("bfloat16 both ways", () => {
  assert.deepEqual(bf16ToFloat32(Uint16Array.of(0x3f80, 0xc040, 0x0001)), Float32Array.of(1, -3, 2 ** -133));
  const cases: [number, number][] = [
    [1, 0x3f80],
    [1 + 2 ** -8, 0x3f80], // tie: even
    [1 + 3 * 2 ** -8, 0x3f82], // tie: even
    [1 + 2 ** -8 + 2 ** -20, 0x3f81],
    [3.4028234663852886e38, 0x7f80], // rounds up into infinity
    [-2.5, 0xc020],
  ];
  const out = float32ToBF16(Float32Array.from(cases.map((c) => c[0])));
  cases.forEach(([v, bits], i) => {
    assert.equal(out[i], bits, `${v} → 0x${out[i]!.toString(16)}, want 0x${bits.toString(16)}`);
  });
});
