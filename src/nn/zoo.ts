// The architectures medadapt knows by name, with the configs of their published checkpoints
// (from the config.json files on the Hugging Face Hub), and adapter budgets counted from shapes.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { backboneSpec } from "./checkpoints/configs.js";
import { buildBackbone } from "./checkpoints/hf.js";
import { MultiHeadAttention } from "./layers/attention.js";
import type { VisionBackbone } from "./nets/backbone.js";
import { Cnn3d } from "./nets/cnn3d.js";
import { Vit3d } from "./nets/vit3d.js";

export interface KnownBackbone {
  name: string;
  /** Where the weights come from (Hub id), or "medadapt" for our own nets. */
  source: string;
  arch: string;
  /** Input the parameter count refers to. */
  input: string;
  build: () => VisionBackbone;
  /** A Hugging Face folder shipped with the package holding this backbone's trained weights. */
  dir?: string;
}

const hf = (json: Record<string, unknown>) => () => buildBackbone(backboneSpec(json, "<built-in config>"));

const dinov2 = (hidden: number, layers: number, heads: number) =>
  hf({
    model_type: "dinov2",
    hidden_size: hidden,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    image_size: 518,
    patch_size: 14,
  });
const dinov3 = (hidden: number, heads: number) =>
  hf({
    model_type: "dinov3_vit",
    hidden_size: hidden,
    intermediate_size: 4 * hidden,
    num_hidden_layers: 12,
    num_attention_heads: heads,
    num_register_tokens: 4,
    patch_size: 16,
    image_size: 224,
  });
const siglip = (
  hidden: number,
  inter: number,
  layers: number,
  heads: number,
  image: number,
  patch: number,
  head: boolean,
) =>
  hf({
    model_type: "siglip_vision_model",
    hidden_size: hidden,
    intermediate_size: inter,
    num_hidden_layers: layers,
    num_attention_heads: heads,
    image_size: image,
    patch_size: patch,
    vision_use_head: head,
  });

/**
 * The installed package's root: the nearest folder above this file whose package.json is
 * medadapt's, so shipped models resolve the same from dist/, a test build or node_modules.
 */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, "utf8")) as { name?: unknown }).name === "medadapt") return dir;
      } catch {
        // an unreadable package.json is not ours; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/** Folder of a model shipped under the package's `models/`. */
export function shippedModelDir(name: string): string {
  return join(packageRoot(), "models", name);
}

/**
 * The demo's backbone (`models/demo-vit/`, MAE-pretrained on phantom head CT slices): DINOv2
 * layout, 64² input of the three CT windows, patch 8, width 96, 4 layers.
 */
export const DEMO_VIT_CONFIG = {
  model_type: "dinov2",
  hidden_size: 96,
  num_hidden_layers: 4,
  num_attention_heads: 3,
  mlp_ratio: 4,
  image_size: 64,
  patch_size: 8,
  num_channels: 3,
  qkv_bias: true,
  layerscale_value: 1,
} as const;

export const KNOWN_BACKBONES: readonly KnownBackbone[] = [
  {
    name: "medadapt-demo-vit",
    source: "medadapt (MAE on phantom head CT slices, models/demo-vit)",
    arch: "dinov2",
    input: "3×64² CT windows (patch 8)",
    build: hf(DEMO_VIT_CONFIG),
    dir: shippedModelDir("demo-vit"),
  },
  {
    name: "dinov2-small",
    source: "facebook/dinov2-small",
    arch: "dinov2",
    input: "3×518² (patch 14)",
    build: dinov2(384, 12, 6),
  },
  {
    name: "dinov2-base",
    source: "facebook/dinov2-base",
    arch: "dinov2",
    input: "3×518² (patch 14)",
    build: dinov2(768, 12, 12),
  },
  {
    name: "dinov2-large",
    source: "facebook/dinov2-large",
    arch: "dinov2",
    input: "3×518² (patch 14)",
    build: dinov2(1024, 24, 16),
  },
  {
    name: "dinov3-vits16",
    source: "facebook/dinov3-vits16-pretrain-lvd1689m",
    arch: "dinov3_vit",
    input: "3×224² (patch 16)",
    build: dinov3(384, 6),
  },
  {
    name: "dinov3-vitb16",
    source: "facebook/dinov3-vitb16-pretrain-lvd1689m",
    arch: "dinov3_vit",
    input: "3×224² (patch 16)",
    build: dinov3(768, 12),
  },
  {
    name: "siglip-base",
    source: "google/siglip-base-patch16-224",
    arch: "siglip_vision_model",
    input: "3×224² (patch 16)",
    build: siglip(768, 3072, 12, 12, 224, 16, true),
  },
  {
    name: "siglip-so400m",
    source: "google/siglip-so400m-patch14-384",
    arch: "siglip_vision_model",
    input: "3×384² (patch 14)",
    build: siglip(1152, 4304, 27, 16, 384, 14, true),
  },
  {
    name: "medgemma-vision",
    source: "google/medgemma-4b-it (vision tower)",
    arch: "siglip_vision_model",
    input: "3×896² (patch 14)",
    build: siglip(1152, 4304, 27, 16, 896, 14, false),
  },
  {
    name: "vit3d-small",
    source: "medadapt",
    arch: "vit3d",
    input: "1×D×H×W (patch 16³)",
    build: () =>
      new Vit3d({
        in_channels: 1,
        hidden_size: 384,
        num_hidden_layers: 12,
        num_attention_heads: 6,
        mlp_ratio: 4,
        patch_size: [16, 16, 16],
      }),
  },
  {
    name: "cnn3d",
    source: "medadapt",
    arch: "cnn3d",
    input: "1×D×H×W",
    build: () => new Cnn3d({ in_channels: 1, widths: [32, 64, 128, 256], depths: [2, 2, 2, 2] }),
  },
];

export interface AdapterBudget {
  /** Adapted Linear layers (q and v of every self-attention). */
  layers: number;
  lora: number;
  molre: number;
}

/**
 * Parameters added by LoRA (rank r on q and v: r·(d_in + d_out) per layer) and by MoLRE (K
 * experts of rank r, plus a zero-initialised router W_g [K, d_in] per layer), counted from the
 * shapes of the backbone's attention projections.
 */
export function adapterBudget(
  model: VisionBackbone,
  lora: { r: number } = { r: 8 },
  molre: { k: number; r: number } = { k: 4, r: 4 },
): AdapterBudget {
  let layers = 0;
  let l = 0;
  let m = 0;
  for (const [, mod] of model.namedModules()) {
    if (!(mod instanceof MultiHeadAttention)) continue;
    const d = mod.dim;
    for (let i = 0; i < 2; i++) {
      layers++;
      l += lora.r * (d + d);
      m += molre.k * molre.r * (d + d) + molre.k * d;
    }
  }
  return { layers, lora: l, molre: m };
}
