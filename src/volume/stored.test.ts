import assert from "node:assert/strict";
import { test } from "node:test";
import { allocLike, realToStored } from "./stored.js";

test("realToStored undoes the scaling, rounds and clamps integers, keeps floats", () => {
  const s = { slope: 2, intercept: -1024 };
  assert.equal(realToStored({ dtype: "int16", scaling: s }, -1024), 0);
  assert.equal(realToStored({ dtype: "int16", scaling: s }, 1), 513); // 512.5 rounds up
  assert.equal(realToStored({ dtype: "uint8", scaling: { slope: 1, intercept: 0 } }, -1024), 0);
  assert.equal(realToStored({ dtype: "int8", scaling: { slope: 1, intercept: 0 } }, 300), 127);
  assert.equal(realToStored({ dtype: "float32", scaling: s }, 1), 512.5);
  assert.equal(realToStored({ dtype: "int64", scaling: { slope: 1, intercept: 0 } }, -7), -7n);
});

test("allocLike keeps the element type and turns a Buffer into a plain Uint8Array", () => {
  const b = allocLike(Buffer.from([1, 2, 3]), 2);
  assert.equal(b.constructor, Uint8Array);
  assert.equal(b.length, 2);
  assert.ok(allocLike(new Int16Array(1), 3) instanceof Int16Array);
  assert.ok(allocLike(new BigUint64Array(1), 3) instanceof BigUint64Array);
});
