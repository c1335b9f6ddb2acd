// saveBackbone writes folders in the layout of the PyTorch-written fixture and reads back whole.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { fixture, tempDir } from "../../../test/paths.js";
import { releaseSessions } from "../../engine/index.js";
import { readSafetensors } from "../../io/safetensors/index.js";
import { normalInit, resetInitSeed } from "../init.js";
import { backboneSpec } from "./configs.js";
import { buildBackbone, loadBackbone } from "./hf.js";
import { saveBackbone } from "./save.js";

after(() => releaseSessions());

async function tensors(path: string): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
  const f = await readSafetensors(path);
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const n of f.names()) out.set(n, { shape: f.info(n).shape, data: await f.float32(n) });
  await f.close();
  return out;
}

test("saveBackbone: the DINOv2 fixture (written by PyTorch) saved again has its exact keys and tensors", async (t) => {
  const dir = fixture("nn", "dinov2");
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  const loaded = await loadBackbone(dir);
  const out = join(tempDir(t), "saved");
  await saveBackbone(loaded.model, config, out);
  const want = await tensors(join(dir, "model.safetensors"));
  const got = await tensors(join(out, "model.safetensors"));
  assert.deepEqual([...got.keys()].sort(), [...want.keys()].sort());
  for (const [k, w] of want) {
    assert.deepEqual(got.get(k)?.shape, w.shape, k);
    assert.deepEqual(got.get(k)?.data, w.data, k);
  }
  const written = JSON.parse(readFileSync(join(out, "config.json"), "utf8"));
  assert.equal(written.model_type, "dinov2");
  assert.deepEqual(written.architectures, ["Dinov2Model"]);
  assert.equal(existsSync(join(out, "preprocessor_config.json")), false);
  assert.deepEqual(
    readdirSync(out).filter((f) => f.endsWith(".tmp")),
    [],
  );
});

test("saveBackbone → loadBackbone round-trips a random model with its preprocessor config", async (t) => {
  const config = {
    model_type: "dinov2",
    hidden_size: 16,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    image_size: 16,
    patch_size: 4,
    num_channels: 3,
  };
  resetInitSeed(42);
  const model = buildBackbone(backboneSpec(config, "test"));
  const out = join(tempDir(t), "m");
  await saveBackbone(model, config, out, {
    preprocessor: {
      do_resize: true,
      size: { height: 16, width: 16 },
      do_rescale: false,
      do_normalize: false,
    },
  });
  const back = await loadBackbone(out);
  assert.equal(back.imageSize, 16);
  assert.deepEqual(back.preprocessing?.size, { height: 16, width: 16 });
  assert.equal(back.preprocessing?.mean, undefined);
  const want = new Map(model.namedParameters());
  for (const [k, p] of back.model.namedParameters()) assert.deepEqual(p.data, want.get(k)?.data, k);
});

test("saveBackbone refuses a config that does not describe the model", async (t) => {
  const config = {
    model_type: "dinov2",
    hidden_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    image_size: 16,
    patch_size: 4,
  };
  const model = buildBackbone(backboneSpec(config, "test"));
  await assert.rejects(
    saveBackbone(model, { ...config, num_hidden_layers: 2 }, join(tempDir(t), "x")),
    /does not match its config/,
  );
});

test("saveBackbone does not move the init seed sequence (the next random build is unchanged)", async (t) => {
  const dir = fixture("nn", "dinov2");
  const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as Record<string, unknown>;
  const loaded = await loadBackbone(dir);
  resetInitSeed(7);
  const expected = normalInit(8, 1);
  resetInitSeed(7);
  await saveBackbone(loaded.model, config, join(tempDir(t), "saved"));
  assert.deepEqual(normalInit(8, 1), expected);
});
