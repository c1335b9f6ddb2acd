/**
 * The AnyMC3D model a training config's `model:` section describes: the backbone (a Hugging Face
 * folder, a named tiny architecture, or a zoo architecture with seeded random weights), the
 * adaptation method with its settings (applyMethod), the slice pooling and the view fusion.
 */
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, resolve as resolvePath } from "node:path";
import { applyMethod, type ParamSummary } from "../../adapt/index.js";
import { maskOfColumn } from "../../config/columns.js";
import { type FieldSpec, resolve } from "../../config/schema.js";
import { InputError } from "../../errors.js";
import { backboneSpec } from "../../nn/checkpoints/configs.js";
import { buildBackbone, loadBackbone } from "../../nn/checkpoints/hf.js";
import { normalInit, resetInitSeed } from "../../nn/init.js";
import { PatchEmbed } from "../../nn/layers/conv.js";
import type { VisionBackbone } from "../../nn/nets/backbone.js";
import { Cnn3d, type Cnn3dConfig } from "../../nn/nets/cnn3d.js";
import { Vit3d, type Vit3dConfig } from "../../nn/nets/vit3d.js";
import { KNOWN_BACKBONES } from "../../nn/zoo.js";
import type { Plane } from "../../volume/slices.js";
import { AnyMc3d, type ViewFusion } from "./anymc3d.js";
import { Native3d } from "./native3d.js";
import { POOLING_KINDS, type PoolingKind } from "./pooling.js";

export interface TaskModelConfig {
  /** A Hugging Face model folder, or a name from `TINY_BACKBONES` / the zoo (random weights). */
  backbone: string;
  /** "linear_probe" | "full" | "lora" | "molre" (or any registered adapter method). */
  method: string;
  /** The method's settings, PEFT field names (r, lora_alpha, target_modules, num_experts, …). */
  adapter: Record<string, unknown>;
  pooling: PoolingKind;
  fusion: ViewFusion;
  /**
   * Random-weight backbones only: std of a fresh normal init of every weight except norms and
   * biases (null keeps the architecture's own init, std 0.02, under which a tiny ViT's CLS token
   * barely sees the patches).
   */
  initStd: number | null;
  /**
   * Auxiliary pixel supervision: the manifest mask (`column`: `hemorrhage_mask` or its name
   * `hemorrhage`) a light decoder on the patch tokens learns to predict, and the weight of its
   * Dice + BCE loss. null: none.
   */
  aux: { mask: string; weight: number } | null;
}

const MODEL_SCHEMA: FieldSpec = {
  type: "object",
  fields: {
    backbone: { type: "string", default: "" },
    method: { type: "string", nonEmpty: true, default: "molre" },
    adapter: { type: "record", default: {} },
    pooling: { type: "string", oneOf: POOLING_KINDS, default: "attention" },
    fusion: { type: "string", oneOf: ["mean", "concat"], default: "mean" },
    initStd: { type: "number", gt: 0, default: 0 },
    aux: {
      type: "object",
      optional: true,
      fields: {
        column: { type: "string", default: "" },
        weight: { type: "number", gt: 0, default: 0.5 },
      },
    },
  },
};

/**
 * Small architectures for tests, demos and smoke runs: config.json fields of their family; the
 * image size and channel count follow the data's preprocessing.
 */
export const TINY_BACKBONES: Readonly<Record<string, Record<string, unknown>>> = {
  "tiny-dinov2": {
    model_type: "dinov2",
    hidden_size: 32,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    mlp_ratio: 2,
    patch_size: 8,
  },
  "tiny-dinov3": {
    model_type: "dinov3_vit",
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_register_tokens: 1,
    patch_size: 8,
  },
  "tiny-siglip": {
    model_type: "siglip_vision_model",
    hidden_size: 32,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    patch_size: 8,
    vision_use_head: false,
  },
};

/**
 * Small 3D networks for the native 3D path (`data.preprocess.layout: "volume"`): ViT3D and 3D
 * CNN configs without their input channels, which follow the data's preprocessing.
 */
export const TINY_3D_BACKBONES: Readonly<
  Record<string, Omit<Vit3dConfig, "in_channels"> | Omit<Cnn3dConfig, "in_channels">>
> = {
  // Width divisible by 6: ViT3D's fixed sine-cosine positions split it over 3 axes × sin/cos.
  "tiny-vit3d": {
    hidden_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    mlp_ratio: 2,
    patch_size: [2, 8, 8],
  },
  "tiny-cnn3d": { widths: [8, 16], depths: [1, 1] },
};

