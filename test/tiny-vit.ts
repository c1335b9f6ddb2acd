import type { Dinov2Config } from "../src/nn/index.js";

/**
 * A one-layer DINOv2 over 16×16 single-channel slices in 4×4 patches, the smallest ViT the task
 * tests train; `overrides` change single fields (width, channels, …).
 */
export function tinyDinov2Config(overrides: Partial<Dinov2Config> = {}): Dinov2Config {
  return {
    hidden_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    mlp_ratio: 2,
    hidden_act: "gelu",
    layer_norm_eps: 1e-6,
    image_size: 16,
    patch_size: 4,
    num_channels: 1,
    qkv_bias: true,
    layerscale_value: 1,
    use_swiglu_ffn: false,
    use_mask_token: false,
    ...overrides,
  };
}
