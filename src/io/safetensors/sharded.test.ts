import assert from "node:assert/strict";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { test } from "node:test";
import { fixture, tempDir } from "../../../test/paths.js";
import { readSafetensorsIndex } from "./sharded.js";

const shardedDir = fixture("safetensors", "sharded");

test("reads a two-shard checkpoint through its index, from the folder or the index file", async () => {
  for (const where of [shardedDir, join(shardedDir, "model.safetensors.index.json")]) {
    const ck = await readSafetensorsIndex(where);
    try {
      assert.deepEqual(ck.names().sort(), ["embed.weight", "head.bias", "layer.0.weight"]);
      assert.equal(ck.metadata.total_size, 16 + 6 + 8);
      assert.equal(ck.shards().length, 2);
      assert.equal(ck.shardOf("head.bias"), join(shardedDir, "model-00002-of-00002.safetensors"));
      assert.deepEqual(await ck.float32("embed.weight"), Float32Array.of(1, 2, 3, 4));
      assert.deepEqual(await ck.float32("layer.0.weight"), Float32Array.of(0.5, -1, 2));
      assert.deepEqual((await ck.tensor("head.bias")).data, Float32Array.of(0.25, -0.75));
      assert.throws(() => ck.shardOf("nope"), /no tensor named "nope" in the weight map/);
    } finally {
      await ck.close();
    }
  }
});

test("bad indexes are refused with the index file and the problem named", async (t) => {
  const dir = tempDir(t);
  const index = (name: string, body: unknown) => writeFile(join(dir, name), JSON.stringify(body));
  await assert.rejects(readSafetensorsIndex(dir), /no \*\.safetensors\.index\.json in this folder/);

  await index("model.safetensors.index.json", { weight_map: { a: "missing.safetensors" } });
  await assert.rejects(
    readSafetensorsIndex(dir),
    /model\.safetensors\.index\.json: shard missing\.safetensors .* does not exist/,
  );

  await index("model.safetensors.index.json", { weight_map: { a: "../../etc/passwd" } });
  await assert.rejects(readSafetensorsIndex(dir), /weight_map entry "a" is not a shard file name/);

  await index("model.safetensors.index.json", { metadata: {} });
  await assert.rejects(readSafetensorsIndex(dir), /no "weight_map" object/);

  await writeFile(join(dir, "model.safetensors.index.json"), "{oops");
  await assert.rejects(readSafetensorsIndex(dir), /model\.safetensors\.index\.json: not valid JSON/);

  // The index names a tensor its shard does not hold.
  const sub = join(dir, "sub");
  await mkdir(sub);
  await copyFile(join(shardedDir, "model-00001-of-00002.safetensors"), join(sub, "s1.safetensors"));
  await writeFile(
    join(sub, "x.safetensors.index.json"),
    JSON.stringify({ weight_map: { ghost: "s1.safetensors" } }),
  );
  const ck = await readSafetensorsIndex(sub);
  try {
    await assert.rejects(ck.tensor("ghost"), /maps "ghost" to s1\.safetensors, which has no such tensor/);
  } finally {
    await ck.close();
  }
});