/** The `model:` section validated and completed; every problem in one InputError naming `source`. */
export function taskModelConfig(raw: Record<string, unknown>, source = "model config"): TaskModelConfig {
  const errors: string[] = [];
  const out = resolve(MODEL_SCHEMA, raw, "model", errors) as Omit<TaskModelConfig, "aux"> & {
    initStd: number;
    aux?: { column: string; weight: number };
  };
  if (out.aux && out.aux.column === "")
    errors.push('model.aux.column is required (a manifest mask column, e.g. "hemorrhage_mask")');
  if (!errors.length && out.backbone === "")
    errors.push(
      `model.backbone is required (a Hugging Face model folder, or one of ${knownNames().join(", ")})`,
    );
  if (!errors.length && out.backbone !== "" && !isKnownBackbone(out.backbone) && !backbonePath(out.backbone))
    errors.push(
      `model.backbone "${out.backbone}" is neither a folder nor a known architecture (known: ${knownNames().join(", ")})`,
    );
  if (errors.length) throw new InputError(errors.join("; "), source);
  const { aux, ...rest } = out;
  return {
    ...rest,
    initStd: out.initStd === 0 ? null : out.initStd,
    aux: aux ? { mask: maskOfColumn(aux.column), weight: aux.weight } : null,
  };
}

export function isKnownBackbone(name: string): boolean {
  return name in TINY_BACKBONES || name in TINY_3D_BACKBONES || KNOWN_BACKBONES.some((b) => b.name === name);
}

function knownNames(): string[] {
  return [
    ...Object.keys(TINY_BACKBONES),
    ...Object.keys(TINY_3D_BACKBONES),
    ...KNOWN_BACKBONES.map((b) => b.name),
  ];
}

/** Known 3D networks, for error messages. */
function known3dNames(): string[] {
  return [
    ...Object.keys(TINY_3D_BACKBONES),
    ...KNOWN_BACKBONES.filter((b) => b.arch === "vit3d" || b.arch === "cnn3d").map((b) => b.name),
  ];
}

const is3dArch = (arch: string) => arch === "vit3d" || arch === "cnn3d";

/**
 * Default adapter targets of the 3D networks (their module names differ from the 2D FMs'): LoRA
 * on ViT3D's fused qkv, attention output and patch embedding, MoLRE on the fused qkv; on the 3D
 * CNN both methods adapt every residual block's two 3³ convolutions.
 */
const TARGETS_3D: Readonly<Record<string, Readonly<Record<string, string[]>>>> = {
  vit3d: { lora: ["attn.qkv", "attn.proj", "patch_embed"], molre: ["attn.qkv"] },
  cnn3d: { lora: ["conv1", "conv2"], molre: ["conv1", "conv2"] },
};

export interface BuildOptions {
  findings: number;
  views: readonly Plane[];
  /** Channels of each preprocessed slice (windows × images). */
  channels: number;
  /** Preprocessed slice size [H, W]. */
  size: readonly [number, number];
  /**
   * `data.preprocess.layout`: "slices" (default) builds AnyMC3D over a 2D backbone; "volume" the
   * native 3D model over a 3D backbone (input "volume" [B, C, D, H, W]; `views` is then ignored).
   */
  layout?: "slices" | "volume";
  seed: number;
  /** Folder relative backbone paths are read from (the config file's); default the cwd. */
  baseDir?: string;
  /** Names the config in errors. */
  source?: string;
}

export interface BuiltTaskModel {
  model: AnyMc3d;
  summary: ParamSummary;
  backbone: { name: string; arch: string; pretrained: boolean; params: number };
  /** MoLRE's load-balancing weight (0 for other methods). */
  loadBalanceWeight: number;
  /** Auxiliary pixel supervision: the mask name and the loss weight (null or absent: none). */
  aux?: { mask: string; weight: number } | null;
}

function backbonePath(name: string, baseDir?: string): string | undefined {
  const p = isAbsolute(name) ? name : resolvePath(baseDir ?? process.cwd(), name);
  return existsSync(p) && statSync(p).isDirectory() ? p : undefined;
}

