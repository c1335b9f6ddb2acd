// The three Hugging Face layouts against a PyTorch re-implementation of transformers' models
// (test/fixtures/nn/make_fixtures.py): random tiny weights, two input sizes each (the second
// exercises position interpolation or RoPE on another grid), max abs error ≤ 1e-4.
import assert from "node:assert/strict";
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { fixture, tempDir } from "../../../test/paths.js";
import { releaseSessions } from "../../engine/index.js";
import { readSafetensors } from "../../io/safetensors/index.js";
import { embedPixels } from "../embed.js";
import { loadBackbone, saveWeights } from "./hf.js";

after(() => releaseSessions());

async function readIo(path: string): Promise<Record<string, { data: Float32Array; shape: number[] }>> {
  const f = await readSafetensors(path);
  const out: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const n of f.names()) out[n] = { data: await f.float32(n), shape: f.info(n).shape };
  await f.close();
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

const cases = [
  { name: "dinov2", arch: "dinov2", prefix: "", sizes: ["28x28", "42x35"] },
  { name: "dinov3", arch: "dinov3_vit", prefix: "model.", sizes: ["32x32", "40x48"] },
  { name: "siglip", arch: "siglip_vision_model", prefix: "vision_model.", sizes: ["32x32", "48x40"] },
  {
    name: "gemma3",
    arch: "siglip_vision_model",
    prefix: "model.vision_tower.vision_model.",
    sizes: ["24x24", "32x24"],
  },
];

for (const c of cases) {
  test(`${c.name}: last_hidden_state and pooler_output match the PyTorch reference`, async () => {
    const loaded = await loadBackbone(fixture("nn", c.name));
    assert.equal(loaded.spec.arch, c.arch);
    assert.equal(loaded.prefix, c.prefix);
    for (const size of c.sizes) {
      const io = await readIo(fixture("nn", c.name, `io_${size}.safetensors`));
      const px = io.pixel_values as { data: Float32Array; shape: number[] };
      const out = await embedPixels(loaded.model, px.data, px.shape, { batch: 2 });
      const ref = io.last_hidden_state as { data: Float32Array; shape: number[] };
      assert.deepEqual(out.lastShape, ref.shape, `${size} token shape`);
      const err = maxAbsDiff(out.lastHiddenState, ref.data);
      assert.ok(err <= 1e-4, `${c.name} ${size}: last_hidden_state max abs error ${err}`);
      if (process.env.NN_DEBUG) console.log(c.name, size, err);
      if (io.pooler_output) {
        const perr = maxAbsDiff(out.poolerOutput, io.pooler_output.data);
        assert.ok(perr <= 1e-4, `${c.name} ${size}: pooler_output max abs error ${perr}`);
      } else {
        // No head (Gemma 3 tower): the pooled vector is the token mean, computed here independently.
        const [n, t, d] = ref.shape as [number, number, number];
        const mean = new Float32Array(n * d);
        for (let i = 0; i < n; i++)
          for (let k = 0; k < t; k++)
            for (let j = 0; j < d; j++) mean[i * d + j] += (ref.data[(i * t + k) * d + j] as number) / t;
        assert.ok(maxAbsDiff(out.poolerOutput, mean) <= 1e-4);
      }
    }
  });

  test(`${c.name}: key map round-trips (load → state dict → same names and shapes)`, async (t) => {
    const loaded = await loadBackbone(fixture("nn", c.name));
    const files = readdirSync(fixture("nn", c.name)).filter(
      (f) => f.startsWith("model") && f.endsWith(".safetensors"),
    );
    const fileKeys = new Map<string, string>();
    for (const f of files) {
      const st = await readSafetensors(fixture("nn", c.name, f));
      for (const n of st.names()) if (n.startsWith(c.prefix)) fileKeys.set(n, st.info(n).shape.join(","));
      await st.close();
    }
    const ours = new Map(
      [...loaded.model.namedParameters()].map(([k, p]) => [c.prefix + k, p.shape.join(",")]),
    );
    assert.deepEqual([...ours.keys()].sort(), [...fileKeys.keys()].sort());
    for (const [k, s] of ours) assert.equal(s, fileKeys.get(k), k);
    // Written back and re-read, the weights are identical.
    const dir = tempDir(t);
    copyFileSync(fixture("nn", c.name, "config.json"), join(dir, "config.json"));
    await saveWeights(loaded.model, dir, c.prefix);
    const again = await loadBackbone(dir);
    for (const [k, p] of again.model.namedParameters()) {
      assert.deepEqual(p.data, loaded.model.getParameter(k).data, k);
    }
  });
}

test("missing, unexpected and mis-shaped keys are reported together in one InputError", async (t) => {
  const dir = tempDir(t);
  copyFileSync(fixture("nn", "dinov2", "config.json"), join(dir, "config.json"));
  const loaded = await loadBackbone(fixture("nn", "dinov2"));
  const { stateTensors } = await import("./hf.js");
  const { writeSafetensors } = await import("../../io/safetensors/index.js");
  const st = stateTensors(loaded.model);
  st.delete("layernorm.bias");
  st.set("extra.weight", { dtype: "F32", shape: [2], data: new Float32Array(2) });
  st.set("embeddings.cls_token", { dtype: "F32", shape: [1, 32], data: new Float32Array(32) });
  await writeSafetensors(join(dir, "model.safetensors"), st);
  await assert.rejects(loadBackbone(dir), (e: Error) => {
    assert.equal(e.name, "InputError");
    assert.match(e.message, /missing keys: layernorm\.bias/);
    assert.match(e.message, /unexpected keys: extra\.weight/);
    assert.match(e.message, /mis-shaped keys: embeddings\.cls_token \[1,32\] \(expected \[1,1,32\]\)/);
    return true;
  });
});

test("config problems are listed in one InputError", async (t) => {
  const dir = tempDir(t);
  const cfg = JSON.parse(readFileSync(fixture("nn", "dinov3", "config.json"), "utf8"));
  cfg.hidden_size = "big";
  cfg.num_register_tokens = -1;
  cfg.hidden_act = "mish";
  writeFileSync(join(dir, "config.json"), JSON.stringify(cfg));
  await assert.rejects(loadBackbone(dir), (e: Error) => {
    assert.equal(e.name, "InputError");
    assert.match(e.message, /hidden_size must be an integer/);
    assert.match(e.message, /num_register_tokens must be ≥ 0/);
    assert.match(e.message, /hidden_act must be one of/);
    return true;
  });
});

test("embedPixels: a zero-padded short last batch gives the same rows as full batches", async () => {
  const { model } = await loadBackbone(fixture("nn", "siglip"));
  const io = await readIo(fixture("nn", "siglip", "io_32x32.safetensors"));
  const px = io.pixel_values as { data: Float32Array; shape: number[] };
  const per = px.data.length / 2;
  const three = new Float32Array(3 * per);
  three.set(px.data);
  three.set(px.data.subarray(0, per), 2 * per);
  const out = await embedPixels(model, three, [3, ...px.shape.slice(1)], { batch: 2 });
  const ref = io.pooler_output as { data: Float32Array; shape: number[] };
  const d = ref.shape[1] as number;
  const expect = new Float32Array(3 * d);
  expect.set(ref.data);
  expect.set(ref.data.subarray(0, d), 2 * d);
  assert.ok(maxAbsDiff(out.poolerOutput, expect) <= 1e-4);
});
