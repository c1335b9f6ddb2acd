// SigLIP's vision transformer as transformers' SiglipVisionTransformer (the module under
// `vision_model.`): patches + learned positions (nn.Embedding, bicubic-resized for other sizes,
// no CLS), pre-norm blocks with tanh-GELU MLPs, `post_layernorm`; pooler = the attention-pooling
// head (a learned probe attending over all tokens) when `vision_use_head`, else the token mean.
import { add, expand, reduceMean, reshape, type Value } from "../../engine/index.js";
import { lazyNormal } from "../init.js";
import type { Activation } from "../layers/activation.js";
import { TorchMultiheadAttention } from "../layers/attention.js";
import { Embedding, PatchEmbed, patchGrid, patchTokens } from "../layers/conv.js";
import { LayerNorm } from "../layers/layernorm.js";
import { Mlp } from "../layers/mlp.js";
import { interpolateGrid } from "../layers/posembed.js";
import { type BuildContext, Container, Module, Parameter } from "../module.js";
import { type BackboneOutputs, firstToken, VisionBackbone } from "./backbone.js";
import { VitBlocks } from "./vit-encoder.js";

export interface SiglipVisionConfig {
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  hidden_act: Activation;
  layer_norm_eps: number;
  image_size: number;
  patch_size: number;
  num_channels: number;
  vision_use_head: boolean;
}

class SiglipEmbeddings extends Module {
  /** Patch size per axis. The patch embedding itself is called by its path, never through a
   * field, so an adapter that replaces it (LoRA on its convolution) is the one that runs. */
  readonly patchSize: readonly number[];
  readonly position: Embedding;
  readonly grid: number;

  constructor(c: SiglipVisionConfig) {
    super();
    this.grid = Math.floor(c.image_size / c.patch_size);
    this.patchSize = [c.patch_size, c.patch_size];
    this.addModule("patch_embedding", new PatchEmbed(c.num_channels, c.hidden_size, this.patchSize));
    this.position = this.addModule("position_embedding", new Embedding(this.grid * this.grid, c.hidden_size));
  }

  forward(ctx: BuildContext, pixels: Value): Value {
    const [, , h, w] = pixels.shape as [number, number, number, number];
    const x = patchTokens(this.getModule("patch_embedding").forward(ctx, pixels));
    const [gh, gw] = patchGrid([h, w], this.patchSize) as [number, number];
    let pos = this.position.forward(ctx);
    if (!(gh * gw === this.grid * this.grid && h === w)) {
      pos = interpolateGrid(pos, this.grid, this.grid, gh, gw);
    }
    return add(x, reshape(pos, [1, gh * gw, x.shape[2] as number]));
  }
}

/** MultiheadAttentionPoolingHead: probe → cross-attention → x + mlp(layernorm(x)) → token 0. */
class SiglipPoolingHead extends Module {
  readonly probe: Parameter;

  constructor(c: SiglipVisionConfig) {
    super();
    const d = c.hidden_size;
    this.probe = this.addParam("probe", new Parameter([1, 1, d], lazyNormal(d, 0.02)));
    this.addModule("attention", new TorchMultiheadAttention(d, c.num_attention_heads));
    this.addModule("layernorm", new LayerNorm(d, c.layer_norm_eps));
    this.addModule("mlp", new Mlp(d, c.intermediate_size, c.hidden_act));
  }

  forward(ctx: BuildContext, x: Value): Value {
    const [b, , d] = x.shape as [number, number, number];
    const probe = expand(ctx.param(this.probe), [b, 1, d]);
    const h = this.getModule("attention").forward(ctx, probe, x);
    const out = add(h, this.getModule("mlp").forward(ctx, this.getModule("layernorm").forward(ctx, h)));
    return firstToken(out);
  }
}

export class SiglipVisionModel extends VisionBackbone {
  readonly arch = "siglip_vision_model";
  readonly pooler: string;
  readonly hiddenSize: number;
  readonly numChannels: number;
  readonly embeddings: SiglipEmbeddings;
  readonly blocks: VitBlocks;

  constructor(readonly config: SiglipVisionConfig) {
    super();
    const c = config;
    this.hiddenSize = c.hidden_size;
    this.numChannels = c.num_channels;
    this.pooler = c.vision_use_head
      ? "attention-pooling head (`head`)"
      : "mean of the last hidden states (transformers returns none for this model)";
    this.embeddings = this.addModule("embeddings", new SiglipEmbeddings(c));
    this.blocks = this.addModule("encoder", new Container()).add(
      "layers",
      new VitBlocks(c.num_hidden_layers, {
        dim: c.hidden_size,
        heads: c.num_attention_heads,
        eps: c.layer_norm_eps,
        names: { norm1: "layer_norm1", norm2: "layer_norm2", attention: "self_attn", mlp: "mlp" },
        attention: { names: { q: "q_proj", k: "k_proj", v: "v_proj", o: "out_proj" } },
        mlp: { kind: "plain", hidden: c.intermediate_size, act: c.hidden_act },
      }),
    );
    this.addModule("post_layernorm", new LayerNorm(c.hidden_size, c.layer_norm_eps));
    if (c.vision_use_head) this.addModule("head", new SiglipPoolingHead(c));
  }

  embed(ctx: BuildContext, pixels: Value): BackboneOutputs {
    const x = this.blocks.forward(ctx, this.embeddings.forward(ctx, pixels));
    const last = this.getModule("post_layernorm").forward(ctx, x);
    const pooled = this.config.vision_use_head
      ? this.getModule("head").forward(ctx, last)
      : reduceMean(last, [1], false);
    return { lastHiddenState: last, poolerOutput: pooled };
  }
}