async function makeBackbone(
  c: TaskModelConfig,
  o: BuildOptions,
): Promise<{ backbone: VisionBackbone; pretrained: boolean }> {
  const dir = backbonePath(c.backbone, o.baseDir);
  if (dir) {
    if (!existsSync(join(dir, "config.json")))
      throw new InputError(
        "model.backbone: folder has no config.json (not a Hugging Face model folder)",
        dir,
      );
    return { backbone: (await loadBackbone(dir)).model, pretrained: true };
  }
  const known = KNOWN_BACKBONES.find((b) => b.name === c.backbone);
  // A zoo name with weights shipped in the package (medadapt-demo-vit) loads them.
  if (known?.dir) {
    if (!existsSync(join(known.dir, "config.json")))
      throw new InputError(`model.backbone "${c.backbone}": shipped weights missing`, known.dir);
    return { backbone: (await loadBackbone(known.dir)).model, pretrained: true };
  }
  // Random weights drawn from the run's seed: a resumed run or a prediction rebuilds them exactly.
  resetInitSeed(o.seed + 1);
  let backbone: VisionBackbone;
  const tiny = TINY_BACKBONES[c.backbone];
  const tiny3d = TINY_3D_BACKBONES[c.backbone];
  if (tiny3d) {
    backbone =
      "widths" in tiny3d
        ? new Cnn3d({ ...tiny3d, in_channels: o.channels })
        : new Vit3d({ ...tiny3d, in_channels: o.channels });
  } else if (known && is3dArch(known.arch)) {
    // The zoo's 3D nets take one channel; with random weights they take the data's channels.
    const z = known.build();
    backbone =
      z instanceof Vit3d
        ? new Vit3d({ ...z.config, in_channels: o.channels })
        : new Cnn3d({ ...(z as Cnn3d).config, in_channels: o.channels });
  } else if (tiny) {
    backbone = buildBackbone(
      backboneSpec(
        { ...tiny, image_size: o.size[0], num_channels: o.channels },
        `model.backbone "${c.backbone}"`,
      ),
    );
  } else if (known) {
    backbone = known.build();
  } else {
    throw new InputError(
      `model.backbone "${c.backbone}" is neither a folder nor a known architecture (known: ${knownNames().join(", ")})`,
      o.source,
    );
  }
  if (c.initStd !== null) {
    let i = 0;
    for (const [name, p] of backbone.namedParameters())
      if (!/(norm|bias)/.test(name)) p.data = normalInit(p.size, c.initStd, (o.seed + 1) * 7919 + i++);
  }
  backbone.freeze();
  return { backbone, pretrained: false };
}

/** The patch size [ph, pw] of a 2D ViT backbone (its patch embedding's), for the aux decoder. */
function patchSizeOf(backbone: VisionBackbone, name: string, source?: string): [number, number] {
  for (const [, m] of backbone.namedModules())
    if (m instanceof PatchEmbed && m.patch.length === 2) return [m.patch[0] as number, m.patch[1] as number];
  throw new InputError(
    `model.aux: backbone "${name}" has no 2D patch embedding to decode masks from`,
    source,
  );
}

export async function buildTaskModel(c: TaskModelConfig, o: BuildOptions): Promise<BuiltTaskModel> {
  const { backbone, pretrained } = await makeBackbone(c, o);
  const volume = o.layout === "volume";
  const is3d = is3dArch(backbone.arch);
  if (!(backbone.hiddenSize > 0) || backbone.numChannels === undefined)
    throw new InputError(`model.backbone "${c.backbone}" is not an image backbone`, o.source);
  if (volume && !is3d)
    throw new InputError(
      `model.backbone "${c.backbone}" is a 2D image backbone; data.preprocess.layout "volume" needs a 3D network (${known3dNames().join(", ")}) — or use layout "slices" for AnyMC3D`,
      o.source,
    );
  if (!volume && is3d)
    throw new InputError(
      `model.backbone "${c.backbone}" is a 3D network; AnyMC3D needs a 2D slice backbone — set data.preprocess.layout to "volume" for the native 3D path`,
      o.source,
    );
  if (volume && c.aux)
    throw new InputError(
      'model.aux needs data.preprocess.layout "slices" (the decoder reads a 2D backbone\'s patch tokens)',
      o.source,
    );
  if (backbone.numChannels !== o.channels)
    throw new InputError(
      `model.backbone "${c.backbone}" takes ${backbone.numChannels} channels but the preprocessing gives ${o.channels} (data.preprocess.intensity windows × images per case)`,
      o.source,
    );
  const params = backbone.parameterCount();
  const model = volume
    ? new Native3d(backbone, { findings: o.findings, seed: o.seed + 17 })
    : new AnyMc3d(backbone, {
        findings: o.findings,
        views: o.views,
        pooling: c.pooling,
        fusion: c.fusion,
        seed: o.seed + 17,
        ...(c.aux ? { aux: { patch: patchSizeOf(backbone, c.backbone, o.source) } } : {}),
      });
  let summary: ParamSummary;
  try {
    const raw: Record<string, unknown> = { seed: o.seed, modules_to_save: ["head", "pool"], ...c.adapter };
    // The auxiliary decoder trains and is saved with the plugin whatever modules_to_save says.
    const save = raw.modules_to_save ?? raw.modulesToSave;
    if (c.aux && Array.isArray(save) && !save.includes("aux")) raw.modules_to_save = [...save, "aux"];
    delete raw.modulesToSave;
    const targets3d = TARGETS_3D[backbone.arch]?.[c.method];
    if (targets3d && raw.target_modules === undefined && raw.targetModules === undefined)
      raw.target_modules = targets3d;
    summary = applyMethod(model, { ...raw, method: c.method });
  } catch (err) {
    if (err instanceof InputError)
      throw new InputError(`model (method "${c.method}"): ${err.message}`, o.source);
    throw err;
  }
  const lb =
    c.method === "molre" ? Number(c.adapter.load_balance_weight ?? c.adapter.loadBalanceWeight ?? 0.01) : 0;
  return {
    model,
    summary,
    backbone: { name: c.backbone, arch: backbone.arch, pretrained, params },
    loadBalanceWeight: lb,
    aux: c.aux,
  };
}
