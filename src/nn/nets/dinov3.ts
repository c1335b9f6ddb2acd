// DINOv3 ViT as transformers' DINOv3ViTModel: [CLS, registers…, patches] without absolute
// positions; 2-D RoPE on the patch tokens only; LayerScale; final `norm`; pooler = CLS token.
import { concat, expand, type Value } from "../../engine/index.js";
import { lazyNormal } from "../init.js";
import type { Activation } from "../layers/activation.js";
import { PatchEmbed, patchGrid, patchTokens } from "../layers/conv.js";
import { LayerNorm } from "../layers/layernorm.js";
import { dinov3RopeTables } from "../layers/rope.js";
import { type BuildContext, Module, Parameter } from "../module.js";
import { type BackboneOutputs, firstToken, VisionBackbone } from "./backbone.js";
import { DINO_BLOCK_NAMES, VitBlocks } from "./vit-encoder.js";

export interface Dinov3Config {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  hidden_act: Activation;
  layer_norm_eps: number;
  rope_theta: number;
  image_size: number;
  patch_size: number;
  num_channels: number;
  query_bias: boolean;
  key_bias: boolean;
  value_bias: boolean;
  proj_bias: boolean;
  mlp_bias: boolean;
  layerscale_value: number;
  use_gated_mlp: boolean;
  num_register_tokens: number;
}

class Dinov3Embeddings extends Module {
  readonly cls_token: Parameter;
  readonly mask_token: Parameter;
  readonly register_tokens: Parameter;
  /** Patch size per axis. The patch embedding itself is called by its path, never through a
   * field, so an adapter that replaces it (LoRA on its convolution) is the one that runs. */
  readonly patchSize: readonly number[];

  constructor(c: Dinov3Config) {
    super();
    const d = c.hidden_size;
    const r = c.num_register_tokens;
    this.cls_token = this.addParam("cls_token", new Parameter([1, 1, d], lazyNormal(d, 0.02)));
    this.mask_token = this.addParam("mask_token", new Parameter([1, 1, d]));
    this.register_tokens = this.addParam(
      "register_tokens",
      new Parameter([1, r, d], lazyNormal(r * d, 0.02)),
    );
    this.patchSize = [c.patch_size, c.patch_size];
    this.addModule("patch_embeddings", new PatchEmbed(c.num_channels, d, this.patchSize));
  }

  forward(ctx: BuildContext, pixels: Value): Value {
    const b = pixels.shape[0] as number;
    const d = this.cls_token.shape[2] as number;
    const parts = [expand(ctx.param(this.cls_token), [b, 1, d])];
    const r = this.register_tokens.shape[1] as number;
    if (r > 0) parts.push(expand(ctx.param(this.register_tokens), [b, r, d]));
    parts.push(patchTokens(this.getModule("patch_embeddings").forward(ctx, pixels)));
    return concat(parts, 1);
  }
}

export class Dinov3Model extends VisionBackbone {
  readonly arch = "dinov3_vit";
  readonly pooler = "final-normed CLS token";
  readonly hiddenSize: number;
  readonly numChannels: number;
  readonly embeddings: Dinov3Embeddings;
  readonly blocks: VitBlocks;
  readonly norm: LayerNorm;

  constructor(readonly config: Dinov3Config) {
    super();
    const c = config;
    this.hiddenSize = c.hidden_size;
    this.numChannels = c.num_channels;
    this.embeddings = this.addModule("embeddings", new Dinov3Embeddings(c));
    this.blocks = this.addModule(
      "layer",
      new VitBlocks(c.num_hidden_layers, {
        dim: c.hidden_size,
        heads: c.num_attention_heads,
        eps: c.layer_norm_eps,
        names: DINO_BLOCK_NAMES,
        attention: {
          names: { q: "q_proj", k: "k_proj", v: "v_proj", o: "o_proj" },
          bias: { q: c.query_bias, k: c.key_bias, v: c.value_bias, o: c.proj_bias },
        },
        mlp: c.use_gated_mlp
          ? { kind: "gated", hidden: c.intermediate_size, act: c.hidden_act, bias: c.mlp_bias }
          : {
              kind: "plain",
              hidden: c.intermediate_size,
              act: c.hidden_act,
              names: { fc1: "up_proj", fc2: "down_proj" },
              bias: c.mlp_bias,
            },
        layerScale: c.layerscale_value,
      }),
    );
    this.norm = this.addModule("norm", new LayerNorm(c.hidden_size, c.layer_norm_eps));
  }

  embed(ctx: BuildContext, pixels: Value): BackboneOutputs {
    const c = this.config;
    const [gh, gw] = patchGrid(pixels.shape.slice(2), this.embeddings.patchSize) as [number, number];
    const t = dinov3RopeTables(gh, gw, c.hidden_size / c.num_attention_heads, c.rope_theta);
    const cos = ctx.graph.constant(t.cos, t.shape);
    const sin = ctx.graph.constant(t.sin, t.shape);
    const x = this.blocks.forward(ctx, this.embeddings.forward(ctx, pixels), cos, sin);
    const last = this.norm.forward(ctx, x);
    return { lastHiddenState: last, poolerOutput: firstToken(last) };
  }
}
