import assert from "node:assert/strict";
import { test } from "node:test";
import { realToStored } from "./stored.js";

test("realToStored undoes the scaling, rounds and clamps integers, keeps floats", () => {
  const s = { slope: 2, intercept: -1024 };
  assert.equal(realToStored({ dtype: "int16", scaling: s }, -1024), 0);
  assert.equal(realToStored({ dtype: "int16", scaling: s }, 1), 513); // 512.5 rounds up
  assert.equal(realToStored({ dtype: "uint8", scaling: { slope: 1, intercept: 0 } }, -1024), 0);
  assert.equal(realToStored({ dtype: "int8", scaling: { slope: 1, intercept: 0 } }, 300), 127);
  assert.equal(realToStored({ dtype: "float32", scaling: s }, 1), 512.5);
  assert.equal(realToStored({ dtype: "int64", scaling: { slope: 1, intercept: 0 } }, -7), -7n);
});
