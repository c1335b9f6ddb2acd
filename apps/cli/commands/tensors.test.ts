import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { assertInputError, runCli } from "../../../test/cli.js";
import { fixture, tempDir } from "../../../test/paths.js";

const expected = JSON.parse(readFileSync(fixture("safetensors", "expected.json"), "utf8")) as {
  metadata: Record<string, string>;
  tensors: Record<string, { dtype: string; shape: number[] }>;
};

test("medadapt tensors --json lists the reference file's tensors from its header", () => {
  const r = runCli("tensors", fixture("safetensors", "reference.safetensors"), "--json");
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.format, "safetensors");
  assert.deepEqual(out.metadata, expected.metadata);
  const got = Object.fromEntries(
    out.tensors.map((t: { name: string; dtype: string; shape: number[] }) => [
      t.name,
      { dtype: t.dtype, shape: t.shape },
    ]),
  );
  const want = Object.fromEntries(
    Object.entries(expected.tensors).map(([n, t]) => [n, { dtype: t.dtype, shape: t.shape }]),
  );
  assert.deepEqual(got, want);
  assert.equal(out.total.tensors, Object.keys(want).length);
});

test("medadapt tensors --stats on a sharded checkpoint folder, filtered", () => {
  const r = runCli(
    ...["tensors", fixture("safetensors", "sharded"), "--stats", "--filter", "^(embed|layer)", "--json"],
  );
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.format, "safetensors-sharded");
  const byName = Object.fromEntries(out.tensors.map((t: { name: string }) => [t.name, t]));
  assert.deepEqual(Object.keys(byName).sort(), ["embed.weight", "layer.0.weight"]);
  // embed.weight = [1, 2, 3, 4]: mean 2.5, population std sqrt(1.25).
  assert.deepEqual(byName["embed.weight"].stats, { min: 1, max: 4, mean: 2.5, std: Math.sqrt(1.25), nan: 0 });
  assert.equal(byName["layer.0.weight"].shard, "model-00002-of-00002.safetensors");
  assert.equal(byName["layer.0.weight"].stats.min, -1);
  assert.deepEqual(out.total, { tensors: 2, elements: 7, bytes: 22 });
  const text = runCli("tensors", fixture("safetensors", "sharded"));
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /safetensors-sharded, 3 tensors, 9 elements/);
});

test("medadapt tensors reports a corrupt file in one line with exit code 2", (t) => {
  const path = join(tempDir(t), "broken.safetensors");
  const bytes = readFileSync(fixture("safetensors", "layout.safetensors"));
  writeFileSync(path, bytes.subarray(0, bytes.length - 3));
  const r = runCli("tensors", path);
  assertInputError(r, path);
  assert.match(r.stderr, /^medadapt tensors: .*broken\.safetensors: .*truncated\?\)\n$/);
});
