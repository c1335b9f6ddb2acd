import assert from "node:assert/strict";
import { test } from "node:test";
import { formatTable } from "./format.js";

test("formatTable pads columns to the widest cell, two spaces apart, without trailing blanks", () => {
  const rows = [
    ["name", "n", "note"],
    ["ich", "12", ""],
    ["hydrocephalus", "3", "rare"],
  ];
  assert.deepEqual(formatTable(rows), [
    "name           n   note",
    "ich            12",
    "hydrocephalus  3   rare",
  ]);
  // numeric: the first column left, the others right-aligned.
  assert.deepEqual(formatTable(rows, true), [
    "name            n  note",
    "ich            12",
    "hydrocephalus   3  rare",
  ]);
});
