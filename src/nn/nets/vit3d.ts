// A ViT over volumes: 3-D patches (Conv3d, stride = patch), CLS token, fixed 3-D sine-cosine
// positions, pre-norm blocks in timm's layout (fused `attn.qkv`, `attn.proj`, `mlp.fc1/fc2`).
import { add, concat, expand, type Value } from "../../engine/index.js";
import { lazyNormal } from "../init.js";
import type { Activation } from "../layers/activation.js";
import { PatchEmbed, patchGrid, patchTokens } from "../layers/conv.js";
import { LayerNorm } from "../layers/layernorm.js";
import { sincosTable } from "../layers/posembed.js";
import { type BuildContext, Parameter } from "../module.js";
import { type BackboneOutputs, firstToken, VisionBackbone } from "./backbone.js";
import { VitBlocks } from "./vit-encoder.js";

export interface Vit3dConfig {
  in_channels: number;
  hidden_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  mlp_ratio: number;
  /** [d, h, w] voxels per patch. */
  patch_size: [number, number, number];
  hidden_act?: Activation;
  layer_norm_eps?: number;
}

export class Vit3d extends VisionBackbone {
  readonly arch = "vit3d";
  readonly pooler = "final-normed CLS token";
  readonly hiddenSize: number;
  readonly numChannels: number;
  readonly cls_token: Parameter;
  /** Patch size per axis. The patch embedding itself is called by its path, never through a
   * field, so an adapter that replaces it (LoRA on its convolution) is the one that runs. */
  readonly patchSize: readonly number[];
  readonly blocks: VitBlocks;

  constructor(readonly config: Vit3dConfig) {
    super();
    const c = config;
    const d = c.hidden_size;
    this.hiddenSize = d;
    this.numChannels = c.in_channels;
    this.cls_token = this.addParam("cls_token", new Parameter([1, 1, d], lazyNormal(d, 0.02)));
    this.patchSize = [...c.patch_size];
    this.addModule("patch_embed", new PatchEmbed(c.in_channels, d, this.patchSize));
    this.blocks = this.addModule(
      "blocks",
      new VitBlocks(c.num_hidden_layers, {
        dim: d,
        heads: c.num_attention_heads,
        eps: c.layer_norm_eps ?? 1e-6,
        names: { norm1: "norm1", norm2: "norm2", attention: "attn", mlp: "mlp" },
        attention: { layout: "fused", names: { q: "qkv", o: "proj" } },
        mlp: { kind: "plain", hidden: Math.round(d * c.mlp_ratio), act: c.hidden_act ?? "gelu" },
      }),
    );
    this.addModule("norm", new LayerNorm(d, c.layer_norm_eps ?? 1e-6));
  }

  embed(ctx: BuildContext, volume: Value): BackboneOutputs {
    const b = volume.shape[0] as number;
    const d = this.hiddenSize;
    const grid = patchGrid(volume.shape.slice(2), this.patchSize);
    const n = grid.reduce((p, q) => p * q, 1);
    const patches = add(
      patchTokens(this.getModule("patch_embed").forward(ctx, volume)),
      ctx.graph.constant(sincosTable(d, grid), [1, n, d]),
    );
    const x = this.blocks.forward(ctx, concat([expand(ctx.param(this.cls_token), [b, 1, d]), patches], 1));
    const last = this.getModule("norm").forward(ctx, x);
    return { lastHiddenState: last, poolerOutput: firstToken(last) };
  }
}
