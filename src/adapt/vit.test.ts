// Adapters on the nn package's DINOv2 backbone (transformers' module names): default LoRA
// targets, merge = unmerged, MoLRE gradients through the whole ViT against finite differences.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { gradCheck, randn, releaseSessions, type Value } from "../engine/index.js";
import {
  BuildContext,
  type Dinov2Config,
  Dinov2Model,
  Dinov3Model,
  type Module,
  type Parameter,
  SiglipVisionModel,
} from "../nn/index.js";
import { adapterLayers } from "./base.js";
import { applyMethod } from "./index.js";
import { maxAbsDiff, runModel } from "./toy-models.js";

after(() => releaseSessions());

const CONFIG: Dinov2Config = {
  hidden_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  mlp_ratio: 2,
  hidden_act: "gelu_tanh",
  layer_norm_eps: 1e-6,
  image_size: 8,
  patch_size: 4,
  num_channels: 3,
  qkv_bias: true,
  layerscale_value: 1,
  use_swiglu_ffn: false,
  use_mask_token: false,
};
const PIX = [2, 3, 8, 8];
const pixels = Float32Array.from(randn(2 * 3 * 64, 3));

function vit(): Dinov2Model {
  const m = new Dinov2Model(CONFIG);
  let s = 1;
  for (const [, p] of m.namedParameters()) p.data = Float32Array.from(randn(p.size, s++), (v) => v * 0.3);
  return m;
}

test("LoRA's default targets on DINOv2: q, k, v and attention output of every layer (and the patch embedding)", async () => {
  const m = vit();
  const s = applyMethod(m, { method: "lora" });
  for (const i of [0, 1])
    for (const n of [
      "attention.attention.query",
      "attention.attention.key",
      "attention.attention.value",
      "attention.output.dense",
    ])
      assert.ok(s.targets.includes(`encoder.layer.${i}.${n}`), n);
  // The backbone calls its patch embedding by path, so LoRA on its convolution is wrapped (and
  // the loop below checks that it changes the output).
  const pe = "embeddings.patch_embeddings.projection";
  assert.ok(s.targets.includes(pe), s.targets.join(" "));
  assert.deepEqual(
    s.warnings.filter((w) => w.includes("skipped")),
    [],
  );
  // Every wrapped layer takes effect: with non-zero B the output moves, and merging keeps it.
  const base = (await runModel(m, PIX, pixels)).y as Float32Array;
  let seed = 40;
  for (const [, l] of adapterLayers(m)) {
    const b = l.adapterParams("default").get("lora_B.weight") as Parameter;
    b.data = Float32Array.from(randn(b.size, seed++), (v) => v * 0.3);
  }
  const adapted = (await runModel(m, PIX, pixels)).y as Float32Array;
  for (const [path, l] of adapterLayers(m)) {
    l.enabled = false;
    const without = (await runModel(m, PIX, pixels)).y as Float32Array;
    l.enabled = true;
    assert.ok(maxAbsDiff(without, adapted) > 1e-5, `${path} has no effect`);
  }
  assert.ok(maxAbsDiff(base, adapted) > 1e-3);
  for (const [, l] of adapterLayers(m)) l.merge();
  assert.ok(maxAbsDiff((await runModel(m, PIX, pixels)).y as Float32Array, adapted) < 1e-5);
});

test("MoLRE's default targets find q and v in nn's DINOv2, DINOv3 and SigLIP module trees", () => {
  const common = {
    hidden_size: 8,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    layer_norm_eps: 1e-6,
    image_size: 8,
    patch_size: 4,
    num_channels: 3,
  };
  const dinov3 = new Dinov3Model({
    ...common,
    intermediate_size: 16,
    hidden_act: "gelu",
    rope_theta: 100,
    query_bias: true,
    key_bias: false,
    value_bias: true,
    proj_bias: true,
    mlp_bias: true,
    layerscale_value: 1,
    use_gated_mlp: false,
    num_register_tokens: 2,
  });
  const siglip = new SiglipVisionModel({
    ...common,
    intermediate_size: 16,
    hidden_act: "gelu_tanh",
    vision_use_head: false,
  });
  const layerNames = (m: Module) =>
    [...m.namedModules()].map(([p]) => p).filter((p) => /\.(q_proj|v_proj)$/.test(p));
  for (const [model, want] of [
    [vit(), ["encoder.layer.0.attention.attention.query", "encoder.layer.0.attention.attention.value"]],
    [dinov3, layerNames(dinov3).slice(0, 2)],
    [siglip, layerNames(siglip).slice(0, 2)],
  ] as const) {
    const s = applyMethod(model, { method: "molre" });
    assert.equal(s.targets.length, 4);
    assert.deepEqual(s.targets.slice(0, 2), want);
  }
  // transformers' names (modeling_dinov3_vit.py, modeling_siglip.py)
  assert.match(
    layerNames(dinov3)[0] ?? "",
    /^layer\.0\.attention\.q_proj$|^model\.layer\.0\.attention\.q_proj$/,
  );
  assert.match(layerNames(siglip)[0] ?? "", /encoder\.layers\.0\.self_attn\.q_proj$/);
});

for (const routing of ["token", "image"] as const) {
  test(`DINOv2 with MoLRE on q and v (${routing} routing): gradients match finite differences (float32)`, async () => {
    const m = vit();
    const s = applyMethod(m, { method: "molre", r: 2, numExperts: 2, routing, init: "random" });
    assert.equal(s.targets.length, 4);
    const adapter = new Map<string, Parameter>();
    for (const [path, l] of adapterLayers(m))
      for (const [k, p] of l.adapterParams("default")) adapter.set(`${path}.${k}`, p);
    // Pixel gradients are the backbone's business (nn's tests); here every adapter tensor is checked.
    const inputs: Record<
      string,
      { shape: number[]; data: ArrayLike<number>; dtype: "float32"; grad?: boolean }
    > = {
      pixels: { shape: [1, 3, 8, 8], data: pixels.subarray(0, 192), dtype: "float32", grad: false },
    };
    for (const [k, p] of adapter) inputs[k] = { shape: p.shape, data: p.data, dtype: "float32" };
    const rep = await gradCheck(
      inputs,
      (v) => {
        const overrides = new Map<Parameter, Value>([...adapter].map(([k, p]) => [p, v[k] as Value]));
        const ctx = new Overridden(m, (v.pixels as Value).graph, overrides);
        return m.embed(ctx, v.pixels as Value).poolerOutput;
      },
      { dtype: "float32" },
    );
    assert.deepEqual(rep.failures, []);
  });
}

/** Builds `root` with some parameters replaced by given graph values (the check's inputs). */
class Overridden extends BuildContext {
  constructor(
    root: Module,
    graph: BuildContext["graph"],
    private readonly overrides: Map<Parameter, Value>,
  ) {
    super(root, { graph });
  }

  override param(p: Parameter): Value {
    return this.overrides.get(p) ?? super.param(p);
  }
}
