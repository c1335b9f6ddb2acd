import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeRle } from "./rle.js";

/** A frame: 64-byte header with the segment offsets, then the segments. */
function frame(segments: number[][]): Uint8Array {
  const header = new Uint8Array(64);
  const dv = new DataView(header.buffer);
  dv.setUint32(0, segments.length, true);
  let at = 64;
  segments.forEach((s, i) => {
    dv.setUint32(4 + 4 * i, at, true);
    at += s.length;
  });
  return new Uint8Array([...header, ...segments.flat()]);
}

test("RLE: 16-bit planes, literal, replicate and no-op runs (PS3.5 G.3.1)", () => {
  // 2 rows × 3 columns; high bytes 01 03 05 07 09 0B, low bytes AA AA AA AA 0A 0C.
  const high = [5, 0x01, 0x03, 0x05, 0x07, 0x09, 0x0b];
  const low = [0xfd, 0xaa, 128, 1, 0x0a, 0x0c]; // replicate 4 × AA, a no-op, literal of 2
  const out = decodeRle(frame([high, low]), 2, 3, 16, 1);
  const values = Array.from(new Uint16Array(out.buffer, out.byteOffset, 6));
  assert.deepEqual(values, [0x01aa, 0x03aa, 0x05aa, 0x07aa, 0x090a, 0x0b0c]);
});

test("RLE: three 8-bit samples are interleaved R, G, B", () => {
  const out = decodeRle(
    frame([
      [0xff, 10],
      [0xff, 20],
      [1, 30, 31],
    ]),
    1,
    2,
    8,
    3,
  );
  assert.deepEqual(Array.from(out), [10, 20, 30, 10, 20, 31]);
});

test("RLE: wrong segment count and short segments are errors", () => {
  assert.throws(() => decodeRle(frame([[0, 1]]), 1, 1, 16, 1), /2 for 16-bit/);
  assert.throws(() => decodeRle(frame([[1, 5]]), 1, 3, 8, 1), /passes the end|expected 3/);
  assert.throws(() => decodeRle(new Uint8Array(10), 1, 1, 8, 1), /64-byte header/);
});
