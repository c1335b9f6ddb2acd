import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fixture } from "../../../test/paths.js";
import { series } from "./series.js";

/** Collects what the command writes as text; the test runner's own (binary) reports pass through. */
async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string }> {
  const write = process.stdout.write.bind(process.stdout);
  let out = "";
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    if (typeof chunk !== "string") return write(chunk, ...rest);
    out += chunk;
    return true;
  }) as typeof process.stdout.write;
  try {
    return { code: await fn(), out };
  } finally {
    process.stdout.write = write;
  }
}

test("medadapt series --json lists both series of the fixture tree with their UIDs", async () => {
  const expected = JSON.parse(readFileSync(fixture("dicom", "expected.json"), "utf8")) as {
    tree: { series: Record<string, string> };
  };
  const { code, out } = await capture(() => series.run([fixture("dicom", "tree"), "--json"]));
  assert.equal(code, 0);
  const parsed = JSON.parse(out) as { series: { uid: string; description: string; files: number }[] };
  assert.equal(parsed.series.length, 2);
  for (const s of parsed.series) assert.equal(expected.tree.series[s.uid], s.description);
  const text = await capture(() => series.run([fixture("dicom", "tree")]));
  assert.match(text.out, /2 series/);
  assert.match(text.out, /coronal/);
});
