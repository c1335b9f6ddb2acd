// DINOv2 as transformers' Dinov2Model: CLS + learned positions (bicubic-resized for other input
// sizes), pre-norm blocks with LayerScale, final `layernorm`; pooler = layernormed CLS token.
import { add, concat, expand, reshape, slice, type Value } from "../../engine/index.js";
import { lazyNormal } from "../init.js";
import type { Activation } from "../layers/activation.js";
import { PatchEmbed, patchGrid, patchTokens } from "../layers/conv.js";
import { LayerNorm } from "../layers/layernorm.js";
import { interpolateGrid } from "../layers/posembed.js";
import { type BuildContext, Container, Module, Parameter } from "../module.js";
import { type BackboneOutputs, firstToken, VisionBackbone } from "./backbone.js";
import { DINO_BLOCK_NAMES, VitBlocks } from "./vit-encoder.js";

export interface Dinov2Config {
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  mlp_ratio: number;
  hidden_act: Activation;
  layer_norm_eps: number;
  image_size: number;
  patch_size: number;
  num_channels: number;
  qkv_bias: boolean;
  layerscale_value: number;
  use_swiglu_ffn: boolean;
  use_mask_token: boolean;
}

class Dinov2Embeddings extends Module {
  readonly cls_token: Parameter;
  readonly mask_token: Parameter | undefined;
  readonly position_embeddings: Parameter;
  /** Patch size per axis. The patch embedding itself is called by its path, never through a
   * field, so an adapter that replaces it (LoRA on its convolution) is the one that runs. */
  readonly patchSize: readonly number[];
  readonly grid: number;

  constructor(c: Dinov2Config) {
    super();
    const d = c.hidden_size;
    this.grid = Math.floor(c.image_size / c.patch_size);
    const n = this.grid * this.grid + 1;
    this.cls_token = this.addParam("cls_token", new Parameter([1, 1, d], lazyNormal(d, 0.02)));
    this.mask_token = c.use_mask_token ? this.addParam("mask_token", new Parameter([1, d])) : undefined;
    this.position_embeddings = this.addParam(
      "position_embeddings",
      new Parameter([1, n, d], lazyNormal(n * d, 0.02)),
    );
    const pe = this.addModule("patch_embeddings", new Container());
    this.patchSize = [c.patch_size, c.patch_size];
    pe.add("projection", new PatchEmbed(c.num_channels, d, this.patchSize));
  }

  forward(ctx: BuildContext, pixels: Value): Value {
    const [b, , h, w] = pixels.shape as [number, number, number, number];
    const d = this.cls_token.shape[2] as number;
    const patches = patchTokens(this.getModule("patch_embeddings.projection").forward(ctx, pixels));
    const x = concat([expand(ctx.param(this.cls_token), [b, 1, d]), patches], 1);
    const [gh, gw] = patchGrid([h, w], this.patchSize) as [number, number];
    let pos = ctx.param(this.position_embeddings);
    const n0 = this.grid * this.grid;
    // transformers keeps the table as is only when the patch count matches and the input is square.
    if (!(gh * gw === n0 && h === w)) {
      const cls = slice(pos, [0], [1], [1]);
      const grid = reshape(slice(pos, [1], [n0 + 1], [1]), [n0, d]);
      const resized = interpolateGrid(grid, this.grid, this.grid, gh, gw);
      pos = concat([cls, reshape(resized, [1, gh * gw, d])], 1);
    }
    return add(x, pos);
  }
}

export class Dinov2Model extends VisionBackbone {
  readonly arch = "dinov2";
  readonly pooler = "final-layernormed CLS token";
  readonly hiddenSize: number;
  readonly numChannels: number;
  readonly embeddings: Dinov2Embeddings;
  readonly blocks: VitBlocks;
  readonly layernorm: LayerNorm;
  readonly layers: number;

  constructor(readonly config: Dinov2Config) {
    super();
    const c = config;
    this.hiddenSize = c.hidden_size;
    this.numChannels = c.num_channels;
    this.layers = c.num_hidden_layers;
    this.embeddings = this.addModule("embeddings", new Dinov2Embeddings(c));
    this.blocks = this.addModule("encoder", new Container()).add(
      "layer",
      new VitBlocks(c.num_hidden_layers, {
        dim: c.hidden_size,
        heads: c.num_attention_heads,
        eps: c.layer_norm_eps,
        names: DINO_BLOCK_NAMES,
        attention: {
          names: { q: "attention.query", k: "attention.key", v: "attention.value", o: "output.dense" },
          bias: { q: c.qkv_bias, k: c.qkv_bias, v: c.qkv_bias, o: true },
        },
        mlp: c.use_swiglu_ffn
          ? { kind: "swiglu", mlpRatio: c.mlp_ratio }
          : { kind: "plain", hidden: Math.floor(c.hidden_size * c.mlp_ratio), act: c.hidden_act },
        layerScale: c.layerscale_value,
      }),
    );
    this.layernorm = this.addModule("layernorm", new LayerNorm(c.hidden_size, c.layer_norm_eps));
  }

  embed(ctx: BuildContext, pixels: Value): BackboneOutputs {
    const x = this.blocks.forward(ctx, this.embeddings.forward(ctx, pixels));
    const last = this.layernorm.forward(ctx, x);
    return { lastHiddenState: last, poolerOutput: firstToken(last) };
  }
}
